"""SQL for reading and moderating photos (the pipeline writes through pipeline_repo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import psycopg
from psycopg import sql

from eventlens.photos import PHOTO_COLUMNS

Sort = Literal["taken_at", "-taken_at", "filename", "-filename"]

_SORT_KEYS: dict[str, tuple[str, str]] = {
    # sort -> (expression, direction); id breaks ties so the keyset cursor is total.
    "taken_at": ("coalesce(p.taken_at, p.created_at)", "ASC"),
    "-taken_at": ("coalesce(p.taken_at, p.created_at)", "DESC"),
    "filename": ("p.filename", "ASC"),
    "-filename": ("p.filename", "DESC"),
}


@dataclass(frozen=True)
class PhotoFilter:
    folder: str | None = None
    tag: str | None = None
    kind: str | None = None
    taken_from: datetime | None = None
    taken_to: datetime | None = None
    include_hidden: bool = False
    hidden: bool | None = None  # only hidden (True) or only visible (False) photos

    def where(self) -> tuple[sql.Composable, list[Any]]:
        clauses: list[sql.Composable] = [sql.SQL("p.event_id = current_event_id()")]
        params: list[Any] = []
        if not self.include_hidden:
            clauses.append(sql.SQL("NOT p.hidden"))
        if self.hidden is not None:
            clauses.append(sql.SQL("p.hidden = %s"))
            params.append(self.hidden)
        for column, value in (("folder", self.folder), ("auto_tag", self.tag), ("kind", self.kind)):
            if value is not None:
                clauses.append(sql.SQL("p.{} = %s").format(sql.Identifier(column)))
                params.append(value)
        if self.taken_from is not None:
            clauses.append(sql.SQL("p.taken_at >= %s"))
            params.append(self.taken_from)
        if self.taken_to is not None:
            clauses.append(sql.SQL("p.taken_at < %s"))
            params.append(self.taken_to)
        return sql.SQL(" AND ").join(clauses), params


def list_photos(
    conn: psycopg.Connection[Any], filters: PhotoFilter, sort: Sort, limit: int, after: list[Any] | None
) -> list[dict[str, Any]]:
    """One page of photos in `sort` order after the keyset `after` ([sort value, id])."""
    expression, direction = _SORT_KEYS[sort]
    where, params = filters.where()
    if after is not None:
        op = ">" if direction == "ASC" else "<"
        where = sql.SQL("{} AND ({}, p.id) {} (%s, %s)").format(where, sql.SQL(expression), sql.SQL(op))
        params += after
    query = sql.SQL(
        "SELECT " + PHOTO_COLUMNS + ", " + expression + " AS sort_value FROM photos p WHERE {} "
        "ORDER BY " + expression + " " + direction + ", p.id " + direction + " LIMIT %s"
    ).format(where)
    return conn.execute(query, [*params, limit]).fetchall()


def count_photos(conn: psycopg.Connection[Any], filters: PhotoFilter) -> int:
    where, params = filters.where()
    row = conn.execute(
        sql.SQL("SELECT count(*) AS n FROM photos p WHERE {}").format(where), params
    ).fetchone()
    return int(row["n"]) if row else 0


def get_photo(conn: psycopg.Connection[Any], photo_id: UUID) -> dict[str, Any] | None:
    return conn.execute("SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.id = %s", (photo_id,)).fetchone()


def get_photos(conn: psycopg.Connection[Any], photo_ids: list[UUID]) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.id = ANY(%s)", (photo_ids,)
    ).fetchall()


def set_hidden(conn: psycopg.Connection[Any], photo_id: UUID, hidden: bool) -> dict[str, Any] | None:
    conn.execute("UPDATE photos SET hidden = %s, updated_at = now() WHERE id = %s", (hidden, photo_id))
    return get_photo(conn, photo_id)


def facets(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Visible photo count, folders and tags: what the gallery's tabs need."""
    row = conn.execute(
        "SELECT count(*) AS photo_count,"
        " coalesce(array_agg(DISTINCT folder ORDER BY folder) FILTER (WHERE folder <> ''), '{}') AS folders,"
        " coalesce(array_agg(DISTINCT auto_tag ORDER BY auto_tag) FILTER (WHERE auto_tag IS NOT NULL), '{}')"
        " AS tags FROM photos WHERE NOT hidden"
    ).fetchone()
    assert row is not None
    return dict(row)


def flagged(conn: psycopg.Connection[Any], threshold: float, limit: int = 500) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT "
        + PHOTO_COLUMNS
        + " FROM photos p WHERE p.nsfw_score >= %s ORDER BY p.nsfw_score DESC LIMIT %s",
        (threshold, limit),
    ).fetchall()
