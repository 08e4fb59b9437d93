"""The buffalo_l loader, exercised with stand-in ONNX files of the real models' shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from eventlens.config import reset_settings
from eventlens.ml.buffalo import BuffaloModel
from eventlens.ml.errors import ModelUnavailableError
from eventlens.ml.faces import face_model

from .buffalo_standin import expected_box_in_det_input, write_buffalo_dir, write_recognizer

# InsightFace's alignment calls scikit-image's deprecated `estimate` (filtered in production too).
pytestmark = pytest.mark.filterwarnings("ignore:`estimate` is deprecated:FutureWarning")


@pytest.fixture(scope="module")
def buffalo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_buffalo_dir(tmp_path_factory.mktemp("buffalo_l"))


@pytest.fixture(scope="module")
def buffalo(buffalo_dir: Path) -> BuffaloModel:
    return BuffaloModel(buffalo_dir)


def test_detected_face_is_mapped_from_the_detector_input_to_the_photo(buffalo, astronaut):
    [face] = buffalo.detect(astronaut)  # 512x512 photo, letterboxed into 640x640: scale 1.25

    expected = np.array(expected_box_in_det_input()) / 1.25
    np.testing.assert_allclose(face.bbox, expected, atol=0.5)
    assert face.score == pytest.approx(0.9)
    assert len(face.landmarks) == 5
    assert face.embedding.dtype == np.float32
    assert face.embedding.shape == (512,)
    assert np.linalg.norm(face.embedding) == pytest.approx(1.0, abs=1e-5)
    assert (buffalo.name, buffalo.dim) == ("buffalo_l", 512)


def test_embedding_comes_from_the_aligned_pixels(buffalo, astronaut, t1):
    [first] = buffalo.detect(astronaut)
    [again] = buffalo.detect(astronaut.copy())
    [other] = buffalo.detect(t1)

    assert float(first.embedding @ again.embedding) == pytest.approx(1.0, abs=1e-5)
    assert float(first.embedding @ other.embedding) < 0.99


def test_missing_directory_names_the_files_and_the_setting(tmp_path):
    with pytest.raises(ModelUnavailableError, match=r"det_10g\.onnx, w600k_r50\.onnx.*EVENTLENS_BUFFALO_DIR"):
        BuffaloModel(tmp_path / "nowhere")


def test_missing_recognizer_is_reported(tmp_path, buffalo_dir):
    (tmp_path / "det_10g.onnx").write_bytes((buffalo_dir / "det_10g.onnx").read_bytes())

    with pytest.raises(ModelUnavailableError, match=r"missing .*: w600k_r50\.onnx"):
        BuffaloModel(tmp_path)


def test_a_recognizer_in_the_detector_slot_is_rejected(tmp_path, buffalo_dir):
    write_recognizer(tmp_path / "det_10g.onnx")
    (tmp_path / "w600k_r50.onnx").write_bytes((buffalo_dir / "w600k_r50.onnx").read_bytes())

    with pytest.raises(ModelUnavailableError, match="not a detection model"):
        BuffaloModel(tmp_path)


def test_face_model_factory_loads_buffalo_from_the_configured_directory(buffalo_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTLENS_BUFFALO_DIR", str(buffalo_dir))
    monkeypatch.setenv("EVENTLENS_HOME", str(tmp_path))
    monkeypatch.setenv("EVENTLENS_TOKEN_SECRET", "test-secret")
    reset_settings()
    face_model.cache_clear()
    try:
        model = face_model("buffalo_l")
        assert isinstance(model, BuffaloModel)
        assert face_model("buffalo_l") is model
    finally:
        face_model.cache_clear()
        reset_settings()
