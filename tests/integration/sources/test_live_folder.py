"""Given a live folder (a local folder, or an S3 bucket/prefix under moto), sync keeps the event's
photos in step with it where it is: added, renamed, moved, modified and deleted files are each seen
and counted; a file known by its stamp is not read again; the content is the identity."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import boto3
import pytest
from eventlens.db.photos import PhotoFilter
from eventlens.errors import InvalidLiveSource
from eventlens.scope import Scope
from eventlens.search.service import search_photos
from eventlens.sources.live.service import add_live_source, live_source, sync_live
from eventlens.storage import blob_store
from moto import mock_aws

from tests.fixtures_photos import real_jpeg
from tests.helpers import Ticks, scoped

SMALL = (64, 48)


def photo(name: str, quality: int = 90) -> bytes:
    return real_jpeg(name, SMALL, quality)


def write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def rows(event) -> dict[str, dict]:
    """Photos by folder/filename."""
    with scoped(event.id) as tx:
        found = tx.execute("SELECT * FROM photos").fetchall()
    return {f"{r['folder']}/{r['filename']}".lstrip("/"): r for r in found}


def sync(event):
    report = sync_live(Scope.pipeline(event), blob_store())
    assert report is not None
    assert report.error is None
    assert not report.busy
    return report


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "organizer photos"
    write(
        root,
        {
            "cat.jpg": photo("chelsea"),
            "Keynote/coffee.jpg": photo("coffee"),
            "Keynote/Stage/rocket.jpg": photo("rocket"),
            "Expo/astronaut.jpg": photo("astronaut"),
            "Expo/notes.txt": b"not a photo",
            ".hidden/secret.jpg": photo("moon"),
        },
    )
    return root


def test_the_first_sync_registers_every_photo_in_place_and_folder_names_are_searchable_at_once(
    make_event, folder: Path
) -> None:
    event = make_event("live")
    source = add_live_source(Scope.organizer(event, "organizer"), str(folder))
    assert source.location == str(folder.resolve())

    report = sync(event)

    assert (report.files, report.added, report.read) == (5, 4, 5)
    assert report.ignored == ["Expo/notes.txt"]
    found = rows(event)
    assert set(found) == {"cat.jpg", "Keynote/coffee.jpg", "Keynote/Stage/rocket.jpg", "Expo/astronaut.jpg"}
    assert all(r["analyze_status"] == "pending" for r in found.values())
    rocket = found["Keynote/Stage/rocket.jpg"]
    assert rocket["source_key"] == f"events/live/live/{rocket['content_hash']}"
    assert blob_store().get(rocket["source_key"]) == photo("rocket")
    # Scanned, not yet analyzed: the folder's name already finds it.
    hits = search_photos(Scope.organizer(event, "organizer"), "keynote", PhotoFilter(include_hidden=True))
    assert {h.photo.filename for h in hits.results} == {"coffee.jpg", "rocket.jpg"}
    assert live_source(Scope.organizer(event, "organizer")).synced_at is not None


def test_an_unchanged_folder_is_listed_not_read(make_event, folder: Path) -> None:
    event = make_event("live")
    add_live_source(Scope.organizer(event, "organizer"), str(folder))
    sync(event)

    again = sync(event)

    assert (again.read, again.unchanged, again.changed) == (0, 4, 0)
    assert len(again.ignored) == 1


def test_rename_move_modify_and_delete_are_each_seen_and_the_content_keeps_its_photo(
    make_event, folder: Path
) -> None:
    event = make_event("live")
    add_live_source(Scope.organizer(event, "organizer"), str(folder))
    sync(event)
    before = rows(event)
    with scoped(event.id) as tx:  # as the describer would have written them
        tx.execute(
            "UPDATE photos SET scene_description = 'Photo of coffee taken 2024-05-02 10:00 in folder ''Keynote'''"
            " WHERE filename = 'coffee.jpg'"
        )
    old_coffee_key = before["Keynote/coffee.jpg"]["source_key"]

    os.rename(folder / "cat.jpg", folder / "Chelsea the cat.jpg")  # renamed
    (folder / "Day 2").mkdir()
    os.rename(folder / "Keynote/coffee.jpg", folder / "Day 2/coffee.jpg")  # moved
    (folder / "Expo/astronaut.jpg").write_bytes(photo("astronaut", quality=40))  # modified
    (folder / "Keynote/Stage/rocket.jpg").unlink()  # deleted

    report = sync(event)

    assert (report.renamed, report.moved, report.modified, report.removed, report.added) == (1, 1, 1, 1, 0)
    assert report.read == 1  # only the modified file: the rename and the move were known by stamp
    after = rows(event)
    assert set(after) == {"Chelsea the cat.jpg", "Day 2/coffee.jpg", "Expo/astronaut.jpg"}
    assert after["Chelsea the cat.jpg"]["id"] == before["cat.jpg"]["id"]
    coffee = after["Day 2/coffee.jpg"]
    assert coffee["id"] == before["Keynote/coffee.jpg"]["id"]
    assert coffee["source_key"] == old_coffee_key  # its original was not copied again
    assert coffee["scene_description"] == "Photo of coffee taken 2024-05-02 10:00 in folder 'Day 2'"
    astronaut = after["Expo/astronaut.jpg"]
    assert astronaut["id"] == before["Expo/astronaut.jpg"]["id"]  # same photo, new content
    assert astronaut["content_hash"] != before["Expo/astronaut.jpg"]["content_hash"]
    assert astronaut["analyze_status"] == astronaut["embed_status"] == "pending"
    assert blob_store().get(astronaut["source_key"]) == photo("astronaut", quality=40)
    assert not blob_store().exists(before["Expo/astronaut.jpg"]["source_key"])
    assert not blob_store().exists(before["Keynote/Stage/rocket.jpg"]["source_key"])
    organizer = Scope.organizer(event, "organizer")
    everything = PhotoFilter(include_hidden=True)
    assert {h.photo.filename for h in search_photos(organizer, "keynote", everything).results} == set()
    assert {h.photo.filename for h in search_photos(organizer, "Day 2", everything).results} == {"coffee.jpg"}


def test_copies_are_one_photo_until_the_last_copy_goes(make_event, tmp_path: Path) -> None:
    root = tmp_path / "copies"
    write(root, {"a/cat.jpg": photo("chelsea"), "b/cat copy.jpg": photo("chelsea")})
    event = make_event("live")
    add_live_source(Scope.organizer(event, "organizer"), str(root))
    sync(event)
    assert list(rows(event)) == ["a/cat.jpg"]

    (root / "a/cat.jpg").unlink()
    report = sync(event)

    assert (report.removed, report.unchanged) == (1, 1)
    assert list(rows(event)) == ["b/cat copy.jpg"]  # the photo lives on under its copy
    (root / "b/cat copy.jpg").unlink()
    sync(event)
    assert rows(event) == {}


def test_bad_locations_are_refused_and_change_nothing(make_event, tmp_path: Path) -> None:
    event = make_event("live")
    organizer = Scope.organizer(event, "organizer")
    with pytest.raises(InvalidLiveSource, match="is not a folder"):
        add_live_source(organizer, str(tmp_path / "nowhere"))
    with pytest.raises(InvalidLiveSource, match="names no bucket"):
        add_live_source(organizer, "s3:///prefix")
    assert sync_live(Scope.pipeline(event), blob_store()) is None


def test_a_folder_that_disappears_is_an_error_not_a_deletion(make_event, folder: Path) -> None:
    event = make_event("live")
    add_live_source(Scope.organizer(event, "organizer"), str(folder))
    sync(event)
    folder.rename(folder.with_name("unmounted"))

    report = sync_live(Scope.pipeline(event), blob_store())

    assert report is not None
    assert report.error is not None
    assert "is not a folder" in report.error
    assert len(rows(event)) == 4
    assert live_source(Scope.organizer(event, "organizer")).error == report.error


def test_concurrent_syncs_register_each_content_once(make_event, folder: Path) -> None:
    event = make_event("live")
    add_live_source(Scope.organizer(event, "organizer"), str(folder))
    reports: list[object] = []
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        reports.append(sync_live(Scope.pipeline(event), blob_store()))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(rows(event)) == 4
    added = sum(r.added for r in reports)  # type: ignore[attr-defined]
    assert added == 4  # the others were busy, or found everything in place
    with scoped(event.id) as tx:
        assert tx.execute("SELECT count(*) AS n FROM live_items").fetchone()["n"] == 5


def test_an_s3_prefix_is_followed_in_place(make_event, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="organizer-photos")
        s3.put_object(Bucket="organizer-photos", Key="conf/Keynote/coffee.jpg", Body=photo("coffee"))
        s3.put_object(Bucket="organizer-photos", Key="conf/cat.jpg", Body=photo("chelsea"))
        s3.put_object(Bucket="organizer-photos", Key="other/rocket.jpg", Body=photo("rocket"))
        event = make_event("live")
        add_live_source(Scope.organizer(event, "organizer"), "s3://organizer-photos/conf")
        first = sync(event)
        assert (first.added, first.read) == (2, 2)
        before = rows(event)

        s3.copy_object(
            Bucket="organizer-photos",
            Key="conf/Day 2/coffee.jpg",
            CopySource={"Bucket": "organizer-photos", "Key": "conf/Keynote/coffee.jpg"},
        )
        s3.delete_object(Bucket="organizer-photos", Key="conf/Keynote/coffee.jpg")
        s3.delete_object(Bucket="organizer-photos", Key="conf/cat.jpg")
        report = sync(event)

        assert (report.moved, report.removed, report.read) == (1, 1, 0)  # known by its ETag
        after = rows(event)
        assert list(after) == ["Day 2/coffee.jpg"]
        assert after["Day 2/coffee.jpg"]["id"] == before["Keynote/coffee.jpg"]["id"]


def test_a_photo_moved_in_the_originals_no_longer_names_its_old_folder(make_event, photo_dir) -> None:
    from eventlens.pipeline.runner import run_phase
    from eventlens.sources.service import import_files

    event = make_event("moves")
    import_files(Scope.pipeline(event), [photo_dir({"Keynote/coffee.jpg": photo("coffee")})])
    with scoped(event.id) as tx:  # as the local describer writes it
        tx.execute(
            "UPDATE photos SET scene_description = 'Photo of coffee in folder ''Keynote'' (Canon EOS R5)'"
        )
    store, prefix = blob_store(), "events/moves/originals/"
    store.put(prefix + "coffee.jpg", store.get(prefix + "Keynote/coffee.jpg"))  # to the top folder
    store.delete(prefix + "Keynote/coffee.jpg")

    run_phase(event, "sync", 60_000)

    (moved,) = rows(event).values()
    assert (moved["folder"], moved["scene_description"]) == ("", "Photo of coffee (Canon EOS R5)")
    hits = search_photos(Scope.organizer(event, "organizer"), "keynote", PhotoFilter(include_hidden=True))
    assert hits.results == []


def test_a_sync_stopped_by_its_budget_removes_nothing_and_the_next_one_finishes(
    make_event, folder: Path
) -> None:
    from eventlens.resilience import WallClockGuard

    event = make_event("live")
    add_live_source(Scope.organizer(event, "organizer"), str(folder))
    sync(event)
    before = set(rows(event))
    (folder / "cat.jpg").unlink()
    write(folder, {"new/astronaut.jpg": photo("astronaut", 70), "new/rocket.jpg": photo("rocket", 70)})

    # The first new file is read, then the budget is spent (a local folder is listed in one page).
    stopped = sync_live(Scope.pipeline(event), blob_store(), WallClockGuard(500, clock=Ticks()))

    assert stopped is not None
    assert (stopped.done, stopped.read, stopped.removed) == (False, 1, 0)
    assert set(rows(event)) == before | {"new/astronaut.jpg"}  # cat.jpg, gone, is still there
    finished = sync(event)
    assert finished.done
    assert set(rows(event)) == (before - {"cat.jpg"}) | {"new/astronaut.jpg", "new/rocket.jpg"}
    assert finished.read == 1  # the file read by the stopped sync is known by its stamp


def test_a_file_whose_photo_an_organizer_deleted_stays_out_until_its_bytes_change(
    make_event, folder: Path
) -> None:
    from eventlens.jobs.service import delete_failed_photo

    # Given a live folder's photo whose processing failed, and an organizer who gave up on it
    event = make_event("live")
    add_live_source(Scope.organizer(event, "organizer"), str(folder))
    sync(event)
    cat = rows(event)["cat.jpg"]
    with scoped(event.id) as tx:
        tx.execute(
            "UPDATE photos SET analyze_status = 'error', analyze_error = 'unreadable' WHERE id = %s",
            (cat["id"],),
        )
    delete_failed_photo(Scope.organizer(event, "organizer"), cat["id"])
    # When the folder is synced again, the file still there, even touched (read again, same bytes)
    os.utime(folder / "cat.jpg", (1_700_000_000, 1_700_000_000))
    sync(event)
    # Then the photo stays out, and its original is not stored again
    assert "cat.jpg" not in rows(event)
    assert set(rows(event)) == {"Keynote/coffee.jpg", "Keynote/Stage/rocket.jpg", "Expo/astronaut.jpg"}
    assert not list(blob_store().list(cat["source_key"]))
    # And new bytes under that name are new content: a photo again
    write(folder, {"cat.jpg": photo("chelsea", quality=60)})
    sync(event)
    assert rows(event)["cat.jpg"]["analyze_status"] == "pending"
