"""Decode what a photo or video needs, once, at the size the phases need — never more.

A 12 MP JPEG decodes in a quarter of the time with Pillow's draft mode (DCT scaling), and
every consumer here (thumbnails, dHash, NSFW, faces, OCR) works at 1920 px or less, so
`decode_image` asks the JPEG decoder for the smallest scale that still covers `max_side` and
applies the EXIF orientation. Bad inputs raise `BadMedia` with a message fit for the organizer.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageOps

from eventlens.errors import BadMedia

if TYPE_CHECKING:
    from eventlens.media.video import VideoProbe

WORK_SIDE = 1920
"""Longest side of the working image: the large thumbnail, and the cap of YuNet and OCR."""

THUMB_SIZES: tuple[int, ...] = (1920, 640, 320)
"""The preview, the grid's thumbnail at 2x (high-density screens), and at 1x."""
THUMB_QUALITY = 82
"""JPEG, not WebP: 8 ms for the 1920 and 320 px sizes against 116 ms for WebP method 0 (benchmarks/pipeline.py)."""

MAX_SIDE = 30_000
"""Longest side accepted. No camera or stitched panorama worth indexing is wider."""

EARLIEST_TAKEN_AT = datetime(1990, 1, 1, tzinfo=UTC)
"""Capture times before this are a camera's unset clock, not a date: 0001-01-01, the 1900-01-01
and 1970-01-01 defaults some cameras write after a battery change. Digital cameras date from here."""

FUTURE_SLACK = timedelta(days=1)
"""How far past now a capture time may be. Photos of a live event are never from the future, but a
camera clock set to a zone east of UTC, with no offset written, reads up to 14 hours ahead."""

_EXIF_IFD = 0x8769
_EXIF_FIELDS: dict[int, str] = {  # stored under the EXIF tag names, as the describer reads them
    0x010F: "Make",
    0x0110: "Model",
    0x0131: "Software",
    0x0112: "Orientation",
    0xA434: "LensModel",
    0x829D: "FNumber",
    0x829A: "ExposureTime",
    0x8827: "ISOSpeedRatings",
    0x920A: "FocalLength",
    0x9003: "DateTimeOriginal",
    0x9011: "OffsetTimeOriginal",
}


@dataclass
class DecodedMedia:
    """The oriented working image (<= WORK_SIDE) and what the original says about itself."""

    image: Image.Image
    width: int  # of the original, after orientation
    height: int
    orientation: int | None = None
    taken_at: datetime | None = None
    exif: dict[str, Any] = field(default_factory=dict)
    duration_s: float | None = None
    has_audio: bool | None = None
    video: VideoProbe | None = None
    """A video's library facts (codecs, frame rate, quality, whether a browser plays it)."""
    _rgb: np.ndarray | None = field(default=None, repr=False)

    @property
    def rgb(self) -> np.ndarray:
        """The working image as an RGB uint8 array (made once, shared by every model)."""
        if self._rgb is None:
            self._rgb = np.asarray(self.image)
        return self._rgb

    @property
    def scale(self) -> float:
        """Original pixels per working-image pixel (to map face boxes back to the original)."""
        return self.width / self.image.width


MAX_FULL_DECODE_PIXELS = 50_000_000
"""Only JPEG decodes at a reduced scale (draft); any other format is decoded at full size first,
so its cost is bounded here: a 10000x10000 PNG of 300 KB would take ~0.5 GB. Cameras and phones
write JPEG (or HEIC, refused at upload); a larger PNG or TIFF is an export to redo as JPEG."""

_SHRINK_FIRST = frozenset({"RGB", "RGBA", "RGBX", "L", "LA", "CMYK", "YCbCr"})
"""Modes Pillow resizes with real filtering: shrunk before orienting and converting, so those two
copies are made at the working size (palette and 16-bit modes are converted first, then shrunk)."""


def decode_image(
    data: bytes, *, max_pixels: int, work_side: int = WORK_SIDE, draft: bool = True
) -> DecodedMedia:
    """The oriented working image of a photo; `draft=False` decodes at full size (benchmark baseline)."""
    if not data:
        raise BadMedia("empty file (0 bytes)")
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise BadMedia(f"decompression bomb refused: {exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadMedia(f"not a readable image: {exc}") from None
    raw_w, raw_h = img.size
    if raw_w * raw_h > max_pixels:
        raise BadMedia(f"decompression bomb refused: {raw_w}x{raw_h} is over {max_pixels} pixels")
    if max(raw_w, raw_h) > MAX_SIDE:
        raise BadMedia(f"image dimensions too large: {raw_w}x{raw_h} (max side {MAX_SIDE})")
    if img.format != "JPEG" and raw_w * raw_h > MAX_FULL_DECODE_PIXELS:
        raise BadMedia(
            f"{raw_w}x{raw_h} {img.format or 'image'} is over {MAX_FULL_DECODE_PIXELS // 1_000_000} MP to"
            " decode in full: export it as JPEG"
        )
    try:
        exif = img.getexif()
        if getattr(img, "n_frames", 1) > 1:
            img.seek(0)  # animated GIF/WebP: the first frame stands for the item
        if draft and img.format == "JPEG":
            long_side = max(raw_w, raw_h)
            img.draft("RGB", (max(1, raw_w * work_side // long_side), max(1, raw_h * work_side // long_side)))
        img.load()
        if draft and img.mode in _SHRINK_FIRST and max(img.size) > work_side:
            img.thumbnail((work_side, work_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        orientation = exif.get(0x0112)
        oriented: Image.Image = ImageOps.exif_transpose(img) or img
        work = _to_rgb(oriented)
        if max(work.size) > work_side:
            work.thumbnail((work_side, work_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    except Image.DecompressionBombError as exc:
        raise BadMedia(f"decompression bomb refused: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise BadMedia(f"corrupt or truncated image: {exc}") from None
    rotated = orientation in (5, 6, 7, 8)
    subset = exif_subset(exif)
    return DecodedMedia(
        image=work,
        width=raw_h if rotated else raw_w,
        height=raw_w if rotated else raw_h,
        orientation=int(orientation) if isinstance(orientation, int) else None,
        taken_at=_taken_at(subset),
        exif=subset,
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB for every mode a camera, scanner or editor writes (CMYK, 16-bit, palette+alpha...)."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16/32-bit greyscale: Pillow's direct conversion clips; scale to 8 bits by the data's range.
        arr = np.asarray(img, dtype=np.float32)
        top = float(arr.max()) or 1.0
        img = Image.fromarray((arr * (255.0 / top)).clip(0, 255).astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def exif_subset(exif: Image.Exif) -> dict[str, Any]:
    """The EXIF fields worth keeping, as JSON-safe values."""
    tags: dict[int, Any] = dict(exif)
    with contextlib.suppress(KeyError, ValueError, OSError):
        tags.update(exif.get_ifd(_EXIF_IFD))
    out: dict[str, Any] = {}
    for tag, name in _EXIF_FIELDS.items():
        if tag in tags and (value := _json_safe(tags[tag])) not in (None, ""):
            out[name] = value
    return out


def _json_safe(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value.replace("\x00", "").strip()
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float | Fraction) or hasattr(value, "numerator"):
        try:
            number = float(value)
        except (ZeroDivisionError, ValueError, TypeError):
            return None
        return round(number, 6) if np.isfinite(number) else None
    if isinstance(value, tuple | list) and value:
        return _json_safe(value[0])
    return None


def _taken_at(subset: dict[str, Any]) -> datetime | None:
    """DateTimeOriginal with its offset when given, else read as UTC (cameras rarely know the zone).

    None unless the time is plausible, from EARLIEST_TAKEN_AT to FUTURE_SLACK past now: a camera
    whose clock was never set writes 9999-12-31, 0001-01-01 or 1900-01-01, and such a date would
    sort the photo first or last in the gallery, which orders by coalesce(taken_at, created_at).
    Without it the photo sorts by when it arrived, next to its neighbours. `exif` keeps the text.
    """
    text = subset.get("DateTimeOriginal")
    if not isinstance(text, str):
        return None
    try:
        taken = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = subset.get("OffsetTimeOriginal")
    tz: timezone = UTC
    if isinstance(offset, str) and len(offset) == 6 and offset[0] in "+-":
        try:
            sign = 1 if offset[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        except ValueError:
            tz = UTC
    taken = taken.replace(tzinfo=tz)
    if not EARLIEST_TAKEN_AT <= taken <= datetime.now(UTC) + FUTURE_SLACK:
        return None
    return taken


def thumbnails(image: Image.Image) -> dict[int, Image.Image]:
    """Thumbnails per size, each made from the next larger one (cheaper than from the original)."""
    out: dict[int, Image.Image] = {}
    current = image
    for size in sorted(THUMB_SIZES, reverse=True):
        if max(current.size) > size:
            current = current.copy()
            current.thumbnail((size, size), Image.Resampling.BILINEAR)
        out[size] = current
    return out


def encode_jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=THUMB_QUALITY)
    return buf.getvalue()


def dhash64(image: Image.Image) -> int:
    """64-bit difference hash as a signed bigint (PostgreSQL has no unsigned 64-bit type)."""
    import imagehash

    value = int(str(imagehash.dhash(image, hash_size=8)), 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def decode_video(data: bytes, *, work_side: int = WORK_SIDE, mime: str | None = None) -> DecodedMedia:
    """Duration, dimensions, audio, rotation, the library's probe (media/video.py) and a poster
    frame that is neither black nor blurred, by PyAV (no ffprobe)."""
    import av

    from eventlens.media.video import pick_poster, probe_container

    if not data:
        raise BadMedia("empty file (0 bytes)")
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            facts = probe_container(container, len(data), mime)
            poster, rotation = pick_poster(container, facts.duration_s)
    except av.error.FFmpegError as exc:
        raise BadMedia(f"not a readable video: {exc}") from None
    if rotation % 360:
        poster = poster.rotate(rotation, expand=True)  # display matrix angle is counter-clockwise
    width, height = poster.size
    poster = poster.convert("RGB")
    if max(poster.size) > work_side:
        poster.thumbnail((work_side, work_side), Image.Resampling.BILINEAR)
    return DecodedMedia(
        image=poster,
        width=width,
        height=height,
        orientation=rotation % 360 or None,
        exif={"codec": facts.video_codec, "rotation": rotation % 360, "fingerprint": facts.fingerprint},
        duration_s=facts.duration_s,
        has_audio=facts.has_audio,
        video=facts,
    )
