"""The photo row every repository returns, its column list, and the gallery's filter as SQL.

Repositories of several packages (media, search, find me, dedupe, moderation) read photos; they
all select `PHOTO_COLUMNS` and hand back a `PhotoRow`, so views are built from one typed shape.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import sql

from eventlens.types import Review

Sort = Literal["taken_at", "-taken_at", "filename", "-filename"]

SORT_KEYS: dict[str, tuple[str, str]] = {
    # sort -> (expression, direction); id breaks ties so the keyset cursor is total.
    "taken_at": ("coalesce(p.taken_at, p.created_at)", "ASC"),
    "-taken_at": ("coalesce(p.taken_at, p.created_at)", "DESC"),
    "filename": ("p.filename", "ASC"),
    "-filename": ("p.filename", "DESC"),
}


@dataclass(frozen=True, slots=True)
class PhotoRow:
    """A photo as read for a view (never its embedding)."""

    id: UUID
    event_id: UUID
    source_key: str
    filename: str
    folder: str
    kind: str
    mime: str | None
    width: int | None
    height: int | None
    duration_s: float | None
    taken_at: datetime | None
    visible_text: str
    people_descriptions: str
    scene_description: str
    face_count: int | None
    auto_tag: str | None
    hidden: bool
    review: Review
    is_public: bool
    nsfw_score: float | None
    thumbnails: dict[str, str]
    duplicate_cluster: str | None
    duplicate_kind: str | None
    created_at: datetime
    playable_key: str | None = None
    transcode_status: str = "not_needed"

    @classmethod
    def of(cls, record: dict[str, Any]) -> PhotoRow:
        return cls(**{name: record[name] for name in _FIELDS})


_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(PhotoRow))

PHOTO_COLUMNS = ", ".join(f"p.{name}" for name in _FIELDS)
"""`SELECT {PHOTO_COLUMNS} FROM photos p`: exactly the fields of PhotoRow."""


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
            clauses.append(sql.SQL("p.is_public"))
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
