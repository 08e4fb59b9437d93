"""Getting photos in: import local files (CLI), uploads from the dashboard, and one uploaded object
(S3 → SQS → Lambda).

All put originals under `events/{slug}/originals/<relative path>` and register them as pending
photos, so the pipeline treats every source alike. Importing the same bytes twice adds nothing.
"""

from __future__ import annotations

import mimetypes
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from eventlens.config import settings
from eventlens.errors import EventNotFound, InvalidKey, UploadRejected, UploadTooLarge
from eventlens.events.service import get_event
from eventlens.media.formats import sniff
from eventlens.scope import Scope
from eventlens.sources import repo
from eventlens.sources.registry import content_hash, register
from eventlens.sources.views import Ingested, UploadCompleteResponse, UploadTicket
from eventlens.storage import blob_store, validate_key
from eventlens.storage.keys import event_of_original, originals_prefix

ALLOWED_UPLOAD_TYPES = re.compile(r"^(image/(jpeg|png|webp|gif|heic|heif|tiff)|video/(mp4|quicktime|webm))$")


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
    scope: Scope, paths: list[Path], on_progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Copy files into the blob store and register them; `on_progress(done, total)` per file."""
    store = blob_store()
    prefix = originals_prefix(scope.tenant().slug)
    files = list(_files([Path(p) for p in paths]))
    report = ImportReport()
    seen: set[str] = set()
    for done, (path, relative) in enumerate(files, start=1):
        try:
            data = path.read_bytes()
            digest = content_hash(data)
            with scope.transaction() as tx:
                known = digest in seen or repo.hash_exists(tx, digest)
            if known:
                report.skipped += 1
            else:
                key = validate_key(_free_key(scope, prefix + relative))
                store.put(key, data, sniff(data[:64])[1])
                register(scope, store, key, store.head(key).etag, data)  # the ETag listings report
                seen.add(digest)
                report.added += 1
        except (OSError, InvalidKey) as exc:
            report.errors.append(f"{path}: {exc}")
        if on_progress is not None:
            on_progress(done, len(files))
    return report


def _free_key(scope: Scope, key: str) -> str:
    """`key`, or `name (2).ext` when another file already sits there (different bytes)."""
    stem, dot, ext = key.rpartition(".") if "." in key.rsplit("/", 1)[-1] else (key, "", "")
    candidate, n = key, 1
    with scope.transaction() as tx:
        while repo.find_by_key(tx, candidate) is not None:
            n += 1
            candidate = f"{stem} ({n}){dot}{ext}"
    return candidate


def ingest_object(bucket: str | None, key: str, etag: str, size: int) -> Ingested:
    """Register one uploaded object (key already URL-decoded) as a pending photo.

    Idempotent per key + ETag: S3 sends two events for a multipart upload and SQS redelivers.
    `bucket` is the configured store's (the blob store knows it); `size` is what S3 reported.
    """
    slug = event_of_original(key)
    try:
        event = get_event(slug) if slug else None
    except EventNotFound:
        event = None
    if event is None:
        return Ingested(key=key, bucket=bucket, size=size, status="ignored", photo_id=None, event_id=None)
    registered = register(Scope.pipeline(event), blob_store(), key, etag.strip('"'))
    return Ingested(
        key=key,
        bucket=bucket,
        size=size,
        status=registered.status,
        photo_id=registered.photo_id,
        event_id=event.id,
    )


def upload_ticket(scope: Scope, filename: str, content_type: str, size: int) -> UploadTicket:
    """A presigned PUT for one file under the event's originals (a fresh key: never an overwrite)."""
    cfg = settings()
    if size > cfg.max_upload_bytes:
        raise UploadTooLarge(f"{filename} is larger than {cfg.max_upload_bytes // (1024 * 1024)} MB")
    if not ALLOWED_UPLOAD_TYPES.match(content_type):
        raise UploadRejected(f"{filename}: {content_type} is not a photo or video type we accept")
    key = upload_key(scope.tenant().slug, filename)
    url = blob_store().url_for_put(key, content_type)
    return UploadTicket(upload_url=url, headers={"Content-Type": content_type}, key=key)


def upload_key(slug: str, filename: str) -> str:
    """A fresh key under the event's originals: uploads never overwrite one another."""
    stem = re.sub(r"[^\w.\- ]+", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .") or "upload"
    if "." not in stem:
        stem += mimetypes.guess_extension(mimetypes.guess_type(filename)[0] or "") or ""
    try:
        return validate_key(f"{originals_prefix(slug)}uploads/{uuid.uuid4().hex[:12]}-{stem}")
    except InvalidKey:
        return f"{originals_prefix(slug)}uploads/{uuid.uuid4().hex}"


def complete_uploads(scope: Scope, keys: list[str]) -> UploadCompleteResponse:
    """Register uploaded files (as S3's notification would) and, embedded, start processing them."""
    event = scope.tenant()
    store = blob_store()
    pipeline = Scope.pipeline(event, subject=scope.subject)
    registered = 0
    for key in keys:
        if not validate_key(key).startswith(originals_prefix(event.slug)):
            raise InvalidKey(f"{key} is not one of this event's uploads")
        info = store.head(key)
        registered += register(pipeline, store, key, info.etag).status != "ignored"
    run_id = None
    if not settings().state_machine_arn:
        from eventlens.jobs.service import start_background_run

        run_id = start_background_run(pipeline, "full")
    return UploadCompleteResponse(registered=registered, run_id=run_id)
