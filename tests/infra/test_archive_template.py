"""ZIP downloads on AWS are wired as media/archives.py expects: the gallery function invokes the
archive function (and nothing else), which writes only archives and outlives no pending request;
the bucket expires archives by their tag, and ingest leaves them alone."""

from __future__ import annotations

from typing import Any

from eventlens.media import archives
from eventlens.storage.keys import (
    archive_key,
    event_of_original,
    event_prefix,
    originals_prefix,
    thumbnail_key,
)

from tests.infra.iam import Names, statements

BUCKET = "eventlens-media"


def _allows(function: str, action: str, resource: str) -> bool:
    return any(s.allows(action, resource) for s in statements(function, Names(BUCKET)))


def test_the_gallery_function_invokes_the_archive_function_only(resources: dict[str, Any]) -> None:
    env = resources["GalleryFunction"]["Properties"]["Environment"]["Variables"]
    names = Names(BUCKET)

    assert env["EVENTLENS_ARCHIVE_FUNCTION"] == {"Fn::GetAtt": ["ArchiveFunction", "Arn"]}
    assert _allows("GalleryFunction", "lambda:InvokeFunction", names.function_arn("ArchiveFunction"))
    assert not _allows("GalleryFunction", "lambda:InvokeFunction", names.function_arn("MatchFunction"))
    assert _allows("GalleryFunction", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/{archive_key('demo', 'x')}")
    assert not _allows("GalleryFunction", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/{archive_key('demo', 'x')}")


def test_the_archive_function_reads_originals_and_writes_archives_only(resources: dict[str, Any]) -> None:
    archive = f"arn:aws:s3:::{BUCKET}/{archive_key('demo', 'x')}"
    others = [
        f"arn:aws:s3:::{BUCKET}/{key}"
        for key in (f"{originals_prefix('demo')}a.jpg", thumbnail_key("demo", "x", 320))
    ]

    assert _allows("ArchiveFunction", "s3:GetObject", others[0])
    for action in ("s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload", "s3:DeleteObject"):
        assert _allows("ArchiveFunction", action, archive), action
        assert not any(_allows("ArchiveFunction", action, other) for other in others), action


def test_the_archive_function_gives_a_build_its_time_and_retries_nothing(resources: dict[str, Any]) -> None:
    props = resources["ArchiveFunction"]["Properties"]

    assert props["Timeout"] == 900
    assert props["Timeout"] * 1000 > archives.BUDGET_MARGIN_MS
    assert props["EventInvokeConfig"]["MaximumRetryAttempts"] == 0  # a second run claims nothing
    assert props["EventInvokeConfig"]["MaximumEventAgeInSeconds"] == archives.PENDING_S


def test_archives_live_with_their_event_expire_by_their_tag_and_are_not_ingested(
    resources: dict[str, Any],
) -> None:
    bucket = resources["MediaBucket"]["Properties"]
    (rule,) = [r for r in bucket["LifecycleConfiguration"]["Rules"] if r["Id"] == "expire-archives"]
    tags = {t["Key"]: t["Value"] for t in rule["TagFilters"]}

    assert (rule["Status"], rule["ExpirationInDays"]) == ("Enabled", 1)
    assert tags == archives.ARCHIVE_TAGS
    assert archive_key("demo", "x").startswith(rule["Prefix"])
    assert archive_key("demo", "x").startswith(event_prefix("demo"))  # deleting the event deletes it
    assert event_of_original(archive_key("demo", "x")) is None  # what ingest answers "ignored" by
