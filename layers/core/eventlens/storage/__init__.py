"""Blob storage: one interface, a local-directory and an S3 implementation.

Keys are relative, slash-separated paths such as `events/<event>/originals/a.jpg`; they are
validated before any store sees them.
"""

from __future__ import annotations

from functools import lru_cache

from eventlens.config import Settings, settings
from eventlens.storage.base import BlobNotFound, BlobStore, InvalidKey, validate_key

__all__ = ["BlobNotFound", "BlobStore", "InvalidKey", "blob_store", "validate_key"]


def make_blob_store(cfg: Settings) -> BlobStore:
    if cfg.blob_backend == "s3":
        from eventlens.storage.s3 import S3BlobStore

        if not cfg.bucket:
            raise ValueError("EVENTLENS_BUCKET is required with the s3 blob backend")
        return S3BlobStore(cfg.bucket)
    from eventlens.storage.local import LocalBlobStore

    return LocalBlobStore(cfg.blob_dir, public_base_url=cfg.media_base_url)


@lru_cache(maxsize=1)
def blob_store() -> BlobStore:
    return make_blob_store(settings())
