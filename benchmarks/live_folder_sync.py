"""Sync of an unchanged live folder: the stat fast path against re-hashing every file (issue 18).

A live folder is followed in place (`eventlens sources sync` / `watch`), so the common sync is one
where nothing changed. `sources.live.service.sync_live` lists the folder and trusts a file whose
size and stamp (inode, mtime in ns) are as last seen; the obvious alternative reads and hashes
every file each time (`rehash=True`, the same code otherwise). Both run in the same process
against the same folder and an embedded PostgreSQL (pgserver), after one first sync that registers
every file. The files were just written, so they are in the page cache: the re-hash figure is its
best case (a cold cache, a network share or S3 would read every byte again).

Each file is a real JPEG (scikit-image's coffee, 64x48) followed by random bytes up to `--kib`
(readers ignore them), so every file is distinct content of a realistic size.

    .venv/bin/python benchmarks/live_folder_sync.py [--files 10000] [--kib 256] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "core"), str(ROOT)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--kib", type=int, default=256, help="size of each file")
    parser.add_argument("--rounds", type=int, default=3, help="syncs timed per method (median)")
    args = parser.parse_args()

    import pgserver
    from eventlens.db.embedded import create_owner_role, provision
    from eventlens.db.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="live-bench-") as tmp:
        work = Path(tmp)
        srv = pgserver.get_server(work / "pg", cleanup_mode="stop")
        admin = str(srv.get_uri("postgres"))
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            create_owner_role(conn)
        url = provision(admin, "live_bench")
        upgrade(url)
        os.environ["DATABASE_URL"] = url
        os.environ["EVENTLENS_HOME"] = str(work / "home")
        os.environ.setdefault("EVENTLENS_TOKEN_SECRET", "bench-" + "x" * 32)
        from eventlens.config import reset_settings

        reset_settings()  # read again with this database and home
        run(work, args.files, args.kib, args.rounds)
        srv.cleanup()


def run(work: Path, files: int, kib: int, rounds: int) -> None:
    from eventlens.events.service import create_event
    from eventlens.scope import Scope
    from eventlens.sources.live.service import add_live_source, sync_live
    from eventlens.storage import blob_store

    from tests.fixtures_photos import real_jpeg

    head = real_jpeg("coffee", (64, 48))
    folder = work / "photos"
    started = time.perf_counter()
    for n in range(files):
        path = folder / f"Day {n % 3 + 1}" / f"IMG_{n:05d}.JPG"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(head + os.urandom(max(0, kib * 1024 - len(head))))
    written = time.perf_counter() - started
    event = create_event("bench", "Bench", password=os.urandom(12).hex())
    add_live_source(Scope.organizer(event, "organizer"), str(folder))
    store = blob_store()

    started = time.perf_counter()
    first = sync_live(Scope.pipeline(event), store)
    first_s = time.perf_counter() - started
    assert first is not None, "the event has a live folder"
    assert first.added == files, first

    timings: dict[str, list[float]] = {"stat fast path": [], "re-hash every file": []}
    for _ in range(rounds):
        for label, rehash in (("stat fast path", False), ("re-hash every file", True)):
            started = time.perf_counter()
            report = sync_live(Scope.pipeline(event), store, rehash=rehash)
            timings[label].append(time.perf_counter() - started)
            assert report is not None, "the event has a live folder"
            assert (report.unchanged, report.changed) == (files, 0), report
            assert report.read == (files if rehash else 0)

    total_mib = files * kib / 1024
    print(
        f"# live folder sync, {files} files x {kib} KiB ({total_mib:,.0f} MiB), {platform.machine()},"
        f" {os.cpu_count()} CPUs, Python {platform.python_version()}, embedded PostgreSQL (pgserver)"
    )
    print(f"writing the folder: {written:.1f} s; first sync (hash + keep every original): {first_s:.1f} s")
    print("| unchanged folder, sync by | median s | files read | ms per 1,000 files |")
    print("|---|---|---|---|")
    for label, values in timings.items():
        median = statistics.median(values)
        read = files if label.startswith("re-hash") else 0
        print(f"| {label} | {median:.2f} | {read} | {median / files * 1e6:.1f} |")
    ratio = statistics.median(timings["re-hash every file"]) / statistics.median(timings["stat fast path"])
    print(f"re-hashing is {ratio:.1f}x slower ({rounds} rounds each, page cache warm)")


if __name__ == "__main__":
    main()
