"""A video's library facts (probe), its poster frame, and its browser-playable rendition, by PyAV
(no ffmpeg binary: the same wheel locally and in the ML image, where the analyze phase runs).

- `probe`: duration, size, frame rate, codecs, audio, the quality label, and whether a browser
  plays the file as it is (H.264/VP8/VP9/AV1 in MP4 or WebM, AAC/MP3/Opus/Vorbis or no audio).
- `pick_poster`: several frames spread over the video, scored so the poster is neither black
  (a fade-in, a lens cap) nor blurred (a whip pan): the sharpest frame of acceptable brightness.
- `transcode`: H.264 (yuv420p, CRF 23) and AAC in an MP4 with the index up front (`+faststart`),
  so a browser starts playing and seeks before the whole file has arrived. A phone clip's rotation
  (the display matrix) is applied to the pixels: the rendition carries none, and plays upright.
- `compile_reel`: a highlight reel of trimmed clips after a title card, in the same format.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from eventlens.errors import BadMedia
from eventlens.types import Fingerprint

QUALITY_LABELS: tuple[tuple[int, str], ...] = (
    (2160, "2160p"),
    (1440, "1440p"),
    (1080, "1080p"),
    (720, "720p"),
    (480, "480p"),
    (360, "360p"),
    (0, "240p"),
)
"""By the shorter side, so a portrait 1080x1920 phone clip is 1080p like its landscape twin."""

PLAYABLE_VIDEO = frozenset({"h264", "vp8", "vp9", "av1"})
PLAYABLE_AUDIO = frozenset({"aac", "mp3", "opus", "vorbis"})
PLAYABLE_TYPES = frozenset({"video/mp4", "video/webm", "video/quicktime"})
POSTER_SAMPLES = (0.1, 0.25, 0.4, 0.55, 0.7, 0.85)
"""Where poster candidates are taken, as shares of the duration."""
BRIGHTNESS_RANGE = (35.0, 220.0)
"""Mean luma (0-255) a poster may have: below is a black or fading frame, above a washed-out one."""
MIN_CONTRAST = 12.0
"""Luma standard deviation below which a frame is flat (a title card's plain background, black)."""


def quality_label(width: int, height: int) -> str:
    side = min(width, height)
    return next(label for floor, label in QUALITY_LABELS if side >= floor)


@dataclass(frozen=True)
class VideoProbe:
    duration_s: float | None
    width: int
    height: int
    frame_rate: float | None
    video_codec: str
    audio_codec: str | None
    size_bytes: int
    quality: str
    playable: bool
    """A browser plays the original as it is; otherwise it is transcoded."""

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def fingerprint(self) -> str:
        """The seed's cheap duplicate key (duration, size, width, height); the content hash confirms."""
        return f"{round(self.duration_s or 0)}:{self.size_bytes}:{self.width}:{self.height}"


def _open(data: bytes) -> Any:
    import av

    if not data:
        raise BadMedia("empty file (0 bytes)")
    try:
        return av.open(io.BytesIO(data), mode="r")
    except av.error.FFmpegError as exc:
        raise BadMedia(f"not a readable video: {exc}") from None


def probe_container(container: Any, size_bytes: int, mime: str | None) -> VideoProbe:
    if not container.streams.video:
        raise BadMedia("video file has no video stream")
    stream = container.streams.video[0]
    audio = container.streams.audio[0] if container.streams.audio else None
    duration = _duration_s(container, stream)
    rate = stream.average_rate or stream.guessed_rate
    width, height = int(stream.codec_context.width or 0), int(stream.codec_context.height or 0)
    if not width or not height:
        raise BadMedia("video stream has no dimensions")
    video_codec = str(stream.codec_context.name)
    audio_codec = None if audio is None else str(audio.codec_context.name)
    playable = (
        (mime or "video/mp4") in PLAYABLE_TYPES
        and video_codec in PLAYABLE_VIDEO
        and (audio_codec is None or audio_codec in PLAYABLE_AUDIO)
        and (mime != "video/quicktime" or video_codec == "h264")
    )
    return VideoProbe(
        duration_s=duration,
        width=width,
        height=height,
        frame_rate=None if not rate else round(float(rate), 3),
        video_codec=video_codec,
        audio_codec=audio_codec,
        size_bytes=size_bytes,
        quality=quality_label(width, height),
        playable=playable,
    )


def probe(data: bytes, mime: str | None = None) -> VideoProbe:
    with _open(data) as container:
        return probe_container(container, len(data), mime)


def fingerprint(data: bytes, mime: str | None = None) -> Fingerprint | None:
    """Read from the container's header and first frame (never a full decode); None if unreadable:
    the video registers without one (analyze then says why it is invalid), never fails for it."""
    try:
        with _open(data) as container:
            facts = probe_container(container, len(data), mime)
            turns = quarter_turns(_rotation(container, container.streams.video[0]))
    except Exception:
        return None
    if facts.duration_s is None:
        return None
    width, height = (facts.height, facts.width) if turns % 2 else (facts.width, facts.height)
    return Fingerprint(duration_s=facts.duration_s, width=width, height=height)


def _duration_s(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    return None


def frame_score(image: Image.Image) -> float:
    """Higher is a better poster: the variance of the Laplacian (sharpness) of a 160 px grey copy,
    scaled down 100-fold for a frame too dark, too bright or too flat, so any acceptable frame wins."""
    grey = image.convert("L")
    grey.thumbnail((160, 160))
    luma = np.asarray(grey, dtype=np.float32)
    mean, contrast = float(luma.mean()), float(luma.std())
    if luma.shape[0] < 3 or luma.shape[1] < 3:
        return 0.0
    laplacian = luma[1:-1, :-2] + luma[1:-1, 2:] + luma[:-2, 1:-1] + luma[2:, 1:-1] - 4 * luma[1:-1, 1:-1]
    sharpness = float(laplacian.var())
    low, high = BRIGHTNESS_RANGE
    if not (low <= mean <= high) or contrast < MIN_CONTRAST:
        return sharpness / 100.0
    return sharpness + 1.0


def pick_poster(container: Any, duration_s: float | None) -> tuple[Image.Image, int]:
    """The best of POSTER_SAMPLES frames (and the first, if seeking finds none), and its rotation."""
    stream = container.streams.video[0]
    candidates: list[tuple[float, Image.Image, int]] = []
    if duration_s and duration_s > 0 and stream.time_base:
        for share in POSTER_SAMPLES:
            target = int(duration_s * share / stream.time_base)
            try:
                container.seek(target, stream=stream, any_frame=False, backward=True)
                frame = _frame_at_or_after(container, stream, target)
            except Exception:
                frame = None
            if frame is not None:
                image = frame.to_image()
                candidates.append((frame_score(image), image, int(getattr(frame, "rotation", 0) or 0)))
    if not candidates:
        container.seek(0)
        frame = next(container.decode(stream), None)
        if frame is None:
            raise BadMedia("video has no decodable frame")
        return frame.to_image(), int(getattr(frame, "rotation", 0) or 0)
    _, image, rotation = max(candidates, key=lambda c: c[0])
    return image, rotation


def _frame_at_or_after(container: Any, stream: Any, target: int) -> Any:
    last = None
    for frame in container.decode(stream):
        last = frame
        if frame.pts is None or frame.pts >= target:
            return frame
    return last


def transcode(data: bytes, out: Path, *, crf: int = 23, preset: str = "veryfast") -> float:
    """Write a browser-playable MP4 of `data` to `out`; its duration in seconds."""
    import av

    try:
        with (
            _open(data) as source,
            av.open(str(out), mode="w", format="mp4", options={"movflags": "+faststart"}) as sink,
        ):
            vin = source.streams.video[0]
            ain = source.streams.audio[0] if source.streams.audio else None
            rate = vin.average_rate or vin.guessed_rate or Fraction(25)
            turns = quarter_turns(_rotation(source, vin))
            width, height = int(vin.codec_context.width), int(vin.codec_context.height)
            if turns % 2:
                width, height = height, width
            vout = sink.add_stream("libx264", rate=rate)
            vout.width = width // 2 * 2
            vout.height = height // 2 * 2
            vout.pix_fmt = "yuv420p"
            vout.options = {"crf": str(crf), "preset": preset}
            aout = resampler = None
            if ain is not None:
                aout = sink.add_stream("aac", rate=48000)
                aout.layout = "stereo"
                resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000, frame_size=1024)
            last_s = 0.0
            streams = [vin] if ain is None else [vin, ain]
            for packet in source.demux(*streams):
                for frame in packet.decode():
                    if packet.stream.type == "video":
                        if frame.time is not None:
                            last_s = max(last_s, float(frame.time))
                        picture = _upright(frame, turns, vout.width, vout.height)
                        picture.pts = round(float(frame.time or 0) * rate) if frame.time is not None else None
                        picture.time_base = Fraction(1, 1) / rate
                        sink.mux(vout.encode(picture))
                    elif resampler is not None and aout is not None:
                        frame.pts = None
                        for chunk in resampler.resample(frame):
                            sink.mux(aout.encode(chunk))
            if resampler is not None and aout is not None:
                for chunk in resampler.resample(None):
                    sink.mux(aout.encode(chunk))
                sink.mux(aout.encode(None))
            sink.mux(vout.encode(None))
    except av.error.FFmpegError as exc:
        raise BadMedia(f"could not transcode: {exc}") from None
    return last_s


def quarter_turns(rotation: float) -> int:
    """Counter-clockwise quarter turns (numpy's rot90) that put a frame with this display-matrix
    rotation upright: a phone's portrait clip reads -90 (show it turned 90 degrees clockwise)."""
    return round(rotation / 90) % 4


def _rotation(container: Any, stream: Any) -> float:
    """The display-matrix rotation of the first frame (PyAV reads it per frame); rewound after."""
    frame = next(container.decode(stream), None)
    container.seek(0)
    return float(getattr(frame, "rotation", 0) or 0)


def _upright(frame: Any, turns: int, width: int, height: int) -> Any:
    """`frame` turned upright and scaled to width x height, in the encoder's yuv420p."""
    import av

    if turns:
        pixels = np.ascontiguousarray(np.rot90(frame.to_ndarray(format="rgb24"), turns))
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
    return frame.reformat(width=width, height=height, format="yuv420p")


# -- compilations ----------------------------------------------------------------------------------

AUDIO_RATE = 48000


@dataclass(frozen=True)
class ReelClip:
    """One clip of a reel: its bytes and the part kept, in seconds from its start."""

    data: bytes
    in_s: float
    out_s: float


def title_card(title: str, size: tuple[int, int]) -> Image.Image:
    """The reel's opening card: the title in white on near-black, centred, wrapped to fit."""
    from PIL import ImageDraw, ImageFont

    width, height = size
    card = Image.new("RGB", size, (17, 17, 17))
    draw = ImageDraw.Draw(card)
    points = max(12, height // 12)
    font = ImageFont.load_default(size=points)
    lines: list[str] = []
    for word in title.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width * 0.85:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    step = points * 1.25
    top = (height - step * len(lines)) / 2
    for i, line in enumerate(lines):
        draw.text((width / 2, top + i * step), line, font=font, fill=(255, 255, 255), anchor="ma")
    return card


def reel_size(data: bytes, longest: int = 1920) -> tuple[int, int]:
    """A reel's frame size by default: its first clip's, upright, even, at most `longest` px."""
    with _open(data) as container:
        stream = container.streams.video[0]
        width, height = int(stream.codec_context.width), int(stream.codec_context.height)
        if quarter_turns(_rotation(container, stream)) % 2:
            width, height = height, width
    scale = min(1.0, longest / max(width, height))
    return max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2)


class _AudioOut:
    """Stereo 48 kHz float samples handed to the AAC encoder in its frame size, numbered in order."""

    def __init__(self, sink: Any, stream: Any) -> None:
        self.sink, self.stream, self.pts = sink, stream, 0
        self.buffer = np.zeros((2, 0), dtype=np.float32)

    def write(self, samples: np.ndarray) -> None:
        self.buffer = np.concatenate([self.buffer, samples], axis=1)
        while self.buffer.shape[1] >= 1024:
            self._encode(self.buffer[:, :1024])
            self.buffer = self.buffer[:, 1024:]

    def close(self) -> None:
        if self.buffer.shape[1]:
            self._encode(self.buffer)  # the encoder takes a shorter last frame
        self.sink.mux(self.stream.encode(None))

    def _encode(self, samples: np.ndarray) -> None:
        import av

        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = AUDIO_RATE, self.pts
        self.pts += samples.shape[1]
        self.sink.mux(self.stream.encode(frame))


def _fit(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    scale = min(box[0] / width, box[1] / height)
    return max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2)


def _clip_frames(data: bytes, in_s: float, count: int, fps: int, box: tuple[int, int]) -> Any:
    """`count` frames at `fps` from `in_s` on, upright and letterboxed into `box` (rgb24 arrays):
    each is the source frame showing at that moment, the last one held if the source ends early."""
    with _open(data) as container:
        stream = container.streams.video[0]
        turns = quarter_turns(_rotation(container, stream))
        if in_s > 0 and stream.time_base:
            container.seek(int(in_s / stream.time_base), stream=stream, backward=True)
        decoded = (f for f in container.decode(stream) if f.time is not None)
        current, upcoming = None, next(decoded, None)
        picture: np.ndarray | None = None
        for k in range(count):
            moment = in_s + k / fps + 1e-6
            while upcoming is not None and (current is None or upcoming.time <= moment):
                current, upcoming, picture = upcoming, next(decoded, None), None
            if current is None:
                raise BadMedia("a clip has no decodable frame")
            if picture is None:
                pixels = np.rot90(current.to_ndarray(format="rgb24"), turns) if turns else None
                height, width = pixels.shape[:2] if pixels is not None else (current.height, current.width)
                fitted = _fit(width, height, box)
                if pixels is None:
                    pixels = current.reformat(width=fitted[0], height=fitted[1], format="rgb24").to_ndarray()
                else:
                    pixels = np.asarray(Image.fromarray(pixels).resize(fitted, Image.Resampling.BILINEAR))
                picture = np.zeros((box[1], box[0], 3), dtype=np.uint8)
                top, left = (box[1] - fitted[1]) // 2, (box[0] - fitted[0]) // 2
                picture[top : top + fitted[1], left : left + fitted[0]] = pixels
            yield picture


def _clip_audio(data: bytes, in_s: float, samples: int) -> np.ndarray:
    """Exactly `samples` stereo samples at AUDIO_RATE from `in_s` on (silence where there is none)."""
    import av

    out = np.zeros((2, samples), dtype=np.float32)
    with _open(data) as container:
        if not container.streams.audio:
            return out
        stream = container.streams.audio[0]
        if in_s > 0 and stream.time_base:
            container.seek(int(in_s / stream.time_base), stream=stream, backward=True)
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        chunks: list[np.ndarray] = []
        start: float | None = None
        have = 0
        for frame in container.decode(stream):
            if start is None:
                start = float(frame.time or 0.0)
            frame.pts = None
            for chunk in resampler.resample(frame):
                array = chunk.to_ndarray().astype(np.float32)
                chunks.append(array)
                have += array.shape[1]
            if start is not None and have - round((in_s - start) * AUDIO_RATE) >= samples:
                break
    if not chunks or start is None:
        return out
    joined = np.concatenate(chunks, axis=1)
    skip = max(0, round((in_s - start) * AUDIO_RATE))
    lead = max(0, round((start - in_s) * AUDIO_RATE))  # audio that starts after the cut: silence first
    piece = joined[:, skip : skip + samples - lead]
    out[:, lead : lead + piece.shape[1]] = piece
    return out


def compile_reel(
    clips: list[ReelClip],
    title: str,
    out: Path,
    *,
    size: tuple[int, int],
    fps: int = 25,
    title_card_s: float = 2.0,
    crf: int = 23,
    preset: str = "veryfast",
) -> float:
    """Write a highlight reel to `out`: the title card for `title_card_s` (none at 0), then each
    clip from its in to its out point, letterboxed into `size`, in one fast-start H.264/AAC MP4
    (audio silent where a clip has none). Its duration in seconds: the card plus the trims, rounded
    to whole frames once over the reel (never once per clip, so the error stays under a frame)."""
    import av

    bounds = [0.0, title_card_s]
    for clip in clips:
        bounds.append(bounds[-1] + (clip.out_s - clip.in_s))
    frames_at = [round(b * fps) for b in bounds]
    try:
        with av.open(str(out), mode="w", format="mp4", options={"movflags": "+faststart"}) as sink:
            video: Any = sink.add_stream("libx264", rate=fps)
            video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
            video.options = {"crf": str(crf), "preset": preset}
            audio_stream: Any = sink.add_stream("aac", rate=AUDIO_RATE)
            audio_stream.layout = "stereo"
            audio = _AudioOut(sink, audio_stream)
            n = 0

            def put(pixels: np.ndarray) -> None:
                nonlocal n
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
                frame.pts, frame.time_base = n, Fraction(1, fps)
                n += 1
                sink.mux(video.encode(frame))

            def samples(segment: int) -> int:
                start, end = frames_at[segment], frames_at[segment + 1]
                return round(end * AUDIO_RATE / fps) - round(start * AUDIO_RATE / fps)

            card = np.asarray(title_card(title, size))
            for _ in range(frames_at[1] - frames_at[0]):
                put(card)
            audio.write(np.zeros((2, samples(0)), dtype=np.float32))
            for i, clip in enumerate(clips, start=1):
                count = frames_at[i + 1] - frames_at[i]
                for pixels in _clip_frames(clip.data, clip.in_s, count, fps, size):
                    put(pixels)
                audio.write(_clip_audio(clip.data, clip.in_s, samples(i)))
            sink.mux(video.encode(None))
            audio.close()
    except av.error.FFmpegError as exc:
        raise BadMedia(f"could not compile the reel: {exc}") from None
    return frames_at[-1] / fps


def slideshow(
    images: list[Image.Image],
    out: Path,
    *,
    codec: str = "libx264",
    size: tuple[int, int] = (640, 360),
    fps: int = 25,
    seconds_each: float = 1.0,
    tone_hz: float | None = 440.0,
) -> None:
    """A short clip of `images` (a slow zoom on each) with a quiet tone: the demo's videos, made at
    set-up time from the demo photos. `codec` "mpeg4" (MPEG-4 Part 2, in MP4) is a clip no browser
    plays, which the pipeline must transcode; "libx264" one it plays as it is."""
    import av

    width, height = size
    with av.open(str(out), mode="w", format="mp4") as sink:
        video: Any = sink.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio: Any = None
        if tone_hz is not None:
            audio = sink.add_stream("aac", rate=48000)
            audio.layout = "mono"
        frames_each = max(1, round(fps * seconds_each))
        n = 0
        for image in images:
            base = image.convert("RGB")
            for i in range(frames_each):
                zoom = 1.0 + 0.1 * i / frames_each
                w, h = base.width / zoom, base.height / zoom
                left, top = (base.width - w) / 2, (base.height - h) / 2
                still = base.crop((int(left), int(top), int(left + w), int(top + h))).resize(size)
                frame = av.VideoFrame.from_image(still)
                frame.pts = n
                n += 1
                sink.mux(video.encode(frame))
        sink.mux(video.encode(None))
        if audio is not None and tone_hz is not None:
            total = n / fps
            t = np.arange(int(48000 * total)) / 48000
            samples = (0.05 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
            for start in range(0, len(samples), 1024):
                chunk = samples[start : start + 1024]
                if len(chunk) < 1024:
                    chunk = np.pad(chunk, (0, 1024 - len(chunk)))
                frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
                frame.sample_rate = 48000
                frame.pts = start
                sink.mux(audio.encode(frame))
            sink.mux(audio.encode(None))
