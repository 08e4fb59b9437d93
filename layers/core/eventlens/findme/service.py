"""Find me: a selfie in, the photos showing that person out, and what the event learns from it.

One request opens one transaction for its work: kNN, the optional text filter, suggestions and
the session record (only the embedding and the outcome, never the selfie).
"""

from __future__ import annotations

import numpy as np

from eventlens.config import settings
from eventlens.db import Tx
from eventlens.db.photos import PhotoFilter, PhotoRow
from eventlens.db.vectors import tune_hnsw
from eventlens.errors import FaceMatchingDisabled
from eventlens.findme import repo
from eventlens.findme.recommendations import recommend
from eventlens.findme.selfie import decode_selfie, selfie_embedding
from eventlens.findme.thresholds import confidence, confidence_band, face_threshold
from eventlens.findme.views import HotPhoto, Match, MatchActivity, MatchAnalytics, MatchResponse
from eventlens.media.views import photo_view
from eventlens.scope import Scope

MATCH_K = 300
"""Nearest faces read per find-me; a person appears in fewer photos than this at any event we serve."""

NEAR_MISS = 0.05
"""Faces this far under the threshold become "you might also appear in" suggestions."""


def find_me(scope: Scope, image: bytes, query: str | None = None) -> MatchResponse:
    """Photos showing the selfie's face (optionally also matching `query`), with suggestions."""
    if not scope.tenant().settings.face_matching:
        raise FaceMatchingDisabled("face matching is turned off for this event")
    model = settings().face_model
    embedding = selfie_embedding(decode_selfie(image), model)
    return match_embedding(scope, embedding, model, query)


def match_embedding(
    scope: Scope, embedding: np.ndarray, model: str, query: str | None = None
) -> MatchResponse:
    """Find-me from an embedding: kNN, threshold, dedupe per photo, session record, suggestions."""
    from eventlens.search.service import normalize, query_embedding

    threshold = face_threshold(scope.tenant(), model)
    text = normalize(query) if query else ""
    text_embedding = query_embedding(text) if text else None
    with scope.transaction() as tx:
        tune_hnsw(tx)
        found = repo.face_neighbours(tx, embedding, model, threshold - NEAR_MISS, MATCH_K)
        previous = repo.nearest_session(tx, embedding, model)
        mine = [(row, s) for row, s in found if s >= threshold]
        near = [row for row, s in found if s < threshold]
        if text and mine:
            mine = _rank_by_text(tx, mine, text, text_embedding)
        top = max((s for _, s in mine), default=None)
        recommendations = recommend(tx, embedding, model, threshold, [r for r, _ in mine], near)
        repo.record_session(
            tx,
            embedding,
            model,
            confidence_band(top, threshold),
            [r.id for r, _ in mine],
            confidence(top, threshold) if top is not None else None,
            query,
        )
    matches = [Match(photo=photo_view(row), confidence=confidence(s, threshold)) for row, s in mine]
    seen = previous if previous is not None and previous.similarity >= threshold else None
    return MatchResponse(
        matches=matches, recommendations=recommendations, message=_message(matches, seen, query)
    )


def _rank_by_text(
    tx: Tx, mine: list[tuple[PhotoRow, float]], text: str, embedding: np.ndarray | None
) -> list[tuple[PhotoRow, float]]:
    """My photos that also match `text`, best text match first (face similarity breaks ties)."""
    from eventlens.search.service import ranked_candidates

    by_id = {row.id: (row, s) for row, s in mine}
    ranked, _ = ranked_candidates(tx, text, PhotoFilter(), embedding, photo_ids=list(by_id))
    return [by_id[r.candidate.id] for r in ranked if r.candidate.id in by_id]


def _message(matches: list[Match], seen: repo.PastSession | None, query: str | None) -> str:
    if matches:
        found = f"Found you in {len(matches)} photo{'s' if len(matches) != 1 else ''}"
        found += f" matching “{query.strip()}”." if query and query.strip() else "."
        return found + (" Welcome back: we've seen a similar face before." if seen else "")
    if seen and seen.match_count:
        return (
            f"We've seen a similar face before and it matched {seen.match_count} photos; "
            "this selfie found none. Try again with a brighter, front-facing selfie, without sunglasses."
        )
    if seen:
        return "We've seen a similar face before, still with no photos: new photos may still be processing."
    if query and query.strip():
        return f"No photos of you matching “{query.strip()}”. Try without the text."
    return "No photos matched. Try a well-lit, front-facing selfie without sunglasses or a hat."


def match_analytics(scope: Scope, recent: int = 20, hot: int = 12) -> MatchAnalytics:
    """Find-me activity for organizers: sessions, distinct people searching, hot photos, latest searches."""
    model = settings().face_model
    threshold = face_threshold(scope.tenant(), model)
    with scope.transaction() as tx:
        stats = repo.session_stats(tx, recent, hot)
        embeddings = repo.session_embeddings(tx, model)
    return MatchAnalytics(
        sessions=stats.sessions,
        distinct_searchers=count_people(embeddings, threshold),
        hot_photos=[HotPhoto(photo=photo_view(row), sessions=n) for row, n in stats.hot],
        recent=[MatchActivity.model_validate(a, from_attributes=True) for a in stats.recent],
    )


def count_people(embeddings: np.ndarray, threshold: float) -> int:
    """Greedy leader clustering: a session joins the first earlier person it matches, else is a new one."""
    leaders: list[np.ndarray] = []
    for vector in embeddings:
        if not leaders or float(np.max(np.stack(leaders) @ vector)) < threshold:
            leaders.append(vector)
    return len(leaders)
