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
"""Declared dimensions above this are refused before decoding (decompression-bomb guard)."""

SIMILAR_SIZE = 0.5
"""A second face whose area x score reaches this share of the best one makes the selfie ambiguous."""


def decode_selfie(data: bytes, max_bytes: int | None = None) -> np.ndarray:
    """RGB uint8 array of an upright, at most SELFIE_MAX_SIDE image, or a domain error."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    limit = max_bytes if max_bytes is not None else settings().max_selfie_bytes
    if len(data) > limit:
        raise SelfieTooLarge(f"selfie is {len(data)} bytes; the limit is {limit}")
    if not data:
        raise UnreadableImage("empty image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > min(SELFIE_MAX_PIXELS, settings().max_image_pixels):
                raise SelfieTooLarge(f"selfie is {width}x{height} pixels; too large to decode safely")
            image.draft("RGB", (SELFIE_MAX_SIDE, SELFIE_MAX_SIDE))
            upright = ImageOps.exif_transpose(image) or image
            rgb = upright.convert("RGB")
            rgb.thumbnail((SELFIE_MAX_SIDE, SELFIE_MAX_SIDE))
            return np.asarray(rgb)
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
