"""Objects under an event's originals prefix, and registering one as a pending photo.

The key is the identity of an item (`events/{slug}/originals/<folder>/<file>`); the content
hash decides whether an object changed (everything is recomputed) or only moved (nothing is).
The kind comes from the first bytes, never from the extension.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventlens.db import pipeline_repo, scoped
from eventlens.domain import Event
from eventlens.photos import originals_prefix
from eventlens.pipeline.formats import sniff
from eventlens.storage import BlobStore


def is_media_key(key: str, prefix: str) -> bool:
    """Objects worth registering: under the prefix, not a folder marker, not a dotfile."""
    name = posixpath.basename(key)
    return key.startswith(prefix) and not key.endswith("/") and bool(name) and not name.startswith(".")


def location(key: str, prefix: str) -> dict[str, str]:
    relative = key[len(prefix) :]
    return {
        "source_key": key,
        "filename": posixpath.basename(relative),
        "folder": posixpath.dirname(relative),
    }


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Registered:
    status: str  # added | updated | unchanged | ignored
    photo_id: UUID | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "photo_id": None if self.photo_id is None else str(self.photo_id)}


def register(event: Event, store: BlobStore, key: str, etag: str, data: bytes | None = None) -> Registered:
    """Register the object at `key` as a pending photo; idempotent per key + ETag and per content."""
    prefix = originals_prefix(event.slug)
    if not is_media_key(key, prefix):
        return Registered("ignored")
    etag = etag.strip('"')
    with scoped(event.id) as conn:
        existing = pipeline_repo.find_by_key(conn, event.id, key)
    if existing is not None and existing["etag"] == etag:
        return Registered("unchanged", existing["id"])
    if data is None:
        data = store.get(key)
    kind, mime = sniff(data[:64])
    fields = {
        **location(key, prefix),
        "content_hash": content_hash(data),
        "etag": etag,
        "size_bytes": len(data),
        "mime": mime,
        "kind": kind,
    }
    with scoped(event.id) as conn:
        existing = pipeline_repo.find_by_key(conn, event.id, key)
        if existing is None:
            photo_id = pipeline_repo.insert_photo(conn, event.id, fields)
            if photo_id is not None:
                return Registered("added", photo_id)
            existing = pipeline_repo.find_by_key(conn, event.id, key)  # a concurrent worker won
            assert existing is not None
            return Registered("unchanged", existing["id"])
        if existing["content_hash"] == fields["content_hash"]:
            pipeline_repo.update_source(conn, existing["id"], {"etag": etag})
            return Registered("unchanged", existing["id"])
        pipeline_repo.replace_content(
            conn,
            existing["id"],
            {k: fields[k] for k in ("content_hash", "etag", "size_bytes", "mime", "kind")},
        )
    delete_thumbnails(store, existing.get("thumbnails") or {})
    return Registered("updated", existing["id"])


def delete_thumbnails(store: BlobStore, thumbnails: dict[str, str]) -> None:
    for key in thumbnails.values():
        store.delete(key)
