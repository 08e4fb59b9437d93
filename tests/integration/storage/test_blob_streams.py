"""Both blob stores write and read a blob in pieces: nothing is visible before commit, an abort
leaves nothing, and on S3 a blob past one part is a multipart upload of parts that size."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from eventlens.storage import BlobNotFound, BlobStore
from eventlens.storage.s3 import MIN_PART_BYTES, S3BlobStore
from moto import mock_aws

MiB = 1024 * 1024


def _write_then_fail(store: BlobStore, key: str) -> None:
    """More than one part written, then the writer's block fails."""
    with store.open_write(key, part_bytes=MIN_PART_BYTES) as out:
        out.write(os.urandom(6 * MiB))
        raise RuntimeError("stopped")


def test_a_blob_written_in_pieces_is_visible_whole_only_after_commit(store: BlobStore) -> None:
    data = os.urandom(12 * MiB + 7)
    with store.open_write("archives/demo/a.zip", "application/zip", part_bytes=MIN_PART_BYTES) as out:
        for start in range(0, len(data), MiB):
            out.write(data[start : start + MiB])
        assert out.tell() == len(data)
        assert not store.exists("archives/demo/a.zip")

    assert out.info is not None
    assert out.info.size == len(data)
    assert store.get("archives/demo/a.zip") == data
    assert b"".join(store.read_chunks("archives/demo/a.zip", MiB)) == data
    assert max(len(c) for c in store.read_chunks("archives/demo/a.zip", MiB)) <= MiB


def test_an_aborted_blob_leaves_nothing_and_the_old_one_stands(store: BlobStore) -> None:
    store.put("archives/demo/a.zip", b"old")
    with pytest.raises(RuntimeError, match="stopped"):
        _write_then_fail(store, "archives/demo/a.zip")

    assert store.get("archives/demo/a.zip") == b"old"


def test_reading_a_missing_blob_in_pieces_is_blob_not_found(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        list(store.read_chunks("events/demo/originals/none.jpg"))


def test_s3_sends_parts_of_the_configured_size_and_aborts_on_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="media")
        calls: list[tuple[str, int]] = []

        def record(model: Any, params: dict[str, Any], **_: Any) -> None:
            body = params.get("Body", b"")
            calls.append((model.name, len(body) if isinstance(body, bytes) else len(body.getbuffer())))

        client.meta.events.register("before-parameter-build.s3", record)
        store = S3BlobStore("media", client)

        with store.open_write(
            "archives/demo/a.zip", part_bytes=MIN_PART_BYTES, tags={"kind": "archive"}
        ) as out:
            out.write(os.urandom(11 * MiB))
        with pytest.raises(RuntimeError, match="stopped"):
            _write_then_fail(store, "archives/demo/b.zip")

        parts = [size for name, size in calls if name == "UploadPart"]
        assert [name for name, _ in calls if name != "UploadPart"] == [
            "CreateMultipartUpload",
            "CompleteMultipartUpload",
            "CreateMultipartUpload",
            "AbortMultipartUpload",
        ]
        assert parts == [MIN_PART_BYTES, MIN_PART_BYTES, 11 * MiB - 2 * MIN_PART_BYTES, MIN_PART_BYTES]
        assert client.list_multipart_uploads(Bucket="media").get("Uploads", []) == []
        assert not store.exists("archives/demo/b.zip")
        tags = client.get_object_tagging(Bucket="media", Key="archives/demo/a.zip")["TagSet"]
        assert tags == [{"Key": "kind", "Value": "archive"}]
        with pytest.raises(ValueError, match="at least"):
            store.open_write("archives/demo/c.zip", part_bytes=MiB)
