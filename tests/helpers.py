"""What tests need beyond fixtures: a transaction that reads everything of one event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from eventlens import db
from eventlens.db.photos import PHOTO_COLUMNS, PhotoRow
from eventlens.storage import blob_store
from psycopg.types.json import Jsonb


@contextmanager
def scoped(event_id: UUID | str | None) -> Iterator[db.Tx]:
    """A transaction as the operator (`system` actor) for `event_id`: tests inspect rows with it."""
    with db.transaction(None if event_id is None else UUID(str(event_id)), "system") as tx:
        yield tx


def stored_photo(
    event_id: UUID,
    name: str,
    original: bytes,
    mime: str = "image/jpeg",
    thumbnail: bytes | None = None,
    public: bool = True,
) -> PhotoRow:
    """A processed photo with its original (and a 320 px thumbnail) in the blob store: a public one,
    or (public=False) one held for review."""
    with scoped(event_id) as tx:
        slug = tx.execute("SELECT slug FROM events WHERE id = %s", (event_id,)).fetchone()["slug"]  # type: ignore[index]
        key = f"events/{slug}/originals/{name}"
        blob_store().put(key, original)
        thumbs = {}
        if thumbnail is not None:
            thumbs["320"] = f"events/{slug}/thumbs/{name}/320.jpg"
            blob_store().put(thumbs["320"], thumbnail)
        row = tx.execute(
            "INSERT INTO photos AS p (event_id, source_key, content_hash, filename, mime, thumbnails,"
            " analyze_status, review) VALUES (%s, %s, md5(%s), %s, %s, %s, 'completed', %s)"
            " RETURNING " + PHOTO_COLUMNS,
            (
                event_id,
                key,
                key,
                name.rsplit("/", 1)[-1],
                mime,
                Jsonb(thumbs),
                "not_needed" if public else "pending",
            ),
        ).fetchone()
    return PhotoRow.of(row)  # type: ignore[arg-type]


def stored_original(
    event_id: UUID, filename: str, original: bytes, folder: str = "", hidden: bool = False
) -> PhotoRow:
    """A processed photo in `folder` whose original (and its size) is in the blob store: what a
    ZIP download reads. Public unless `hidden`."""
    with scoped(event_id) as tx:
        slug = tx.execute("SELECT slug FROM events WHERE id = %s", (event_id,)).fetchone()["slug"]  # type: ignore[index]
        key = f"events/{slug}/originals/{folder + '/' if folder else ''}{filename}"
        blob_store().put(key, original)
        row = tx.execute(
            "INSERT INTO photos AS p (event_id, source_key, content_hash, size_bytes, filename, folder, mime,"
            " hidden, analyze_status) VALUES (%s, %s, md5(%s), %s, %s, %s, 'image/jpeg', %s, 'completed')"
            " RETURNING " + PHOTO_COLUMNS,
            (event_id, key, key, len(original), filename, folder, hidden),
        ).fetchone()
    return PhotoRow.of(row)  # type: ignore[arg-type]
