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


def _large_event(tx: Tx) -> UUID | None:
    """The event in scope if it has many faces (migration 0013's `event_is_large`), else None.

    A kNN of a large event names it as a constant, so the planner reads the event's own HNSW index
    (or the shared one where that event is the database's main one); a small event's faces are read
    by the event index and every distance is computed, which is exact and, at that size, faster
    than walking a graph shared with every other event (benchmarks/many_events.py).
    """
    row = tx.execute(
        "SELECT CASE WHEN event_is_large('face') THEN current_event_id() END AS event"
    ).fetchone()
    return None if row is None else row["event"]


def _nearest_faces(
    alias: str,
    model: str,
    query: sql.Composable,
    k: str,
    large: UUID | None,
    with_hidden: bool = False,
) -> sql.Composable:
    """The `k` faces of the event nearest `query` (id, photo_id, distance), by index or exactly.

    Hidden faces ("hide me") are left out unless `with_hidden` (a person hiding or forgetting
    themselves again)."""
    dim = MODEL_DIMS[model]
    a = sql.Identifier(alias)
    distance = sql.SQL("{} <=> {}").format(vector_expr(alias, dim), query)
    rows = sql.SQL(
        "SELECT {a}.id, {a}.photo_id, {a}.bbox, {d} AS distance FROM face_embeddings {a}"
        " WHERE {a}.model = {model} AND {a}.embedding IS NOT NULL AND {a}.event_id = current_event_id()"
        "{hidden}"
    ).format(
        a=a,
        d=distance,
        model=sql.Literal(model),
        hidden=sql.SQL("") if with_hidden else sql.SQL(" AND NOT {a}.hidden").format(a=a),
    )
    if large is None:
        # Sorting by a copy of the distance keeps the planner off the HNSW index.
        return sql.SQL("{rows} ORDER BY ({d}) + 0 LIMIT {k}").format(rows=rows, d=distance, k=sql.SQL(k))
    return sql.SQL("{rows} AND {a}.event_id = {event} ORDER BY {d} LIMIT {k}").format(
        rows=rows, a=a, event=sql.Literal(large), d=distance, k=sql.SQL(k)
    )


@dataclass(frozen=True, slots=True)
class NeighbourPhoto:
    """A visible photo near a face: its best face's similarity and box (x, y, w, h in pixels of the photo)."""

    photo: PhotoRow
    similarity: float
    bbox: tuple[float, float, float, float]


def face_neighbours(
    tx: Tx, embedding: np.ndarray, model: str, min_similarity: float, k: int
) -> list[NeighbourPhoto]:
    """Visible photos holding a face within `min_similarity` of `embedding`, best face per photo.

    The k nearest faces of the event (sentinel rows have no embedding and are never read); the
    distance cut is applied after, as pgvector recommends for iterative scans.
    """
    nearest = _nearest_faces("f", model, query_vector(MODEL_DIMS[model], "emb"), "%(k)s", _large_event(tx))
    statement = sql.SQL(
        "WITH nn AS MATERIALIZED ({nearest}),"
        " best AS (SELECT DISTINCT ON (photo_id) photo_id, 1 - distance AS similarity, bbox FROM nn"
        "  WHERE distance <= 1 - %(min)s ORDER BY photo_id, distance, id)"
        " SELECT {columns}, best.similarity, best.bbox AS best_bbox FROM best JOIN photos p ON p.id = best.photo_id"
        " WHERE p.event_id = current_event_id() AND p.is_public ORDER BY best.similarity DESC, p.id"
    ).format(nearest=nearest, columns=sql.SQL(PHOTO_COLUMNS))
    rows = tx.execute(statement, {"emb": vector_literal(embedding), "k": k, "min": min_similarity}).fetchall()
    return [
        NeighbourPhoto(PhotoRow.of(r), float(r["similarity"]), tuple(float(v) for v in r["best_bbox"]))  # type: ignore[arg-type]
        for r in rows
    ]


def face_knn_ids(tx: Tx, embedding: np.ndarray, model: str, k: int, exact: bool = False) -> list[int]:
    """Ids of the k nearest faces, nearest first: as find-me reads them, or (exact) by computing
    every distance in the event whatever its size, to measure recall against."""
    large = None if exact else _large_event(tx)
    nearest = _nearest_faces("f", model, query_vector(MODEL_DIMS[model], "emb"), "%(k)s", large)
    statement = sql.SQL("SELECT nn.id FROM ({nearest}) nn ORDER BY nn.distance").format(nearest=nearest)
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

    Companions are the largest other faces in my matched photos; each one's k nearest faces within
    the threshold are looked up and their photos that are not already mine are counted. In a small
    event one pass over its faces measures every companion; in a large one each is an index scan.
    """
    dim = MODEL_DIMS[model]
    gv = vector_expr("g", dim)
    large = _large_event(tx)
    if large is None:
        # One pass over the event's faces, each measured against every companion (the lateral
        # reference keeps the faces outside; OFFSET 0 keeps the planner from flattening it).
        seen = sql.SQL(
            "SELECT near.n, near.photo_id FROM (SELECT c.n, g.photo_id,"
            "  row_number() OVER (PARTITION BY c.n ORDER BY c.distance) AS rank FROM face_embeddings g"
            "  CROSS JOIN LATERAL (SELECT companion.n, {gv} <=> companion.e AS distance FROM companion OFFSET 0) c"
            "  WHERE g.model = {model} AND g.embedding IS NOT NULL AND NOT g.hidden AND g.event_id = current_event_id()"
            "   AND c.distance <= 1 - %(thr)s) near"
            " WHERE near.rank <= %(k)s AND NOT near.photo_id = ANY(%(mine)s)"
        ).format(gv=gv, model=sql.Literal(model))
    else:
        seen = sql.SQL(
            "SELECT companion.n, nn.photo_id FROM companion CROSS JOIN LATERAL ({nearest}) nn"
            " WHERE nn.distance <= 1 - %(thr)s AND NOT nn.photo_id = ANY(%(mine)s)"
        ).format(nearest=_nearest_faces("g", model, sql.SQL("companion.e"), "%(k)s", large))
    statement = sql.SQL(
        "WITH companion AS MATERIALIZED (SELECT row_number() OVER () AS n, c.e FROM ("
        "  SELECT {fv} AS e FROM face_embeddings f"
        "  WHERE f.event_id = current_event_id() AND f.model = {model} AND f.embedding IS NOT NULL AND NOT f.hidden"
        "   AND f.photo_id = ANY(%(mine)s) AND ({fv} <=> {me}) > 1 - %(thr)s"
        "  ORDER BY f.bbox[3] * f.bbox[4] DESC NULLS LAST LIMIT %(c)s) c),"
        " seen AS ({seen})"
        " SELECT {columns}, count(DISTINCT seen.n) AS companions"
        " FROM seen JOIN photos p ON p.id = seen.photo_id"
        " WHERE p.event_id = current_event_id() AND p.is_public"
        " GROUP BY p.id ORDER BY companions DESC, p.id LIMIT %(limit)s"
    ).format(
        fv=vector_expr("f", dim),
        me=query_vector(dim, "emb"),
        model=sql.Literal(model),
        seen=seen,
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


@dataclass(frozen=True, slots=True)
class PublicActivity:
    searches: int
    recent_searches: int
    recent_found: int
    hot: list[tuple[PhotoRow, int]]


def public_activity(tx: Tx, window_minutes: int, hot: int, min_sessions: int) -> PublicActivity:
    """Find-me counts for anyone who may view the gallery, through migration 0023's functions
    (a visitor may read no other session's row): totals and hot public photos, nothing per search."""
    counts = tx.execute("SELECT * FROM findme_activity(%s)", (window_minutes,)).fetchone()
    hot_rows = tx.execute(
        "SELECT " + PHOTO_COLUMNS + ", h.sessions FROM findme_hot_photos(%s, %s) h"
        " JOIN photos p ON p.id = h.photo_id WHERE p.event_id = current_event_id() AND p.is_public"
        " ORDER BY h.sessions DESC, p.id",
        (hot, min_sessions),
    ).fetchall()
    return PublicActivity(
        searches=int(counts["searches"]) if counts else 0,
        recent_searches=int(counts["recent_searches"]) if counts else 0,
        recent_found=int(counts["recent_found"]) if counts else 0,
        hot=[(PhotoRow.of(r), int(r["sessions"])) for r in hot_rows],
    )


# -- consent, hide me, forget me, retention (findme.control) ---------------------------------------


@dataclass(frozen=True, slots=True)
class FaceHit:
    """One face of the event near a selfie: where it is and how close."""

    id: int
    photo_id: UUID
    bbox: tuple[float, float, float, float]
    similarity: float


@dataclass(frozen=True, slots=True)
class OptOutRegion:
    bbox: tuple[float, float, float, float]
    kind: str


def has_consent(tx: Tx, session_key: str, text_hash: str) -> bool:
    """Whether this session agreed to this text (row-level security: a visitor sees only its own)."""
    row = tx.execute(
        "SELECT 1 FROM find_me_consents WHERE event_id = current_event_id()"
        " AND session_key = %s AND text_hash = %s LIMIT 1",
        (session_key, text_hash),
    ).fetchone()
    return row is not None


def record_consent(tx: Tx, session_key: str | None, text_hash: str) -> None:
    """Once per session and text. A consent without a session (given with one search) is a row of
    its own: ON CONFLICT would need it to pass the read policy, which no visitor's key matches."""
    conflict = (
        ""
        if session_key is None
        else (" ON CONFLICT (event_id, session_key, text_hash) WHERE session_key IS NOT NULL DO NOTHING")
    )
    tx.execute(
        "INSERT INTO find_me_consents (event_id, session_key, text_hash) VALUES (current_event_id(), %s, %s)"
        + conflict,
        (session_key, text_hash),
    )


def nearest_faces(tx: Tx, embedding: np.ndarray, model: str, min_similarity: float, k: int) -> list[FaceHit]:
    """The event's faces within `min_similarity` of `embedding`, hidden ones included, nearest first."""
    nearest = _nearest_faces(
        "f", model, query_vector(MODEL_DIMS[model], "emb"), "%(k)s", _large_event(tx), with_hidden=True
    )
    statement = sql.SQL(
        "SELECT nn.id, nn.photo_id, nn.bbox, 1 - nn.distance AS similarity FROM ({nearest}) nn"
        " WHERE nn.distance <= 1 - %(min)s ORDER BY nn.distance, nn.id"
    ).format(nearest=nearest)
    rows = tx.execute(statement, {"emb": vector_literal(embedding), "k": k, "min": min_similarity}).fetchall()
    return [
        FaceHit(r["id"], r["photo_id"], tuple(float(v) for v in r["bbox"]), float(r["similarity"]))  # type: ignore[arg-type]
        for r in rows
    ]


def record_opt_outs(tx: Tx, faces: Sequence[FaceHit], kind: str, request_id: UUID) -> None:
    """The regions of `faces`, so a reprocessed photo gets the same treatment (no template kept)."""
    with tx.cursor() as cur:
        cur.executemany(
            "INSERT INTO face_opt_outs (event_id, photo_id, bbox, kind, request_id)"
            " VALUES (current_event_id(), %s, %s, %s, %s)",
            [(f.photo_id, list(f.bbox), kind, request_id) for f in faces],
        )


def hide_faces(tx: Tx, face_ids: Sequence[int]) -> int:
    return tx.execute(
        "UPDATE face_embeddings SET hidden = true WHERE event_id = current_event_id() AND id = ANY(%s)",
        (list(face_ids),),
    ).rowcount


def delete_faces(tx: Tx, face_ids: Sequence[int]) -> int:
    """Delete these faces (embedding and all); a photo left with none gets the sentinel row that says
    it was looked at, so the faces phase does not count it as never processed."""
    deleted = tx.execute(
        "DELETE FROM face_embeddings WHERE event_id = current_event_id() AND id = ANY(%s)"
        " RETURNING photo_id, model",
        (list(face_ids),),
    ).fetchall()
    for photo_id, model in {(r["photo_id"], r["model"]) for r in deleted}:
        tx.execute(
            "INSERT INTO face_embeddings (event_id, photo_id, face_index, model)"
            " SELECT current_event_id(), %s, -1, %s"
            " WHERE NOT EXISTS (SELECT 1 FROM face_embeddings WHERE photo_id = %s)",
            (photo_id, model, photo_id),
        )
    return len(deleted)


def forget_session_templates(tx: Tx, session_key: str) -> int:
    """Forget this session's kept find-me templates now, not at the end of their retention."""
    return tx.execute(
        "UPDATE match_sessions SET embedding = NULL WHERE event_id = current_event_id()"
        " AND session_key = %s AND embedding IS NOT NULL",
        (session_key,),
    ).rowcount


def opt_out_regions(tx: Tx, photo_id: UUID) -> list[OptOutRegion]:
    rows = tx.execute(
        "SELECT bbox, kind FROM face_opt_outs WHERE event_id = current_event_id() AND photo_id = %s",
        (photo_id,),
    ).fetchall()
    return [OptOutRegion(tuple(float(v) for v in r["bbox"]), r["kind"]) for r in rows]  # type: ignore[arg-type]


def forgotten_regions(tx: Tx) -> dict[UUID, list[tuple[float, float, float, float]]]:
    """Every forgotten region of the event, per photo (a handful of rows per forget me)."""
    rows = tx.execute(
        "SELECT photo_id, bbox FROM face_opt_outs WHERE event_id = current_event_id() AND kind = 'forget'"
    ).fetchall()
    out: dict[UUID, list[tuple[float, float, float, float]]] = {}
    for r in rows:
        out.setdefault(r["photo_id"], []).append(tuple(float(v) for v in r["bbox"]))  # type: ignore[arg-type]
    return out


def purged_at(tx: Tx) -> datetime | None:
    """When the event's face data was purged on its retention schedule, if it was."""
    row = tx.execute("SELECT purged_at FROM face_data_purges WHERE event_id = current_event_id()").fetchone()
    return None if row is None else row["purged_at"]


def face_data_refused(tx: Tx) -> bool:
    """Whether the event, as stored now, refuses face embeddings ("no biometrics", or purged): the
    same test as the database's trigger, so a phase holding an older copy of the settings agrees."""
    row = tx.execute(
        "SELECT coalesce((e.settings ->> 'no_biometrics')::boolean, false)"
        " OR EXISTS (SELECT 1 FROM face_data_purges p WHERE p.event_id = e.id) AS refused"
        " FROM events e WHERE e.id = current_event_id()"
    ).fetchone()
    return row is not None and bool(row["refused"])


def last_photo_at(tx: Tx) -> datetime | None:
    """When the event's last photo arrived (its end, when the organizer set no `ends_on`)."""
    row = tx.execute(
        "SELECT max(created_at) AS at FROM photos WHERE event_id = current_event_id()"
    ).fetchone()
    return None if row is None else row["at"]


def purge_faces(tx: Tx) -> int:
    """Delete every face row of the event and every kept find-me template; record the purge."""
    faces = tx.execute(
        "DELETE FROM face_embeddings WHERE event_id = current_event_id() AND embedding IS NOT NULL"
    ).rowcount
    tx.execute("DELETE FROM face_embeddings WHERE event_id = current_event_id()")
    tx.execute(
        "UPDATE match_sessions SET embedding = NULL WHERE event_id = current_event_id() AND embedding IS NOT NULL"
    )
    return faces


def record_purge(tx: Tx, faces: int) -> None:
    tx.execute(
        "INSERT INTO face_data_purges (event_id, faces) VALUES (current_event_id(), %s)"
        " ON CONFLICT (event_id) DO NOTHING",
        (faces,),
    )


def count_consents(tx: Tx) -> int:
    row = tx.execute(
        "SELECT count(*) AS n FROM find_me_consents WHERE event_id = current_event_id()"
    ).fetchone()
    return 0 if row is None else int(row["n"])


def same_person_faces(tx: Tx, face_ids: Sequence[int]) -> list[FaceHit]:
    """Every face clustered with one of `face_ids` (people in photos: faceclusters), hidden ones
    too: the rest of that person's faces, which a selfie alone may not reach (a profile, a blur)."""
    rows = tx.execute(
        "SELECT g.id, g.photo_id, g.bbox FROM face_embeddings f JOIN face_embeddings g"
        " ON g.face_cluster_id = f.face_cluster_id AND g.event_id = f.event_id"
        " WHERE f.event_id = current_event_id() AND f.id = ANY(%s) AND g.embedding IS NOT NULL ORDER BY g.id",
        (list(face_ids),),
    ).fetchall()
    return [FaceHit(r["id"], r["photo_id"], tuple(float(v) for v in r["bbox"]), 0.0) for r in rows]  # type: ignore[arg-type]
