"""Getting photos in: import local files (CLI), uploads from the dashboard, and one uploaded object
(S3 → SQS → Lambda).

All put originals under `events/{slug}/originals/<relative path>` and register them as pending
photos, so the pipeline treats every source alike. Importing the same bytes twice adds nothing:
one content is one photo per event (`sources.registry.register`), however many imports run.
"""

from __future__ import annotations

import mimetypes
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from eventlens.config import settings
from eventlens.db import Tx
from eventlens.errors import EventNotFound, InvalidKey, UploadRejected, UploadTooLarge
from eventlens.events.service import get_event
from eventlens.media.formats import DECODABLE_TYPES, UNDECODABLE_TYPES, sniff
from eventlens.scope import Scope
from eventlens.sources import repo
from eventlens.sources.registry import content_of, duplicate_of, is_media_key, register
from eventlens.sources.views import Ingested, UploadCompleteResponse, UploadTicket
from eventlens.storage import blob_store, validate_key
from eventlens.storage.keys import drive_prefix, event_of_original, live_prefix, originals_prefix

ALLOWED_UPLOAD_TYPES: frozenset[str] = frozenset(DECODABLE_TYPES)
"""What an upload may be: exactly what the pipeline decodes (media.formats.DECODABLE_TYPES)."""

MAX_UPLOAD_NAME_BYTES = 200
"""Longest stored upload name in UTF-8 bytes, random prefix and extension included: under a file
system's 255 (storage.MAX_SEGMENT_BYTES) with room for a " (2)" the importer may add."""


@dataclass
class ImportReport:
    """Every file given, counted once: `added` became photos, `skipped` were already there (same
    bytes), `ignored` were left out on purpose and `errors` could not be read or named."""

    added: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)  # "<path>: <why>"
    ignored: list[str] = field(default_factory=list)  # "<path>: <why>"


_HIDDEN_FILE = "hidden file (name starts with '.')"


def _files(paths: list[Path], ignored: list[str]) -> Iterator[tuple[Path, str]]:
    """(file, path relative to what was given): a folder keeps its inner structure.

    A hidden folder inside one (.git, .thumbnails) is left out with what it holds, reported once
    in `ignored`, as is anything that is not a regular file (a broken link, a pipe).
    """
    for path in paths:
        if not path.is_dir():
            yield path, path.name
            continue
        hidden: dict[Path, int] = {}  # topmost hidden folder -> files inside
        for child in sorted(path.rglob("*")):
            parts = child.relative_to(path).parts
            inside = next((i for i, part in enumerate(parts[:-1]) if part.startswith(".")), None)
            if inside is not None:
                folder = path.joinpath(*parts[: inside + 1])
                hidden[folder] = hidden.get(folder, 0) + child.is_file()
            elif child.is_dir():
                if child.name.startswith("."):
                    hidden.setdefault(child, 0)
            elif child.is_file():
                yield child, "/".join(parts)
            else:
                ignored.append(f"{child}: not a regular file (a broken link, a pipe or a device)")
        ignored += [
            f"{folder}: hidden folder (name starts with '.'), {count} file(s) not imported"
            for folder, count in hidden.items()
            if count
        ]


def import_files(
    scope: Scope, paths: list[Path], on_progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Copy files into the blob store and register them; `on_progress(done, total)` per file.

    Files the registry would not make a photo of (`is_media_key`: dot-files such as .DS_Store or
    ._photo.jpg) are neither copied nor counted as added: they are listed in `ignored` with why.
    """
    store = blob_store()
    prefix = originals_prefix(scope.tenant().slug)
    report = ImportReport()
    files = list(_files([Path(p) for p in paths], report.ignored))
    seen: set[str] = set()
    for done, (path, relative) in enumerate(files, start=1):
        try:
            if not is_media_key(prefix + relative, prefix):
                hidden = path.name.startswith(".")
                report.ignored.append(f"{path}: {_HIDDEN_FILE if hidden else 'not a media file name'}")
                continue
            data = path.read_bytes()
            refused = _not_media(data)
            if refused is not None:  # an SVG, an HTML page, a HEIC: never stored, said why
                report.ignored.append(f"{path}: {refused}")
                continue
            content = content_of(data, "")
            digest = content.content_hash
            with scope.transaction() as tx:  # a video: its fingerprint narrows, its hash confirms
                known = digest in seen or duplicate_of(tx, content) is not None
            key = None if known else _free_key(scope, prefix + relative, digest)
            if key is None:  # these bytes are a photo already, or about to be (another import's)
                report.skipped += 1
                continue
            key = validate_key(key)
            store.put(key, data, sniff(data[:64])[1])
            registered = register(scope, store, key, store.head(key).etag, data)  # listings' ETag
            if registered.status == "ignored":  # refused after all: leave no blob without a photo
                store.delete(key)
                report.ignored.append(f"{path}: refused by the registry")
                continue
            seen.add(digest)
            if registered.status in ("added", "updated"):
                report.added += 1
            else:  # another import registered these bytes first (the key is then an alias)
                report.skipped += 1
        except (OSError, InvalidKey) as exc:
            report.errors.append(f"{path}: {exc}")
        finally:
            if on_progress is not None:
                on_progress(done, len(files))
    return report


def _not_media(data: bytes) -> str | None:
    """Why a file is refused before it is stored (from its bytes, never its name): markup (an SVG,
    an HTML page, XML: active content a browser would run) and photo types we cannot decode. Other
    unreadable files are stored and become error items the organizer sees (`eventlens errors`)."""
    mime = sniff(data[:64])[1]
    if mime in UNDECODABLE_TYPES:
        return UNDECODABLE_TYPES[mime]
    if mime is None and data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "markup (HTML, SVG or XML), not a photo or video"
    return None


def _free_key(scope: Scope, key: str, digest: str) -> str | None:
    """`key`, or `name (2).ext` when another file already sits there (different bytes); None when
    the file there has these bytes (a concurrent import of the same folder put it first)."""
    stem, dot, ext = key.rpartition(".") if "." in key.rsplit("/", 1)[-1] else (key, "", "")
    candidate, n = key, 1
    with scope.transaction() as tx:
        while (there := repo.hash_of_key(tx, candidate)) is not None:
            if there == digest:
                return None
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
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in UNDECODABLE_TYPES:
        raise UploadRejected(f"{filename}: {UNDECODABLE_TYPES[mime]}")
    if mime not in ALLOWED_UPLOAD_TYPES:
        raise UploadRejected(f"{filename}: {content_type} is not a photo or video type we accept")
    named = mimetypes.guess_type(filename)[0]
    if named is not None and (not named.startswith(("image/", "video/")) or "xml" in named):
        # evil.html sent as image/jpeg: media is served as its sniffed type, never its name, but a
        # name that says an active type (HTML, SVG, script) is refused before a byte is stored.
        raise UploadRejected(f"{filename}: the name says {named}; upload photos or videos")
    key = upload_key(scope.tenant().slug, filename)
    url = blob_store().url_for_put(key, content_type)
    return UploadTicket(upload_url=url, headers={"Content-Type": content_type}, key=key)


def upload_key(slug: str, filename: str) -> str:
    """A fresh key under the event's originals: uploads never overwrite one another.

    The stored name is the file's own, made safe, after a random prefix, in at most
    MAX_UPLOAD_NAME_BYTES: a longer stem is cut on a character boundary and a short extension kept
    (255 CJK characters are 765 bytes, which no file system stores as one name).
    """
    stem = re.sub(r"[^\w.\- ]+", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .") or "upload"
    if "." not in stem:
        stem += mimetypes.guess_extension(mimetypes.guess_type(filename)[0] or "") or ""
    prefix = f"{uuid.uuid4().hex[:12]}-"
    room = MAX_UPLOAD_NAME_BYTES - len(prefix)
    if len(stem.encode()) > room:
        base, dot, ext = stem.rpartition(".")
        if not dot or not base or len(ext) > 8 or not ext.isalnum():
            base, dot, ext = stem, "", ""
        cut = base.encode()[: room - len((dot + ext).encode())].decode("utf-8", "ignore").rstrip(" .")
        stem = (cut or "upload") + dot + ext
    try:
        return validate_key(f"{originals_prefix(slug)}uploads/{prefix}{stem}")
    except InvalidKey:
        return f"{originals_prefix(slug)}uploads/{uuid.uuid4().hex}"


def complete_uploads(scope: Scope, keys: list[str], album_id: UUID | None = None) -> UploadCompleteResponse:
    """Register uploaded files (as S3's notification also does on AWS) and start processing them:
    the run that will process them is started, or the one going is named (one run per burst).
    With `album_id` the photos join that album too (checked before anything is registered)."""
    from eventlens.albums import service as albums

    event = scope.tenant()
    store = blob_store()
    pipeline = Scope.pipeline(event, subject=scope.subject)
    if album_id is not None:
        albums.require_can_add(scope, album_id)
    registered, photo_ids = 0, []
    for key in keys:
        if not validate_key(key).startswith(originals_prefix(event.slug)):
            raise InvalidKey(f"{key} is not one of this event's uploads")
        info = store.head(key)
        done = register(pipeline, store, key, info.etag)
        registered += done.status != "ignored"
        if done.photo_id is not None and done.status != "ignored":
            photo_ids.append(done.photo_id)
    from eventlens.jobs.service import process_new_photos

    run_id = process_new_photos(pipeline) if registered else None
    added = albums.add_uploads(scope, album_id, photo_ids) if album_id is not None else 0
    return UploadCompleteResponse(registered=registered, run_id=run_id, album_items=added)


def aliases_by_photo(scope: Scope) -> dict[UUID, list[str]]:
    """photo id -> the source keys of its aliases (other files with its bytes), in key order."""
    found: dict[UUID, list[str]] = {}
    with scope.transaction() as tx:
        for alias in sorted(repo.aliases(tx), key=lambda a: a.source_key):
            found.setdefault(alias.photo_id, []).append(alias.source_key)
    return found


def remember_deleted(tx: Tx, slug: str, versions: dict[str, str]) -> None:
    """A deleted photo's stored keys (each with its version) that a followed source still holds, a
    Drive folder or a live folder: the next sync leaves them out until they change (migration
    0034). An uploaded file's object is deleted with the photo, so nothing brings it back."""
    followed = (drive_prefix(slug), live_prefix(slug))
    repo.record_deleted(tx, {key: version for key, version in versions.items() if key.startswith(followed)})
