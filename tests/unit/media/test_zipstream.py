"""A ZIP of originals is streamed into the blob store: every unzip tool opens it, a name is never
written twice, a failure leaves nothing behind, and memory stays at a chunk, not the archive."""

from __future__ import annotations

import os
import time
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eventlens.media.zipstream import Entry, entry_name, unique_names, write_zip
from eventlens.storage.local import LocalBlobStore

MiB = 1024 * 1024
PART = 8 * MiB


def _store_originals(store: LocalBlobStore, sizes: list[int]) -> list[Entry]:
    entries = []
    for n, size in enumerate(sizes):
        key = f"events/demo/originals/Day 1/IMG_{n:04d}.JPG"
        store.put(key, os.urandom(size))
        entries.append(Entry(entry_name("Day 1", f"IMG_{n:04d}.JPG"), key, size))
    return entries


def test_the_archive_opens_with_every_name_bytes_and_time(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("events/demo/originals/a.jpg", b"a" * 3000)
    store.put("events/demo/originals/Day 1/b.jpg", b"b" * 10)
    entries = [
        Entry("a.jpg", "events/demo/originals/a.jpg", 3000, datetime(2024, 5, 1, 10, 30, 2, tzinfo=UTC)),
        Entry("Day 1/b.jpg", "events/demo/originals/Day 1/b.jpg", 10, datetime(1970, 1, 1, tzinfo=UTC)),
    ]
    seen: list[tuple[int, int]] = []

    info = write_zip(store, "archives/demo/x.zip", entries, lambda d, b: seen.append((d, b)), part_bytes=PART)

    with zipfile.ZipFile(tmp_path / "archives/demo/x.zip") as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["a.jpg", "Day 1/b.jpg"]
        assert archive.read("a.jpg") == b"a" * 3000
        assert archive.getinfo("a.jpg").date_time == (2024, 5, 1, 10, 30, 2)
        assert archive.getinfo("Day 1/b.jpg").date_time == (1980, 1, 1, 0, 0, 0)  # a ZIP's earliest
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
    assert info.size == (tmp_path / "archives/demo/x.zip").stat().st_size
    assert seen[-1] == (2, 3010)


def test_a_name_taken_already_gets_the_photo_id_in_front() -> None:
    names = unique_names([("id-1", "Day 1/a.jpg"), ("id-2", "Day 1/a.jpg"), ("id-3", "a.jpg")])

    assert names == ["Day 1/a.jpg", "id-2-Day 1/a.jpg", "a.jpg"]


def test_a_failed_archive_leaves_nothing_under_its_key(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    entries = _store_originals(store, [2 * MiB, 2 * MiB])

    def stop(done: int, written: int) -> None:
        if written > 3 * MiB:
            raise RuntimeError("out of time")

    with pytest.raises(RuntimeError, match="out of time"):
        write_zip(store, "archives/demo/x.zip", entries, stop, part_bytes=PART)

    assert not store.exists("archives/demo/x.zip")
    assert not list((tmp_path / "archives/demo").iterdir())  # no temporary file either


def test_building_a_200_mb_archive_keeps_peak_memory_far_below_it(tmp_path: Path) -> None:
    """40 camera-sized originals (5 MiB each): Python allocates about one chunk at a time."""
    store = LocalBlobStore(tmp_path)
    entries = _store_originals(store, [5 * MiB] * 40)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        info = write_zip(store, "archives/demo/big.zip", entries, lambda d, b: None, part_bytes=PART)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started

    assert info.size > 200 * MiB
    assert peak < 8 * MiB, (
        f"peak {peak / MiB:.1f} MiB for a {info.size / MiB:.0f} MiB archive in {elapsed:.1f} s"
    )
    with zipfile.ZipFile(tmp_path / "archives/demo/big.zip") as archive:
        assert len(archive.namelist()) == 40
        assert archive.getinfo("Day 1/IMG_0039.JPG").file_size == 5 * MiB
