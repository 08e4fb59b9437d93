"""The gate's same-shot rule on the repository's real photos: the astronaut reframed or mirrored
(which dHash no longer calls near) keeps its face at or above SAME_SHOT_SIMILARITY; people of t1
cut out one by one are other shots of other people and stay under it. The full calibration, with
other photos of the same person, is benchmarks/album_near_duplicates.py (its figures in gate.py)."""

from __future__ import annotations

import numpy as np
import pytest
from eventlens.albums import gate
from eventlens.media.decode import dhash64
from PIL import Image

from tests.fixtures_photos import real_image

T1_PEOPLE = [(100, 150, 300, 450), (415, 206, 616, 470), (640, 150, 840, 450), (900, 150, 1100, 450)]
"""Boxes around four of t1's six people (x0, y0, x1, y1 in its 1280-px frame)."""


def _faces(image: Image.Image) -> list[np.ndarray]:
    from eventlens.ml.faces import face_model

    return [f.embedding for f in face_model("sface").detect(np.asarray(image))]


def _thumb_hash(image: Image.Image) -> int:
    return dhash64(image.resize((320, round(320 * image.height / image.width))))


def _reframe(image: Image.Image) -> Image.Image:
    w, h = image.size
    return image.crop((int(0.12 * w), int(0.12 * h), int(0.96 * w), int(0.96 * h))).resize((w, h))


@pytest.mark.parametrize(
    "edit", [_reframe, lambda i: i.transpose(Image.Transpose.FLIP_LEFT_RIGHT)], ids=["reframed", "mirrored"]
)
def test_an_edit_of_a_portrait_is_the_same_shot_though_dhash_misses_it(edit) -> None:
    original = real_image("astronaut")
    changed = edit(original)
    assert gate.hamming(_thumb_hash(original), _thumb_hash(changed)) > gate.NEAR_DUPLICATE_DISTANCE
    assert gate.same_shot(_faces(original), _faces(changed)) >= gate.SAME_SHOT_SIMILARITY["sface"]


def test_other_people_are_not_the_same_shot() -> None:
    t1 = real_image("t1")
    people = [_faces(t1.crop(box).resize((400, 600))) for box in T1_PEOPLE]
    people.append(_faces(real_image("astronaut")))
    assert all(len(faces) == 1 for faces in people)
    scores = [gate.same_shot(a, b) for i, a in enumerate(people) for b in people[i + 1 :]]
    assert max(scores) < gate.SAME_SHOT_SIMILARITY["sface"] - 0.2


def test_same_shot_needs_faces_on_both_sides_and_at_least_half_as_many() -> None:
    a = np.eye(4, dtype=np.float32)
    assert gate.same_shot([], [a[0]]) == 0.0
    assert gate.same_shot([a[0]], [a[0], a[1], a[2]]) == 0.0  # one face of three: another photo
    assert gate.same_shot([a[0], a[1]], [a[1], a[0], a[2]]) == pytest.approx(1.0)
    assert gate.same_shot([a[0], a[1]], [a[0], a[2]]) == pytest.approx(0.0)
