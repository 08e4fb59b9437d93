"""SQL for find me: face kNN, companions, and the sessions a selfie leaves (never the selfie; its
face template only for a while, under the searcher's own session key)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import numpy as np
from psycopg import sql

from eventlens.db import Tx
from eventlens.db.photos import PHOTO_COLUMNS, PhotoRow
from eventlens.db.vectors import MODEL_DIMS, query_vector, vector_expr, vector_literal


@dataclass(frozen=True, slots=True)
class PastSession:
    id: UUID
    match_count: int
    created_at: datetime
    similarity: float


@dataclass(frozen=True, slots=True)
class Activity:
    at: datetime
    confidence_band: str
    match_count: int
    top_confidence: float | None
    query_text: str | None


@dataclass(frozen=True, slots=True)
class SessionStats:
    sessions: int
    searchers: int
    recent: list[Activity]
    hot: list[tuple[PhotoRow, int]]


def face_neighbours(
    tx: Tx, embedding: np.ndarray, model: str, min_similarity: float, k: int
) -> list[tuple[PhotoRow, float]]:
    """Visible photos holding a face within `min_similarity` of `embedding`, best face per photo.

    The k nearest faces come from the HNSW index (sentinel rows have no embedding and are outside
    the partial index); the distance cut is applied after, as pgvector recommends for iterative scans.
    """
    dim = MODEL_DIMS[model]
    distance = sql.SQL("{} <=> {}").format(vector_expr("f", dim), query_vector(dim, "emb"))
    statement = sql.SQL(
        "WITH nn AS MATERIALIZED (SELECT f.photo_id, {d} AS distance FROM face_embeddings f"
        "  WHERE f.model = {model} AND f.embedding IS NOT NULL AND f.event_id = current_event_id()"
        "  ORDER BY {d} LIMIT %(k)s),"
        " best AS (SELECT photo_id, max(1 - distance) AS similarity FROM nn"
        "  WHERE distance <= 1 - %(min)s GROUP BY photo_id)"
        " SELECT {columns}, best.similarity FROM best JOIN photos p ON p.id = best.photo_id"
        " WHERE p.event_id = current_event_id() AND p.is_public ORDER BY best.similarity DESC, p.id"
    ).format(d=distance, model=sql.Literal(model), columns=sql.SQL(PHOTO_COLUMNS))
    rows = tx.execute(statement, {"emb": vector_literal(embedding), "k": k, "min": min_similarity}).fetchall()
    return [(PhotoRow.of(r), float(r["similarity"])) for r in rows]


def face_knn_ids(tx: Tx, embedding: np.ndarray, model: str, k: int, exact: bool = False) -> list[int]:
    """Ids of the k nearest faces: the index scan find-me uses, or (exact) a full scan for recall."""
    dim = MODEL_DIMS[model]
    distance = sql.SQL("{} <=> {}").format(vector_expr("f", dim), query_vector(dim, "emb"))
    if exact:
        # Sorting by an expression the index does not order by forces the exact scan.
        distance = sql.SQL("({}) + 0").format(distance)
    statement = sql.SQL(
        "SELECT f.id FROM face_embeddings f WHERE f.model = {model} AND f.embedding IS NOT NULL"
        " AND f.event_id = current_event_id() ORDER BY {d} LIMIT %(k)s"
    ).format(d=distance, model=sql.Literal(model))
    return [row["id"] for row in tx.execute(statement, {"emb": vector_literal(embedding), "k": k}).fetchall()]


def companion_photos(
    tx: Tx,
    embedding: np.ndarray,
    model: str,
    threshold: float,
    my_photos: Sequence[UUID],
    companions: int = 8,
    k: int = 50,
    limit: int = 12,
) -> list[tuple[PhotoRow, int]]:
    """Photos without me that show people photographed with me, most shared companions first.

    Companions are the largest other faces in my matched photos; each is looked up by kNN and its
    photos that are not already mine are counted.
    """
    dim = MODEL_DIMS[model]
    mine = query_vector(dim, "emb")
    statement = sql.SQL(
        "WITH companion AS (SELECT row_number() OVER () AS n, c.e FROM ("
        "  SELECT {fv} AS e FROM face_embeddings f"
        "  WHERE f.event_id = current_event_id() AND f.model = {model} AND f.embedding IS NOT NULL"
        "   AND f.photo_id = ANY(%(mine)s) AND ({fv} <=> {me}) > 1 - %(thr)s"
        "  ORDER BY f.bbox[3] * f.bbox[4] DESC NULLS LAST LIMIT %(c)s) c),"
        " seen AS (SELECT companion.n, nn.photo_id FROM companion CROSS JOIN LATERAL ("
        "  SELECT g.photo_id, {gv} <=> companion.e AS distance FROM face_embeddings g"
        "  WHERE g.model = {model} AND g.embedding IS NOT NULL AND g.event_id = current_event_id()"
        "  ORDER BY {gv} <=> companion.e LIMIT %(k)s) nn"
        "  WHERE nn.distance <= 1 - %(thr)s AND NOT nn.photo_id = ANY(%(mine)s))"
        " SELECT {columns}, count(DISTINCT seen.n) AS companions"
        " FROM seen JOIN photos p ON p.id = seen.photo_id"
        " WHERE p.event_id = current_event_id() AND p.is_public"
        " GROUP BY p.id ORDER BY companions DESC, p.id LIMIT %(limit)s"
    ).format(
        fv=vector_expr("f", dim),
        gv=vector_expr("g", dim),
        me=mine,
        model=sql.Literal(model),
        columns=sql.SQL(PHOTO_COLUMNS),
    )
    params = {
        "emb": vector_literal(embedding),
        "mine": list(my_photos),
        "thr": threshold,
        "c": companions,
        "k": k,
        "limit": limit,
    }
    return [(PhotoRow.of(r), int(r["companions"])) for r in tx.execute(statement, params).fetchall()]


def nearest_session(
    tx: Tx, embedding: np.ndarray, model: str, session_key: str, within_minutes: int
) -> PastSession | None:
    """This session's earlier search whose face is closest to this one, among templates younger
    than `within_minutes` (the purge may not have run yet; an older one is never compared).

    Row-level security lets a visitor read only its own session's rows; the filter says so too.
    """
    dim = MODEL_DIMS[model]
    distance = sql.SQL("m.embedding::vector({}) <=> {}").format(sql.Literal(dim), query_vector(dim, "emb"))
    row = tx.execute(
        sql.SQL(
            "SELECT m.id, m.match_count, m.created_at, 1 - ({d}) AS similarity FROM match_sessions m"
            " WHERE m.event_id = current_event_id() AND m.embedding IS NOT NULL"
            " AND m.created_at >= now() - make_interval(mins => %(minutes)s)"
            " AND m.session_key = %(key)s AND m.model = %(model)s ORDER BY {d} LIMIT 1"
        ).format(d=distance),
        {"emb": vector_literal(embedding), "model": model, "key": session_key, "minutes": within_minutes},
    ).fetchone()
    return None if row is None else PastSession(**row)


def record_session(
    tx: Tx,
    embedding: np.ndarray | None,
    model: str,
    session_key: str | None,
    confidence_band: str,
    photo_ids: Sequence[UUID],
    top_confidence: float | None,
    query_text: str | None,
) -> None:
    """One search's outcome; its face template only when `embedding` is given (a session's, for a while)."""
    tx.execute(
        "INSERT INTO match_sessions (event_id, model, embedding, session_key, confidence_band, match_count,"
        " top_confidence, query_text, photo_ids)"
        " VALUES (current_event_id(), %s, %s::vector, %s, %s, %s, %s, %s, %s)",
        (
            model,
            None if embedding is None else vector_literal(embedding),
            session_key,
            confidence_band,
            len(photo_ids),
            top_confidence,
            query_text,
            list(photo_ids),
        ),
    )


def forget_templates(tx: Tx, now: datetime | None, minutes: int) -> int:
    """Set to NULL every face template of the event older than `minutes` before `now` (None: the
    database's now); the rest of each row stays. Reads the partial index of rows holding one."""
    return tx.execute(
        "UPDATE match_sessions SET embedding = NULL WHERE event_id = current_event_id()"
        " AND embedding IS NOT NULL"
        " AND created_at < coalesce(%(now)s::timestamptz, now()) - make_interval(mins => %(minutes)s)",
        {"now": now, "minutes": minutes},
    ).rowcount


def session_stats(tx: Tx, recent: int, hot: int) -> SessionStats:
    """Searches, searchers (one per session key, one per search without a key), the latest
    searches and the photos most often returned. None of it reads a face template."""
    count = tx.execute(
        "SELECT count(*) AS n,"
        " count(DISTINCT session_key) + count(*) FILTER (WHERE session_key IS NULL) AS searchers"
        " FROM match_sessions WHERE event_id = current_event_id()"
    ).fetchone()
    latest = tx.execute(
        "SELECT created_at AS at, confidence_band, match_count, top_confidence, query_text FROM match_sessions"
        " WHERE event_id = current_event_id() ORDER BY created_at DESC LIMIT %s",
        (recent,),
    ).fetchall()
    hot_rows = tx.execute(
        "WITH hits AS (SELECT unnest(photo_ids) AS id FROM match_sessions"
        "  WHERE event_id = current_event_id()),"
        " counted AS (SELECT id, count(*) AS sessions FROM hits GROUP BY id)"
        " SELECT " + PHOTO_COLUMNS + ", counted.sessions FROM counted JOIN photos p ON p.id = counted.id"
        " WHERE p.is_public ORDER BY counted.sessions DESC, p.id LIMIT %s",
        (hot,),
    ).fetchall()
    return SessionStats(
        sessions=int(count["n"]) if count else 0,
        searchers=int(count["searchers"]) if count else 0,
        recent=[Activity(**r) for r in latest],
        hot=[(PhotoRow.of(r), int(r["sessions"])) for r in hot_rows],
    )
