"""A resumable album upload on S3 (moto): a multipart upload with a presigned URL per part, parts
PUT by the browser (here `requests`), listed to resume after a failure, completed into the album
upload's key or aborted; every S3 call the gallery function makes is one its role allows. The
command line's upload stores its parts straight into the bucket and resumes from those stored."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import boto3
import requests
from eventlens.storage import blob_store
from eventlens.storage.base import UploadedPart

from tests.integration.aws.conftest import Calls
from tests.integration.aws.test_iam_policies import refused

KEY = "events/fest/albums/0b0e3b7e-0000-4000-8000-000000000000/abc-large.jpg"
PART = 5 * 1024 * 1024


def test_parts_put_to_presigned_urls_resume_after_a_failure_and_complete_into_one_blob(s3: Calls) -> None:
    store = blob_store()
    data = os.urandom(2 * PART + 1234)
    pieces = [data[:PART], data[PART : 2 * PART], data[2 * PART :]]
    upload_id = store.create_multipart(KEY, "image/jpeg")

    first = requests.put(store.url_for_part(KEY, upload_id, 1), data=pieces[0], timeout=30)
    assert first.status_code == 200
    # the connection drops during part 2: the browser asks what is stored and sends the rest
    done = store.list_parts(KEY, upload_id)
    assert [(p.number, p.size) for p in done] == [(1, PART)]
    etags = {1: done[0].etag}
    for number in (2, 3):
        reply = requests.put(store.url_for_part(KEY, upload_id, number), data=pieces[number - 1], timeout=30)
        assert reply.status_code == 200
        etags[number] = reply.headers["ETag"].strip('"')
    info = store.complete_multipart(KEY, upload_id, [UploadedPart(n, e) for n, e in sorted(etags.items())])
    assert info.size == len(data)
    assert store.get(KEY) == data

    aborted = store.create_multipart(KEY.replace("large", "gone"), "image/jpeg")
    store.abort_multipart(KEY.replace("large", "gone"), aborted)
    assert refused("GalleryFunction", s3.seen) == []


def test_the_command_line_upload_resumes_on_s3_from_the_stored_parts(
    s3: Calls, make_event, owner_conn, tmp_path, monkeypatch
) -> None:
    from click.testing import CliRunner
    from eventlens.cli import main

    from tests.fixtures_photos import large_jpeg

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    event = make_event("fest")
    album = owner_conn.execute(
        "INSERT INTO albums (organization_id, event_id, title) VALUES (%s, %s, 'Large') RETURNING id",
        (event.organization_id, event.id),
    ).fetchone()[0]
    data = large_jpeg()
    photo = tmp_path / "large.jpg"
    photo.write_bytes(data)
    upload = ["albums", "upload", str(photo), "--album", str(album), "--event", "fest"]

    sent: list[int] = []
    boto3.DEFAULT_SESSION.events.register(  # the requests sent (a presigned URL is none)
        "before-send.s3.UploadPart",
        lambda request, **_: sent.append(int(parse_qs(urlsplit(request.url).query)["partNumber"][0])),
    )
    first = CliRunner().invoke(main, [*upload, "--max-parts", "2"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert sent == [1, 2]
    done = CliRunner().invoke(main, upload, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    parts = -(-len(data) // PART)
    assert f"resuming: 2 of {parts} parts stored" in done.output
    assert sent == list(range(1, parts + 1)), "each part sent once"
    assert "pending" in done.output
    key = owner_conn.execute(
        "SELECT o.key FROM album_items i JOIN stored_objects o ON o.id = i.object_id"
    ).fetchone()[0]
    assert blob_store().get(key) == data
