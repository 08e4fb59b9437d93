"""Fusing full-text, trigram and semantic scores into one ranked list, and paging through it.

Pure functions, so the ranking rule is unit-tested without a database. Two rules: the seed's
additive weights (the baseline) and Reciprocal Rank Fusion, the default because it measured
better. `.venv/bin/python benchmarks/search_relevance.py` runs both through the real search
path on 1,220 generated event photos (real MiniLM embeddings) and 48 labelled queries (plus 5
that should match nothing); RRF vs weighted:

    overall     nDCG@10 0.943 vs 0.934, MRR 0.990 vs 0.969, P@10 0.975 vs 0.965, R@50 0.908 vs 0.899
    typos       nDCG@10 0.901 vs 0.819 ("Harvrd": 0.55 vs 0.00)
    stemmed     nDCG@10 0.931 vs 0.946 (the one category the baseline wins)
    exact, partial names, paraphrases, multi-word: within 0.001

The margin is small but held on three other galleries (620 and 1,220 photos with seeds 3 and 11,
2,020 photos: RRF ahead by 0.010-0.015 nDCG@10). Its source: under fixed weights a semantic
near-miss (cosine ~0.35 x 20 = 7) outscores the only photos that match a typo (trigram 0.57 x 5
= 2.9); RRF compares ranks, so no score scale dominates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from eventlens.errors import InvalidCursor

Method = Literal["weighted", "rrf"]
MODALITIES: tuple[str, ...] = ("fulltext", "trigram", "semantic")

WEIGHTS: dict[str, float] = {"fulltext": 10.0, "trigram": 5.0, "semantic": 20.0}
"""The seed's additive weights per modality score (ts_rank normalised to 0..1, similarity 0..1)."""

RRF_K = 60
"""The usual RRF constant: damps the gap between rank 1 and rank 2 of a single modality."""

DEFAULT_METHOD: Method = "rrf"


@dataclass(frozen=True)
class Candidate:
    """One photo and the score each modality gave it (None: that modality did not match)."""

    id: UUID
    fulltext: float | None = None
    trigram: float | None = None
    semantic: float | None = None

    def scores(self) -> dict[str, float]:
        return {m: s for m in MODALITIES if (s := getattr(self, m)) is not None}


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float

    @property
    def modalities(self) -> list[str]:
        return list(self.candidate.scores())


def drop_weak_meanings(candidates: Sequence[Candidate], floor: float, margin: float) -> list[Candidate]:
    """Candidates without the semantic-only ones below `floor` or more than `margin` under the
    query's best semantic score: a meaning alone must be one of the query's clear best, or "KEYNOTE"
    brings the cat and the rocket along (their descriptions share the "Photo ... in folder" frame)."""
    best = max((c.semantic for c in candidates if c.semantic is not None), default=None)
    if best is None:
        return list(candidates)
    bar = max(floor, best - margin)
    return [
        c
        for c in candidates
        if c.fulltext is not None or c.trigram is not None or (c.semantic is not None and c.semantic >= bar)
    ]


def _ranks(candidates: Sequence[Candidate]) -> dict[str, dict[UUID, int]]:
    ranks: dict[str, dict[UUID, int]] = {}
    for modality in MODALITIES:
        scored = [(c.scores()[modality], c.id) for c in candidates if modality in c.scores()]
        scored.sort(key=lambda pair: (-pair[0], str(pair[1])))
        ranks[modality] = {photo_id: rank for rank, (_, photo_id) in enumerate(scored, start=1)}
    return ranks


def fuse(candidates: Iterable[Candidate], method: Method = DEFAULT_METHOD) -> list[Ranked]:
    """Candidates ordered best first (ties by id, so pages are stable); every candidate matched something."""
    pool = [c for c in candidates if c.scores()]
    if method == "weighted":
        scored = [Ranked(c, sum(WEIGHTS[m] * s for m, s in c.scores().items())) for c in pool]
    elif method == "rrf":
        ranks = _ranks(pool)
        scored = [Ranked(c, sum(1.0 / (RRF_K + ranks[m][c.id]) for m in c.scores())) for c in pool]
    else:
        raise ValueError(f"unknown fusion method {method!r}")
    scored.sort(key=lambda r: (-r.score, str(r.candidate.id)))
    return scored


def page(
    ranked: Sequence[Ranked], limit: int, after: Sequence[object] | None = None
) -> tuple[list[Ranked], list[object] | None]:
    """One page after the keyset `after` ([score, id]); returns the page and the next keyset or None.

    `after` comes from the client's cursor: anything but [finite number, photo id] is `InvalidCursor`.
    """
    start = 0
    if after is not None:
        score, photo_id = _keyset(after)
        while start < len(ranked) and (-ranked[start].score, str(ranked[start].candidate.id)) <= (
            -score,
            photo_id,
        ):
            start += 1
    chunk = list(ranked[start : start + limit])
    more = start + limit < len(ranked)
    next_after: list[object] | None = (
        [chunk[-1].score, str(chunk[-1].candidate.id)] if more and chunk else None
    )
    return chunk, next_after


def _keyset(after: Sequence[object]) -> tuple[float, str]:
    if len(after) != 2:
        raise InvalidCursor("malformed cursor")
    score, photo_id = after
    if isinstance(score, bool) or not isinstance(score, int | float) or not isinstance(photo_id, str):
        raise InvalidCursor("malformed cursor")
    try:
        value, canonical = float(score), str(UUID(photo_id))
    except (ValueError, OverflowError):
        raise InvalidCursor("malformed cursor") from None
    if not math.isfinite(value):
        raise InvalidCursor("malformed cursor")
    return value, canonical
