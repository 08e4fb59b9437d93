"""The S3 multipart writer holds about three parts, whatever the blob's size: the one filling and
at most two uploading (`PARTS_IN_FLIGHT`), even when S3 is slower than the writer."""

from __future__ import annotations

import threading
import time
import tracemalloc
from typing import Any

from eventlens.storage.s3 import MIN_PART_BYTES, PARTS_IN_FLIGHT, S3MultipartWriter

MiB = 1024 * 1024


class SlowS3:
    """Takes 20 ms a part and keeps nothing of it: only the writer's own memory is measured."""

    def __init__(self) -> None:
        self.parts: list[int] = []
        self.most_at_once = 0
        self.uploading = 0
        self.lock = threading.Lock()

    def create_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {"UploadId": "u"}

    def upload_part(self, Body: bytes, PartNumber: int, **_: Any) -> dict[str, Any]:
        with self.lock:
            self.uploading += 1
            self.most_at_once = max(self.most_at_once, self.uploading)
        time.sleep(0.02)
        with self.lock:
            self.uploading -= 1
            self.parts.append(len(Body))
        return {"ETag": f'"{PartNumber}"'}

    def complete_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {"ETag": '"whole"'}


def test_a_200_mib_blob_is_sent_holding_about_three_parts() -> None:
    s3 = SlowS3()
    chunk = b"x" * MiB
    tracemalloc.start()
    try:
        with S3MultipartWriter(
            s3, "media", "events/demo/archives/a.zip", "application/zip", MIN_PART_BYTES
        ) as out:
            for _ in range(200):
                out.write(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sum(s3.parts) == 200 * MiB
    assert s3.most_at_once <= PARTS_IN_FLIGHT
    assert peak < (PARTS_IN_FLIGHT + 1) * MIN_PART_BYTES + 2 * MiB, f"peak {peak / MiB:.1f} MiB"
