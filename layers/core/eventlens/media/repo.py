"""SQL for reading photos (pages in a stable order, one photo, a set of photos) and for the ZIP
archives of their originals."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from eventlens.db import Tx
from eventlens.db.photos import PHOTO_COLUMNS, SORT_KEYS, PhotoFilter, PhotoRow, Sort


def list_photos(
    tx: Tx, filters: PhotoFilter, sort: Sort, limit: int, after: list[Any] | None, offset: int = 0
) -> list[tuple[PhotoRow, Any]]:
    """One page of (photo, sort value) in `sort` order after the keyset `after` ([sort value, id]),
    skipping the first `offset` of them."""
    expression, direction = SORT_KEYS[sort]
    where, params = filters.where()
    if after is not None:
        op = ">" if direction == "ASC" else "<"
        where = sql.SQL("{} AND ({}, p.id) {} (%s, %s)").format(where, sql.SQL(expression), sql.SQL(op))
        params += after
    query = sql.SQL(
        "SELECT " + PHOTO_COLUMNS + ", " + expression + " AS sort_value FROM photos p WHERE {} "
        "ORDER BY " + expression + " " + direction + ", p.id " + direction + " LIMIT %s OFFSET %s"
    ).format(where)
    return [(PhotoRow.of(r), r["sort_value"]) for r in tx.execute(query, [*params, limit, offset]).fetchall()]


def count_photos(tx: Tx, filters: PhotoFilter) -> int:
    where, params = filters.where()
    row = tx.execute(sql.SQL("SELECT count(*) AS n FROM photos p WHERE {}").format(where), params).fetchone()
    return int(row["n"]) if row else 0


def get_photo(tx: Tx, photo_id: UUID) -> PhotoRow | None:
    row = tx.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id() AND p.id = %s",
        (photo_id,),
    ).fetchone()
    return None if row is None else PhotoRow.of(row)


def playable_key(tx: Tx, photo_id: UUID) -> str | None:
    """The key of a video's browser-playable MP4, if it was transcoded (the original otherwise plays)."""
    row = tx.execute(
        "SELECT p.playable_key FROM photos p WHERE p.event_id = current_event_id() AND p.id = %s", (photo_id,)
    ).fetchone()
    return None if row is None else row["playable_key"]


def get_photos(tx: Tx, photo_ids: list[UUID]) -> list[PhotoRow]:
    rows = tx.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id() AND p.id = ANY(%s)",
        (photo_ids,),
    ).fetchall()
    return [PhotoRow.of(r) for r in rows]


# -- archives (media/archives.py) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchiveRow:
    id: UUID
    event_id: UUID
    photo_ids: list[UUID]
    bytes_total: int
    status: str
    """As stored, except that a builder silent past its lease, or a request never picked up, reads
    as `failed` (see `_STATUS`)."""
    done: int
    bytes_done: int
    size_bytes: int | None
    blob_key: str | None
    error: str | None
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, record: dict[str, Any]) -> ArchiveRow:
        return cls(**{name: record[name] for name in _ARCHIVE_FIELDS})


_ARCHIVE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ArchiveRow))
_STATUS = (
    "CASE WHEN a.status = 'building' AND a.heartbeat_at < now() - make_interval(secs => %(lease_s)s)"
    " THEN 'failed' WHEN a.status = 'pending' AND a.created_at < now() - make_interval(secs => %(pending_s)s)"
    " THEN 'failed' ELSE a.status END"
)
_ARCHIVE_COLUMNS = ", ".join(_STATUS + " AS status" if n == "status" else f"a.{n}" for n in _ARCHIVE_FIELDS)


def archivable_photos(tx: Tx, photo_ids: list[UUID]) -> list[tuple[UUID, int]]:
    """(id, bytes) of the photos among `photo_ids` this actor may see, in the order asked for."""
    rows = tx.execute(
        "SELECT p.id, p.size_bytes FROM photos p JOIN (SELECT id, min(n) AS n"
        "  FROM unnest(%s::uuid[]) WITH ORDINALITY AS asked(id, n) GROUP BY id) asked ON asked.id = p.id"
        " WHERE p.event_id = current_event_id() ORDER BY asked.n",
        (photo_ids,),
    ).fetchall()
    return [(r["id"], int(r["size_bytes"])) for r in rows]


def insert_archive(tx: Tx, archive_id: UUID, photo_ids: list[UUID], bytes_total: int) -> None:
    tx.execute(
        "INSERT INTO archives (id, event_id, photo_ids, bytes_total) VALUES (%s, current_event_id(), %s, %s)",
        (archive_id, photo_ids, bytes_total),
    )


def get_archive(tx: Tx, archive_id: UUID, lease_s: float, pending_s: float) -> ArchiveRow | None:
    """The archive, if this actor may read it and it has not expired."""
    row = tx.execute(
        "SELECT " + _ARCHIVE_COLUMNS + " FROM archives a"
        " WHERE a.event_id = current_event_id() AND a.id = %(id)s AND a.expires_at > now()",
        {"id": archive_id, "lease_s": lease_s, "pending_s": pending_s},
    ).fetchone()
    return None if row is None else ArchiveRow.of(row)


def count_in_flight(tx: Tx, lease_s: float, pending_s: float) -> int:
    """The event's archives waiting for a builder or being built (not those whose builder is gone)."""
    row = tx.execute(
        "SELECT count(*) AS n FROM archives a WHERE a.event_id = current_event_id()"
        " AND a.status IN ('pending', 'building') AND " + _STATUS + " <> 'failed'",
        {"lease_s": lease_s, "pending_s": pending_s},
    ).fetchone()
    return int(row["n"]) if row else 0


def claim_archive(tx: Tx, archive_id: UUID, lease_s: float, pending_s: float) -> ArchiveRow | None:
    """Take the archive to build: one still pending, or one whose builder went silent. None: another
    builder has it, it is built, failed or expired. Two claims at once: the row lock makes the
    second see the first's `building` and take nothing."""
    row = tx.execute(
        "UPDATE archives a SET status = 'building', heartbeat_at = now(), done = 0, bytes_done = 0,"
        " error = NULL WHERE a.event_id = current_event_id() AND a.id = %(id)s AND a.expires_at > now()"
        " AND ((a.status = 'pending' AND a.created_at >= now() - make_interval(secs => %(pending_s)s))"
        "   OR (a.status = 'building' AND a.heartbeat_at < now() - make_interval(secs => %(lease_s)s)))"
        " RETURNING " + _ARCHIVE_COLUMNS,
        {"id": archive_id, "lease_s": lease_s, "pending_s": pending_s},
    ).fetchone()
    return None if row is None else ArchiveRow.of(row)


def save_progress(tx: Tx, archive_id: UUID, done: int, bytes_done: int) -> None:
    tx.execute(
        "UPDATE archives SET done = %s, bytes_done = %s, heartbeat_at = now()"
        " WHERE event_id = current_event_id() AND id = %s AND status = 'building'",
        (done, bytes_done, archive_id),
    )


def finish_archive(
    tx: Tx,
    archive_id: UUID,
    *,
    photo_ids: list[UUID],
    done: int,
    bytes_done: int,
    size_bytes: int,
    blob_key: str,
) -> None:
    tx.execute(
        "UPDATE archives SET status = 'ready', photo_ids = %s, done = %s, bytes_done = %s, size_bytes = %s,"
        " blob_key = %s, heartbeat_at = now() WHERE event_id = current_event_id() AND id = %s",
        (photo_ids, done, bytes_done, size_bytes, blob_key, archive_id),
    )


def fail_archive(tx: Tx, archive_id: UUID, error: str) -> None:
    tx.execute(
        "UPDATE archives SET status = 'failed', error = %s, heartbeat_at = now()"
        " WHERE event_id = current_event_id() AND id = %s AND status IN ('pending', 'building')",
        (error, archive_id),
    )


def expired_archives(tx: Tx, limit: int) -> list[tuple[UUID, str | None]]:
    """(id, blob key) of the event's expired archives, oldest first, locked for deletion."""
    rows = tx.execute(
        "SELECT id, blob_key FROM archives WHERE event_id = current_event_id() AND expires_at <= now()"
        " ORDER BY expires_at LIMIT %s FOR UPDATE SKIP LOCKED",
        (limit,),
    ).fetchall()
    return [(r["id"], r["blob_key"]) for r in rows]


def delete_archives(tx: Tx, archive_ids: list[UUID]) -> None:
    tx.execute("DELETE FROM archives WHERE event_id = current_event_id() AND id = ANY(%s)", (archive_ids,))


def count_visible(tx: Tx, photo_ids: list[UUID]) -> int:
    """How many of `photo_ids` this actor may see (a visitor: how many are still public)."""
    row = tx.execute(
        "SELECT count(*) AS n FROM photos p WHERE p.event_id = current_event_id() AND p.id = ANY(%s)",
        (photo_ids,),
    ).fetchone()
    return int(row["n"]) if row else 0
