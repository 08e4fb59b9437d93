"""Real photos and models, each loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import insightface
import numpy as np
import pytest
import skimage.data
from PIL import Image

from .images import render_text

T1_PATH = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"


@pytest.fixture(scope="session")
def t1() -> np.ndarray:
    """InsightFace's group photo: six different people, faces ~100 px."""
    return np.asarray(Image.open(T1_PATH).convert("RGB"))


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def sface():
    from eventlens.ml.faces import face_model

    return face_model("sface")


@pytest.fixture(scope="session")
def minilm():
    from eventlens.ml.text import text_embedder

    return text_embedder("minilm-l6-v2")


@pytest.fixture(scope="session")
def reader():
    from eventlens.ml.ocr import text_reader

    return text_reader()


@pytest.fixture(scope="session")
def nsfw():
    from eventlens.ml.nsfw import nsfw_model

    return nsfw_model()


@pytest.fixture(scope="session")
def sign() -> np.ndarray:
    """A rendered two-line sign: the words OCR must read, in a known order."""
    return render_text(["WELCOME", "Keynote Hall B"], size=(900, 320), font_px=56)


@pytest.fixture
def without_gemini_key(tmp_path, monkeypatch):
    """Settings with no Gemini key anywhere; call the returned function to provide one."""
    from eventlens.config import reset_settings

    monkeypatch.setenv("EVENTLENS_HOME", str(tmp_path))
    monkeypatch.setenv("EVENTLENS_TOKEN_SECRET", "test-secret")
    for name in ("GEMINI_API_KEY", "EVENTLENS_GEMINI_API_KEY", "EVENTLENS_GEMINI_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()

    def give_key() -> None:
        monkeypatch.setenv("GEMINI_API_KEY", "test-key")
        reset_settings()

    yield give_key
    reset_settings()
