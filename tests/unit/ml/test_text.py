"""The numpy MiniLM against sentence-transformers' own output, and as a search space."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from eventlens.ml.errors import ModelUnavailableError, UnknownModelError
from eventlens.ml.text import MAX_TOKENS, text_embedder

REFERENCE = Path(__file__).parents[1] / "fixtures" / "minilm_reference.json"


@pytest.fixture(scope="module")
def reference() -> dict:
    """Embeddings from torch 2.13 + sentence-transformers (generated in a throwaway venv)."""
    return json.loads(REFERENCE.read_text())


def test_embeddings_match_sentence_transformers(minilm, reference):
    expected = np.array(reference["embeddings"], np.float32)

    got = minilm.embed(reference["sentences"])

    assert got.shape == expected.shape == (len(reference["sentences"]), 384)
    assert got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = (got * expected).sum(axis=1)
    assert cosines.min() > 0.999, cosines


def test_text_longer_than_the_token_limit_is_truncated_like_the_reference(minilm, reference):
    longest = max(reference["sentences"], key=len)
    assert len(minilm._tokenizer.encode(longest).ids) == MAX_TOKENS  # the fixture really overflows
    expected = np.array(reference["embeddings"][reference["sentences"].index(longest)], np.float32)

    assert float(minilm.embed_query(longest) @ expected) > 0.999


def test_padding_in_a_batch_does_not_change_an_embedding(minilm, reference):
    short = "EventLens"
    alone = minilm.embed_query(short)
    batched = minilm.embed([reference["sentences"][1], short, reference["sentences"][4]])[1]

    assert float(alone @ batched) > 0.99999


def test_a_query_is_closest_to_the_related_caption(minilm):
    captions = [
        "The keynote speaker raises a trophy on stage.",
        "Guests dance to a live band late at night.",
        "A rainy street with umbrellas outside a cafe.",
    ]
    vectors = minilm.embed(captions)

    scores = vectors @ minilm.embed_query("award ceremony")

    assert int(np.argmax(scores)) == 0
    assert scores[0] - scores[2] > 0.1


def test_no_texts_give_an_empty_matrix(minilm):
    assert minilm.embed([]).shape == (0, 384)


def test_factory_caches_and_rejects_unknown_names(minilm):
    assert text_embedder() is minilm
    assert (minilm.name, minilm.dim) == ("minilm-l6-v2", 384)
    with pytest.raises(UnknownModelError):
        text_embedder("word2vec")


def test_gemini_embedder_needs_a_key_and_has_its_own_space(without_gemini_key):
    try:
        with pytest.raises(ModelUnavailableError, match="GEMINI_API_KEY"):
            text_embedder("gemini-embedding-001")
        without_gemini_key()
        gemini = text_embedder("gemini-embedding-001")  # builds no client until the first call
        assert (gemini.name, gemini.dim) == ("gemini-embedding-001", 768)
    finally:
        text_embedder.cache_clear()
