"""Given a Drive folder served by the fake Drive, sync keeps the event's photos in step with it
through Google's own client: the first sync lists every folder and every page, later ones follow
the Changes API; the file id is the identity (a rename or a move keeps the row), deletions remove,
new bytes are fetched again; Drive's failures stay where they belong (one file, or the source)."""

from __future__ import annotations

import json
from pathlib import Path

from eventlens.resilience import RetryPolicy
from eventlens.scope import Scope
from eventlens.sources.drive.client import DriveClient
from eventlens.sources.drive.service import _credentials_info, drive_source, sync_drive
from eventlens.storage import blob_store

from tests.fakes.drive_server import (
    ROOT,
    FakeDriveServer,
    Scripted,
    insufficient_permissions,
    not_found,
    rate_limited,
)
from tests.fixtures_photos import real_jpeg
from tests.helpers import scoped

SMALL = (64, 48)


def photo(name: str, quality: int = 90) -> bytes:
    return real_jpeg(name, SMALL, quality)


def rows(event) -> dict[str, dict]:
    """Photos by Drive file id (the last part of their key)."""
    with scoped(event.id) as tx:
        found = tx.execute("SELECT * FROM photos").fetchall()
    return {r["source_key"].rsplit("/", 1)[-1]: r for r in found}


def sync(event):
    return sync_drive(Scope.pipeline(event), blob_store())


def test_the_first_sync_lists_every_folder_and_page_and_records_each_files_folder_path(
    drive_event, drive: FakeDriveServer
) -> None:
    day1 = drive.add_folder("Day 1")
    stage = drive.add_folder("Stage", parent=day1)
    ids = {
        "cat": drive.add_file("cat.jpg", photo("chelsea")),
        "coffee": drive.add_file("coffee.jpg", photo("coffee"), parent=day1),
        "rocket": drive.add_file("rocket.jpg", photo("rocket"), parent=stage),
        "astronaut": drive.add_file("astronaut.jpg", photo("astronaut"), parent=stage),
        "moon": drive.add_file("moon.jpg", photo("moon"), parent=stage),
    }
    drive.add_file("notes.pdf", b"%PDF-1.4", parent=day1, mime_type="application/pdf")

    report = sync(drive_event)

    assert report is not None
    assert report.error is None
    assert report.done
    assert (report.files, report.added) == (5, 5)
    found = rows(drive_event)
    assert set(found) == set(ids.values())
    assert {found[i]["filename"]: found[i]["folder"] for i in ids.values()} == {
        "cat.jpg": "",
        "coffee.jpg": "Day 1",
        "rocket.jpg": "Day 1/Stage",
        "astronaut.jpg": "Day 1/Stage",
        "moon.jpg": "Day 1/Stage",
    }
    assert all(r["analyze_status"] == "pending" for r in found.values())
    assert blob_store().get(found[ids["rocket"]]["source_key"]) == photo("rocket")
    listed = [r.query["q"] for r in drive.calls("files.list")]
    assert len([q for q in listed if stage in q]) == 2  # three files in Stage, two per page
    assert {q.split("'")[1] for q in listed} == {ROOT, day1, stage}  # each folder on its own
    assert drive_source(Scope.pipeline(drive_event)).incremental


def test_later_syncs_follow_the_changes_api_and_a_rename_or_move_keeps_the_photo(
    drive_event, drive: FakeDriveServer
) -> None:
    day1, day2 = drive.add_folder("Day 1"), drive.add_folder("Day 2")
    cat = drive.add_file("cat.jpg", photo("chelsea"), parent=day1)
    coffee = drive.add_file("coffee.jpg", photo("coffee"), parent=day1)
    sync(drive_event)
    before = rows(drive_event)
    listings, downloads = len(drive.calls("files.list")), len(drive.calls("media"))

    drive.rename(cat, "Chelsea the cat.jpg")
    drive.move(coffee, day2)
    drive.rename(day2, "Day two")
    report = sync(drive_event)

    assert report is not None
    assert (report.moved, report.added, report.removed) == (2, 0, 0)
    assert len(drive.calls("files.list")) == listings  # no listing: the Changes API said it all
    assert len(drive.calls("media")) == downloads  # nothing fetched again
    after = rows(drive_event)
    assert after[cat]["id"] == before[cat]["id"]
    assert after[coffee]["id"] == before[coffee]["id"]
    assert (after[cat]["filename"], after[cat]["folder"]) == ("Chelsea the cat.jpg", "Day 1")
    assert (after[coffee]["filename"], after[coffee]["folder"]) == ("coffee.jpg", "Day two")

    again = sync(drive_event)
    assert again is not None
    assert (again.moved, again.unchanged) == (0, 2)


def test_deleting_trashing_or_moving_out_removes_the_photo_and_the_original_we_kept(
    drive_event, drive: FakeDriveServer
) -> None:
    day1 = drive.add_folder("Day 1")
    elsewhere = drive.add_folder("Not shared", parent="my-drive")
    gone = drive.add_file("gone.jpg", photo("chelsea"))
    trashed = drive.add_file("trashed.jpg", photo("coffee"), parent=day1)
    away = drive.add_file("away.jpg", photo("rocket"), parent=day1)
    kept = drive.add_file("kept.jpg", photo("astronaut"), parent=day1)
    sync(drive_event)
    keys = {i: r["source_key"] for i, r in rows(drive_event).items()}

    drive.delete(gone)
    drive.trash(trashed)
    drive.move(away, elsewhere)
    report = sync(drive_event)

    assert report is not None
    assert report.removed == 3
    assert set(rows(drive_event)) == {kept}
    assert [blob_store().exists(keys[i]) for i in (gone, trashed, away, kept)] == [False, False, False, True]


def test_a_folder_moved_in_is_listed_and_a_folder_moved_out_takes_its_photos(
    drive_event, drive: FakeDriveServer
) -> None:
    inside = drive.add_folder("Day 1")
    drive.add_file("cat.jpg", photo("chelsea"), parent=inside)
    outside = drive.add_folder("Photographer B", parent="my-drive")
    nested = drive.add_folder("Raw", parent=outside)
    coffee = drive.add_file("coffee.jpg", photo("coffee"), parent=nested)
    sync(drive_event)
    assert len(rows(drive_event)) == 1

    drive.move(outside, ROOT)  # the folder arrives with what it holds; Drive reports only the folder
    drive.move(inside, "my-drive")
    report = sync(drive_event)

    assert report is not None
    assert (report.added, report.removed) == (1, 1)
    assert {r["filename"]: r["folder"] for r in rows(drive_event).values()} == {
        "coffee.jpg": "Photographer B/Raw"
    }
    assert coffee in rows(drive_event)


def test_new_bytes_in_drive_are_fetched_again_and_everything_recomputed(drive_event, drive) -> None:
    cat = drive.add_file("cat.jpg", photo("chelsea"))
    sync(drive_event)
    with scoped(drive_event.id) as tx:
        tx.execute("UPDATE photos SET analyze_status = 'completed', visible_text = 'old'")
    before = rows(drive_event)[cat]

    drive.replace(cat, photo("chelsea", quality=60))
    report = sync(drive_event)

    after = rows(drive_event)[cat]
    assert report is not None
    assert report.updated == 1
    assert after["id"] == before["id"]
    assert after["content_hash"] != before["content_hash"]
    assert after["etag"] != before["etag"]
    assert (after["analyze_status"], after["visible_text"]) == ("pending", "")


def test_rate_limits_are_waited_out_as_drive_asks(drive_event, drive: FakeDriveServer) -> None:
    cat = drive.add_file("cat.jpg", photo("chelsea"))
    drive.script("files.list", rate_limited(429, retry_after="0.3"))
    drive.script("media", rate_limited(403, retry_after="0.2"), file_id=cat)

    report = sync(drive_event)

    assert report is not None
    assert (report.added, report.errors, report.error) == (1, [], None)
    listed, fetched = drive.calls("files.list"), drive.calls("media")
    assert len(listed) == 2
    assert listed[1].at - listed[0].at >= 0.3
    assert len(fetched) == 2
    assert fetched[1].at - fetched[0].at >= 0.2


def test_a_file_moved_away_before_it_is_fetched_is_skipped_and_reported_and_the_batch_goes_on(
    drive_event, drive: FakeDriveServer
) -> None:
    cat = drive.add_file("cat.jpg", photo("chelsea"))
    coffee = drive.add_file("coffee.jpg", photo("coffee"))
    drive.script("media", not_found(cat), file_id=cat)

    report = sync(drive_event)

    assert report is not None
    assert report.added == 1
    assert report.error is None
    assert len(report.skipped) == 1
    assert report.skipped[0].startswith("cat.jpg: gone from Drive")
    assert set(rows(drive_event)) == {coffee}
    assert sync(drive_event).added == 1  # still in the folder: the next sync fetches it


def test_a_file_drive_keeps_failing_is_an_error_of_that_file_alone(drive_event, drive) -> None:
    cat = drive.add_file("cat.jpg", photo("chelsea"))
    coffee = drive.add_file("coffee.jpg", photo("coffee"))
    drive.script("media", *[Scripted(503, "backendError", "Backend Error")] * 3, file_id=cat)

    def fast(source, deadline):
        info = _credentials_info(source.credentials)
        return DriveClient(info, api_endpoint=drive.base_url, policy=RetryPolicy(base_s=0.01, max_attempts=3))

    report = sync_drive(Scope.pipeline(drive_event), blob_store(), client_factory=fast)

    assert report is not None
    assert report.added == 1
    assert report.error is None
    assert report.errors == ["cat.jpg: downloading " + cat + ": HTTP 503 Backend Error"]
    assert set(rows(drive_event)) == {coffee}


def test_revoked_access_is_an_error_on_the_source_and_keeps_every_photo(drive_event, drive) -> None:
    drive.add_file("cat.jpg", photo("chelsea"))
    sync(drive_event)
    drive.revoke()

    report = sync(drive_event)

    assert report is not None
    assert report.done
    assert report.error is not None
    assert "refused access" in report.error
    assert "invalid_grant" in report.error
    assert len(rows(drive_event)) == 1
    assert drive_source(Scope.pipeline(drive_event)).error == report.error


def test_a_folder_no_longer_shared_is_an_error_on_the_source_not_a_deletion(drive_event, drive) -> None:
    drive.add_file("cat.jpg", photo("chelsea"))
    sync(drive_event)
    drive.script("files.get", insufficient_permissions(), file_id=ROOT)

    report = sync(drive_event)

    assert report is not None
    assert report.error is not None
    assert "HTTP 403" in report.error
    assert len(drive.calls("files.get")) == 2  # a permission refusal is not retried
    assert len(rows(drive_event)) == 1

    assert sync(drive_event).error is None  # access back: the error is cleared
    assert drive_source(Scope.pipeline(drive_event)).error is None


def test_the_source_accepts_an_oauth_authorized_user_file(make_event, drive, tmp_path: Path) -> None:
    from eventlens.sources.drive.service import add_drive_source

    event = make_event("oauth")
    key = tmp_path / "authorized-user.json"
    key.write_text(json.dumps(drive.authorized_user_info()))
    add_drive_source(Scope.organizer(event, "organizer"), ROOT, str(key))
    drive.add_file("cat.jpg", photo("chelsea"))

    report = sync(event)

    assert report is not None
    assert report.added == 1
    assert drive.calls("token")[0].query["grant_type"] == "refresh_token"


def test_a_sync_out_of_time_stops_between_files_and_the_next_one_goes_on(drive_event, drive) -> None:
    from eventlens.resilience import WallClockGuard

    ids = {drive.add_file(f"{name}.jpg", photo(name)) for name in ("chelsea", "coffee", "rocket")}

    first = sync_drive(Scope.pipeline(drive_event), blob_store(), WallClockGuard(0))

    assert first is not None
    assert (first.added, first.done) == (1, False)  # one file per call, however short the budget
    assert drive_source(Scope.pipeline(drive_event)).synced_at is None
    second = sync(drive_event)
    assert second is not None
    assert (second.added, second.unchanged, second.done) == (2, 1, True)
    assert set(rows(drive_event)) == ids


def test_a_visitor_can_read_neither_the_source_nor_its_tree(drive_event, drive) -> None:
    import pytest
    from eventlens import db
    from eventlens.errors import DriveSourceNotFound

    drive.add_file("cat.jpg", photo("chelsea"))
    sync(drive_event)

    with db.transaction(drive_event.id, "visitor") as tx:
        seen = tx.execute(
            "SELECT (SELECT count(*) FROM drive_sources) + (SELECT count(*) FROM drive_items)"
        ).fetchone()
    assert next(iter(seen.values())) == 0
    with scoped(drive_event.id) as tx:
        assert tx.execute("SELECT count(*) AS n FROM drive_items").fetchone()["n"] == 1
    with pytest.raises(DriveSourceNotFound):
        drive_source(Scope.visitor(drive_event))


def test_a_sync_while_another_runs_does_nothing_and_says_so(drive_event, drive) -> None:
    from eventlens import db

    drive.add_file("cat.jpg", photo("chelsea"))

    with db.advisory_lock(f"eventlens-drive:{drive_event.id}") as held:
        assert held
        report = sync(drive_event)

    assert report is not None
    assert (report.busy, report.added, drive.requests) == (True, 0, [])
    assert sync(drive_event).added == 1


def test_a_file_whose_photo_an_organizer_deleted_is_not_fetched_again_until_it_changes(
    drive_event, drive: FakeDriveServer
) -> None:
    from eventlens.jobs.service import delete_failed_photo

    # Given a Drive file whose processing failed, and an organizer who gave up on it
    cat = drive.add_file("cat.jpg", photo("chelsea"))
    sync(drive_event)
    with scoped(drive_event.id) as tx:
        tx.execute("UPDATE photos SET analyze_status = 'error', analyze_error = 'unreadable'")
    delete_failed_photo(Scope.organizer(drive_event, "organizer"), rows(drive_event)[cat]["id"])
    fetched = len(drive.calls("media"))
    # When the next sync runs, the file still in Drive and unchanged
    report = sync(drive_event)
    # Then it is neither fetched nor registered again
    assert report is not None
    assert report.errors == []
    assert cat not in rows(drive_event)
    assert len(drive.calls("media")) == fetched
    # And once the file changes in Drive, its new version comes in as a new photo
    drive.replace(cat, photo("chelsea", quality=60))
    report = sync(drive_event)
    assert report is not None
    assert report.added == 1
    assert rows(drive_event)[cat]["analyze_status"] == "pending"
