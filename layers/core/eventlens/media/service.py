"""Reading photos: pages of the gallery, one photo, what a media URL opens (a rendition of a photo,
or a ZIP archive of originals: `media/archives.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventlens.access.service import capability_role
from eventlens.config import settings
from eventlens.db import Tx
from eventlens.db.photos import PhotoFilter, Sort
from eventlens.errors import EventNotFound, InvalidCursor, MediaNotFound, PhotoNotFound
from eventlens.events.service import event_by_id
from eventlens.media import archives, repo
from eventlens.media.formats import DECODABLE_TYPES
from eventlens.media.views import Photo, PhotoPage, decode_cursor, encode_cursor, photo_view
from eventlens.scope import Scope
from eventlens.storage.capability import Capability, verify
from eventlens.types import Event


def list_photos(
    scope: Scope, filters: PhotoFilter, sort: Sort = "taken_at", limit: int = 100, cursor: str | None = None
) -> PhotoPage:
    """A page of photos; row-level security decides whether hidden ones exist for this actor."""
    after = keyset(cursor, sort) if cursor else None
    with scope.transaction() as tx:
        rows = repo.list_photos(tx, filters, sort, limit + 1, after)
        total = repo.count_photos(tx, filters)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1][1], str(rows[-1][0].id)]) if more and rows else None
    return PhotoPage(photos=[photo_view(row) for row, _ in rows], next_cursor=next_cursor, total=total)


def keyset(cursor: str, sort: Sort) -> list[Any]:
    """The cursor's [sort value, photo id] as the query compares them, or `InvalidCursor`: a
    client's cursor never reaches PostgreSQL as a value of the wrong type."""
    value, photo_id = decode_cursor(cursor)
    if sort.lstrip("-") == "taken_at":
        return [_timestamp(value), _uuid(photo_id)]
    return [_text(value), _uuid(photo_id)]


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidCursor("malformed cursor: not a time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidCursor("malformed cursor: not a time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _text(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value or _unencodable(value):
        raise InvalidCursor("malformed cursor: not a file name")
    return value


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _uuid(value: Any) -> UUID:
    if not isinstance(value, str):
        raise InvalidCursor("malformed cursor: not a photo id")
    try:
        return UUID(value)
    except ValueError:
        raise InvalidCursor("malformed cursor: not a photo id") from None


def thumbnails_and_hidden(scope: Scope, photo_ids: list[UUID]) -> dict[UUID, tuple[str | None, bool]]:
    """Each photo's thumbnail URL (None before analyze made one) and whether it is hidden: what the
    dashboard's error list shows beside a failed file."""
    from eventlens.media.views import media_url

    with scope.transaction() as tx:
        rows = repo.get_photos(tx, photo_ids)
    return {
        row.id: (media_url(row, "320") if "320" in (row.thumbnails or {}) else None, row.hidden)
        for row in rows
    }


def get_photo(scope: Scope, photo_id: UUID) -> Photo:
    """One photo; a hidden one exists only for staff (row-level security hides it from a visitor)."""
    with scope.transaction() as tx:
        row = repo.get_photo(tx, photo_id)
    if row is None:
        raise PhotoNotFound(f"no photo {photo_id}")
    return photo_view(row)


@dataclass(frozen=True)
class MediaGrant:
    """What a valid media URL opens: one blob, with the type its bytes were sniffed as (a ZIP for
    an archive)."""

    key: str
    content_type: str
    download_name: str | None
    """Set for originals and archives: they are served as attachments, never rendered on our origin."""
    max_age_s: int
    public: bool


def open_media(token: str) -> MediaGrant:
    """The blob a media URL names, if its holder may see it now, else MediaNotFound.

    The token's signature and expiry are checked first (no database work for a forged one); then
    the photo is read under row-level security as the token's audience, so a public URL of a photo
    that was hidden, held or failed since it was issued opens nothing. An archive's URL opens it
    while it is ready and every photo in it is still public (`archives.servable`).
    """
    capability = verify(settings().media_key, token)
    try:
        event = event_by_id(capability.event_id)
    except EventNotFound:
        raise MediaNotFound("no such media") from None
    if capability.rendition == "archive":
        archive = archives.servable(event, capability.object_id)
        if archive is None or archive.blob_key is None:
            raise MediaNotFound("no such media")
        # private: an archive is one visitor's, never a shared cache's
        return MediaGrant(
            archive.blob_key, "application/zip", archives.download_name(event), capability.max_age_s, False
        )
    if capability.rendition in ("album_item", "album_cover"):
        return _album_item(event, capability)
    scope = (
        Scope.visitor(event, role=capability_role(event))
        if capability.audience == "public"
        else Scope.organizer(event, "media-url")
    )
    with scope.transaction() as tx:
        row = repo.get_photo(tx, capability.object_id)
    if row is None:
        raise MediaNotFound("no such media")
    if capability.rendition == "playable":  # a video's transcoded MP4 (media/transcode.py)
        with scope.transaction() as tx:
            playable = repo.playable_key(tx, capability.object_id)
        if playable is None:
            raise MediaNotFound("no such media")
        return MediaGrant(playable, "video/mp4", None, capability.max_age_s, capability.audience == "public")
    if capability.rendition != "original":
        key = (row.thumbnails or {}).get(capability.rendition)
        if key is None:
            raise MediaNotFound("no such media")
        return MediaGrant(key, "image/jpeg", None, capability.max_age_s, capability.audience == "public")
    if row.mime not in DECODABLE_TYPES:  # never served as anything its bytes were not sniffed as
        raise MediaNotFound("no such media")
    return MediaGrant(
        row.source_key, row.mime, row.filename, capability.max_age_s, capability.audience == "public"
    )


def _album_item(event: Event, capability: Capability) -> MediaGrant:
    from eventlens.albums.service import servable_item

    public = capability.audience == "public"
    scope = Scope.visitor(event, role=capability_role(event)) if public else Scope.system(event)
    found = servable_item(scope, capability.object_id, any_state=not public)
    if found is None:
        raise MediaNotFound("no such media")
    if capability.rendition == "album_cover":
        from eventlens.albums.service import cover_key

        return MediaGrant(
            cover_key(event, capability.object_id, found[0]), "image/jpeg", None, capability.max_age_s, public
        )
    return MediaGrant(found[0], found[1], None, capability.max_age_s, public)


def uploaded_originals(tx: Tx, photo_ids: list[UUID]) -> dict[UUID, tuple[str, str]]:
    """(key, mime) of photos just uploaded, public or not yet (the pipeline has still to pass
    them): what an album item of an upload points at. Photos of no known media type are left out."""
    return {r.id: (r.source_key, r.mime) for r in repo.get_photos(tx, photo_ids) if r.mime in DECODABLE_TYPES}


def photo_original(tx: Tx, photo_id: UUID) -> tuple[str, str] | None:
    """(key, mime) of a public photo's original, read in the caller's transaction (saving it to an
    album points at these bytes)."""
    row = repo.get_photo(tx, photo_id)
    if row is None or not row.is_public or row.mime not in DECODABLE_TYPES:
        return None
    return row.source_key, row.mime
