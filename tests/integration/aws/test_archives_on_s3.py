"""On AWS a ZIP download is built by the archive function, invoked asynchronously by the gallery
function: the originals are streamed into S3 as a multipart upload of `archive_part_bytes` parts,
and the archive's media URL redirects to a presigned GET that downloads it as an attachment."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from eventlens.config import reset_settings
from eventlens.devserver import LambdaContext
from eventlens.media import archives
from eventlens.storage import blob_store

from tests.helpers import scoped, stored_original
from tests.infra.iam import Names, lambda_call, statements
from tests.integration.api.conftest import Api
from tests.integration.aws.conftest import BUCKET, REGION, Calls, Invocations, function_handler

MiB = 1024 * 1024
PART = 5 * MiB


@pytest.fixture
def on_aws(s3: Calls, monkeypatch: pytest.MonkeyPatch) -> Invocations:
    """The gallery function's settings on AWS (template.yaml), with small parts to see several."""
    monkeypatch.setenv("EVENTLENS_ARCHIVE_FUNCTION", Names(BUCKET, REGION).function_arn("ArchiveFunction"))
    monkeypatch.setenv("EVENTLENS_ARCHIVE_PART_BYTES", str(PART))
    reset_settings()
    invocations = Invocations()
    monkeypatch.setattr(archives, "lambda_client", lambda: invocations)
    return invocations


def allowed(function: str, call: tuple[str, str, str | None]) -> bool:
    return any(s.allows(*call) for s in statements(function, Names(BUCKET, REGION)))


def test_a_selection_past_one_part_is_built_by_the_archive_function_as_a_multipart_upload(
    s3: Calls, on_aws: Invocations, make_event
) -> None:
    event = make_event("aws")
    originals = [os.urandom(4 * MiB + n) for n in range(3)]
    photos = [stored_original(event.id, f"IMG_{n}.JPG", data, "Day 1") for n, data in enumerate(originals)]
    api = Api()

    status, started = api("POST", "/api/events/aws/download", body={"ids": [str(p.id) for p in photos]})

    assert (status, started["status"], started["bytes_total"]) == (202, "pending", sum(map(len, originals)))
    (invoke,) = on_aws.calls
    assert invoke["InvocationType"] == "Event"
    assert allowed("GalleryFunction", lambda_call("Invoke", invoke))
    operations: list[str] = []
    blob_store().client.meta.events.register(  # type: ignore[attr-defined]
        "before-parameter-build.s3", lambda model, **_: operations.append(model.name)
    )
    s3.seen.clear()

    context = LambdaContext("ArchiveFunction", "req-1", deadline_ms=int(time.time() * 1000) + 900_000)
    result = function_handler("archive")(json.loads(invoke["Payload"]), context)

    assert result == {"archive_id": started["archive_id"], "status": "ready"}
    assert operations.count("CreateMultipartUpload") == 1
    assert operations.count("UploadPart") == 3  # 12 MiB of originals in 5 MiB parts
    assert operations.count("CompleteMultipartUpload") == 1
    assert "PutObject" not in operations
    assert [call for call in s3.seen if not allowed("ArchiveFunction", call)] == []
    status, ready = api("GET", f"/api/events/aws/archives/{started['archive_id']}")
    assert (status, ready["status"], ready["done"], ready["bytes_done"]) == (
        200,
        "ready",
        3,
        sum(map(len, originals)),
    )

    status, reply = api("GET", ready["url"])

    assert status == 302
    target = urlsplit(reply["headers"]["Location"])
    query = parse_qs(target.query)
    assert query["response-content-type"] == ["application/zip"]
    assert query["response-content-disposition"][0].startswith('attachment; filename="aws-photos.zip"')
    assert reply["headers"]["Cache-Control"].startswith("private")
    key = target.path.removeprefix(f"/{BUCKET}/").lstrip("/")
    assert key == f"events/aws/archives/{started['archive_id']}.zip"
    tagging = boto3.client("s3", region_name=REGION).get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tagging} == archives.ARCHIVE_TAGS  # what the lifecycle rule expires
    assert allowed("GalleryFunction", ("s3:GetObject", f"arn:aws:s3:::{BUCKET}/{key}", None))
    body = boto3.client("s3", region_name=REGION).get_object(Bucket=BUCKET, Key=key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.namelist() == [f"Day 1/IMG_{n}.JPG" for n in range(3)]
        assert [archive.read(name) for name in archive.namelist()] == originals


def test_an_archive_function_that_cannot_be_invoked_fails_the_archive(
    s3: Calls, on_aws: Invocations, make_event, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = make_event("aws")
    photo = stored_original(event.id, "a.jpg", b"a")

    def refuse(**_: Any) -> dict[str, Any]:
        raise RuntimeError("TooManyRequestsException")

    monkeypatch.setattr(on_aws, "invoke", refuse)
    api = Api()

    status, _ = api("POST", "/api/events/aws/download", body={"ids": [str(photo.id)]})

    assert status == 500  # logged; the visitor's page says the download could not start
    with scoped(event.id) as tx:
        rows = tx.execute("SELECT status, error FROM archives").fetchall()
    assert [(r["status"], r["error"]) for r in rows] == [
        ("failed", "The download could not be started. Please try again.")
    ]
