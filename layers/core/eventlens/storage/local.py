"""Blobs in a local directory (the embedded mode), served by `eventlens serve` under /media."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from eventlens.storage.base import (
    CHUNK_BYTES,
    PART_BYTES,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobWriter,
    UploadedPart,
    validate_key,
)

MULTIPART_DIR = ".multipart"
"""Under the root, beside the keys (no key starts with a dot): one folder per resumable upload."""


class LocalBlobWriter(BlobWriter):
    """Straight into a hidden temporary file beside the blob, renamed over it on commit."""

    def __init__(self, store: LocalBlobStore, key: str) -> None:
        super().__init__(key)
        self.store = store
        self.path = store.path(key)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".upload-")
        self.tmp = Path(tmp)
        self.file = os.fdopen(fd, "wb")

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        return self.file.write(data)

    def commit(self) -> BlobInfo:
        self.file.close()
        os.replace(self.tmp, self.path)  # readers never see a half-written blob
        return self.store.head(self.key)

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path, public_base_url: str = "/media") -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.public_base_url = public_base_url.rstrip("/")

    def path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise BlobNotFound(key)
        return path

    def put(self, key: str, data: bytes, content_type: str | None = None) -> BlobInfo:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)  # readers never see a half-written blob
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return BlobInfo(key, len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())

    def open_write(
        self,
        key: str,
        content_type: str | None = None,
        part_bytes: int = PART_BYTES,
        tags: dict[str, str] | None = None,
    ) -> LocalBlobWriter:
        return LocalBlobWriter(self, key)

    def read_chunks(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        path = self.path(key)
        try:
            f = path.open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise BlobNotFound(key) from None
        with f:
            while chunk := f.read(chunk_bytes):
                yield chunk

    def get(self, key: str, byte_range: tuple[int, int] | None = None) -> bytes:
        path = self.path(key)
        try:
            with path.open("rb") as f:
                if byte_range is None:
                    return f.read()
                start, end = byte_range
                f.seek(start)
                return f.read(max(0, end - start + 1))
        except (FileNotFoundError, IsADirectoryError):
            raise BlobNotFound(key) from None

    def head(self, key: str) -> BlobInfo:
        path = self.path(key)
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        if not path.is_file():
            raise BlobNotFound(key)
        return self._info(key, stat)

    @staticmethod
    def _info(key: str, stat: os.stat_result) -> BlobInfo:
        # size+mtime stands in for an ETag: cheap, and it changes whenever the content does.
        return BlobInfo(
            key,
            stat.st_size,
            f"{stat.st_size:x}-{stat.st_mtime_ns:x}",
            datetime.fromtimestamp(stat.st_mtime, UTC),
        )

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for name in sorted(filenames):
                if name.startswith(".upload-"):
                    continue
                full = Path(dirpath) / name
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield self._info(key, full.stat())

    def url_for_put(self, key: str, content_type: str, expires_s: int = 900) -> str:
        return f"{self.public_base_url}/{quote(validate_key(key))}"

    # -- resumable uploads: S3's multipart protocol, parts PUT to the local server ----------------

    def _upload_dir(self, key: str, upload_id: str) -> Path:
        """The folder of `upload_id`, if it is an upload of `key` (BlobNotFound otherwise)."""
        if not re.fullmatch(r"[0-9a-f]{32}", upload_id):
            raise BlobNotFound(key)
        folder = self.root / MULTIPART_DIR / upload_id
        try:
            named = (folder / "key").read_text()
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFound(key) from None
        if named != validate_key(key):
            raise BlobNotFound(key)
        return folder

    def create_multipart(self, key: str, content_type: str) -> str:
        upload_id = secrets.token_hex(16)
        folder = self.root / MULTIPART_DIR / upload_id
        folder.mkdir(parents=True)
        (folder / "key").write_text(validate_key(key))
        return upload_id

    def url_for_part(self, key: str, upload_id: str, number: int, expires_s: int = 900) -> str:
        return f"{self.public_base_url}/{quote(validate_key(key))}?upload_id={upload_id}&part={number}"

    def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        """Stores one part (the local server's PUT of a part URL): its ETag, the MD5 as S3's."""
        if not 1 <= number <= 10_000:
            raise BlobNotFound(key)
        folder = self._upload_dir(key, upload_id)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, folder / f"{number:05d}")
        return hashlib.md5(data, usedforsecurity=False).hexdigest()

    def list_parts(self, key: str, upload_id: str) -> Sequence[UploadedPart]:
        folder = self._upload_dir(key, upload_id)
        return [
            UploadedPart(
                int(p.name), hashlib.md5(p.read_bytes(), usedforsecurity=False).hexdigest(), p.stat().st_size
            )
            for p in sorted(folder.iterdir())
            if p.name.isdigit()
        ]

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[UploadedPart]) -> BlobInfo:
        folder = self._upload_dir(key, upload_id)
        stored = {p.number: p for p in self.list_parts(key, upload_id)}
        if not parts or any(stored.get(p.number) is None or stored[p.number].etag != p.etag for p in parts):
            raise BlobNotFound(key)  # S3 answers InvalidPart: a part missing or not the one named
        with self.open_write(key) as out:
            for part in sorted(parts, key=lambda p: p.number):
                out.write((folder / f"{part.number:05d}").read_bytes())
        shutil.rmtree(folder, ignore_errors=True)
        return self.head(key)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            shutil.rmtree(self._upload_dir(key, upload_id), ignore_errors=True)
        except BlobNotFound:
            return
