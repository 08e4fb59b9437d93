"""Reading a live folder where it is: a local directory, or an S3 bucket/prefix.

A listing says, per file, its size and a `stamp` that changes whenever its bytes may have: a local
file's inode and mtime in ns, an S3 object's ETag. Equal stamps at the same path mean unchanged
(the file is not read); an equal stamp at a new path means the file was renamed or moved (a local
rename keeps the inode and mtime; an S3 copy of a simply-uploaded object keeps the ETag).
"""

from __future__ import annotations

import os
import posixpath
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventlens.errors import InvalidLiveSource


@dataclass(frozen=True, slots=True)
class Entry:
    path: str
    """Relative to the folder, slash-separated."""
    size: int
    stamp: str


Page = tuple[list[Entry], str | None]
"""One page of a listing, and the cursor of the next (None: it was the last)."""


class FileGone(Exception):
    """A listed file could not be read any more (deleted or moved away mid-sync)."""


def _visible(path: str) -> bool:
    return not any(part.startswith(".") for part in path.split("/"))


class Folder(ABC):
    location: str

    @abstractmethod
    def list(self) -> Iterator[Entry]:
        """Every file under the folder (dotfiles and dot-folders left out)."""

    @abstractmethod
    def read(self, path: str) -> bytes: ...

    def list_page(self, cursor: str | None) -> Page:
        """One page of the listing from `cursor` (None: the first), and the next page's cursor (None:
        this was the last). A local folder is one page: walking it costs no request."""
        return list(self.list()), None

    def check(self) -> None:
        """Raise InvalidLiveSource when the folder cannot be listed."""
        try:
            next(iter(self.list()), None)
        except InvalidLiveSource:
            raise
        except Exception as exc:
            raise InvalidLiveSource(f"cannot list {self.location}: {exc}") from exc


class LocalFolder(Folder):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def check(self) -> None:
        if not self.root.is_dir():
            raise InvalidLiveSource(f"{self.root} is not a folder")
        super().check()

    def list(self) -> Iterator[Entry]:
        if not self.root.is_dir():
            raise InvalidLiveSource(f"{self.root} is not a folder (any more)")
        for top, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel_top = Path(top).relative_to(self.root).as_posix()
            for name in sorted(files):
                if name.startswith("."):
                    continue
                try:
                    st = os.stat(os.path.join(top, name), follow_symlinks=True)
                except OSError:
                    continue  # removed since the folder was read
                path = name if rel_top == "." else f"{rel_top}/{name}"
                yield Entry(path, st.st_size, f"{st.st_ino}:{st.st_mtime_ns}")

    def read(self, path: str) -> bytes:
        try:
            return (self.root / path).read_bytes()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise FileGone(path) from exc


class S3Folder(Folder):
    def __init__(self, bucket: str, prefix: str, client: Any = None, page_keys: int = 1000) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.location = f"s3://{bucket}/{prefix}"
        self._client = client
        self.page_keys = page_keys
        """Keys per ListObjectsV2 page (S3 answers at most 1,000)."""

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")
        return self._client

    def list(self) -> Iterator[Entry]:
        cursor: str | None = None
        while True:
            entries, cursor = self.list_page(cursor)
            yield from entries
            if cursor is None:
                return

    def list_page(self, cursor: str | None) -> Page:
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix, "MaxKeys": self.page_keys}
        if cursor is not None:
            params["ContinuationToken"] = cursor
        page = self.client.list_objects_v2(**params)
        entries = []
        for obj in page.get("Contents", []):
            path = obj["Key"][len(self.prefix) :]
            if path and not path.endswith("/") and _visible(path):
                entries.append(Entry(path, int(obj["Size"]), str(obj["ETag"]).strip('"')))
        return entries, page.get("NextContinuationToken") if page.get("IsTruncated") else None

    def read(self, path: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + path)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileGone(path) from exc
            raise
        return bytes(body.read())


def normalize(location: str) -> str:
    """The stored form of a location: an absolute folder path, or `s3://bucket/prefix/`."""
    location = location.strip()
    if location.startswith("s3://"):
        bucket, _, prefix = location[5:].partition("/")
        if not bucket or "/" in bucket:
            raise InvalidLiveSource(f"{location!r} names no bucket: write s3://bucket/prefix")
        prefix = prefix.strip("/")
        return f"s3://{bucket}/{prefix}/" if prefix else f"s3://{bucket}/"
    if not location:
        raise InvalidLiveSource("a live source needs a folder path or s3://bucket/prefix")
    return str(Path(location).expanduser().resolve())


def check_allowed(location: str) -> None:
    """Refuse an S3 location outside the buckets this installation may read (on AWS its functions'
    roles name them: IAM needs the ARNs, so the stack lists them, LiveSourceBuckets)."""
    if not location.startswith("s3://"):
        return
    from eventlens.config import settings

    allowed = settings().live_bucket_names
    bucket = location[5:].partition("/")[0]
    if allowed is not None and bucket not in allowed:
        names = ", ".join(sorted(allowed)) or "none yet"
        raise InvalidLiveSource(
            f"this installation may not read the bucket {bucket!r} (it may read: {names});"
            " its operator adds buckets to the stack parameter LiveSourceBuckets"
        )


def open_folder(location: str) -> Folder:
    if location.startswith("s3://"):
        bucket, _, prefix = location[5:].partition("/")
        return S3Folder(bucket, prefix)
    return LocalFolder(Path(location))


def folder_of(path: str) -> tuple[str, str]:
    """(folder, filename) of a relative path."""
    return posixpath.dirname(path), posixpath.basename(path)
