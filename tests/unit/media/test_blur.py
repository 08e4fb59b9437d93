"""Forget me's blur: a forgotten face is blurred in a rendition, and nothing else in it changes."""

from __future__ import annotations

import numpy as np
from eventlens.media.blur import PAD, blur_boxes

from tests.fixtures_photos import real_image


def test_a_blurred_box_changes_its_pixels_and_leaves_every_pixel_outside_its_padded_box_alone() -> None:
    photo = real_image("astronaut").convert("RGB")  # 512 x 512
    rendition = photo.resize((256, 256))  # a thumbnail: half the original's pixels
    box = (180.0, 60.0, 120.0, 140.0)  # her face, in pixels of the original

    blurred = np.asarray(blur_boxes(rendition, [box], 0.5), dtype=np.int16)
    before = np.asarray(rendition, dtype=np.int16)

    x, y, w, h = (v * 0.5 for v in box)
    inside = (slice(int(y), int(y + h)), slice(int(x), int(x + w)))
    assert np.abs(blurred[inside] - before[inside]).mean() > 10  # the face's detail is gone
    outside = np.ones(before.shape[:2], bool)
    outside[
        int(y - PAD * h) : int(y + h + PAD * h) + 1,
        int(x - PAD * w) : int(x + w + PAD * w) + 1,
    ] = False
    assert np.array_equal(blurred[outside], before[outside])


def test_a_box_past_the_images_edge_is_clipped_and_one_outside_it_changes_nothing() -> None:
    image = real_image("astronaut").convert("RGB")
    same = blur_boxes(image, [(600.0, 600.0, 50.0, 50.0)], 1.0)
    assert np.array_equal(np.asarray(same), np.asarray(image))
    edge = blur_boxes(image, [(480.0, 480.0, 100.0, 100.0)], 1.0)
    assert not np.array_equal(np.asarray(edge), np.asarray(image))
    assert edge.size == image.size
