"""Gallery reads: the event page, photo pages, moderation of single photos."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from uuid import UUID

from pydantic import Field

from eventlens.config import OrganizerLogin
from eventlens.config import settings as current_settings
from eventlens.db import photos_repo, scoped
from eventlens.db.photos_repo import PhotoFilter, Sort
from eventlens.domain import Event, EventSettings, Model
from eventlens.photos import Photo, decode_cursor, encode_cursor, photo_view
from eventlens.storage import blob_store


class PhotoNotFound(LookupError):
    pass


class EventView(Model):
    slug: str
    name: str
    settings: EventSettings
    photo_count: int
    folders: list[str]
    tags: list[str]
    organizer_login: OrganizerLogin = Field(
        description='What the dashboard asks for: "password" (the event\'s) or "cognito" (username too).'
    )


class PhotoPage(Model):
    photos: list[Photo]
    next_cursor: str | None
    total: int


def event_view(event: Event) -> EventView:
    with scoped(event.id) as conn:
        facets: dict[str, Any] = photos_repo.facets(conn)
    return EventView(
        slug=event.slug,
        name=event.name,
        settings=event.settings,
        organizer_login=current_settings().organizer_login,
        **facets,
    )


def list_photos(
    event: Event, filters: PhotoFilter, sort: Sort = "taken_at", limit: int = 100, cursor: str | None = None
) -> PhotoPage:
    after = decode_cursor(cursor) if cursor else None
    with scoped(event.id) as conn:
        rows = photos_repo.list_photos(conn, filters, sort, limit + 1, after)
        total = photos_repo.count_photos(conn, filters)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1]["sort_value"], str(rows[-1]["id"])]) if more and rows else None
    return PhotoPage(photos=[photo_view(r) for r in rows], next_cursor=next_cursor, total=total)


def get_photo(event: Event, photo_id: UUID, include_hidden: bool = False) -> Photo:
    with scoped(event.id) as conn:
        row = photos_repo.get_photo(conn, photo_id)
    if row is None or (row["hidden"] and not include_hidden):
        raise PhotoNotFound(f"no photo {photo_id}")
    return photo_view(row)


def set_hidden(event: Event, photo_id: UUID, hidden: bool) -> Photo:
    with scoped(event.id) as conn:
        row = photos_repo.set_hidden(conn, photo_id, hidden)
    if row is None:
        raise PhotoNotFound(f"no photo {photo_id}")
    return photo_view(row)


def zip_originals(event: Event, photo_ids: list[UUID]) -> bytes:
    """The visible originals among `photo_ids` as one ZIP (stored, not recompressed: JPEGs are)."""
    store = blob_store()
    with scoped(event.id) as conn:
        rows = [r for r in photos_repo.get_photos(conn, photo_ids) if not r["hidden"]]
    if not rows:
        raise PhotoNotFound("none of the selected photos exist")
    buffer = io.BytesIO()
    names: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for row in rows:
            name = f"{row['folder']}/{row['filename']}" if row["folder"] else row["filename"]
            if name in names:
                name = f"{row['id']}-{name}"
            names.add(name)
            archive.writestr(name, store.get(row["source_key"]))
    return buffer.getvalue()


def flagged_photos(event: Event) -> list[Photo]:
    with scoped(event.id) as conn:
        rows = photos_repo.flagged(conn, event.settings.nsfw_threshold)
    return [photo_view(r) for r in rows]
