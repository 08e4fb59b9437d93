"""SQL for duplicates: every photo's dHash, and the clusters the dedupe phase stored."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import psycopg

from eventlens.db import Tx
from eventlens.db.photos import PHOTO_COLUMNS, PhotoRow


def dhashes(tx: Tx) -> list[tuple[UUID, int | None]]:
    """(id, dhash) of every photo of the event, oldest first: what clustering needs."""
    with tx.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        return cur.execute(
            "SELECT id, dhash FROM photos WHERE event_id = current_event_id() ORDER BY created_at, id"
        ).fetchall()


def stored_assignments(tx: Tx) -> dict[UUID, tuple[str | None, str | None]]:
    """photo id -> (duplicate_cluster, duplicate_kind) as stored."""
    with tx.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        rows = cur.execute(
            "SELECT id, duplicate_cluster, duplicate_kind FROM photos WHERE event_id = current_event_id()"
        ).fetchall()
    return {pid: (cluster, kind) for pid, cluster, kind in rows}


def set_duplicates(tx: Tx, rows: Sequence[tuple[UUID, str | None, str | None]]) -> None:
    """(photo id, cluster, kind) for every row whose assignment changed."""
    with tx.cursor() as cur:
        cur.executemany(
            "UPDATE photos SET duplicate_cluster = %s, duplicate_kind = %s WHERE id = %s",
            [(cluster, kind, photo_id) for photo_id, cluster, kind in rows],
        )


def stored_clusters(tx: Tx) -> list[PhotoRow]:
    """Photos the dedupe phase put in a cluster, by cluster (hidden ones too: organizers see all)."""
    rows = tx.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id()"
        " AND p.duplicate_cluster IS NOT NULL ORDER BY p.duplicate_cluster, p.filename, p.id"
    ).fetchall()
    return [PhotoRow.of(r) for r in rows]


def photos_by_id(tx: Tx, photo_ids: Sequence[UUID]) -> dict[UUID, PhotoRow]:
    rows = tx.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id() AND p.id = ANY(%s)",
        (list(photo_ids),),
    ).fetchall()
    return {row["id"]: PhotoRow.of(row) for row in rows}
