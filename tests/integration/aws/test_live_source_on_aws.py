"""On AWS a live folder is an S3 prefix in a bucket the stack lists (LiveSourceBuckets): the sync
phase lists it a page at a time, staging each page with the next page's continuation token, and
reads new files only while its budget lasts, so a listing larger than one Lambda invocation spans
invocations (the state machine calls sync again on `done: false`) without listing anything twice.
Every S3 call it makes is one its role allows, and only for the buckets the stack names."""

from __future__ import annotations

import boto3
import pytest
from eventlens.config import reset_settings
from eventlens.resilience import WallClockGuard
from eventlens.scope import Scope
from eventlens.sources.live.folders import S3Folder
from eventlens.sources.live.service import add_live_source, sync_live
from eventlens.storage import blob_store

from tests.fixtures_photos import real_jpeg
from tests.helpers import Ticks
from tests.infra.iam import Names, statements
from tests.integration.aws.conftest import BUCKET, REGION, Calls

ORGANIZER_BUCKET = "organizer-photos"
PHOTOS, NOTES, PAGE = 5, 20, 10


def refused(
    function: str, calls: list[tuple[str, str, str | None]], buckets: str
) -> list[tuple[str, str, str | None]]:
    allowed = statements(function, Names(BUCKET, REGION, parameters={"LiveSourceBuckets": buckets}))
    return [call for call in calls if not any(s.allows(*call) for s in allowed)]


@pytest.fixture
def organizer_bucket(s3: Calls, monkeypatch: pytest.MonkeyPatch) -> object:
    """The organizer's bucket, which the stack lists: 5 photos and 20 notes under gala/."""
    monkeypatch.setenv("EVENTLENS_LIVE_BUCKETS", ORGANIZER_BUCKET)
    reset_settings()
    client = boto3.session.Session(region_name=REGION).client("s3")  # the organizer's: not recorded
    client.create_bucket(Bucket=ORGANIZER_BUCKET)
    for n in range(PHOTOS):
        client.put_object(
            Bucket=ORGANIZER_BUCKET, Key=f"gala/Day 1/photo-{n}.jpg", Body=real_jpeg("coffee", (64 + n, 48))
        )
    for n in range(NOTES):
        client.put_object(
            Bucket=ORGANIZER_BUCKET, Key=f"gala/notes/note-{n:02}.txt", Body=f"note {n}".encode()
        )
    return client


def photos(owner_conn, event_id) -> list[tuple[str, str]]:
    return owner_conn.execute(
        "SELECT folder, filename FROM photos WHERE event_id = %s ORDER BY filename", (event_id,)
    ).fetchall()


def test_a_listing_larger_than_one_invocation_spans_invocations_and_lists_each_page_once(
    s3: Calls, organizer_bucket, make_event, owner_conn
) -> None:
    event = make_event("gala")
    add_live_source(Scope.organizer(event, "organizer"), f"s3://{ORGANIZER_BUCKET}/gala")
    assert refused("AdminFunction", s3.seen, ORGANIZER_BUCKET) == []  # the wizard's check lists it
    s3.seen.clear()

    def paged(location: str) -> S3Folder:
        bucket, _, prefix = location[len("s3://") :].partition("/")
        return S3Folder(bucket, prefix, page_keys=PAGE)

    reports = []
    while not reports or not reports[-1].done:
        assert len(reports) < 50, "the sync makes no progress"
        guard = WallClockGuard(1_500, clock=Ticks())  # two steps (a page listed, a file read) a call
        reports.append(sync_live(Scope.pipeline(event), blob_store(), guard, opener=paged))
        if len(reports) == 1:  # two pages listed, the third to come from the saved token
            assert not reports[0].done
            assert photos(owner_conn, event.id) == []
            state = owner_conn.execute(
                "SELECT listing, listing_cursor IS NOT NULL FROM live_sources WHERE event_id = %s",
                (event.id,),
            ).fetchone()
            assert state == ("listing", True)

    assert len(reports) > 3
    assert photos(owner_conn, event.id) == [("Day 1", f"photo-{n}.jpg") for n in range(PHOTOS)]
    assert sum(r.read for r in reports) == PHOTOS + NOTES  # every file read once, never again
    assert sum(r.removed for r in reports) == 0
    lists = [call for call in s3.seen if call[0] == "s3:ListBucket"]
    assert len(lists) == -(-(PHOTOS + NOTES) // PAGE)  # each page once: 25 files, pages of 10
    assert owner_conn.execute(
        "SELECT listing, count(l.path) FROM live_sources s LEFT JOIN live_listing l USING (event_id)"
        " WHERE s.event_id = %s GROUP BY listing",
        (event.id,),
    ).fetchone() == (None, 0)
    assert refused("SyncFunction", s3.seen, ORGANIZER_BUCKET) == []
    # The role reads no bucket the stack does not list: without the parameter every call to the
    # organizer's bucket is refused.
    others = refused("SyncFunction", s3.seen, "")
    assert others
    assert all(ORGANIZER_BUCKET in resource for _, resource, _ in others)


def test_the_sync_phase_follows_a_rename_in_the_bucket_and_keeps_the_photo(
    s3: Calls, organizer_bucket, make_event, owner_conn
) -> None:
    from eventlens.pipeline.runner import run_phase

    event = make_event("gala")
    add_live_source(Scope.organizer(event, "organizer"), f"s3://{ORGANIZER_BUCKET}/gala")
    assert run_phase(event, "sync", 120_000)["done"]
    before = owner_conn.execute(
        "SELECT id FROM photos WHERE event_id = %s AND filename = 'photo-0.jpg'", (event.id,)
    ).fetchone()
    organizer_bucket.copy_object(  # type: ignore[attr-defined]
        Bucket=ORGANIZER_BUCKET,
        Key="gala/Keynote/stage.jpg",
        CopySource={"Bucket": ORGANIZER_BUCKET, "Key": "gala/Day 1/photo-0.jpg"},
    )
    organizer_bucket.delete_object(Bucket=ORGANIZER_BUCKET, Key="gala/Day 1/photo-0.jpg")  # type: ignore[attr-defined]
    s3.seen.clear()

    result = run_phase(event, "sync", 120_000)

    assert result["done"]
    after = owner_conn.execute(
        "SELECT id, folder FROM photos WHERE event_id = %s AND filename = 'stage.jpg'", (event.id,)
    ).fetchone()
    assert after == (before[0], "Keynote")
    assert len(photos(owner_conn, event.id)) == PHOTOS
    assert refused("SyncFunction", s3.seen, ORGANIZER_BUCKET) == []
