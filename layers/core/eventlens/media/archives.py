"""ZIP downloads of selected originals, built in the background and handed back as a media URL.

Built inside the request, a ZIP of 300 camera originals failed on AWS (a Lambda reply holds 6 MB,
API Gateway waits 29 s) and, built in the browser, took the tab's memory. Now:

1. `create_archive` (POST .../download) records an archive: the public photos among the ids asked
   for (read as a visitor: row-level security leaves the rest out) and their bytes, refused past
   `archive_max_bytes` (413). The reply (202) carries the archive's id, random and known only to
   the visitor who asked: it is the right to read the archive (migration 0012, `holder_scope`).
2. `start_builder` starts `build_archive`: an asynchronous invocation of the archive function
   (AWS, `archive_function`) or a thread of this process (embedded), the same code either way.
3. `build_archive` claims the archive (a second builder of the same archive does nothing), reads
   the photos again as a visitor (one hidden since is left out), and streams each original into a
   stored ZIP written to the blob store (`zipstream`: S3 multipart parts of `archive_part_bytes`,
   a temporary file renamed into place locally), saving its progress as it goes.
4. `get_archive` (GET .../archives/<id>) answers the progress and, once ready, a media URL
   (`/media/<token>`, rendition `archive`) that serves the ZIP as an attachment: the dev server
   streams it, the gallery function on AWS redirects to a presigned GET. Serving checks that the
   archive is ready and unexpired and that every photo in it is still public (`servable`).

An archive lives 24 hours (the row's `expires_at`) at `events/<slug>/archives/<id>.zip`: each build
first deletes its event's expired archives, deleting the event deletes them all, and on AWS the
bucket's lifecycle rule expires the objects tagged ARCHIVE_TAGS by itself.

One build runs in one invocation: at the 4 GiB cap and ~50 MB/s from and to S3 (an estimate, reads
and part uploads overlapping; not measured on AWS) that is about two minutes of the function's 15;
one that would outrun them stops 30 s before and fails with a message rather than being cut off.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from eventlens.access.service import capability_role
from eventlens.config import settings
from eventlens.db import Tx
from eventlens.errors import (
    ArchiveNotFound,
    ArchivesBusy,
    ArchiveTooLarge,
    BlobNotFound,
    EventNotFound,
    PhotoNotFound,
)
from eventlens.events.service import event_by_id
from eventlens.media import repo
from eventlens.media.repo import ArchiveRow
from eventlens.media.views import Archive, ArchiveStatus, archive_url
from eventlens.media.zipstream import Entry, entry_name, unique_names, write_zip
from eventlens.resilience import WallClockGuard
from eventlens.scope import Scope
from eventlens.storage import blob_store
from eventlens.storage.keys import archive_key
from eventlens.types import Event

log = logging.getLogger(__name__)

ARCHIVE_MAX_PHOTOS = 500
"""Photos one download may name (the request body's limit and the table's CHECK). The bytes cap is
what binds for camera originals (500 × 8 MB passes 4 GiB); the gallery's selection.js holds the same
number (ARCHIVE_MAX_PHOTOS) to say the limit in words before asking."""
LEASE_S = 120.0
"""A builder saves progress at least every PROGRESS_EVERY_S while it reads; silent this long, it
is gone: the archive reads as failed, and another builder may take it."""
PENDING_S = 600.0
"""An archive no builder has claimed after this long reads as failed (an invocation that never
ran); the archive function's queue drops events older than this too (template.yaml)."""
PROGRESS_EVERY_S = 0.5
MAX_IN_FLIGHT = 10
"""Archives of one event pending or building at once; one more request is a 429."""
URL_TTL_S = 3600
"""How long an archive's media URL works (never past the archive's own expiry)."""
BUDGET_MARGIN_MS = 30_000
"""What a Lambda build keeps back of its time to fail cleanly instead of being cut off."""
PURGE_BATCH = 50
ARCHIVE_TAGS = {"eventlens-kind": "archive"}
"""S3 object tags on every archive: the bucket's lifecycle rule expires objects under `events/`
with these (template.yaml `expire-archives`), as S3 cannot filter by `events/*/archives/`."""
STALE = "The download stopped being prepared. Please try again."
GONE = "A photo in this download is no longer available. Please select the photos again."


def holder_scope(event: Event, archive_id: UUID) -> Scope:
    """The visitor that holds `archive_id`: the one scope that may read that archive (0012)."""
    return Scope.visitor(event, subject=str(archive_id), role=capability_role(event))


def create_archive(scope: Scope, photo_ids: list[UUID]) -> Archive:
    """Record an archive of the photos among `photo_ids` that `scope` may see and start its builder."""
    event = scope.tenant()
    with scope.transaction() as tx:
        photos = repo.archivable_photos(tx, photo_ids)
    if not photos:
        raise PhotoNotFound("none of the selected photos can be downloaded")
    bytes_total = sum(size for _, size in photos)
    limit = settings().archive_max_bytes
    if bytes_total > limit:
        raise ArchiveTooLarge(
            f"These {len(photos)} photos come to {_size(bytes_total)}; one download holds at most "
            f"{_size(limit)}. Select fewer photos and download them in parts."
        )
    with Scope.pipeline(event).transaction() as tx:
        if repo.count_in_flight(tx, LEASE_S, PENDING_S) >= MAX_IN_FLIGHT:
            raise ArchivesBusy(
                "Many downloads are being prepared for this event right now; try again in a minute.",
                retry_after_s=30,
            )
    archive_id = uuid4()
    with holder_scope(event, archive_id).transaction() as tx:
        repo.insert_archive(tx, archive_id, [photo_id for photo_id, _ in photos], bytes_total)
        row = repo.get_archive(tx, archive_id, LEASE_S, PENDING_S)
    assert row is not None
    start_builder(event, archive_id)
    return archive_view(row)


def get_archive(scope: Scope, archive_id: UUID) -> Archive:
    """The archive's progress, and its URL once ready: only for its holder (`holder_scope`) and staff."""
    with scope.transaction() as tx:
        row = repo.get_archive(tx, archive_id, LEASE_S, PENDING_S)
        closed = row is not None and row.status == "ready" and not _all_public(tx, row)
    if row is None:
        raise ArchiveNotFound(f"no archive {archive_id} (archives are kept for 24 hours)")
    if closed:  # its URL would open nothing (`servable`): say why instead of handing it out
        return archive_view(replace(row, status="failed", error=GONE))
    return archive_view(row)


def archive_view(row: ArchiveRow, now: float | None = None) -> Archive:
    status: ArchiveStatus = row.status  # type: ignore[assignment]  # CHECKed by the table
    url = None
    if status == "ready":
        expires = min(int(row.expires_at.timestamp()), int(time.time() if now is None else now) + URL_TTL_S)
        url = archive_url(row.event_id, row.id, expires)
    return Archive(
        archive_id=row.id,
        status=status,
        photo_count=len(row.photo_ids),
        done=row.done,
        total=len(row.photo_ids),
        bytes_done=row.bytes_done,
        bytes_total=row.bytes_total,
        url=url,
        error=(row.error or STALE) if status == "failed" else None,
        expires_at=row.expires_at,
    )


def servable(event: Event, archive_id: UUID) -> ArchiveRow | None:
    """The archive an `archive` media token names, if it may be served now: ready, unexpired, and
    every photo in it still public (hiding one closes the archive's URL, as it closes the photo's)."""
    with holder_scope(event, archive_id).transaction() as tx:
        row = repo.get_archive(tx, archive_id, LEASE_S, PENDING_S)
        if row is None or row.status != "ready" or row.blob_key is None or not _all_public(tx, row):
            return None
    return row


def _all_public(tx: Tx, row: ArchiveRow) -> bool:
    """Whether every photo in the archive is still public (read as a visitor: as its holder)."""
    return repo.count_visible(tx, row.photo_ids) == len(row.photo_ids)


def download_name(event: Event) -> str:
    return f"{event.slug}-photos.zip"


# -- the builder ----------------------------------------------------------------------------------


def start_builder(event: Event, archive_id: UUID) -> None:
    """On AWS an asynchronous invocation of the archive function, embedded a daemon thread."""
    function = settings().archive_function
    if function is None:
        threading.Thread(
            target=build_archive,
            args=(event.id, archive_id),
            name=f"eventlens-archive-{archive_id}",
            daemon=True,
        ).start()
        return
    try:
        lambda_client().invoke(
            FunctionName=function,
            InvocationType="Event",
            Payload=json.dumps({"event_id": str(event.id), "archive_id": str(archive_id)}).encode(),
        )
    except Exception:
        with Scope.pipeline(event, subject=str(archive_id)).transaction() as tx:
            repo.fail_archive(tx, archive_id, "The download could not be started. Please try again.")
        raise


def lambda_client() -> Any:
    import boto3

    return boto3.client("lambda")


def build_archive(event_id: UUID | str, archive_id: UUID | str, budget: WallClockGuard | None = None) -> str:
    """Build one archive: "ready", "failed" (its error saved for the visitor), or "skipped" (another
    builder has it, or it is built, failed, expired or unknown). Never raises for the archive's sake."""
    try:
        event = event_by_id(event_id)
    except EventNotFound:
        return "skipped"
    archive_id = UUID(str(archive_id))
    builder = Scope.pipeline(event, subject=str(archive_id))
    try:
        purge_expired(builder)
    except Exception:  # housekeeping: never the reason a visitor's download fails
        log.exception("purging the expired archives of %s failed", event.slug)
    with builder.transaction() as tx:
        row = repo.claim_archive(tx, archive_id, LEASE_S, PENDING_S)
    if row is None:
        return "skipped"
    started = datetime.now(UTC)
    try:
        _build(event, builder, row, budget)
    except Exception as exc:
        if isinstance(exc, (ArchiveTooLarge, PhotoNotFound)):  # written for the visitor
            message = exc.message
        else:  # a missing blob or a store's error names keys and hosts: logged, never shown
            log.exception("archive %s of %s failed", archive_id, event.slug)
            message = "The download could not be prepared. Please try again."
        with builder.transaction() as tx:
            repo.fail_archive(tx, archive_id, message)
        _record_job(builder, "failed", started, f"archive {archive_id}: {message}")
        return "failed"
    _record_job(builder, "completed", started, f"archive {archive_id}: {len(row.photo_ids)} photos asked for")
    return "ready"


def _record_job(builder: Scope, status: str, started: datetime, line: str) -> None:
    """The build as a job in the event's Jobs list; never the reason a download fails."""
    from eventlens.jobs.service import record_job

    try:
        record_job(builder, "archive", status, started, line)
    except Exception:
        log.exception("recording archive job failed")


def _build(event: Event, builder: Scope, row: ArchiveRow, budget: WallClockGuard | None) -> None:
    cfg = settings()
    # what is public now, not when it was asked for
    with Scope.visitor(event, role=capability_role(event)).transaction() as tx:
        sizes = dict(repo.archivable_photos(tx, row.photo_ids))
        photos = {photo.id: photo for photo in repo.get_photos(tx, list(sizes))}
    rows = [photos[photo_id] for photo_id in sizes if photo_id in photos]
    if not rows:
        raise PhotoNotFound("None of the selected photos can be downloaded any more.")
    names = unique_names((str(r.id), entry_name(r.folder, r.filename)) for r in rows)
    entries = [
        Entry(name, r.source_key, sizes[r.id], r.taken_at) for name, r in zip(names, rows, strict=True)
    ]
    saved, total = time.monotonic(), 0

    def progress(done: int, written: int) -> None:
        nonlocal saved, total
        total = written
        if written > cfg.archive_max_bytes:
            raise ArchiveTooLarge(f"These photos come to more than {_size(cfg.archive_max_bytes)}.")
        if budget is not None and budget.expired():
            raise ArchiveTooLarge(
                "These photos took too long to put into one download. Select fewer and download them in parts."
            )
        if time.monotonic() - saved >= PROGRESS_EVERY_S:
            saved = time.monotonic()
            with builder.transaction() as tx:
                repo.save_progress(tx, row.id, done, written)

    key = archive_key(event.slug, row.id)
    info = write_zip(
        blob_store(), key, entries, progress, part_bytes=cfg.archive_part_bytes, tags=ARCHIVE_TAGS
    )
    with builder.transaction() as tx:
        repo.finish_archive(
            tx,
            row.id,
            photo_ids=[r.id for r in rows],
            done=len(rows),
            bytes_done=total,
            size_bytes=info.size,
            blob_key=key,
        )


def purge_expired(scope: Scope) -> int:
    """Delete the event's expired archives, rows and blobs (a batch at a time); how many."""
    store = blob_store()
    with scope.transaction() as tx:
        expired = repo.expired_archives(tx, PURGE_BATCH)
        for _, key in expired:
            if key is not None:
                with contextlib.suppress(BlobNotFound):
                    store.delete(key)
        repo.delete_archives(tx, [archive_id for archive_id, _ in expired])
    return len(expired)


def _size(n: int) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"
