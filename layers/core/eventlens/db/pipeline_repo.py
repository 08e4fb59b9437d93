"""SQL for the pipeline: registering objects, claiming work per phase, and writing results.

Every photo carries a `<phase>_status` per photo phase. A phase claims rows that need it with
`FOR UPDATE SKIP LOCKED` and marks them `processing` (stamped by `updated_at`), so parallel
workers never take the same photo and a worker that died leaves rows another reclaims after
`LEASE`. A phase only takes rows whose prerequisite phase completed; when that prerequisite
fails, the dependent phases are `skipped` (and re-queued with it by `retry_errors`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from eventlens.config import PHOTO_PHASES

if TYPE_CHECKING:
    import numpy as np

Conn = psycopg.Connection[Any]
Row = dict[str, Any]

LEASE = timedelta(minutes=16)
"""A row `processing` for longer than this was claimed by a worker that died (Lambda max is 15 min)."""

PREREQUISITE: dict[str, str | None] = {
    "analyze": None,
    "describe": "analyze",
    "faces": "analyze",
    "embed": "describe",
}
DEPENDENTS: dict[str, tuple[str, ...]] = {
    "analyze": ("describe", "faces", "embed"),
    "describe": ("embed",),
    "faces": (),
    "embed": (),
}
_MAX_ERROR = 1000

CLAIM_COLUMNS = (
    "id, source_key, filename, folder, kind, mime, size_bytes, taken_at, exif, face_count, thumbnails, "
    "describe_status, faces_status, visible_text, people_descriptions, scene_description, created_at"
)


def _status(phase: str) -> sql.Identifier:
    if phase not in PHOTO_PHASES:
        raise ValueError(f"not a per-photo phase: {phase!r}")
    return sql.Identifier(f"{phase}_status")


def _error(phase: str) -> sql.Identifier:
    _status(phase)
    return sql.Identifier(f"{phase}_error")


def _needs(phase: str, embed_model: str | None) -> tuple[sql.Composable, dict[str, Any]]:
    """Rows that still need `phase`: pending, abandoned mid-work, or (embed) in another model's space."""
    status = _status(phase)
    clause: sql.Composable = sql.SQL(
        "({s} = 'pending' OR ({s} = 'processing' AND updated_at < now() - %(lease)s))"
    ).format(s=status)
    params: dict[str, Any] = {"lease": LEASE}
    if phase == "embed" and embed_model is not None:
        clause = sql.SQL(
            "({c} OR ({s} = 'completed' AND embedding_model IS DISTINCT FROM %(model)s))"
        ).format(c=clause, s=status)
        params["model"] = embed_model
    prereq = PREREQUISITE[phase]
    if prereq is not None:
        clause = sql.SQL("{c} AND {p} = 'completed'").format(c=clause, p=_status(prereq))
    return clause, params


def claim(
    conn: Conn, event_id: UUID | str, phase: str, limit: int, embed_model: str | None = None
) -> list[Row]:
    """Mark up to `limit` rows that need `phase` as processing and return them, oldest first."""
    needs, params = _needs(phase, embed_model)
    query = sql.SQL(
        "UPDATE photos SET {s} = 'processing', updated_at = now() WHERE id IN ("
        " SELECT id FROM photos WHERE event_id = %(event)s AND {needs}"
        " ORDER BY created_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED) RETURNING " + CLAIM_COLUMNS
    ).format(s=_status(phase), needs=needs)
    rows = conn.execute(query, {**params, "event": event_id, "limit": limit}).fetchall()
    return sorted(rows, key=lambda r: (r["created_at"], str(r["id"])))


def count_remaining(conn: Conn, event_id: UUID | str, phase: str, embed_model: str | None = None) -> int:
    """Rows that need `phase` or are being worked on by some worker right now."""
    needs, params = _needs(phase, embed_model)
    query = sql.SQL(
        "SELECT count(*) AS n FROM photos WHERE event_id = %(event)s AND ({needs} OR {s} = 'processing')"
    )
    row = conn.execute(query.format(needs=needs, s=_status(phase)), {**params, "event": event_id}).fetchone()
    return int(row["n"]) if row else 0


def release(conn: Conn, phase: str, ids: Iterable[UUID]) -> None:
    """Hand claimed but unstarted rows back (the budget ran out before they were started)."""
    query = sql.SQL("UPDATE photos SET {s} = 'pending' WHERE id = ANY(%s) AND {s} = 'processing'")
    conn.execute(query.format(s=_status(phase)), (list(ids),))


def reset_processing(conn: Conn, event_id: UUID | str) -> int:
    """Every `processing` row back to pending: only for a runner that knows it is the only one."""
    total = 0
    for phase in PHOTO_PHASES:
        query = sql.SQL("UPDATE photos SET {s} = 'pending' WHERE event_id = %s AND {s} = 'processing'")
        total += conn.execute(query.format(s=_status(phase)), (event_id,)).rowcount
    return total


def complete(conn: Conn, photo_id: UUID, phase: str, fields: dict[str, Any] | None = None) -> None:
    """Write a phase's results and mark it completed, in the caller's transaction."""
    values = dict(fields or {})
    assignments: list[sql.Composable] = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k in values]
    assignments += [
        sql.SQL("{} = 'completed'").format(_status(phase)),
        sql.SQL("{} = NULL").format(_error(phase)),
        sql.SQL("updated_at = now()"),
    ]
    params = [Jsonb(v) if isinstance(v, dict) else v for v in values.values()]
    conn.execute(
        sql.SQL("UPDATE photos SET {} WHERE id = %s").format(sql.SQL(", ").join(assignments)),
        [*params, photo_id],
    )


def mark_error(conn: Conn, photo_id: UUID, phase: str, message: str) -> None:
    """The phase failed for this photo: keep the message; phases that need its output are skipped."""
    conn.execute(
        sql.SQL("UPDATE photos SET {s} = 'error', {e} = %s, updated_at = now() WHERE id = %s").format(
            s=_status(phase), e=_error(phase)
        ),
        (message[:_MAX_ERROR], photo_id),
    )
    for dependent in DEPENDENTS[phase]:
        conn.execute(
            sql.SQL(
                "UPDATE photos SET {s} = 'skipped' WHERE id = %s AND {s} IN ('pending', 'processing')"
            ).format(s=_status(dependent)),
            (photo_id,),
        )


def mark_skipped(conn: Conn, photo_id: UUID, phase: str) -> None:
    conn.execute(
        sql.SQL("UPDATE photos SET {s} = 'skipped', {e} = NULL, updated_at = now() WHERE id = %s").format(
            s=_status(phase), e=_error(phase)
        ),
        (photo_id,),
    )


def retry_errors(conn: Conn, event_id: UUID | str) -> int:
    """Failed phases back to pending, and the phases they had skipped with them."""
    requeued = 0
    for phase in PHOTO_PHASES:
        cur = conn.execute(
            sql.SQL(
                "UPDATE photos SET {s} = 'pending', {e} = NULL WHERE event_id = %s AND {s} = 'error'"
            ).format(s=_status(phase), e=_error(phase)),
            (event_id,),
        )
        requeued += cur.rowcount
    for phase in PHOTO_PHASES:  # in order: analyze re-queued un-skips describe, which un-skips embed
        prereq = PREREQUISITE[phase]
        if prereq is not None:
            conn.execute(
                sql.SQL(
                    "UPDATE photos SET {s} = 'pending' WHERE event_id = %s AND {s} = 'skipped' AND {p} = 'pending'"
                ).format(s=_status(phase), p=_status(prereq)),
                (event_id,),
            )
    return requeued


# --- registering objects -------------------------------------------------------------------


def source_rows(conn: Conn, event_id: UUID | str) -> list[Row]:
    return conn.execute(
        "SELECT id, source_key, content_hash, etag, size_bytes, thumbnails, analyze_status FROM photos "
        "WHERE event_id = %s",
        (event_id,),
    ).fetchall()


def find_by_key(conn: Conn, event_id: UUID | str, key: str) -> Row | None:
    return conn.execute(
        "SELECT id, source_key, content_hash, etag, size_bytes, thumbnails FROM photos "
        "WHERE event_id = %s AND source_key = %s",
        (event_id, key),
    ).fetchone()


def hash_exists(conn: Conn, event_id: UUID | str, content_hash: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM photos WHERE event_id = %s AND content_hash = %s LIMIT 1", (event_id, content_hash)
    ).fetchone()
    return row is not None


def insert_photo(conn: Conn, event_id: UUID | str, fields: dict[str, Any]) -> UUID | None:
    """A new pending photo; None when a concurrent worker registered the key first."""
    columns = ["event_id", *fields]
    query = sql.SQL(
        "INSERT INTO photos ({cols}) VALUES ({vals}) ON CONFLICT (event_id, source_key) DO NOTHING RETURNING id"
    ).format(
        cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
        vals=sql.SQL(", ").join(sql.Placeholder() * len(columns)),
    )
    row = conn.execute(query, [event_id, *fields.values()]).fetchone()
    return None if row is None else row["id"]


_DERIVED_RESET = (  # a sql.SQL template: braces doubled
    "width = NULL, height = NULL, duration_s = NULL, has_audio = NULL, orientation = NULL, taken_at = NULL, "
    "exif = '{{}}', thumbnails = '{{}}', visible_text = '', people_descriptions = '', scene_description = '', "
    "face_count = NULL, phash = NULL, nsfw_score = NULL, auto_tag = NULL, duplicate_cluster = NULL, "
    "duplicate_tier = NULL, embedding = NULL, embedding_model = NULL, "
    "analyze_status = 'pending', analyze_error = NULL, describe_status = 'pending', describe_error = NULL, "
    "embed_status = 'pending', embed_error = NULL, faces_status = 'pending', faces_error = NULL"
)


def replace_content(conn: Conn, photo_id: UUID, fields: dict[str, Any]) -> None:
    """The object under this key changed: new content, every derived field recomputed."""
    assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in fields)
    conn.execute(
        sql.SQL("UPDATE photos SET {a}, " + _DERIVED_RESET + ", updated_at = now() WHERE id = %s").format(
            a=assignments
        ),
        [*fields.values(), photo_id],
    )
    conn.execute("DELETE FROM face_embeddings WHERE photo_id = %s", (photo_id,))


def update_source(conn: Conn, photo_id: UUID, fields: dict[str, Any]) -> None:
    """Where the object lives (key, name, folder, etag) changed, its content did not."""
    assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in fields)
    conn.execute(
        sql.SQL("UPDATE photos SET {a}, updated_at = now() WHERE id = %s").format(a=assignments),
        [*fields.values(), photo_id],
    )


def delete_photos(conn: Conn, ids: Sequence[UUID]) -> int:
    """Rows go with their faces (ON DELETE CASCADE)."""
    return conn.execute("DELETE FROM photos WHERE id = ANY(%s)", (list(ids),)).rowcount


# --- faces and embeddings ------------------------------------------------------------------


def replace_faces(
    conn: Conn,
    event_id: UUID | str,
    photo_id: UUID,
    model: str,
    faces: Sequence[tuple[Sequence[float], float, np.ndarray]],
) -> None:
    """This photo's faces, replacing any earlier ones; a sentinel row when it has none."""
    conn.execute("DELETE FROM face_embeddings WHERE photo_id = %s", (photo_id,))
    if not faces:
        conn.execute(
            "INSERT INTO face_embeddings (event_id, photo_id, face_index, model) VALUES (%s, %s, -1, %s)",
            (event_id, photo_id, model),
        )
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO face_embeddings (event_id, photo_id, face_index, model, bbox, det_score, embedding) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (event_id, photo_id, index, model, [float(v) for v in bbox], float(score), embedding)
                for index, (bbox, score, embedding) in enumerate(faces)
            ],
        )


def save_embeddings(conn: Conn, model: str, rows: Sequence[tuple[UUID, np.ndarray]]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE photos SET embedding = %s, embedding_model = %s, embed_status = 'completed', "
            "embed_error = NULL, updated_at = now() WHERE id = %s",
            [(vector, model, photo_id) for photo_id, vector in rows],
        )


# --- event-wide phases ---------------------------------------------------------------------


def dedupe_rows(conn: Conn, event_id: UUID | str) -> list[Row]:
    return conn.execute(
        "SELECT id, content_hash, phash, duplicate_cluster, duplicate_tier FROM photos "
        "WHERE event_id = %s ORDER BY created_at, id",
        (event_id,),
    ).fetchall()


def set_duplicates(conn: Conn, rows: Sequence[tuple[UUID, str | None, str | None]]) -> None:
    """(photo id, cluster, tier) for every row whose assignment changed."""
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE photos SET duplicate_cluster = %s, duplicate_tier = %s WHERE id = %s",
            [(cluster, tier, photo_id) for photo_id, cluster, tier in rows],
        )


def tag_rows(conn: Conn, event_id: UUID | str) -> list[Row]:
    return conn.execute(
        "SELECT id, filename, folder, visible_text, people_descriptions, scene_description, face_count, auto_tag "
        "FROM photos WHERE event_id = %s AND describe_status = 'completed'",
        (event_id,),
    ).fetchall()


def set_tags(conn: Conn, rows: Sequence[tuple[UUID, str | None]]) -> None:
    with conn.cursor() as cur:
        cur.executemany("UPDATE photos SET auto_tag = %s WHERE id = %s", [(tag, pid) for pid, tag in rows])


# --- status for the admin page ---------------------------------------------------------------


def phase_counts(conn: Conn, event_id: UUID | str) -> list[Row]:
    out = []
    for phase in PHOTO_PHASES:
        rows = conn.execute(
            sql.SQL("SELECT {s} AS status, count(*) AS n FROM photos WHERE event_id = %s GROUP BY 1").format(
                s=_status(phase)
            ),
            (event_id,),
        ).fetchall()
        counts = {"pending": 0, "processing": 0, "completed": 0, "error": 0, "skipped": 0}
        counts.update({r["status"]: int(r["n"]) for r in rows})
        out.append({"phase": phase, **counts})
    return out


def list_errors(conn: Conn, event_id: UUID | str) -> list[Row]:
    parts = [
        sql.SQL(
            "SELECT id AS photo_id, filename, {p} AS phase, {e} AS error, created_at FROM photos "
            "WHERE event_id = %(event)s AND {s} = 'error'"
        ).format(p=sql.Literal(phase), e=_error(phase), s=_status(phase))
        for phase in PHOTO_PHASES
    ]
    query = sql.SQL(
        "SELECT photo_id, filename, phase, error FROM ({u}) AS e ORDER BY created_at, filename, phase"
    )
    return conn.execute(query.format(u=sql.SQL(" UNION ALL ").join(parts)), {"event": event_id}).fetchall()
