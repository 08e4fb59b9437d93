"""Objects under an event's originals prefix, and registering one as a pending photo.

The key is the identity of an item (`events/{slug}/originals/<folder>/<file>`); the content
hash decides whether an object changed (everything is recomputed) or only moved (nothing is).
The kind comes from the first bytes, never from the extension.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from eventlens.media.formats import sniff
from eventlens.scope import Scope
from eventlens.sources import repo
from eventlens.sources.repo import Content, Location
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


RegisterStatus = Literal["added", "updated", "unchanged", "ignored"]


@dataclass(frozen=True)
class Registered:
    status: RegisterStatus
    photo_id: UUID | None = None


def register(scope: Scope, store: BlobStore, key: str, etag: str, data: bytes | None = None) -> Registered:
    """Register the object at `key` as a pending photo; idempotent per key + ETag and per content."""
    prefix = originals_prefix(scope.tenant().slug)
    if not is_media_key(key, prefix):
        return Registered("ignored")
    etag = etag.strip('"')
    with scope.transaction() as tx:
        existing = repo.find_by_key(tx, key)
    if existing is not None and existing.etag == etag:
        return Registered("unchanged", existing.id)
    if data is None:
        data = store.get(key)
    kind, mime = sniff(data[:64])
    content = Content(content_hash=content_hash(data), etag=etag, size_bytes=len(data), mime=mime, kind=kind)
    with scope.transaction() as tx:
        existing = repo.find_by_key(tx, key)
        if existing is None:
            photo_id = repo.insert_photo(tx, location(key, prefix), content)
            if photo_id is not None:
                return Registered("added", photo_id)
            existing = repo.find_by_key(tx, key)  # a concurrent worker won
            assert existing is not None
            return Registered("unchanged", existing.id)
        if existing.content_hash == content.content_hash:
            repo.set_etag(tx, existing.id, etag)
            return Registered("unchanged", existing.id)
        repo.replace_content(tx, existing.id, content)
    delete_thumbnails(store, existing.thumbnails or {})
    return Registered("updated", existing.id)


def delete_thumbnails(store: BlobStore, thumbnails: dict[str, str]) -> None:
    for key in thumbnails.values():
        store.delete(key)
