"""The moderation gate every contributed upload passes, whatever the album's policy.

It measures; the service decides. Three measures, each 0..1:

- `nsfw_score`: Open-NSFW, the pipeline's own scorer (ml/nsfw.py), on the decoded working image.
- `quality_score` = (sharpness · exposure · resolution) ** (1/3), the geometric mean, so one bad
  measure pulls the score down whatever the others are:
  - sharpness = min(1, var(Laplacian(grey)) / 100) on the working image (≤ 1920 px); 100 is the
    usual blur cut for the variance of the Laplacian;
  - exposure = (1 − 2·|mean luminance − 0.5|) · (1 − share of clipped pixels (≤ 4 or ≥ 251));
  - resolution = min(1, megapixels of the original / 2).
- `dhash`: the 64-bit difference hash the dedupe phase stores (media.decode.dhash64), and the
  SHA-256 of the bytes for exact copies.

NEAR_DUPLICATE_DISTANCE, calibrated on the repository's real test photos (insightface's t1,
scikit-image's astronaut, coffee, chelsea, rocket, camera, immunohistochemistry, hubble_deep_field)
with five edits each (half size, JPEG q50, +15 % brightness, a 2 % crop per side, a 1.5 px blur):
edits of one shot land at 0-8 bits, two different photos at 21 or more
(tests/unit/albums/test_album_gate.py). 10 catches every edit with room on both sides; the event's
`near_duplicate_distance` (6, for clustering a whole event) misses the crops. A near duplicate is
only marked for the reviewer, never dropped, so erring wide costs a glance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from eventlens.media.decode import decode_image, dhash64

SHARP_VARIANCE = 100.0
FULL_MEGAPIXELS = 2.0
CLIP_LOW, CLIP_HIGH = 4, 251
LOW_QUALITY = 0.35
"""A quality_score below this is named in the item's reason for the reviewer."""
MAX_PIXELS = 100_000_000
NEAR_DUPLICATE_DISTANCE = 10


@dataclass(frozen=True)
class Measures:
    sha256: bytes
    nsfw_score: float
    quality_score: float
    sharpness: float
    exposure: float
    resolution: float
    dhash: int


def quality(grey: np.ndarray, width: int, height: int) -> tuple[float, float, float, float]:
    """(quality_score, sharpness, exposure, resolution) of a greyscale uint8 image."""
    import cv2

    variance = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    sharpness = min(1.0, variance / SHARP_VARIANCE)
    mean = float(grey.mean()) / 255.0
    clipped = float(((grey <= CLIP_LOW) | (grey >= CLIP_HIGH)).mean())
    exposure = max(0.0, 1.0 - 2.0 * abs(mean - 0.5)) * (1.0 - clipped)
    resolution = min(1.0, width * height / 1e6 / FULL_MEGAPIXELS)
    score = (sharpness * exposure * resolution) ** (1.0 / 3.0)
    return score, sharpness, exposure, resolution


def measure(data: bytes) -> Measures:
    """Every measure of one uploaded photo (BadMedia for bytes that are not a photo we decode)."""
    from eventlens.ml.nsfw import nsfw_model

    decoded = decode_image(data, max_pixels=MAX_PIXELS)
    grey = np.asarray(decoded.image.convert("L"))
    score, sharpness, exposure, resolution = quality(grey, decoded.width, decoded.height)
    return Measures(
        sha256=hashlib.sha256(data).digest(),
        nsfw_score=nsfw_model().score(decoded.rgb),
        quality_score=score,
        sharpness=sharpness,
        exposure=exposure,
        resolution=resolution,
        dhash=dhash64(decoded.image),
    )


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def informative(dhash: int) -> bool:
    """A hash that tells scenes apart (not a flat frame): the dedupe rule's own test."""
    from eventlens.dedupe.rule import informative as rule

    return bool(rule(np.array([dhash], dtype=np.int64))[0])
