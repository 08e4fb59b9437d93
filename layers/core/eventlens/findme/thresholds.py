"""The find-me similarity bar and how a similarity reads to a person (confidence, band)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from eventlens.types import Event

CONFIDENT_MARGIN = 0.3
"""Similarity this far above the threshold reads as 100 %; the threshold itself reads as 50 %."""


@lru_cache(maxsize=1)
def calibrated_thresholds() -> dict[str, Any]:
    """Thresholds measured by benchmarks/faces_quality.py, shipped next to this module."""
    try:
        return dict(json.loads((resources.files("eventlens.findme") / "thresholds.json").read_text()))
    except (OSError, ValueError):
        return {}


def face_threshold(event: Event, model: str) -> float:
    """The event's `face_threshold`, else the calibrated value, else the model's published default."""
    if event.settings.face_threshold is not None:
        return event.settings.face_threshold
    calibrated = calibrated_thresholds().get(model)
    if isinstance(calibrated, dict) and "threshold" in calibrated:
        return float(calibrated["threshold"])
    from eventlens.ml.faces import THRESHOLDS

    return THRESHOLDS[model]


def confidence(similarity: float, threshold: float) -> float:
    """Similarity as a percentage: 50 at the threshold, 100 at threshold + CONFIDENT_MARGIN."""
    value = 50.0 + 50.0 * (similarity - threshold) / CONFIDENT_MARGIN
    return round(min(100.0, max(0.0, value)), 1)


def confidence_band(top_similarity: float | None, threshold: float) -> str:
    if top_similarity is None or top_similarity < threshold:
        return "none"
    return "high" if top_similarity >= threshold + CONFIDENT_MARGIN / 2 else "medium"
