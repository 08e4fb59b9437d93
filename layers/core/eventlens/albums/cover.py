"""An album's cover cut to the app's tile: 4:3 (the album list's and the review cards' tiles),
480 x 360, with the faces the gate or the faces phase found kept in frame.

The window is the largest 4:3 rectangle inside the photo, slid along its free side so the faces
sit in it: centred on all of them when they fit together, else on the largest one (a group wider
than the tile keeps its most prominent face whole). Without faces it sits in the middle across and
a third of the way down (where people's heads are in most event photos, as the gallery's hero
image does). The crop is made once per item and kept in the blob store: a cover URL is a media
capability, cached by browsers and CloudFront like any thumbnail.
"""

from __future__ import annotations

import io

from PIL import Image

ASPECT = 4 / 3
SIZE = (480, 360)
Box = tuple[float, float, float, float]
"""x, y, w, h; as fractions of the photo for faces, in pixels for crops."""


def crop_box(width: int, height: int, faces: list[Box]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the cover's window in a `width` x `height` photo."""
    if width / height > ASPECT:
        cw, ch = round(height * ASPECT), height
    else:
        cw, ch = width, round(width / ASPECT)
    pixels = [(x * width, y * height, w * width, h * height) for x, y, w, h in faces]
    if pixels:
        x0, y0 = min(p[0] for p in pixels), min(p[1] for p in pixels)
        x1, y1 = max(p[0] + p[2] for p in pixels), max(p[1] + p[3] for p in pixels)
        if x1 - x0 > cw or y1 - y0 > ch:
            x, y, w, h = max(pixels, key=lambda p: p[2] * p[3])
            x0, y0, x1, y1 = x, y, x + w, y + h
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    else:
        cx, cy = width / 2, height / 3
    left = min(max(0, round(cx - cw / 2)), width - cw)
    top = min(max(0, round(cy - ch / 2)), height - ch)
    return left, top, left + cw, top + ch


def render(data: bytes, faces: list[Box]) -> bytes:
    """The cover JPEG of a photo's bytes (its oriented working image, as face boxes were measured)."""
    from eventlens.albums.gate import MAX_PIXELS
    from eventlens.media.decode import decode_image

    image = decode_image(data, max_pixels=MAX_PIXELS).image.convert("RGB")
    cut = image.crop(crop_box(image.width, image.height, faces)).resize(SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    cut.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()
