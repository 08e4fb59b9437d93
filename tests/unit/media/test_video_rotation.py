"""Given a phone clip stored landscape with a display matrix that says "turn 90 degrees clockwise",
when it is transcoded (or compiled into a reel), then the rendition's pixels are upright and it
carries no rotation, so every browser plays it the right way up."""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import av
import numpy as np
from eventlens.media.video import ReelClip, compile_reel, quarter_turns, reel_size, transcode

PORTRAIT_MATRIX = struct.pack(">9i", 0, 65536, 0, -65536, 0, 0, 0, 0, 0x40000000)
"""The track header matrix a phone writes for a portrait clip (ffprobe: rotation -90)."""


def phone_clip(tmp_path: Path) -> bytes:
    """A 320x160 H.264 clip, left half white, right half black, whose track header says to show it
    turned a quarter clockwise: upright it is 160x320 with the white half on top."""
    out = tmp_path / "phone.mp4"
    with av.open(str(out), mode="w", format="mp4") as sink:
        stream: Any = sink.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 160, "yuv420p"
        for i in range(25):
            pixels = np.zeros((160, 320, 3), dtype=np.uint8)
            pixels[:, :160] = 255
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            sink.mux(stream.encode(frame))
        sink.mux(stream.encode(None))
    data = bytearray(out.read_bytes())
    header = data.find(b"tkhd")
    version = data[header + 4]
    matrix = header + 8 + (20 if version == 0 else 32) + 16
    data[matrix : matrix + 36] = PORTRAIT_MATRIX
    return bytes(data)


def first_frame(data: bytes) -> tuple[np.ndarray, float]:
    container: Any
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24"), float(frame.rotation or 0)


def test_the_clip_made_here_reads_as_a_phone_portrait_clip(tmp_path: Path) -> None:
    pixels, rotation = first_frame(phone_clip(tmp_path))
    assert pixels.shape[:2] == (160, 320)
    assert rotation == -90
    assert quarter_turns(rotation) == 3


def test_a_transcode_turns_a_rotated_clip_upright(tmp_path: Path) -> None:
    out = tmp_path / "playable.mp4"
    transcode(phone_clip(tmp_path), out)

    pixels, rotation = first_frame(out.read_bytes())
    assert pixels.shape[:2] == (320, 160)
    assert rotation == 0
    top, bottom = pixels[:160].mean(), pixels[160:].mean()
    assert top > 200
    assert bottom < 50


def test_a_reel_turns_a_rotated_clip_upright_and_letterboxes_it(tmp_path: Path) -> None:
    data = phone_clip(tmp_path)
    assert reel_size(data) == (160, 320)
    out = tmp_path / "reel.mp4"
    compile_reel([ReelClip(data, 0.0, 0.6)], "Phone", out, size=(320, 320), title_card_s=0)

    pixels, rotation = first_frame(out.read_bytes())
    assert (pixels.shape[:2], rotation) == ((320, 320), 0)
    picture = pixels[:, 80:240]  # the upright clip, centred between black bars
    assert picture[:150].mean() > 200
    assert picture[170:].mean() < 50
    assert pixels[:, :70].mean() < 20
    assert pixels[:, 250:].mean() < 20
