"""Time and memory of building one ZIP download, against the archive's size (issue: ZIP downloads
past Lambda's 6 MB and API Gateway's 29 s, and 2.5 GB in a phone's tab).

Before, `media.service.zip_originals` held the whole ZIP (and each original) in memory: a 200 MB
archive needed 200 MB and more. Now `media.zipstream.write_zip` streams one chunk of one original
at a time into a `BlobWriter`. Each measurement runs in a fresh interpreter, so its RSS high-water
mark is the build's own:

- before: the old way, the whole ZIP in a BytesIO (what the request held, then sent);
- local: the embedded store (a temporary file renamed into place), originals on local disk;
- s3: the S3 multipart writer (`archive_part_bytes` parts, two uploading while the next fills)
  against a stand-in client that streams originals from disk and drops the parts it is sent: the
  writer's and the ZIP's own memory, without a bucket (network time is not measured).

    .venv/bin/python benchmarks/archive_build.py [--mib 200] [--photo-mib 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import io, json, resource, sys, time, tracemalloc
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from eventlens.media.zipstream import Entry, write_zip
from eventlens.storage.local import LocalBlobStore
from eventlens.storage.s3 import S3BlobStore

root, mode, count, part = Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
local = LocalBlobStore(root)
keys = [f"events/bench/originals/IMG_{n:04d}.JPG" for n in range(count)]


class DiscardingS3:
    # What S3BlobStore calls, answered from local disk; parts are counted and dropped.
    def __init__(self):
        self.sent = 0
    def get_object(self, Bucket, Key, **_):
        from botocore.response import StreamingBody
        path = root / Key
        return {"Body": StreamingBody(path.open("rb"), path.stat().st_size)}
    def create_multipart_upload(self, **_):
        return {"UploadId": "u"}
    def upload_part(self, Body, PartNumber, **_):
        self.sent += len(Body)
        return {"ETag": f'"{PartNumber}"'}
    def complete_multipart_upload(self, **_):
        return {"ETag": '"done"'}
    def put_object(self, Body, **_):
        self.sent += len(Body)
        return {"ETag": '"one"'}
    def abort_multipart_upload(self, **_):
        pass


store = local if mode == "local" else S3BlobStore("bench", DiscardingS3())
entries = [Entry(k.rsplit("/", 1)[1], k, (root / k).stat().st_size) for k in keys]
tracemalloc.start()
started = time.perf_counter()
if mode == "before":  # what media.service.zip_originals did: the whole ZIP in a BytesIO
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for entry in entries:
            archive.writestr(entry.name, local.get(entry.key))
    size = len(buffer.getvalue())
else:
    size = write_zip(store, "archives/bench/x.zip", entries, lambda d, b: None, part_bytes=part).size
elapsed = time.perf_counter() - started
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "python_peak": peak, "rss_max_kib": rss, "size": size}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=200, help="originals in the archive, MiB in all")
    parser.add_argument("--photo-mib", type=int, default=5, help="size of one original")
    parser.add_argument("--part-mib", type=int, default=8, help="archive_part_bytes")
    args = parser.parse_args()
    count = args.mib // args.photo_mib
    print(f"command: {' '.join(sys.argv)}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"data: {count} originals of {args.photo_mib} MiB (random bytes) = {count * args.photo_mib} MiB")
    with tempfile.TemporaryDirectory(prefix="eventlens-archive-bench-") as tmp:
        root = Path(tmp)
        folder = root / "events/bench/originals"
        folder.mkdir(parents=True)
        for n in range(count):
            (folder / f"IMG_{n:04d}.JPG").write_bytes(os.urandom(args.photo_mib * 1024 * 1024))
        baseline = _baseline_rss_kib()
        print(f"{'store':6} {'archive':>10} {'time':>8} {'rate':>10} {'python peak':>12} {'RSS max':>9}")
        for mode in ("before", "local", "s3"):
            r = _build(root, mode, count, args.part_mib)
            mib = r["size"] / 2**20
            print(
                f"{mode:6} {mib:7.0f} MiB {r['seconds']:6.2f} s {mib / r['seconds']:6.0f} MiB/s"
                f" {r['python_peak'] / 2**20:8.1f} MiB {r['rss_max_kib'] / 1024:5.0f} MiB"
            )
        print(
            f"(an interpreter that imports the same modules and builds nothing: RSS max {baseline / 1024:.0f} MiB)"
        )


def _baseline_rss_kib() -> int:
    probe = (
        "import resource, sys; sys.path.insert(0, sys.argv[1]);"
        " import eventlens.media.zipstream, eventlens.storage.s3, botocore.response;"
        " print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(ROOT / "layers/core")], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def _build(root: Path, mode: str, count: int, part_mib: int) -> dict[str, float]:
    command = [sys.executable, "-c", CHILD, str(ROOT / "layers/core"), str(root), mode, str(count)]
    out = subprocess.run([*command, str(part_mib * 2**20)], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
