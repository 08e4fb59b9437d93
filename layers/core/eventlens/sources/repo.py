"""SQL for registering objects as photos and keeping rows in step with their source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from eventlens.db import Tx


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A photo as its source knows it: where it lives and what its bytes were."""

    id: UUID
    source_key: str
    content_hash: str
    etag: str | None
    size_bytes: int
    thumbnails: dict[str, str]
    analyze_status: str


@dataclass(frozen=True, slots=True)
class Location:
    source_key: str
    filename: str
    folder: str


@dataclass(frozen=True, slots=True)
class Content:
    content_hash: str
    etag: str
    size_bytes: int
    mime: str | None
    kind: str


_COLUMNS = "id, source_key, content_hash, etag, size_bytes, thumbnails, analyze_status"


def source_rows(tx: Tx) -> list[SourceRow]:
    return [
        SourceRow(**r)
        for r in tx.execute(f"SELECT {_COLUMNS} FROM photos WHERE event_id = current_event_id()").fetchall()
    ]


def find_by_key(tx: Tx, key: str) -> SourceRow | None:
    row = tx.execute(
        f"SELECT {_COLUMNS} FROM photos WHERE event_id = current_event_id() AND source_key = %s", (key,)
    ).fetchone()
    return None if row is None else SourceRow(**row)


def hash_exists(tx: Tx, content_hash: str) -> bool:
    row = tx.execute(
        "SELECT 1 FROM photos WHERE event_id = current_event_id() AND content_hash = %s LIMIT 1",
        (content_hash,),
    ).fetchone()
    return row is not None


def insert_photo(tx: Tx, location: Location, content: Content) -> UUID | None:
    """A new pending photo; None when a concurrent worker registered the key first."""
    row = tx.execute(
        "INSERT INTO photos (event_id, source_key, filename, folder, content_hash, etag, size_bytes, mime, kind)"
        " VALUES (current_event_id(), %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (event_id, source_key) DO NOTHING RETURNING id",
        (
            location.source_key,
            location.filename,
            location.folder,
            content.content_hash,
            content.etag,
            content.size_bytes,
            content.mime,
            content.kind,
        ),
    ).fetchone()
    return None if row is None else row["id"]


def replace_content(tx: Tx, photo_id: UUID, content: Content) -> None:
    """The object under this key changed: new content, every derived field recomputed."""
    tx.execute(
        "UPDATE photos SET content_hash = %s, etag = %s, size_bytes = %s, mime = %s, kind = %s,"
        " width = NULL, height = NULL, duration_s = NULL, has_audio = NULL, orientation = NULL, taken_at = NULL,"
        " exif = '{}', thumbnails = '{}', visible_text = '', people_descriptions = '', scene_description = '',"
        " face_count = NULL, dhash = NULL, nsfw_score = NULL, auto_tag = NULL, duplicate_cluster = NULL,"
        " duplicate_kind = NULL, embedding = NULL, embedding_model = NULL,"
        " analyze_status = 'pending', analyze_error = NULL, describe_status = 'pending', describe_error = NULL,"
        " embed_status = 'pending', embed_error = NULL, faces_status = 'pending', faces_error = NULL,"
        " updated_at = now() WHERE event_id = current_event_id() AND id = %s",
        (content.content_hash, content.etag, content.size_bytes, content.mime, content.kind, photo_id),
    )
    tx.execute("DELETE FROM face_embeddings WHERE photo_id = %s", (photo_id,))


def move(tx: Tx, photo_id: UUID, location: Location, etag: str) -> None:
    """Where the object lives changed (renamed or moved), its content did not."""
    tx.execute(
        "UPDATE photos SET source_key = %s, filename = %s, folder = %s, etag = %s, updated_at = now()"
        " WHERE event_id = current_event_id() AND id = %s",
        (location.source_key, location.filename, location.folder, etag, photo_id),
    )


def set_etag(tx: Tx, photo_id: UUID, etag: str) -> None:
    tx.execute(
        "UPDATE photos SET etag = %s, updated_at = now() WHERE event_id = current_event_id() AND id = %s",
        (etag, photo_id),
    )


def delete_photos(tx: Tx, ids: Sequence[UUID]) -> int:
    """Rows go with their faces (ON DELETE CASCADE)."""
    return tx.execute(
        "DELETE FROM photos WHERE event_id = current_event_id() AND id = ANY(%s)", (list(ids),)
    ).rowcount
