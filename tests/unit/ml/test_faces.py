"""SFace (YuNet + SFace on OpenCV) through the FaceModel interface, on real photos."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from eventlens.ml.errors import UnknownModelError
from eventlens.ml.faces import MIN_FACE_PX, THRESHOLDS, face_model, similarity
from eventlens.ml.sface import SFaceModel


def test_sface_finds_the_six_faces_of_t1_with_boxes_landmarks_and_unit_embeddings(sface, t1):
    faces = sface.detect(t1)

    assert len(faces) == 6
    height, width = t1.shape[:2]
    for face in faces:
        x, y, w, h = face.bbox
        assert 0 <= x <= x + w <= width + 1
        assert 0 <= y <= y + h <= height + 1
        assert 60 < w < 160
        assert 60 < h < 160
        assert face.score >= 0.6
        assert len(face.landmarks) == 5
        assert all(x <= px <= x + w and y <= py <= y + h for px, py in face.landmarks)
        assert face.embedding.dtype == np.float32
        assert face.embedding.shape == (sface.dim,) == (128,)
        assert np.linalg.norm(face.embedding) == pytest.approx(1.0, abs=1e-5)


def test_same_person_flipped_and_cropped_is_above_threshold(sface, astronaut):
    [original] = sface.detect(astronaut)
    variant = np.ascontiguousarray(astronaut[20:400, 40:460][:, ::-1])  # mirror + crop + shift

    [other] = sface.detect(variant)

    assert similarity(original.embedding, other.embedding) > THRESHOLDS["sface"]


def test_different_people_in_t1_are_below_threshold(sface, t1):
    faces = sface.detect(t1)

    scores = [similarity(a.embedding, b.embedding) for a, b in itertools.combinations(faces, 2)]

    assert len(scores) == 15
    assert max(scores) < sface.threshold


def test_boxes_map_back_to_the_given_image_when_detection_runs_downscaled(sface, t1):
    large = cv2.resize(t1, (t1.shape[1] * 2, t1.shape[0] * 2), interpolation=cv2.INTER_CUBIC)
    assert max(large.shape) > sface.max_side

    small_faces = sorted(sface.detect(t1), key=lambda f: f.bbox)
    large_faces = sorted(sface.detect(large), key=lambda f: f.bbox)

    assert len(large_faces) == len(small_faces) == 6
    for small, big in zip(small_faces, large_faces, strict=True):
        np.testing.assert_allclose(np.array(big.bbox) / 2, small.bbox, atol=0.1 * small.bbox[2])
        assert similarity(small.embedding, big.embedding) > 0.8


def test_faces_below_the_minimum_size_are_dropped(t1):
    tiny = cv2.resize(t1, (200, 138), interpolation=cv2.INTER_AREA)  # faces of ~15-18 px

    kept_all = SFaceModel(min_face_px=1).detect(tiny)
    kept_default = SFaceModel().detect(tiny)

    assert len(kept_all) >= 4
    assert all(min(f.bbox[2:]) < MIN_FACE_PX for f in kept_all)
    assert kept_default == []


def test_a_photo_without_faces_gives_no_faces(sface):
    sky = np.full((480, 640, 3), (120, 170, 230), np.uint8)

    assert sface.detect(sky) == []


def test_one_model_serves_two_threads_with_the_same_results(sface, t1, astronaut):
    expected = [len(sface.detect(t1)), len(sface.detect(astronaut))]

    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda im: len(sface.detect(im)), [t1, astronaut] * 4))

    assert counts == expected * 4


def test_face_model_is_cached_per_name_and_rejects_unknown_names(sface):
    assert face_model("sface") is sface
    assert (sface.name, sface.dim, sface.threshold) == ("sface", 128, THRESHOLDS["sface"])
    with pytest.raises(UnknownModelError):
        face_model("arcface-xl")


def test_a_face_the_skip_test_accepts_is_neither_embedded_nor_returned_and_the_others_are_unchanged(
    sface, t1
):
    everyone = sorted(sface.detect(t1), key=lambda f: f.bbox[0])
    leftmost = everyone[0].bbox
    asked: list[tuple[float, float, float, float]] = []

    def skip(box: tuple[float, float, float, float]) -> bool:
        asked.append(box)
        return box == leftmost

    rest = sorted(sface.detect(t1, skip), key=lambda f: f.bbox[0])

    assert len(asked) == 6  # every detected face is offered to the test
    assert [f.bbox for f in rest] == [f.bbox for f in everyone[1:]]
    assert all(np.array_equal(a.embedding, b.embedding) for a, b in zip(rest, everyone[1:], strict=True))


def test_boxes_only_computes_no_template(sface, t1, monkeypatch: pytest.MonkeyPatch) -> None:
    """embed=False (an event that keeps no face data, the album gate's case): the same faces and
    boxes, no embedding, and the recognizer never runs."""
    everyone = sorted(sface.detect(t1), key=lambda f: f.bbox[0])
    _, recognizer = sface._nets()
    calls: list[str] = []

    class Counting:
        def alignCrop(self, *args: object) -> object:
            calls.append("align")
            return recognizer.alignCrop(*args)

        def feature(self, *args: object) -> object:
            calls.append("feature")
            return recognizer.feature(*args)

    detector, _ = sface._nets()
    monkeypatch.setattr(sface, "_nets", lambda: (detector, Counting()))
    boxes = sorted(sface.detect(t1, embed=False), key=lambda f: f.bbox[0])

    assert [f.bbox for f in boxes] == [f.bbox for f in everyone]
    assert all(f.embedding.size == 0 for f in boxes)
    assert calls == []
    sface.detect(t1)  # the counter counts: embedding calls the recognizer once per face
    assert calls.count("feature") == len(everyone)
