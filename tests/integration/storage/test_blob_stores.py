"""Both blob stores honour the same contract: local directory and S3 (moto)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from eventlens.storage import BlobNotFound, BlobStore, InvalidKey
from eventlens.storage.local import LocalBlobStore
from eventlens.storage.s3 import S3BlobStore
from moto.server import ThreadedMotoServer


def test_put_then_get_returns_the_bytes(store: BlobStore) -> None:
    info = store.put("events/demo/originals/a.jpg", b"hello world", "image/jpeg")
    assert info.size == 11
    assert store.get("events/demo/originals/a.jpg") == b"hello world"


def test_ranged_get_returns_the_inclusive_slice(store: BlobStore) -> None:
    store.put("v.mp4", bytes(range(100)))
    assert store.get("v.mp4", (10, 19)) == bytes(range(10, 20))


def test_exists_head_delete(store: BlobStore) -> None:
    store.put("x/y.jpg", b"123")
    assert store.exists("x/y.jpg")
    assert store.head("x/y.jpg").size == 3
    store.delete("x/y.jpg")
    assert not store.exists("x/y.jpg")
    with pytest.raises(BlobNotFound):
        store.get("x/y.jpg")


def test_list_filters_by_prefix_and_changes_etag_with_content(store: BlobStore) -> None:
    store.put("events/a/1.jpg", b"1")
    store.put("events/a/sub/2.jpg", b"22")
    store.put("events/b/3.jpg", b"333")
    listed = {i.key: i for i in store.list("events/a/")}
    assert set(listed) == {"events/a/1.jpg", "events/a/sub/2.jpg"}
    before = store.head("events/a/1.jpg").etag
    store.put("events/a/1.jpg", b"changed")
    assert store.head("events/a/1.jpg").etag != before


def test_unsafe_keys_never_reach_the_store(store: BlobStore) -> None:
    for key in ("../escape.jpg", "/abs.jpg", "a\x00.jpg"):
        with pytest.raises(InvalidKey):
            store.put(key, b"x")


def test_local_store_cannot_escape_its_root(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    (tmp_path / "secret.txt").write_text("no")
    with pytest.raises(InvalidKey):
        store.get("../secret.txt")


def test_s3_presigned_put_and_get_work_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=f"http://{host}:{port}",
            config=Config(signature_version="s3v4"),
        )
        client.create_bucket(Bucket="originals")
        store = S3BlobStore("originals", client)
        put_url = store.url_for_put("events/demo/originals/up.jpg", "text/html")
        assert requests.put(put_url, data=b"jpeg-bytes", headers={"Content-Type": "text/html"}, timeout=10).ok
        assert store.get("events/demo/originals/up.jpg") == b"jpeg-bytes"
        url = store.url_for_get("events/demo/originals/up.jpg", "image/jpeg", "Été 2026.jpg")
        got = requests.get(url, timeout=10)
        assert got.content == b"jpeg-bytes"
        assert got.headers["Content-Type"] == "image/jpeg"  # the grant's, whatever was stored
        assert got.headers["Content-Disposition"] == (
            "attachment; filename=\"_t_ 2026.jpg\"; filename*=UTF-8''%C3%89t%C3%A9%202026.jpg"
        )
    finally:
        server.stop()
