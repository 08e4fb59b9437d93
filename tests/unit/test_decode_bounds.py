"""What may be uploaded equals what the pipeline decodes; a selfie's decode cost is bounded (issue 11)."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from eventlens.errors import SelfieTooLarge
from eventlens.media.formats import DECODABLE_TYPES, UNDECODABLE_TYPES, sniff
from PIL import Image

# -- the upload allowlist ------------------------------------------------------------------------

PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/tiff": "TIFF",
    "image/bmp": "BMP",
}
VIDEO_CONTAINERS = {  # mime -> (PyAV container format, codec)
    "video/mp4": ("mp4", "mpeg4"),
    "video/quicktime": ("mov", "mpeg4"),
    "video/webm": ("webm", "libvpx"),
    "video/x-matroska": ("matroska", "mpeg4"),
    "video/x-msvideo": ("avi", "mpeg4"),
    "video/mpeg": ("mpeg", "mpeg1video"),
}


def test_uploads_accept_exactly_the_types_the_pipeline_decodes() -> None:
    from eventlens.sources.service import ALLOWED_UPLOAD_TYPES

    assert set(ALLOWED_UPLOAD_TYPES) == set(DECODABLE_TYPES)
    assert set(DECODABLE_TYPES) == set(PILLOW_FORMATS) | set(VIDEO_CONTAINERS)
    assert not set(ALLOWED_UPLOAD_TYPES) & set(UNDECODABLE_TYPES)


def test_heic_has_no_decoder_here() -> None:
    """If pillow-heif (or a Pillow with HEIF) is installed, move image/heic to DECODABLE_TYPES."""
    assert ".heic" not in Image.registered_extensions()


@pytest.mark.parametrize("mime", sorted(PILLOW_FORMATS))
def test_every_allowed_photo_type_is_sniffed_and_decoded(mime: str) -> None:
    from eventlens.media.decode import decode_image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 100, 50)).save(out, PILLOW_FORMATS[mime])
    assert sniff(out.getvalue()[:64]) == ("photo", mime)
    decoded = decode_image(out.getvalue(), max_pixels=100_000_000)
    assert (decoded.width, decoded.height) == (64, 48)


@pytest.mark.parametrize("mime", sorted(VIDEO_CONTAINERS))
def test_every_allowed_video_type_is_sniffed_and_decoded(mime: str) -> None:
    import av
    from eventlens.media.decode import decode_video

    container_format, codec = VIDEO_CONTAINERS[mime]
    out = io.BytesIO()
    with av.open(out, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=25 if codec != "mpeg1video" else Fraction(25))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 120, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = out.getvalue()
    assert sniff(data[:64]) == ("video", mime)
    decoded = decode_video(data)
    assert (decoded.width, decoded.height) == (64, 48)


def test_every_type_sniff_names_is_either_decodable_or_refused_with_a_reason() -> None:
    heads = [
        b"\xff\xd8\xff",
        b"\x89PNG\r\n\x1a\n",
        b"GIF89a",
        b"RIFF\0\0\0\0WEBP",
        b"RIFF\0\0\0\0AVI ",
        b"II*\x00",
        b"BM",
        b"\0\0\0\x18ftypheic",
        b"\0\0\0\x18ftypavif",
        b"\0\0\0\x18ftypisom",
        b"\0\0\0\x18ftypqt  ",
        b"\x1aE\xdf\xa3webm",
        b"\x1aE\xdf\xa3",
        b"\x00\x00\x01\xba",
    ]
    for head in heads:
        _, mime = sniff(head)
        assert mime in DECODABLE_TYPES or mime in UNDECODABLE_TYPES, mime


# -- the selfie ----------------------------------------------------------------------------------


def _encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_a_png_selfie_over_the_full_decode_cap_is_refused_before_decoding(home: Any) -> None:
    from eventlens.findme.selfie import SELFIE_MAX_PIXELS_FULL_DECODE, decode_selfie

    side = int(SELFIE_MAX_PIXELS_FULL_DECODE**0.5) + 1
    with pytest.raises(SelfieTooLarge, match="unless JPEG"):
        decode_selfie(_encoded(Image.new("RGB", (side, side)), "PNG"))


def test_a_jpeg_selfie_of_the_same_size_is_decoded_scaled_down(home: Any) -> None:
    from eventlens.findme.selfie import SELFIE_MAX_PIXELS_FULL_DECODE, SELFIE_MAX_SIDE, decode_selfie

    side = int(SELFIE_MAX_PIXELS_FULL_DECODE**0.5) + 1
    rgb = decode_selfie(_encoded(Image.new("RGB", (side, side // 2), (10, 20, 30)), "JPEG"))
    assert rgb.shape == (SELFIE_MAX_SIDE // 2, SELFIE_MAX_SIDE, 3)


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("L", "PNG"),
        ("LA", "PNG"),
        ("P", "PNG"),
        ("RGBA", "PNG"),
        ("I;16", "PNG"),
        ("CMYK", "JPEG"),
        ("RGB", "WEBP"),
        ("1", "BMP"),
    ],
)
def test_every_mode_still_decodes_to_an_rgb_array_at_most_the_max_side(
    home: Any, mode: str, fmt: str
) -> None:
    from eventlens.findme.selfie import SELFIE_MAX_SIDE, decode_selfie

    rgb = decode_selfie(_encoded(Image.new(mode, (2500, 1250)), fmt))
    assert rgb.dtype == np.uint8
    assert rgb.shape == (SELFIE_MAX_SIDE // 2, SELFIE_MAX_SIDE, 3)


def test_exif_orientation_survives_shrinking_first(home: Any) -> None:
    from eventlens.findme.selfie import decode_selfie

    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    rgb = decode_selfie(_encoded(Image.new("RGB", (2400, 1200)), "JPEG", exif=exif))
    assert rgb.shape[:2] == (1920, 960)  # upright: portrait


def test_decoding_a_selfie_at_the_png_cap_stays_under_200_mb(tmp_path: Any) -> None:
    """Peak memory of decode_selfie in a fresh process, for an RGB PNG at the cap (16.8 MP): 110 MB
    over the imports, where orienting and converting before shrinking (three full-size copies) took
    238 MB. VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts at its parent's (pytest's)."""
    from eventlens.findme.selfie import SELFIE_MAX_PIXELS_FULL_DECODE

    side = int(SELFIE_MAX_PIXELS_FULL_DECODE**0.5)
    ramp = np.tile(np.arange(side, dtype=np.uint8), (side, 1))
    path = tmp_path / "selfie.png"
    Image.fromarray(np.dstack([ramp, ramp.T, ramp])).save(path)
    script = textwrap.dedent(
        f"""
        import os, re
        os.environ["EVENTLENS_HOME"] = {str(tmp_path / "home")!r}
        from eventlens.findme.selfie import decode_selfie
        import numpy, PIL.Image

        def peak_kb():
            return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))

        data = open({str(path)!r}, "rb").read()
        before = peak_kb()
        decode_selfie(data)
        print(peak_kb() - before)
        """
    )
    grown_kb = int(
        subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    )
    assert grown_kb < 200 * 1024, f"{grown_kb // 1024} MB"


def test_a_huge_png_in_the_pipeline_is_refused_before_decoding() -> None:
    from eventlens.errors import BadMedia
    from eventlens.media.decode import MAX_FULL_DECODE_PIXELS, decode_image

    side = int(MAX_FULL_DECODE_PIXELS**0.5) + 10
    buffer = io.BytesIO()
    Image.new("L", (side, side), 128).save(buffer, "PNG")  # a few hundred KB: flat pixels compress
    with pytest.raises(BadMedia, match="export it as JPEG"):
        decode_image(buffer.getvalue(), max_pixels=100_000_000)


def test_decoding_a_large_png_in_the_pipeline_shrinks_before_copying(tmp_path: Any) -> None:
    """Peak memory of decode_image in a fresh process for a 36 MP RGB PNG: the decoded original
    (108 MB) plus the decoder's buffers and working-size copies, measured +196 MB, where orienting
    and converting at full size added two more full-size copies (+333 MB measured before)."""
    side = 6000
    ramp = np.tile((np.arange(side) % 256).astype(np.uint8), (side, 1))
    path = tmp_path / "large.png"
    Image.fromarray(np.dstack([ramp, ramp.T, ramp])).save(path)
    script = textwrap.dedent(
        f"""
        import re
        from eventlens.media.decode import decode_image
        import numpy, PIL.Image

        def peak_kb():
            return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))

        data = open({str(path)!r}, "rb").read()
        before = peak_kb()
        decoded = decode_image(data, max_pixels=100_000_000)
        assert max(decoded.image.size) == 1920, decoded.image.size
        print(peak_kb() - before)
        """
    )
    grown_kb = int(
        subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    )
    assert grown_kb < 265 * 1024, f"{grown_kb // 1024} MB"
