"""Hybrid text search: what attendees type ("Harvrd", "speeches", "people laughing") to photos.

Full text catches stemmed words, trigrams catch typos and partial badge names, the description
embedding catches meaning; one statement gathers all three, `fusion` ranks them. A modality only
contributes what clears its own bar, so a query that matches nothing returns nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import numpy as np

from eventlens.config import settings
from eventlens.db import scoped, search_repo
from eventlens.db.photos_repo import PhotoFilter
from eventlens.domain import Event
from eventlens.photos import decode_cursor, encode_cursor, photo_view
from eventlens.search.fusion import MODALITIES, Candidate, Method, Ranked, fuse, page
from eventlens.search.models import SearchResponse, SearchResult

SEMANTIC_FLOOR = 0.3
"""MiniLM cosine a description needs to count as a semantic match. Measured on event-style
descriptions: related queries score 0.37-0.76, unrelated ones ("banana", "quantum
chromodynamics") at most 0.2 against the same texts."""

MAX_QUERY_CHARS = 200


def query_embedding(query: str) -> np.ndarray | None:
    """The configured text model's embedding of `query`, or None if the model is unavailable."""
    from eventlens.models.errors import ModelUnavailableError
    from eventlens.models.text import text_embedder

    try:
        return text_embedder(settings().text_embedder).embed_query(query)
    except ModelUnavailableError:
        return None


def ranked_candidates(
    event: Event,
    query: str,
    filters: PhotoFilter,
    photo_ids: Sequence[UUID] | None = None,
    method: Method | None = None,
    embedding: np.ndarray | None = None,
) -> tuple[list[Ranked], dict[UUID, dict[str, Any]]]:
    """All results above the cut-off, ranked, and their photo rows by id."""
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    if not query:
        return [], {}
    if embedding is None:
        embedding = query_embedding(query)
    model = settings().text_embedder
    with scoped(event.id) as conn, conn.pipeline():
        search_repo.tune_hnsw(conn)
        rows = search_repo.hybrid_candidates(
            conn, query, embedding, model, filters, SEMANTIC_FLOOR, photo_ids=photo_ids
        )
    candidates = [Candidate(r["id"], r["fulltext"], r["trigram"], r["semantic"]) for r in rows]
    ranked = fuse(candidates, method) if method else fuse(candidates)
    return ranked, {r["id"]: r for r in rows}


def search_photos(
    event: Event, query: str, filters: PhotoFilter | None = None, limit: int = 50, cursor: str | None = None
) -> SearchResponse:
    """One page of photos matching `query`, best first, each saying which modalities matched."""
    ranked, rows = ranked_candidates(event, query, filters or PhotoFilter())
    after = decode_cursor(cursor) if cursor else None
    chunk, next_after = page(ranked, max(1, limit), after)
    counts = {m: sum(1 for r in ranked if m in r.modalities) for m in MODALITIES}
    return SearchResponse(
        results=[
            SearchResult(
                photo=photo_view(rows[r.candidate.id]),
                score=round(r.score, 6),
                modalities=r.modalities,
            )
            for r in chunk
        ],
        total=len(ranked),
        modalities=counts,
        next_cursor=encode_cursor(next_after) if next_after else None,
    )
