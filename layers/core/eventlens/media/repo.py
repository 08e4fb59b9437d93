"""SQL for reading photos: pages in a stable order, one photo, a set of photos."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import sql

from eventlens.db import Tx
from eventlens.db.photos import PHOTO_COLUMNS, SORT_KEYS, PhotoFilter, PhotoRow, Sort


def list_photos(
    tx: Tx, filters: PhotoFilter, sort: Sort, limit: int, after: list[Any] | None
) -> list[tuple[PhotoRow, Any]]:
    """One page of (photo, sort value) in `sort` order after the keyset `after` ([sort value, id])."""
    expression, direction = SORT_KEYS[sort]
    where, params = filters.where()
    if after is not None:
        op = ">" if direction == "ASC" else "<"
        where = sql.SQL("{} AND ({}, p.id) {} (%s, %s)").format(where, sql.SQL(expression), sql.SQL(op))
        params += after
    query = sql.SQL(
        "SELECT " + PHOTO_COLUMNS + ", " + expression + " AS sort_value FROM photos p WHERE {} "
        "ORDER BY " + expression + " " + direction + ", p.id " + direction + " LIMIT %s"
    ).format(where)
    return [(PhotoRow.of(r), r["sort_value"]) for r in tx.execute(query, [*params, limit]).fetchall()]


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


def get_photos(tx: Tx, photo_ids: list[UUID]) -> list[PhotoRow]:
    rows = tx.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id() AND p.id = ANY(%s)",
        (photo_ids,),
    ).fetchall()
    return [PhotoRow.of(r) for r in rows]
