"""Given a folder mixing good photos with every bad input, when the pipeline runs, then each bad
file ends as an error item with a clear message and every good one completes."""

from __future__ import annotations

import time

import pytest
from eventlens.config import reset_settings
from eventlens.jobs.service import list_errors
from eventlens.pipeline.runner import retry_errors, run_pipeline
from eventlens.scope import Scope
from eventlens.sources.service import import_files

from tests.fixtures_photos import bad_inputs, odd_but_good_inputs, real_jpeg
from tests.integration.pipeline.conftest import photos_by_name

MAX_PIXELS = 4_000_000
EXPECTED = {
    "empty.jpg": "empty file",
    "truncated.jpg": "truncated",
    "not-an-image.jpg": "not a readable image",
    "bomb.png": "decompression bomb",
    "huge-dimensions.png": "dimensions too large",
}


def test_bad_files_become_error_items_and_good_ones_complete(make_event, photo_dir, monkeypatch) -> None:
    monkeypatch.setenv("EVENTLENS_MAX_IMAGE_PIXELS", str(MAX_PIXELS))
    reset_settings()
    event = make_event("mixed")
    good = {**odd_but_good_inputs(), "good/chelsea.jpg": real_jpeg("chelsea")}
    import_files(Scope.pipeline(event), [photo_dir({**bad_inputs(MAX_PIXELS), **good})])

    results = run_pipeline(event)

    assert all(r["done"] for r in results)
    assert next(r for r in results if r["phase"] == "analyze")["errors"] == len(EXPECTED)
    photos = photos_by_name(event.id)
    for name, fragment in EXPECTED.items():
        row = photos[name]
        assert row["analyze_status"] == "error", name
        assert fragment in row["analyze_error"], (name, row["analyze_error"])
        assert [row["describe_status"], row["embed_status"], row["faces_status"]] == ["skipped"] * 3
    for path in good:
        row = photos[path.rsplit("/", 1)[-1]]
        statuses = [row[f"{p}_status"] for p in ("analyze", "describe", "embed", "faces")]
        assert statuses == ["completed"] * 4, (path, statuses, row["analyze_error"])
    rotated = photos["rotated-exif.jpg"]
    assert (rotated["width"], rotated["height"], rotated["orientation"]) == (480, 360, 6)
    assert rotated["taken_at"].isoformat() == "2024-05-02T14:10:00+00:00"
    assert rotated["exif"]["Model"] == "Canon EOS R5"
    assert rotated["faces_status"] == "completed"
    assert rotated["face_count"] == 1
    errors = {e.filename: e for e in list_errors(Scope.organizer(event, "test")).errors}
    assert set(errors) == set(EXPECTED)
    assert errors["not-an-image.jpg"].error == (
        "This file is not an image we can read (JPEG, PNG, WebP, GIF, TIFF, MP4/MOV…)."
    )
    assert errors["empty.jpg"].error.startswith("This file is empty")
    for name, fragment in EXPECTED.items():  # plain words for the organizer, the record for staff
        assert fragment in errors[name].detail
        assert "<_io" not in errors[name].error
        assert "Error:" not in errors[name].error
        assert errors[name].thumbnail_url is None
        assert not errors[name].hidden
    assert len({e.error for e in errors.values()}) == len(EXPECTED)


def test_retry_errors_through_the_service_runs_only_the_failed_items_phases(make_event, photo_dir) -> None:
    from eventlens.jobs.service import get_run
    from eventlens.jobs.service import retry_errors as retry_and_run

    event = make_event("retry-run")
    import_files(Scope.pipeline(event), [photo_dir({"empty.jpg": b"", "ok.jpg": real_jpeg("coffee")})])
    run_pipeline(event)
    organizer = Scope.organizer(event, "test")

    reply = retry_and_run(organizer)

    assert reply.requeued == 1
    assert reply.phases == ["analyze", "describe", "embed", "faces"]
    assert reply.run is not None
    assert reply.run.phase == "retry"
    deadline = time.monotonic() + 60
    while get_run(organizer, reply.run.id).status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    run = get_run(organizer, reply.run.id)
    assert run.status == "completed", run.error
    # no sync, scan, dedupe or tag: the per-photo phases of the failed item, which alone is processed
    assert [r.phase for r in run.results] == ["analyze", "describe", "embed", "faces"]
    analyze = run.results[0]
    assert (analyze.processed, analyze.errors) == (1, 1)  # processed again, fails again
    assert [e.filename for e in list_errors(organizer).errors] == ["empty.jpg"]
    assert retry_and_run(Scope.organizer(make_event("no-errors"), "test")).run is None


def test_retry_errors_requeues_failed_items_with_the_phases_they_skipped(make_event, photo_dir) -> None:
    event = make_event("retry")
    import_files(Scope.pipeline(event), [photo_dir({"empty.jpg": b"", "ok.jpg": real_jpeg("coffee")})])
    run_pipeline(event)

    requeued = retry_errors(Scope.organizer(event, "test"))

    assert (requeued.items, requeued.phases) == (1, ("analyze", "describe", "embed", "faces"))
    row = photos_by_name(event.id)["empty.jpg"]
    assert [row[f"{p}_status"] for p in ("analyze", "describe", "embed", "faces")] == ["pending"] * 4
    assert row["analyze_error"] is None
    results = run_pipeline(event)
    assert next(r for r in results if r["phase"] == "analyze") == {
        "phase": "analyze",
        "processed": 1,
        "remaining": 0,
        "errors": 1,
        "done": True,
    }


@pytest.mark.parametrize("face_matching", [False])
def test_faces_are_skipped_when_the_event_turns_face_matching_off(
    make_event, photo_dir, face_matching
) -> None:
    event = make_event("nofaces", face_matching=face_matching)
    import_files(Scope.pipeline(event), [photo_dir({"t1.jpg": real_jpeg("t1")})])

    run_pipeline(event)

    row = photos_by_name(event.id)["t1.jpg"]
    assert row["faces_status"] == "skipped"
    assert row["describe_status"] == "completed"
    from tests.helpers import scoped

    with scoped(event.id) as conn:
        assert conn.execute("SELECT count(*) AS n FROM face_embeddings").fetchone()["n"] == 0


def test_a_failed_file_is_deleted_with_its_stored_object_and_audited_but_a_good_photo_is_not(
    make_event, photo_dir
) -> None:
    from eventlens.access.rights import Role
    from eventlens.audit.service import entries
    from eventlens.errors import BlobNotFound, PhotoNotFound
    from eventlens.jobs.service import delete_failed_photo
    from eventlens.storage import blob_store

    event = make_event("delete-failed")
    import_files(Scope.pipeline(event), [photo_dir({"empty.jpg": b"", "ok.jpg": real_jpeg("coffee")})])
    run_pipeline(event)
    photos = photos_by_name(event.id)
    failed, good = photos["empty.jpg"], photos["ok.jpg"]
    organizer = Scope.organizer(event, "test")
    store = blob_store()

    with pytest.raises(PhotoNotFound):  # a photo that processed is hidden, never deleted, here
        delete_failed_photo(organizer, good["id"])
    contributor = Scope.organizer(event, "test", role=Role.CONTRIBUTOR)
    with pytest.raises(PhotoNotFound):  # the photos policy asks may('photo.delete'): no row goes
        delete_failed_photo(contributor, failed["id"])
    assert "empty.jpg" in photos_by_name(event.id)

    delete_failed_photo(organizer, failed["id"])

    assert "empty.jpg" not in photos_by_name(event.id)
    with pytest.raises(BlobNotFound):
        store.head(failed["source_key"])
    assert store.head(good["source_key"]).size > 0
    assert list_errors(organizer).errors == []
    (entry,) = entries(organizer, "photo_delete").entries
    assert (entry.target, entry.detail) == (str(failed["id"]), {"filename": "empty.jpg"})
