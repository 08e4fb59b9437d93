"""Objects under an event's originals prefix, and registering one as a pending photo.

The key is the identity of an item (`events/{slug}/originals/<folder>/<file>`); the content
hash decides whether an object changed (everything is recomputed) or only moved (nothing is),
and whether it is a photo at all: an object with the bytes of a photo of the event is an alias
of that photo (one content, one photo). The kind comes from the first bytes, never from the
extension.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal
from uuid import UUID

from eventlens.db import Tx
from eventlens.media.formats import sniff
from eventlens.scope import Scope
from eventlens.sources import repo
from eventlens.sources.repo import Content, Location, SourceRow
from eventlens.storage import BlobStore
from eventlens.storage.keys import originals_prefix


def is_media_key(key: str, prefix: str) -> bool:
    """Objects worth registering: under the prefix, not a folder marker, not a dotfile."""
    name = posixpath.basename(key)
    return key.startswith(prefix) and not key.endswith("/") and bool(name) and not name.startswith(".")


def location(key: str, prefix: str) -> Location:
    relative = key[len(prefix) :]
    return Location(source_key=key, filename=posixpath.basename(relative), folder=posixpath.dirname(relative))


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


RegisterStatus = Literal["added", "updated", "alias", "unchanged", "ignored"]
"""`alias`: the bytes are already a photo's, so the key was recorded as another file of that photo."""

_ATTEMPTS = 5


@dataclass(frozen=True)
class Registered:
    status: RegisterStatus
    photo_id: UUID | None = None


class _Raced(Exception):
    """A row this registration conflicted with was gone when looked up: roll back and try again."""


def register(scope: Scope, store: BlobStore, key: str, etag: str, data: bytes | None = None) -> Registered:
    """Register the object at `key`: a pending photo, or an alias of the photo with its bytes.

    Idempotent per key + ETag. One content is one photo per event, kept by the database (a unique
    index and ON CONFLICT): of objects with the same bytes, registered one after another or at
    once, the first is the photo and the others its aliases.
    """
    prefix = originals_prefix(scope.tenant().slug)
    if not is_media_key(key, prefix):
        return Registered("ignored")
    etag = etag.strip('"')
    with scope.transaction() as tx:
        existing = repo.find_by_key(tx, key)
        alias = None if existing is not None else repo.find_alias(tx, key)
    if existing is not None and existing.etag == etag:
        return Registered("unchanged", existing.id)
    if alias is not None and alias.etag == etag:
        return Registered("unchanged", alias.photo_id)
    if data is None:
        data = store.get(key)
    return register_content(scope, store, location(key, prefix), content_of(data, etag))


def content_of(data: bytes, etag: str) -> Content:
    """What registering needs of the bytes; a video's fingerprint too (its header, not a decode)."""
    from eventlens.media.video import fingerprint

    kind, mime = sniff(data[:64])
    return Content(
        content_hash=content_hash(data),
        etag=etag,
        size_bytes=len(data),
        mime=mime,
        kind=kind,
        fingerprint=fingerprint(data, mime) if kind == "video" else None,
    )


def duplicate_of(tx: Tx, content: Content) -> SourceRow | None:
    """The photo or video that already holds these bytes. A video in two stages, as the video
    library seed does: the fingerprint index (duration, size, width, height) narrows the event's
    videos to a few candidates, the content hash confirms one; a photo, or a video without a
    fingerprint (unreadable), by its hash alone. Either way the unique content index stays the
    last word for writers racing each other (`_record`)."""
    if content.kind == "video" and content.fingerprint is not None:
        candidates = repo.video_candidates(tx, content.size_bytes, content.fingerprint)
        return next((c for c in candidates if c.content_hash == content.content_hash), None)
    return repo.find_by_hash(tx, content.content_hash)


def register_content(
    scope: Scope,
    store: BlobStore,
    at: Location,
    content: Content,
    locate: Callable[[str], Location] | None = None,
) -> Registered:
    """Register `content` stored at `at`: a photo, an alias, or a photo whose bytes changed.

    `locate` names the file behind another key (an alias a photo moves to); by default its key
    under the event's originals says it. A source whose keys are ids (Drive) passes its own."""
    locate = locate or partial(location, prefix=originals_prefix(scope.tenant().slug))
    for _ in range(_ATTEMPTS):
        try:
            with scope.transaction() as tx:
                registered, stale = _record(tx, locate, at, content)
        except _Raced:
            continue
        delete_thumbnails(store, stale)
        return registered
    raise RuntimeError(f"registering {at.source_key}: the photos it conflicted with kept changing")


def _record(
    tx: Tx, locate: Callable[[str], Location], at: Location, content: Content
) -> tuple[Registered, dict[str, str]]:
    """The row (or alias) for the object at `at` with `content`; and thumbnails left stale."""
    stale: dict[str, str] = {}
    existing = repo.find_by_key(tx, at.source_key)
    if existing is not None:
        if existing.content_hash == content.content_hash:
            repo.set_etag(tx, existing.id, content.etag)
            return Registered("unchanged", existing.id), stale
        # Replaced in place. Where the old bytes live on under an alias, the photo moves there and
        # this key is registered afresh; else the photo takes the new bytes, unless they are
        # another photo's: then its own bytes are gone, and so is it.
        survivors = repo.aliases_of(tx, existing.id)
        if survivors:
            first = survivors[0]
            repo.move(tx, existing.id, existing.source_key, locate(first.source_key), first.etag or "")
        elif repo.find_by_hash(tx, content.content_hash) is None and repo.replace_content(
            tx, existing.id, content
        ):
            return Registered("updated", existing.id), existing.thumbnails or {}
        else:
            repo.delete_photos(tx, [existing.id])
            stale = existing.thumbnails or {}
    elif (alias := repo.find_alias(tx, at.source_key)) is not None:
        if repo.hash_of_key(tx, at.source_key) == content.content_hash:
            repo.set_alias_etag(tx, at.source_key, content.etag)
            return Registered("unchanged", alias.photo_id), stale
        repo.delete_aliases(tx, [at.source_key])  # replaced in place by other bytes
    if content.kind == "video" and (same := duplicate_of(tx, content)) is not None:
        repo.add_alias(tx, at.source_key, same.id, content.etag)  # a copy of a library video
        return Registered("alias", same.id), stale
    photo_id = repo.insert_photo(tx, at, content)
    if photo_id is not None:
        return Registered("added", photo_id), stale
    registered = repo.find_by_key(tx, at.source_key)
    if registered is not None:  # a concurrent worker registered this key first
        return Registered("unchanged", registered.id), stale
    owner = repo.find_by_hash(tx, content.content_hash)
    if owner is None:
        raise _Raced
    repo.add_alias(tx, at.source_key, owner.id, content.etag)
    return Registered("alias", owner.id), stale


def delete_thumbnails(store: BlobStore, thumbnails: dict[str, str]) -> None:
    for key in thumbnails.values():
        store.delete(key)
