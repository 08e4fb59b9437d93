"""SQL for an event's Google Drive source: the source row, the folder tree as last seen, and the
photos (and aliases) whose originals came from Drive (keys under `events/<slug>/drive/`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventlens.db import Tx


@dataclass(frozen=True, slots=True)
class DriveSourceRow:
    folder_id: str
    credentials: str
    """A path to a credentials JSON (embedded) or a Secrets Manager ARN (AWS): never the secret."""
    page_token: str | None
    """The Changes API's token after the last sync; None until the first full listing is done."""
    error: str | None
    synced_at: datetime | None


@dataclass(frozen=True, slots=True)
class DriveItem:
    """A folder or file under the source's folder, as Drive last described it."""

    file_id: str
    parent_id: str
    name: str
    is_folder: bool
    mime_type: str = ""
    md5: str | None = None
    size_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class DrivePhoto:
    """A photo (or an alias of one, `alias_of` set) whose original came from Drive."""

    source_key: str
    photo_id: UUID
    filename: str
    folder: str
    etag: str | None
    alias_of: bool = False


_SOURCE = "folder_id, credentials, page_token, error, synced_at"
_ITEM = "file_id, parent_id, name, is_folder, mime_type, md5, size_bytes"


def get_source(tx: Tx) -> DriveSourceRow | None:
    row = tx.execute(f"SELECT {_SOURCE} FROM drive_sources WHERE event_id = current_event_id()").fetchone()
    return None if row is None else DriveSourceRow(**row)


def put_source(tx: Tx, folder_id: str, credentials: str) -> None:
    """Add the event's Drive source, or point it elsewhere: another folder starts a full listing."""
    tx.execute(
        "INSERT INTO drive_sources (event_id, folder_id, credentials) VALUES (current_event_id(), %s, %s)"
        " ON CONFLICT (event_id) DO UPDATE SET credentials = excluded.credentials, folder_id = excluded.folder_id,"
        " page_token = CASE WHEN drive_sources.folder_id = excluded.folder_id THEN drive_sources.page_token END,"
        " error = NULL, updated_at = now()",
        (folder_id, credentials),
    )
    tx.execute(
        "DELETE FROM drive_items i USING drive_sources s WHERE i.event_id = current_event_id()"
        " AND s.event_id = i.event_id AND s.page_token IS NULL"
    )


def set_error(tx: Tx, error: str | None) -> None:
    tx.execute(
        "UPDATE drive_sources SET error = %s, updated_at = now() WHERE event_id = current_event_id()",
        (error,),
    )


def mark_synced(tx: Tx) -> None:
    tx.execute(
        "UPDATE drive_sources SET error = NULL, synced_at = now(), updated_at = now()"
        " WHERE event_id = current_event_id()"
    )


def items(tx: Tx) -> dict[str, DriveItem]:
    rows = tx.execute(f"SELECT {_ITEM} FROM drive_items WHERE event_id = current_event_id()").fetchall()
    return {r["file_id"]: DriveItem(**r) for r in rows}


def save_tree(tx: Tx, upserts: Iterable[DriveItem], removed: Sequence[str], page_token: str) -> None:
    """The tree after a listing or a page of changes, and the token it is current to, at once: a
    sync that dies half-way sees the same changes again, never skips one."""
    tx.execute(
        "DELETE FROM drive_items WHERE event_id = current_event_id() AND file_id = ANY(%s)", (list(removed),)
    )
    with tx.cursor() as cur:
        cur.executemany(
            f"INSERT INTO drive_items (event_id, {_ITEM}) VALUES (current_event_id(), %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (event_id, file_id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name,"
            " is_folder = excluded.is_folder, mime_type = excluded.mime_type, md5 = excluded.md5,"
            " size_bytes = excluded.size_bytes",
            [
                (i.file_id, i.parent_id, i.name, i.is_folder, i.mime_type, i.md5, i.size_bytes)
                for i in upserts
            ],
        )
    tx.execute(
        "UPDATE drive_sources SET page_token = %s, updated_at = now() WHERE event_id = current_event_id()",
        (page_token,),
    )


def drive_photos(tx: Tx, prefix: str) -> list[DrivePhoto]:
    """Photos and aliases whose key is under `prefix` (the event's Drive originals)."""
    rows = tx.execute(
        "SELECT source_key, id AS photo_id, filename, folder, etag, false AS alias_of FROM photos"
        " WHERE event_id = current_event_id() AND starts_with(source_key, %s)"
        " UNION ALL SELECT a.source_key, a.photo_id, '', '', a.etag, true FROM photo_aliases a"
        " WHERE a.event_id = current_event_id() AND starts_with(a.source_key, %s)",
        (prefix, prefix),
    ).fetchall()
    return [DrivePhoto(**r) for r in rows]
