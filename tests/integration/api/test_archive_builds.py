"""The archive builder: one builder per archive however many start, a builder that went silent or
never started reads as failed, expired archives go with their blobs, and an event building many
archives at once refuses one more (the handler as API Gateway calls it, builders called directly)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from eventlens.media import archives
from eventlens.storage import blob_store

from tests.helpers import stored_original


@pytest.fixture
def no_builder(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Archives are recorded but no builder starts; the test starts them."""
    started: list[Any] = []
    monkeypatch.setattr(archives, "start_builder", lambda event, archive_id: started.append(archive_id))
    return started


@pytest.fixture
def demo(make_event) -> SimpleNamespace:
    """Event "demo" (its `id`) and its three public `photos`."""
    event = make_event("demo")
    photos = [stored_original(event.id, f"{n}.jpg", f"bytes of {n}".encode()) for n in range(3)]
    return SimpleNamespace(id=event.id, photos=photos)


def _ask(api, event: Any) -> dict[str, Any]:
    status, reply = api("POST", "/api/events/demo/download", body={"ids": [str(p.id) for p in event.photos]})
    assert status == 202, reply
    return reply


def test_two_builders_of_one_archive_build_it_once(api, demo, no_builder) -> None:
    archive_id = _ask(api, demo)["archive_id"]
    assert [str(a) for a in no_builder] == [archive_id]

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: archives.build_archive(demo.id, archive_id), range(2)))

    assert outcomes == ["ready", "skipped"]
    assert archives.build_archive(demo.id, archive_id) == "skipped"  # built: nothing to do
    status, reply = api("GET", f"/api/events/demo/archives/{archive_id}")
    assert (status, reply["status"], reply["done"]) == (200, "ready", 3)


def test_a_builder_that_went_silent_reads_as_failed_and_may_be_taken_over(
    api, demo, no_builder, owner_conn
) -> None:
    archive_id = _ask(api, demo)["archive_id"]
    owner_conn.execute(
        "UPDATE archives SET status = 'building', heartbeat_at = now() - interval '10 minutes' WHERE id = %s",
        (archive_id,),
    )

    status, reply = api("GET", f"/api/events/demo/archives/{archive_id}")

    assert (status, reply["status"], reply["url"]) == (200, "failed", None)
    assert reply["error"] == archives.STALE
    assert archives.build_archive(demo.id, archive_id) == "ready"


def test_a_request_no_builder_picked_up_reads_as_failed(api, demo, no_builder, owner_conn) -> None:
    archive_id = _ask(api, demo)["archive_id"]
    owner_conn.execute(
        "UPDATE archives SET created_at = now() - interval '11 minutes' WHERE id = %s", (archive_id,)
    )

    assert api("GET", f"/api/events/demo/archives/{archive_id}")[1]["status"] == "failed"
    assert archives.build_archive(demo.id, archive_id) == "skipped"  # too late: the visitor was told


def test_an_archive_whose_photos_all_went_private_fails_with_a_reason(
    api, demo, no_builder, owner_conn
) -> None:
    archive_id = _ask(api, demo)["archive_id"]
    owner_conn.execute("UPDATE photos SET hidden = true")

    assert archives.build_archive(demo.id, archive_id) == "failed"
    reply = api("GET", f"/api/events/demo/archives/{archive_id}")[1]
    assert (reply["status"], reply["error"]) == (
        "failed",
        "None of the selected photos can be downloaded any more.",
    )


def test_a_missing_original_fails_the_archive_without_naming_its_key(api, demo, no_builder) -> None:
    archive_id = _ask(api, demo)["archive_id"]
    blob_store().delete(demo.photos[1].source_key)

    assert archives.build_archive(demo.id, archive_id) == "failed"
    reply = api("GET", f"/api/events/demo/archives/{archive_id}")[1]
    assert "originals" not in reply["error"]
    assert not list(blob_store().list("events/demo/archives/"))


def test_expired_archives_go_with_their_blobs_at_the_next_build(api, demo, no_builder, owner_conn) -> None:
    old = _ask(api, demo)["archive_id"]
    assert archives.build_archive(demo.id, old) == "ready"
    assert [b.key for b in blob_store().list("events/demo/archives/")] == [f"events/demo/archives/{old}.zip"]
    owner_conn.execute("UPDATE archives SET expires_at = now() - interval '1 second' WHERE id = %s", (old,))

    new = _ask(api, demo)["archive_id"]
    assert archives.build_archive(demo.id, new) == "ready"

    assert [b.key for b in blob_store().list("events/demo/archives/")] == [f"events/demo/archives/{new}.zip"]
    assert owner_conn.execute("SELECT id::text FROM archives").fetchall() == [(new,)]


def test_an_event_building_many_archives_refuses_one_more_for_a_while(api, demo, no_builder) -> None:
    for _ in range(archives.MAX_IN_FLIGHT):
        _ask(api, demo)

    status, reply = api("POST", "/api/events/demo/download", body={"ids": [str(demo.photos[0].id)]})

    assert status == 429
    assert "try again" in reply["message"]


def test_a_download_names_at_most_500_photos(api, demo, no_builder) -> None:
    ids = [str(demo.photos[0].id)] * (archives.ARCHIVE_MAX_PHOTOS + 1)

    status, reply = api("POST", "/api/events/demo/download", body={"ids": ids})

    assert status == 422
    assert "500" in reply["message"]


def test_the_table_and_the_request_agree_on_the_most_photos_per_archive() -> None:
    from pathlib import Path

    sql = (Path(archives.__file__).parents[1] / "db/migrations/0012_archives.sql").read_text()
    assert f"cardinality(photo_ids) BETWEEN 1 AND {archives.ARCHIVE_MAX_PHOTOS}" in sql
