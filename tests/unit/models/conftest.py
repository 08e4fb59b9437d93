"""Real photos and models, each loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import insightface
import numpy as np
import pytest
import skimage.data
from PIL import Image

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
    from eventlens.models.faces import face_model

    return face_model("sface")
