"""Blurred faces in a photo's public renditions: forget me's option (docs/privacy.md).

An event with `blur_forgotten_faces` shows a forgotten person's face blurred in its thumbnails and
preview (every stored rendition: 320, 640 and 1920), at forget time and whenever the analyze phase makes them
again. The original is never changed: it is the photographer's file, the bytes the event's photo
is identified by (its SHA-256) and what reprocessing reads.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from uuid import UUID

from PIL import Image, ImageFilter

from eventlens.media.decode import encode_jpeg
from eventlens.scope import Scope
from eventlens.storage import BlobStore

Box = tuple[float, float, float, float]

PAD = 0.2
"""Share of a face box's side added on each side: the detector's box stops at the brow and chin."""
RADIUS_SHARE = 1 / 6
"""Gaussian radius as a share of the padded box's longer side: no feature survives it."""


def blur_boxes(image: Image.Image, boxes: Sequence[Box], scale: float) -> Image.Image:
    """A copy of `image` with each box (x, y, w, h in pixels of the original, `scale` times the
    image's pixels) blurred; pixels outside the padded boxes are untouched."""
    out = image.copy()
    width, height = out.size
    for x, y, w, h in boxes:
        left = max(0, math.floor((x - PAD * w) * scale))
        top = max(0, math.floor((y - PAD * h) * scale))
        right = min(width, math.ceil((x + w + PAD * w) * scale))
        bottom = min(height, math.ceil((y + h + PAD * h) * scale))
        if right <= left or bottom <= top:
            continue
        region = out.crop((left, top, right, bottom))
        radius = max(2.0, max(right - left, bottom - top) * RADIUS_SHARE)
        out.paste(region.filter(ImageFilter.GaussianBlur(radius)), (left, top))
    return out


def blur_renditions(scope: Scope, store: BlobStore, boxes_by_photo: Mapping[UUID, Sequence[Box]]) -> int:
    """Blur these boxes in each photo's stored thumbnail and preview, in place (same keys: the
    capability URLs stay valid); how many renditions were rewritten. A photo without renditions
    yet gets them blurred by analyze."""
    from eventlens.media import repo

    rewritten = 0
    for photo_id, boxes in boxes_by_photo.items():
        with scope.transaction() as tx:
            row = repo.get_photo(tx, photo_id)
        if row is None or not row.width or not boxes:
            continue
        for key in (row.thumbnails or {}).values():
            with Image.open(io.BytesIO(store.get(key))) as stored:
                image = stored.convert("RGB")
            store.put(key, encode_jpeg(blur_boxes(image, boxes, image.width / row.width)), "image/jpeg")
            rewritten += 1
    return rewritten
