"""Where an event's blobs live: one function per kind of key, used by every writer and reader."""

from __future__ import annotations

from uuid import UUID


def originals_prefix(slug: str) -> str:
    """An event's originals (and the S3 notification's filter): `events/<slug>/originals/`."""
    return f"events/{slug}/originals/"


def thumbnail_key(slug: str, photo_id: UUID | str, size: int) -> str:
    return f"events/{slug}/thumbs/{photo_id}/{size}.jpg"


def event_of_original(key: str) -> str | None:
    """The slug an `events/<slug>/originals/...` key belongs to; None for any other key."""
    parts = key.split("/", 3)
    if len(parts) < 4 or parts[0] != "events" or parts[2] != "originals" or not parts[3]:
        return None
    return parts[1]
