"""The album moderation gate's measures on real photos: the near-duplicate distance calibrated on
them, the quality score's three terms, and the pipeline's own NSFW scorer."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
import skimage.data
from eventlens.albums.gate import NEAR_DUPLICATE_DISTANCE, hamming, measure, quality
from PIL import Image, ImageEnhance, ImageFilter

from tests.fixtures_photos import jpeg, real_image

PHOTOS = [
    "t1",
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "camera",
    "immunohistochemistry",
    "hubble_deep_field",
]


def _photo(name: str) -> Image.Image:
    if name in ("t1", "astronaut", "coffee", "chelsea"):
        return real_image(name)
    return Image.fromarray(getattr(skimage.data, name)()).convert("RGB")


def _edits(image: Image.Image) -> dict[str, Image.Image]:
    """What a second upload of the same shot looks like: smaller, recompressed, brighter, a 2 %
    crop on each side, slightly blurred."""
    w, h = image.size
    return {
        "half size": image.resize((w // 2, h // 2)),
        "JPEG q50": Image.open(io.BytesIO(jpeg(image, 50))),
        "brighter": ImageEnhance.Brightness(image).enhance(1.15),
        "2% crop": image.crop((w // 50, h // 50, w - w // 50, h - h // 50)),
        "blur": image.filter(ImageFilter.GaussianBlur(1.5)),
    }


def test_the_near_duplicate_distance_separates_edits_of_one_shot_from_other_shots() -> None:
    """Calibration (8 real photos, 5 edits each): edits land at 0-8 bits, distinct photos at 21 or
    more; NEAR_DUPLICATE_DISTANCE = 10 sits between, and a near duplicate is only marked for review."""
    hashes = {name: measure(jpeg(_photo(name), 90)).dhash for name in PHOTOS}
    within = [
        hamming(hashes[name], measure(jpeg(edit, 90)).dhash)
        for name in PHOTOS
        for edit in _edits(_photo(name)).values()
    ]
    across = [hamming(a, b) for a, b in itertools.combinations(hashes.values(), 2)]
    assert max(within) <= NEAR_DUPLICATE_DISTANCE < min(across)
    assert max(within) >= 6, "the crops are harder than the event's default distance (6) catches"


def test_quality_falls_with_blur_darkness_and_size() -> None:
    photo = real_image("t1")
    grey = np.asarray(photo.convert("L"))
    score, sharp, exposure, resolution = quality(grey, photo.width, photo.height)
    assert score == pytest.approx((sharp * exposure * resolution) ** (1 / 3))
    blurred = np.asarray(photo.filter(ImageFilter.GaussianBlur(6)).convert("L"))
    dark = np.asarray(ImageEnhance.Brightness(photo).enhance(0.15).convert("L"))
    assert quality(blurred, photo.width, photo.height)[1] < 0.5 * sharp
    assert quality(dark, photo.width, photo.height)[2] < 0.5 * exposure
    assert quality(grey, 400, 300)[3] < resolution
    assert quality(blurred, photo.width, photo.height)[0] < score


def test_a_real_photo_scores_safe_and_sharp() -> None:
    measures = measure(jpeg(real_image("t1"), 90))
    assert measures.nsfw_score < 0.2
    assert measures.sharpness == 1.0
    assert len(measures.sha256) == 32
