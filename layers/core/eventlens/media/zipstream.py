"""A ZIP of originals written to the blob store as a stream: one chunk of one original in memory at
a time (plus the writer's parts), never the archive, whatever its size.

Entries are stored, not compressed (JPEGs and videos do not shrink), with each one's sizes and
checksum after its data, since a blob writer cannot seek back; zip64 records are written once the
archive passes 4 GiB. Every unzip tool reads these through the central directory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from eventlens.storage.base import CHUNK_BYTES, BlobInfo, BlobStore

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The earliest time a ZIP entry can carry."""


@dataclass(frozen=True)
class Entry:
    name: str
    """The path inside the archive."""
    key: str
    """The blob it is read from."""
    size_hint: int
    """The bytes expected (the photo's size_bytes; 0 when unknown): only decides zip64 for the entry."""
    modified: datetime | None = None


Progress = Callable[[int, int], None]
"""Called with (entries finished, bytes of originals written) after each chunk; raising stops the
archive (nothing is left under its key)."""


def entry_name(folder: str, filename: str) -> str:
    return f"{folder}/{filename}" if folder else filename


def unique_names(names: Iterable[tuple[str, str]]) -> list[str]:
    """Archive paths for (photo id, path) pairs: a path taken already gets the photo id in front."""
    taken: set[str] = set()
    out: list[str] = []
    for photo_id, name in names:
        if name in taken:
            name = f"{photo_id}-{name}"
        taken.add(name)
        out.append(name)
    return out


def write_zip(
    store: BlobStore,
    key: str,
    entries: list[Entry],
    progress: Progress,
    *,
    part_bytes: int,
    chunk_bytes: int = CHUNK_BYTES,
    tags: dict[str, str] | None = None,
) -> BlobInfo:
    """Write `entries` as one ZIP under `key`; what was stored. On any error nothing is left there."""
    written = 0
    with (
        store.open_write(key, "application/zip", part_bytes=part_bytes, tags=tags) as out,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive,
    ):
        for finished, entry in enumerate(entries):
            info = zipfile.ZipInfo(entry.name, date_time=_zip_time(entry.modified))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = entry.size_hint
            info.external_attr = 0o644 << 16
            with archive.open(info, "w") as dest:
                for chunk in store.read_chunks(entry.key, chunk_bytes):
                    dest.write(chunk)
                    written += len(chunk)
                    progress(finished, written)
            progress(finished + 1, written)
    assert out.info is not None
    return out.info


def _zip_time(moment: datetime | None) -> tuple[int, int, int, int, int, int]:
    if moment is None or not 1980 <= moment.year <= 2107:  # what a ZIP's DOS time can hold
        return ZIP_EPOCH
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
