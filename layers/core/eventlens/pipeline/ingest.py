"""Getting photos in: import local files (CLI), or register one uploaded object (S3 → SQS → Lambda).

Both put originals under `events/{slug}/originals/<relative path>` and register them as pending
photos, so the pipeline treats every source alike. Importing the same bytes twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventlens.db import events_repo, pipeline_repo, scoped
from eventlens.domain import Event
from eventlens.pipeline.formats import sniff
from eventlens.pipeline.sources import content_hash, originals_prefix, register
from eventlens.storage import InvalidKey, blob_store, validate_key


@dataclass
class ImportReport:
    added: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)  # "<path>: <why>"


def _files(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """(file, path relative to what was given): a folder keeps its inner structure."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(
                    part.startswith(".") for part in child.relative_to(path).parts
                ):
                    yield child, child.relative_to(path).as_posix()
        else:
            yield path, path.name


def import_files(
    event: Event, paths: list[Path], on_progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Copy files into the blob store and register them; `on_progress(done, total)` per file."""
    store = blob_store()
    prefix = originals_prefix(event.slug)
    files = list(_files([Path(p) for p in paths]))
    report = ImportReport()
    seen: set[str] = set()
    for done, (path, relative) in enumerate(files, start=1):
        try:
            data = path.read_bytes()
            digest = content_hash(data)
            with scoped(event.id) as conn:
                known = digest in seen or pipeline_repo.hash_exists(conn, event.id, digest)
            if known:
                report.skipped += 1
            else:
                key = validate_key(_free_key(event, prefix + relative))
                store.put(key, data, sniff(data[:64])[1])
                register(event, store, key, store.head(key).etag, data)  # the ETag listings report
                seen.add(digest)
                report.added += 1
        except (OSError, InvalidKey) as exc:
            report.errors.append(f"{path}: {exc}")
        if on_progress is not None:
            on_progress(done, len(files))
    return report


def _free_key(event: Event, key: str) -> str:
    """`key`, or `name (2).ext` when another file already sits there (different bytes)."""
    stem, dot, ext = key.rpartition(".") if "." in key.rsplit("/", 1)[-1] else (key, "", "")
    candidate, n = key, 1
    while True:
        with scoped(event.id) as conn:
            if pipeline_repo.find_by_key(conn, event.id, candidate) is None:
                return candidate
        n += 1
        candidate = f"{stem} ({n}){dot}{ext}"


def event_for_key(key: str) -> Event | None:
    """The event an `events/{slug}/originals/...` key belongs to; None for any other key."""
    parts = key.split("/", 3)
    if len(parts) < 4 or parts[0] != "events" or parts[2] != "originals":
        return None
    with scoped(None) as conn:
        try:
            return events_repo.get_event(conn, parts[1])
        except events_repo.EventNotFound:
            return None


def ingest_object(bucket: str | None, key: str, etag: str, size: int) -> dict[str, Any]:
    """Register one uploaded object (key already URL-decoded) as a pending photo.

    Idempotent per key + ETag: S3 sends two events for a multipart upload and SQS redelivers.
    `bucket` is the configured store's (the blob store knows it); `size` is what S3 reported.
    """
    event = event_for_key(key)
    result: dict[str, Any] = {"key": key, "bucket": bucket, "size": size}
    if event is None:
        return {**result, "status": "ignored", "photo_id": None, "event_id": None}
    registered = register(event, blob_store(), key, etag.strip('"'))
    return {**result, **registered.as_dict(), "event_id": str(event.id)}
