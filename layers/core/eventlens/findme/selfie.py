"""A selfie in, one face embedding out; the selfie itself is never written anywhere.

The selfie is decoded in memory under a byte cap and a pixel cap (a decompression bomb never
reaches the decoder), turned upright by its EXIF orientation, and dropped after embedding.
"""

from __future__ import annotations

import io

import numpy as np

from eventlens.config import settings
from eventlens.errors import NoFaceFound, SelfieTooLarge, SeveralFaces, UnreadableImage

SELFIE_MAX_SIDE = 1920
"""Selfies are decoded at most this large (JPEG draft mode): the detector works at that size anyway."""

SELFIE_MAX_PIXELS = 50_000_000
"""Declared dimensions above this are refused before decoding (decompression-bomb guard). JPEG
only: its decoder scales down while decoding (draft), so a 49 MP JPEG costs about 12 MP."""

SELFIE_MAX_PIXELS_FULL_DECODE = 4096 * 4096
"""The cap for every other format (PNG, WebP, GIF, TIFF...), which decodes at full size: 16.8 MP is
64 MB as RGBA, where a 49 MP PNG took 2.1 s and 630 MB. A camera's selfie is a JPEG; a PNG one
is usually a screenshot, a few megapixels."""

ORIENTATION = 0x0112
"""The EXIF tag (Pillow's getexif() also reads it from XMP)."""

SIMILAR_SIZE = 0.5
"""A second face whose area x score reaches this share of the best one makes the selfie ambiguous."""


def decode_selfie(data: bytes, max_bytes: int | None = None) -> np.ndarray:
    """RGB uint8 array of an upright, at most SELFIE_MAX_SIDE image, or a domain error."""
    from PIL import Image, UnidentifiedImageError

    upright = {  # EXIF orientation -> the transpose that shows it upright, as ImageOps.exif_transpose
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }

    limit = max_bytes if max_bytes is not None else settings().max_selfie_bytes
    if len(data) > limit:
        raise SelfieTooLarge(f"selfie is {len(data)} bytes; the limit is {limit}")
    if not data:
        raise UnreadableImage("empty image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            jpeg = image.format == "JPEG"
            cap = SELFIE_MAX_PIXELS if jpeg else SELFIE_MAX_PIXELS_FULL_DECODE
            if width * height > min(cap, settings().max_image_pixels):
                raise SelfieTooLarge(
                    f"selfie is {width}x{height} pixels; too large to decode safely (at most"
                    f" {cap // 1_000_000} megapixels{'' if jpeg else ' unless JPEG'})"
                )
            orientation = image.getexif().get(ORIENTATION)
            image.draft("RGB", (SELFIE_MAX_SIDE, SELFIE_MAX_SIDE))
            # One full-size copy at most (to RGB, when the mode is another), then shrink in place,
            # then orient the small image: orienting and converting first made a 49 MP PNG cost
            # three full-size copies, 630 MB.
            rgb = image if image.mode == "RGB" else image.convert("RGB")
            rgb.thumbnail((SELFIE_MAX_SIDE, SELFIE_MAX_SIDE))
            method = upright.get(orientation) if isinstance(orientation, int) else None
            return np.asarray(rgb if method is None else rgb.transpose(method))
    except SelfieTooLarge:
        raise
    except Image.DecompressionBombError as exc:
        raise SelfieTooLarge("selfie has too many pixels to decode safely") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImage("the selfie could not be read as an image") from exc


def selfie_embedding(rgb: np.ndarray, model_name: str) -> np.ndarray:
    """Embedding of the selfie's face: largest x most confident, refusing ambiguous group shots."""
    from eventlens.ml.faces import face_model

    faces = face_model(model_name).detect(rgb)
    if not faces:
        raise NoFaceFound("no face found in the selfie: try a well-lit, front-facing photo")
    weights = sorted(((f.bbox[2] * f.bbox[3] * f.score, i) for i, f in enumerate(faces)), reverse=True)
    if len(weights) > 1 and weights[1][0] >= SIMILAR_SIZE * weights[0][0]:
        raise SeveralFaces("several faces of similar size: crop the selfie to your own face")
    return np.asarray(faces[weights[0][1]].embedding, np.float32)
