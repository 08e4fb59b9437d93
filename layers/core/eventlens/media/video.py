"""A video's library facts (probe), its poster frame, and its browser-playable rendition, by PyAV
(no ffmpeg binary: the same wheel locally and in the ML image, where the analyze phase runs).

- `probe`: duration, size, frame rate, codecs, audio, the quality label, and whether a browser
  plays the file as it is (H.264/VP8/VP9/AV1 in MP4 or WebM, AAC/MP3/Opus/Vorbis or no audio).
- `pick_poster`: several frames spread over the video, scored so the poster is neither black
  (a fade-in, a lens cap) nor blurred (a whip pan): the sharpest frame of acceptable brightness.
- `transcode`: H.264 (yuv420p, CRF 23) and AAC in an MP4 with the index up front (`+faststart`),
  so a browser starts playing and seeks before the whole file has arrived.
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
            vout = sink.add_stream("libx264", rate=rate)
            vout.width = int(vin.codec_context.width) // 2 * 2
            vout.height = int(vin.codec_context.height) // 2 * 2
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
                        picture = frame.reformat(width=vout.width, height=vout.height, format="yuv420p")
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
