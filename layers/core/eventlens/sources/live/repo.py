"""SQL for an event's live folder: the source row, the folder as last seen, and the photos whose
originals came from it (keys under `events/<slug>/live/`, one per content hash)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventlens.db import Tx
from eventlens.sources.repo import REFOLDER_DESCRIPTION


@dataclass(frozen=True, slots=True)
class LiveSourceRow:
    location: str
    error: str | None
    synced_at: datetime | None
    listing: str | None = None
    """None: no listing under way; 'listing': pages to come from `listing_cursor`; 'listed': staged."""
    listing_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class LiveItem:
    """A file of the folder as last seen; `content_hash` is its photo's identity."""

    path: str
    size_bytes: int
    stamp: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class LivePhoto:
    id: UUID
    source_key: str
    content_hash: str
    filename: str
    folder: str
    thumbnails: dict[str, str]


def get_source(tx: Tx) -> LiveSourceRow | None:
    row = tx.execute(
        "SELECT location, error, synced_at, listing, listing_cursor FROM live_sources"
        " WHERE event_id = current_event_id()"
    ).fetchone()
    return None if row is None else LiveSourceRow(**row)


def put_source(tx: Tx, location: str) -> None:
    """Add the event's live folder, or point it elsewhere: another location starts from nothing seen."""
    tx.execute(
        "DELETE FROM live_items i USING live_sources s WHERE i.event_id = current_event_id()"
        " AND s.event_id = i.event_id AND s.location <> %s",
        (location,),
    )
    tx.execute("DELETE FROM live_listing WHERE event_id = current_event_id()")
    tx.execute(
        "INSERT INTO live_sources (event_id, location) VALUES (current_event_id(), %s)"
        " ON CONFLICT (event_id) DO UPDATE SET location = excluded.location, error = NULL, listing = NULL,"
        " listing_cursor = NULL, updated_at = now()",
        (location,),
    )


def start_listing(tx: Tx) -> None:
    """Forget any staged listing and start one from the first page."""
    tx.execute("DELETE FROM live_listing WHERE event_id = current_event_id()")
    tx.execute(
        "UPDATE live_sources SET listing = 'listing', listing_cursor = NULL, updated_at = now()"
        " WHERE event_id = current_event_id()"
    )


def stage_page(tx: Tx, entries: Sequence[tuple[str, int, str]], cursor: str | None) -> None:
    """One page of the listing (path, size, stamp), and where the next one starts (None: it was the
    last), in one transaction: a sync stopped after it goes on from `cursor`."""
    with tx.cursor() as cur:
        cur.executemany(
            "INSERT INTO live_listing (event_id, path, size_bytes, stamp) VALUES (current_event_id(), %s, %s, %s)"
            " ON CONFLICT (event_id, path) DO UPDATE SET size_bytes = excluded.size_bytes, stamp = excluded.stamp",
            list(entries),
        )
    tx.execute(
        "UPDATE live_sources SET listing = %s, listing_cursor = %s, updated_at = now()"
        " WHERE event_id = current_event_id()",
        ("listing" if cursor is not None else "listed", cursor),
    )


def staged(tx: Tx) -> list[tuple[str, int, str]]:
    rows = tx.execute(
        "SELECT path, size_bytes, stamp FROM live_listing WHERE event_id = current_event_id() ORDER BY path"
    ).fetchall()
    return [(r["path"], r["size_bytes"], r["stamp"]) for r in rows]


def end_listing(tx: Tx) -> None:
    """The staged listing was applied (or cannot be continued): the next sync lists afresh."""
    tx.execute("DELETE FROM live_listing WHERE event_id = current_event_id()")
    tx.execute(
        "UPDATE live_sources SET listing = NULL, listing_cursor = NULL, updated_at = now()"
        " WHERE event_id = current_event_id()"
    )


def set_error(tx: Tx, error: str) -> None:
    tx.execute(
        "UPDATE live_sources SET error = %s, updated_at = now() WHERE event_id = current_event_id()", (error,)
    )


def mark_synced(tx: Tx) -> None:
    tx.execute(
        "UPDATE live_sources SET error = NULL, synced_at = now(), updated_at = now()"
        " WHERE event_id = current_event_id()"
    )


def items(tx: Tx) -> dict[str, LiveItem]:
    rows = tx.execute(
        "SELECT path, size_bytes, stamp, content_hash FROM live_items WHERE event_id = current_event_id()"
    ).fetchall()
    return {r["path"]: LiveItem(**r) for r in rows}


def save_items(tx: Tx, upserts: Iterable[LiveItem], removed: Sequence[str]) -> None:
    tx.execute(
        "DELETE FROM live_items WHERE event_id = current_event_id() AND path = ANY(%s)", (list(removed),)
    )
    with tx.cursor() as cur:
        cur.executemany(
            "INSERT INTO live_items (event_id, path, size_bytes, stamp, content_hash)"
            " VALUES (current_event_id(), %s, %s, %s, %s) ON CONFLICT (event_id, path) DO UPDATE"
            " SET size_bytes = excluded.size_bytes, stamp = excluded.stamp, content_hash = excluded.content_hash",
            [(i.path, i.size_bytes, i.stamp, i.content_hash) for i in upserts],
        )


def live_photos(tx: Tx, prefix: str) -> dict[str, LivePhoto]:
    """The event's photos whose original is under `prefix`, by content hash."""
    rows = tx.execute(
        "SELECT id, source_key, content_hash, filename, folder, thumbnails FROM photos"
        " WHERE event_id = current_event_id() AND starts_with(source_key, %s)",
        (prefix,),
    ).fetchall()
    return {r["content_hash"]: LivePhoto(**r) for r in rows}


def relocate(tx: Tx, photo_id: UUID, filename: str, folder: str) -> None:
    """Renamed or moved in the folder: the row, its faces and embedding stay."""
    tx.execute(
        f"UPDATE photos SET filename = %s, folder = %s, scene_description = {REFOLDER_DESCRIPTION},"
        " updated_at = now() WHERE event_id = current_event_id() AND id = %s",
        (filename, folder, folder, folder, folder, photo_id),
    )


def set_source_key(tx: Tx, photo_id: UUID, source_key: str, filename: str, folder: str) -> None:
    tx.execute(
        "UPDATE photos SET source_key = %s, filename = %s, folder = %s, updated_at = now()"
        " WHERE event_id = current_event_id() AND id = %s",
        (source_key, filename, folder, photo_id),
    )
