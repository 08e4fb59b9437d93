"""The BlobStore contract and key validation shared by every implementation."""

from __future__ import annotations

import contextlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from urllib.parse import quote

from eventlens.errors import BlobNotFound, InvalidKey

_MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 255
"""Longest folder or file name in a key, in UTF-8 bytes: what a file system allows (ext4's
NAME_MAX), so the local store can hold every valid key and a key never fails only on disk."""
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")

__all__ = [
    "MAX_SEGMENT_BYTES",
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "BlobWriter",
    "InvalidKey",
    "validate_key",
]

CHUNK_BYTES = 1024 * 1024
"""What `read_chunks` hands over at a time unless told otherwise."""
PART_BYTES = 8 * 1024 * 1024
"""What a `BlobWriter` holds before it sends a part (S3: a multipart upload's part)."""


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative path, else raise InvalidKey saying why."""
    if not key or not isinstance(key, str):
        raise InvalidKey("empty key")
    try:
        size = len(key.encode())
    except UnicodeEncodeError:
        raise InvalidKey("key is not valid Unicode text") from None
    if size > _MAX_KEY_BYTES:
        raise InvalidKey("key longer than 1024 bytes")
    if _BAD_CHARS.search(key):
        raise InvalidKey("key contains a control character, NUL or backslash")
    if key.startswith("/") or re.match(r"^[A-Za-z]:", key):
        raise InvalidKey("absolute keys are not allowed")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts[:-1]) or parts[-1] in ("", ".", ".."):
        raise InvalidKey("key has an empty, '.' or '..' segment")
    if any(len(part.encode()) > MAX_SEGMENT_BYTES for part in parts):
        raise InvalidKey(f"key has a folder or file name longer than {MAX_SEGMENT_BYTES} bytes")
    return key


def content_disposition(download_name: str) -> str:
    """`attachment` with the name as ASCII and as RFC 5987 UTF-8, quotes and controls removed."""
    ascii_name = re.sub(r'[^\x20-\x7e]|["\\]', "_", download_name) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name, safe='')}"


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    etag: str
    last_modified: datetime | None = None


class BlobWriter(ABC):
    """A blob written in pieces, for one too large to hold in memory (a ZIP archive of originals).

    Nothing is readable under the key until `commit`, and `abort` leaves nothing behind. As a
    context manager the block's end commits and an exception aborts. It can `write` and `tell` but
    not `seek`, so `zipfile` writes each entry's sizes after its data (a data descriptor) instead of
    going back for them.
    """

    def __init__(self, key: str) -> None:
        self.key = validate_key(key)
        self.size = 0
        self.info: BlobInfo | None = None
        """Set by `commit`."""

    def write(self, data: bytes | bytearray | memoryview) -> int:
        written = self._write(data)
        self.size += written
        return written

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:  # noqa: B027 - deliberately nothing, for every store
        """Nothing to do: parts go out as they fill, the rest at `commit`."""

    def close(self) -> None:  # noqa: B027 - deliberately nothing, for every store
        """Nothing to do (zipfile never closes a file it was handed): `commit` or `abort` ends the blob."""

    @abstractmethod
    def _write(self, data: bytes | bytearray | memoryview) -> int: ...

    @abstractmethod
    def commit(self) -> BlobInfo:
        """Make the blob readable under its key, whole, and return what was stored."""

    @abstractmethod
    def abort(self) -> None:
        """Forget what was written; the key is left as it was."""

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            try:
                self.info = self.commit()
            except BaseException:
                self._abort_quietly()
                raise
        else:
            self._abort_quietly()

    def _abort_quietly(self) -> None:
        # The error that got us here is the one to report; an upload left behind by a failed abort
        # is removed by the store (S3: the bucket's lifecycle rule aborts stale multipart uploads).
        with contextlib.suppress(Exception):
            self.abort()


@dataclass(frozen=True)
class UploadedPart:
    """One part of a resumable (multipart) upload already stored: what completing it names."""

    number: int
    etag: str
    size: int = 0


class BlobStore(ABC):
    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str | None = None) -> BlobInfo: ...

    @abstractmethod
    def open_write(
        self,
        key: str,
        content_type: str | None = None,
        part_bytes: int = PART_BYTES,
        tags: dict[str, str] | None = None,
    ) -> BlobWriter:
        """A blob written in pieces of about `part_bytes` held in memory at a time, whatever its size.
        `tags` label the object where the store has labels (S3 object tags: lifecycle rules read
        them); a directory keeps none."""

    def read_chunks(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The blob's bytes in pieces of at most `chunk_bytes`: a large blob never sits in memory whole."""
        size = self.head(key).size
        for start in range(0, size, chunk_bytes):
            yield self.get(key, (start, min(size, start + chunk_bytes) - 1))

    @abstractmethod
    def get(self, key: str, byte_range: tuple[int, int] | None = None) -> bytes:
        """The blob's bytes, or the inclusive `byte_range` (start, end) of them."""

    @abstractmethod
    def head(self, key: str) -> BlobInfo: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[BlobInfo]: ...

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
        except BlobNotFound:
            return False
        return True

    def url_for_get(
        self, key: str, content_type: str, download_name: str | None = None, expires_s: int = 900
    ) -> str | None:
        """A short-lived URL a browser can GET the blob from directly, answered with `content_type`
        (and as an attachment named `download_name`); None: the store has none, the server streams
        the blob itself. Only `media.service.open_media`'s grants are ever turned into one."""
        return None

    @abstractmethod
    def url_for_put(self, key: str, content_type: str, expires_s: int = 900) -> str:
        """A URL a browser can PUT the blob to."""

    # -- resumable uploads: S3's multipart protocol, which the local store speaks too -------------

    @abstractmethod
    def create_multipart(self, key: str, content_type: str) -> str:
        """A new multipart upload of `key`: its upload id."""

    @abstractmethod
    def url_for_part(self, key: str, upload_id: str, number: int, expires_s: int = 900) -> str:
        """A URL a browser can PUT part `number` (1-based) to; its answer's ETag names the part."""

    @abstractmethod
    def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        """Stores part `number` as a PUT to its URL does (the command line's upload): its ETag;
        BlobNotFound for no such upload."""

    @abstractmethod
    def list_parts(self, key: str, upload_id: str) -> Sequence[UploadedPart]:
        """The parts stored so far (what a resumed upload skips); BlobNotFound for no such upload."""

    @abstractmethod
    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[UploadedPart]) -> BlobInfo:
        """The blob made of `parts`, in order; BlobNotFound for no such upload."""

    @abstractmethod
    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drops the upload and its parts (nothing for an unknown one)."""
