"""SQL for compilations: the recipe as asked, the builder's claim and outcome, and the source videos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from eventlens.db import Tx

COLUMNS = (
    "id, event_id, title, source_ids, settings, status, error, duration_s, photo_id, created_by,"
    " created_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class CompilationRow:
    id: UUID
    event_id: UUID
    title: str
    source_ids: list[UUID]
    settings: dict[str, Any]
    status: str
    error: str | None
    duration_s: float | None
    photo_id: UUID | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SourceVideo:
    id: UUID
    kind: str
    source_key: str
    filename: str
    duration_s: float | None
    is_valid: bool | None


def source_videos(tx: Tx, photo_ids: list[UUID]) -> dict[UUID, SourceVideo]:
    rows = tx.execute(
        "SELECT id, kind, source_key, filename, duration_s, is_valid FROM photos"
        " WHERE event_id = current_event_id() AND id = ANY(%s)",
        (photo_ids,),
    ).fetchall()
    return {r["id"]: SourceVideo(**r) for r in rows}


def insert(
    tx: Tx, title: str, source_ids: list[UUID], settings: dict[str, Any], created_by: str | None
) -> UUID:
    row = tx.execute(
        "INSERT INTO compilations (event_id, title, source_ids, settings, created_by)"
        " VALUES (current_event_id(), %s, %s, %s, %s) RETURNING id",
        (title, source_ids, Jsonb(settings), created_by),
    ).fetchone()
    assert row is not None
    return UUID(str(row["id"]))


def get(tx: Tx, compilation_id: UUID) -> CompilationRow | None:
    row = tx.execute(
        f"SELECT {COLUMNS} FROM compilations WHERE event_id = current_event_id() AND id = %s",
        (compilation_id,),
    ).fetchone()
    return None if row is None else CompilationRow(**row)


def list_recent(tx: Tx, limit: int) -> list[CompilationRow]:
    rows = tx.execute(
        f"SELECT {COLUMNS} FROM compilations WHERE event_id = current_event_id()"
        " ORDER BY created_at DESC, id DESC LIMIT %s",
        (limit,),
    ).fetchall()
    return [CompilationRow(**r) for r in rows]


def waiting(tx: Tx, lease_s: float, limit: int) -> list[UUID]:
    """Pending compilations, and building ones whose builder went silent past the lease; oldest first."""
    rows = tx.execute(
        "SELECT id FROM compilations WHERE event_id = current_event_id()"
        " AND (status = 'pending' OR (status = 'building' AND updated_at < now() - make_interval(secs => %s)))"
        " ORDER BY created_at, id LIMIT %s",
        (lease_s, limit),
    ).fetchall()
    return [r["id"] for r in rows]


def claim(tx: Tx, compilation_id: UUID, lease_s: float) -> CompilationRow | None:
    """Take the compilation to build (None: another builder has it, or it is done)."""
    row = tx.execute(
        f"UPDATE compilations SET status = 'building', error = NULL, updated_at = now() WHERE id = ANY(ARRAY("
        " SELECT id FROM compilations WHERE event_id = current_event_id() AND id = %s"
        "  AND (status = 'pending' OR (status = 'building' AND updated_at < now() - make_interval(secs => %s)))"
        f"  FOR UPDATE SKIP LOCKED)) RETURNING {COLUMNS}",
        (compilation_id, lease_s),
    ).fetchone()
    return None if row is None else CompilationRow(**row)


def finish(
    tx: Tx, compilation_id: UUID, photo_id: UUID | None, duration_s: float, size: tuple[int, int]
) -> None:
    tx.execute(
        "UPDATE compilations SET status = 'ready', photo_id = %s, duration_s = %s, error = NULL,"
        " settings = settings || jsonb_build_object('width', %s::int, 'height', %s::int), updated_at = now()"
        " WHERE event_id = current_event_id() AND id = %s",
        (photo_id, duration_s, size[0], size[1], compilation_id),
    )


def fail(tx: Tx, compilation_id: UUID, error: str) -> None:
    tx.execute(
        "UPDATE compilations SET status = 'failed', error = %s, updated_at = now()"
        " WHERE event_id = current_event_id() AND id = %s",
        (error[:500], compilation_id),
    )
