"""The photo as the gallery sees it: one view model, built from a `PhotoRow`, with browser URLs."""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from eventlens.config import settings
from eventlens.db.photos import PhotoRow
from eventlens.errors import InvalidCursor
from eventlens.storage.capability import Audience, Capability, Rendition, expiry, sign
from eventlens.types import Kind, Model, Review


class Photo(Model):
    id: UUID
    filename: str
    folder: str
    kind: Kind
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
    is_public: bool = Field(description="Listed in the public gallery: processed, not hidden, not held")
    nsfw_score: float | None
    duplicate_cluster: str | None = None
    duplicate_kind: str | None = Field(
        default=None, description='"near" when in a cluster (same bytes are one photo: dedupe exact_copies)'
    )
    thumbnail_url: str | None
    preview_url: str | None
    original_url: str
    play_url: str | None = Field(
        default=None,
        description="A video's browser-playable stream: its transcoded MP4, or the original that plays as"
        " it is; null while it waits for a transcode",
    )
    alt: str


class PhotoPage(Model):
    photos: list[Photo]
    next_cursor: str | None
    total: int


class PhotoList(Model):
    photos: list[Photo]


ArchiveStatus = Literal["pending", "building", "ready", "failed"]


class Archive(Model):
    """A ZIP archive of selected originals, built in the background (`media/archives.py`)."""

    archive_id: UUID = Field(description="Keep it: it is the only way to read this archive again")
    status: ArchiveStatus
    photo_count: int = Field(description="Photos in the archive: the public ones among those asked for")
    done: int = Field(description="Photos written so far")
    total: int = Field(description="Photos to write (photo_count)")
    bytes_done: int
    bytes_total: int
    url: str | None = Field(
        default=None, description="Once ready: a media URL that downloads the ZIP (valid up to an hour)"
    )
    error: str | None = Field(default=None, description="Why it failed, for the visitor")
    expires_at: datetime = Field(description="After this the archive and its URL are gone")


def alt_text(row: PhotoRow) -> str:
    parts = [row.scene_description, row.people_descriptions]
    text = ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())
    if row.visible_text:
        text = f"{text}. Text: {row.visible_text[:120]}" if text else f"Text: {row.visible_text[:120]}"
    return text or f"{'Video' if row.kind == 'video' else 'Photo'} {row.filename}"


def media_url(row: PhotoRow, rendition: Rendition, now: float | None = None) -> str:
    """The capability URL of one rendition: public while the photo is public, else for staff only
    (only staff can read a photo that is not public, so only they are ever handed one)."""
    audience: Audience = "public" if row.is_public else "staff"
    capability = Capability(row.event_id, row.id, rendition, audience, expiry(audience, now))
    return f"{settings().media_base_url}/{sign(settings().media_key, capability)}"


def archive_url(event_id: UUID, archive_id: UUID, expires: int) -> str:
    """The capability URL of a ready ZIP archive: handed only to the archive's holder, so it expires
    exactly when asked rather than at a shared window's end."""
    capability = Capability(event_id, archive_id, "archive", "public", expires)
    return f"{settings().media_base_url}/{sign(settings().media_key, capability)}"


def play_rendition(kind: str, playable_key: str | None, transcode_status: str) -> Rendition | None:
    """What a browser plays of a video: the transcoded MP4 once there is one, else the original of
    a video that plays as it is; None while it waits for its transcode (or failed it)."""
    if kind != "video":
        return None
    if playable_key is not None:
        return "playable"
    return "original" if transcode_status == "not_needed" else None


def photo_view(row: PhotoRow) -> Photo:
    thumbs = row.thumbnails or {}
    small: Rendition | None = "320" if "320" in thumbs else None
    large: Rendition | None = "1920" if "1920" in thumbs else small
    play = play_rendition(row.kind, row.playable_key, row.transcode_status)
    return Photo(
        id=row.id,
        filename=row.filename,
        folder=row.folder,
        kind=row.kind,
        mime=row.mime,
        width=row.width,
        height=row.height,
        duration_s=row.duration_s,
        taken_at=row.taken_at,
        visible_text=row.visible_text,
        people_descriptions=row.people_descriptions,
        scene_description=row.scene_description,
        face_count=row.face_count,
        auto_tag=row.auto_tag,
        hidden=row.hidden,
        review=row.review,
        is_public=row.is_public,
        nsfw_score=row.nsfw_score,
        duplicate_cluster=row.duplicate_cluster,
        duplicate_kind=row.duplicate_kind,
        thumbnail_url=media_url(row, small) if small else None,
        preview_url=media_url(row, large) if large else None,
        original_url=media_url(row, "original"),
        play_url=None if play is None else media_url(row, play),
        alt=alt_text(row),
    )


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int = 2) -> list[Any]:
    """The keyset a cursor holds: a JSON list of `length` values (each caller checks their types).

    A cursor comes from the client, so anything else is `InvalidCursor` (400): not base64 or not
    JSON, another shape, a number that is not finite (1e400, NaN) or too long to parse.
    """
    try:
        values = json.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)),
            parse_float=_finite,
            parse_constant=_no_constant,
        )
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidCursor("malformed cursor") from None
    if not isinstance(values, list) or len(values) != length:
        raise InvalidCursor("malformed cursor")
    return values


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not a number a cursor holds")


def album_item_url(
    event_id: UUID, item_id: UUID, public: bool, now: float | None = None, cover: bool = False
) -> str:
    """The capability URL of an album item's bytes: public while approved, else for those who read
    pending items (moderators, the contributor); `cover`: its crop to the cover tile."""
    audience: Audience = "public" if public else "staff"
    rendition: Rendition = "album_cover" if cover else "album_item"
    capability = Capability(event_id, item_id, rendition, audience, expiry(audience, now))
    return f"{settings().media_base_url}/{sign(settings().media_key, capability)}"
