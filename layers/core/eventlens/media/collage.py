"""A collage of selected photos: one JPEG of them in a grid, to download or share (issue 19).

Built here from the renditions analyze already made (the 640 px thumbnail; the 320 px one for a
photo analyzed before that existed), not in the visitor's canvas: no originals cross the network,
and on AWS a canvas could not read the bucket's images without CORS."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING
from uuid import UUID

from eventlens.errors import PhotoNotFound
from eventlens.media import repo
from eventlens.scope import Scope
from eventlens.storage import blob_store

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

COLLAGE_MAX_PHOTOS = 36
"""A 6 × 6 grid at most: past that each photo is too small to tell apart."""
CELL_PX = 480
GAP_PX = 8
QUALITY = 88
BACKGROUND = (255, 255, 255)


def collage(scope: Scope, photo_ids: list[UUID]) -> bytes:
    """The photos among `photo_ids` this actor may see, in the order asked for, as one JPEG grid of
    square cells (each photo cropped around its middle); PhotoNotFound when none is visible."""
    with scope.transaction() as tx:
        rows = {row.id: row for row in repo.get_photos(tx, photo_ids)}
    keys = []
    for photo_id in dict.fromkeys(photo_ids):
        row = rows.get(photo_id)
        thumbs = (row.thumbnails or {}) if row else {}
        key = thumbs.get("640") or thumbs.get("320")
        if key:
            keys.append(key)
    if not keys:
        raise PhotoNotFound("none of these photos can be shown")
    from PIL import Image  # here, not at import: the gallery's Lambda loads this module's constant only

    store = blob_store()
    return compose([Image.open(io.BytesIO(store.get(key))) for key in keys])


def compose(images: list[PILImage]) -> bytes:
    """Square cells, as many columns as rows (or one fewer), white gaps, as a JPEG."""
    from PIL import Image, ImageOps

    columns = math.ceil(math.sqrt(len(images)))
    lines = math.ceil(len(images) / columns)
    sheet = Image.new(
        "RGB",
        (columns * CELL_PX + (columns + 1) * GAP_PX, lines * CELL_PX + (lines + 1) * GAP_PX),
        BACKGROUND,
    )
    for n, image in enumerate(images):
        cell = ImageOps.fit(image.convert("RGB"), (CELL_PX, CELL_PX), Image.Resampling.BILINEAR)
        column, line = n % columns, n // columns
        sheet.paste(cell, (GAP_PX + column * (CELL_PX + GAP_PX), GAP_PX + line * (CELL_PX + GAP_PX)))
    buf = io.BytesIO()
    sheet.save(buf, "JPEG", quality=QUALITY)
    return buf.getvalue()
