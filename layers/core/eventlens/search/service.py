"""Search: what attendees type ("Harvrd", "speeches", "people laughing") to photos, and more like one.

Full text catches stemmed words, trigrams catch typos and partial badge names, the description
embedding catches meaning; one statement gathers all three, `fusion` ranks them. A modality only
contributes what clears its own bar, so a query that matches nothing returns nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from eventlens.config import settings
from eventlens.db import Tx
from eventlens.db.photos import PhotoFilter, PhotoRow
from eventlens.errors import PhotoNotFound
from eventlens.media.views import Photo, decode_cursor, encode_cursor, photo_view
from eventlens.scope import Scope
from eventlens.search import repo, spelling
from eventlens.search.fusion import MODALITIES, Candidate, Method, Ranked, drop_weak_meanings, fuse, page
from eventlens.search.views import SearchResponse, SearchResult, reason, summary

if TYPE_CHECKING:
    import numpy as np

SEMANTIC_FLOOR = 0.3
"""MiniLM cosine a description needs to count as a semantic match. Measured on event-style
descriptions: related queries score 0.37-0.76, unrelated ones ("banana", "quantum
chromodynamics") at most 0.2 against the same texts."""

SEMANTIC_ONLY_FLOOR = 0.3
SEMANTIC_ONLY_MARGIN = 0.15
"""A photo found by meaning alone (no word, no spelling) must score at least SEMANTIC_ONLY_FLOOR and
within SEMANTIC_ONLY_MARGIN of the query's best meaning. Every local description shares one
sentence frame ("Photo of ..., in folder ..."), so unrelated photos reach 0.44 on MiniLM: "KEYNOTE"
scored the banner 0.64 and the rocket 0.44 (0.20 under). On benchmarks/photo_search_quality.py
(local-tagger / gemini-fake nDCG@10) a margin of 0.05 gives 0.408 / 0.890, 0.10 0.425 / 0.890,
0.15 0.430 / 0.904, 0.20 0.441 / 0.904, none 0.441 / 0.932: 0.15 keeps most of that while leaving
the keynote's rocket 0.05 under the bar."""

MAX_QUERY_CHARS = 200

_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters (NUL: PostgreSQL stores none) and lone surrogates (no UTF-8 for them)."""


def normalize(query: str) -> str:
    """The query as searched and stored: control characters and lone surrogates become spaces,
    runs of whitespace one space, at most MAX_QUERY_CHARS characters."""
    return " ".join(_UNSTORABLE.sub(" ", query).split())[:MAX_QUERY_CHARS]


def query_embedding(query: str) -> np.ndarray | None:
    """The configured text model's embedding of `query`, or None if the model is unavailable."""
    from eventlens.ml.errors import ModelUnavailableError
    from eventlens.ml.text import text_embedder

    try:
        return text_embedder(settings().text_embedder).embed_query(query)
    except ModelUnavailableError:
        return None


def ranked_candidates(
    tx: Tx,
    query: str,
    filters: PhotoFilter,
    embedding: np.ndarray | None,
    photo_ids: Sequence[UUID] | None = None,
    method: Method | None = None,
) -> tuple[list[Ranked], dict[UUID, PhotoRow]]:
    """All results above the cut-off, ranked, and their photo rows by id (in the caller's transaction)."""
    query = normalize(query)
    if not query:
        return [], {}
    repo.tune(tx)
    hits = repo.hybrid_candidates(
        tx, query, embedding, settings().text_embedder, filters, SEMANTIC_FLOOR, photo_ids=photo_ids
    )
    candidates = drop_weak_meanings(
        [Candidate(h.photo.id, h.fulltext, h.trigram, h.semantic) for h in hits],
        SEMANTIC_ONLY_FLOOR,
        SEMANTIC_ONLY_MARGIN,
    )
    ranked = fuse(candidates, method) if method else fuse(candidates)
    return ranked, {h.photo.id: h.photo for h in hits}


def search_photos(
    scope: Scope, query: str, filters: PhotoFilter | None = None, limit: int = 50, cursor: str | None = None
) -> SearchResponse:
    """One page of photos matching `query`, best first, each saying why it matched.

    When no word or spelling matched, the query is tried again in the event's own words
    ("dukbot" -> "DuckBot"); the response then names the query it shows results for.
    """
    after = decode_cursor(cursor) if cursor else None
    filters = filters or PhotoFilter()
    text = normalize(query)
    embedding = query_embedding(text) if text else None
    with scope.transaction() as tx, tx.pipeline():
        ranked, rows = ranked_candidates(tx, text, filters, embedding)
    corrected = None
    if text and not any(set(r.modalities) & {"fulltext", "trigram"} for r in ranked):
        with scope.transaction() as tx:
            corrected = spelling.correct(text, spelling.vocabulary(repo.event_words(tx, filters)))
        if corrected is not None:
            with scope.transaction() as tx, tx.pipeline():
                again, again_rows = ranked_candidates(tx, corrected, filters, query_embedding(corrected))
            if again:
                ranked, rows = again, again_rows
            else:
                corrected = None
    chunk, next_after = page(ranked, max(1, limit), after)
    counts = {m: sum(1 for r in ranked if m in r.modalities) for m in MODALITIES}
    return SearchResponse(
        results=[
            SearchResult(
                photo=photo_view(rows[r.candidate.id]),
                score=round(r.score, 6),
                modalities=r.modalities,
                reason=reason(r.modalities),
            )
            for r in chunk
        ],
        total=len(ranked),
        modalities=counts,
        corrected_query=corrected,
        summary=summary(text, [r.modalities for r in ranked], corrected),
        next_cursor=encode_cursor(next_after) if next_after else None,
    )


def photos_near(
    scope: Scope, vector: Sequence[float], text_model: str, limit: int = 24, exclude: UUID | None = None
) -> list[Photo]:
    """Visible photos nearest a description embedding (an album item's "more like this")."""
    if text_model != settings().text_embedder:
        return []  # another space: its vectors and the photos' do not compare
    with scope.transaction() as tx:
        repo.tune(tx)
        rows = repo.photos_near(tx, vector, text_model, max(1, min(limit, 100)), exclude)
    return [photo_view(r) for r in rows]


def similar_photos(scope: Scope, photo_id: UUID, limit: int = 24) -> list[Photo]:
    """Visible photos most like `photo_id`: description cosine plus a bonus per shared face."""
    from eventlens.findme.thresholds import face_threshold

    cfg = settings()
    threshold = face_threshold(scope.tenant(), cfg.face_model)
    with scope.transaction() as tx:
        if not repo.photo_exists(tx, photo_id):
            raise PhotoNotFound(f"no photo {photo_id} in this event")
        repo.tune(tx)
        rows = repo.similar_photos(
            tx, photo_id, cfg.text_embedder, cfg.face_model, threshold, max(1, min(limit, 100))
        )
    return [photo_view(r) for r in rows]
