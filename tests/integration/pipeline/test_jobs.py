"""Given the job queue on pipeline runs: a cancelled run stops at its next slice and leaves every
photo resumable, queued jobs start by priority, and their position and waiting reason are computed."""

from __future__ import annotations

import time
from uuid import UUID

import pytest
from eventlens.errors import Conflict
from eventlens.jobs import repo
from eventlens.jobs.service import (
    cancel_job,
    get_job,
    list_jobs,
    open_run,
    pipeline_status,
    retry_job,
    run_recorded,
    set_priority,
)
from eventlens.scope import Scope
from eventlens.sources.service import import_files

from tests.fixtures_photos import real_jpeg


def _wait_closed(scope: Scope, job_id: UUID) -> None:
    deadline = time.monotonic() + 120
    while get_job(scope, job_id).status in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)


PHOTOS, WORKERS = 8, 2


def test_a_cancelled_run_stops_within_its_slice_and_a_retry_finishes_every_photo(
    make_event, photo_dir, monkeypatch
) -> None:
    monkeypatch.setenv("EVENTLENS_PIPELINE_WORKERS", str(WORKERS))
    monkeypatch.setattr("eventlens.pipeline.runner.STOP_CHECK_EVERY_S", 0.0)  # ask after every photo
    event = make_event("cancel-me")
    names = ("coffee", "astronaut", "rocket", "chelsea")
    files = {f"p{i}.jpg": real_jpeg(names[i % len(names)], (320 + 8 * i, 240)) for i in range(PHOTOS)}
    import_files(Scope.pipeline(event), [photo_dir(files)])
    organizer = Scope.organizer(event, "test")

    def cancel_during_analyze(phase: str, done: int, total: int) -> None:
        if phase == "analyze" and done >= 1:
            (job,) = list_jobs(organizer).jobs
            if not job.cancel_requested:
                cancel_job(organizer, job.id)

    results = run_recorded(Scope.pipeline(event), "full", on_progress=cancel_during_analyze)

    (job,) = list_jobs(organizer).jobs
    assert job.status == "cancelled"
    assert job.finished_at is not None
    assert "cancel requested" in job.log
    # It stopped inside analyze's slice: the photos in flight finished, no other started.
    assert (results[-1]["phase"], results[-1]["done"]) == ("analyze", False)
    assert 1 <= results[-1]["processed"] <= 1 + WORKERS < PHOTOS
    assert [r.phase for r in job.results] == [r["phase"] for r in results]
    phases = pipeline_status(organizer).phases
    assert all(p.processing == 0 for p in phases), phases  # nothing left claimed
    analyze = next(p for p in phases if p.phase == "analyze")
    assert analyze.pending == PHOTOS - results[-1]["processed"]

    again = retry_job(organizer, job.id)
    _wait_closed(organizer, again.id)

    assert get_job(organizer, again.id).status == "completed"
    assert all(p.pending == 0 and p.processing == 0 for p in pipeline_status(organizer).phases)


def test_queued_jobs_start_highest_priority_first_and_say_why_they_wait(make_event) -> None:
    event = make_event("queue")
    organizer, pipeline = Scope.organizer(event, "test"), Scope.pipeline(event)
    running = open_run(pipeline, "full")
    with pipeline.transaction() as tx:
        low = repo.insert_queued(tx, event.id, "tag", 0)
        high = repo.insert_queued(tx, event.id, "embed", 0)

    set_priority(organizer, high, 5)

    jobs = list_jobs(organizer).jobs
    assert [j.id for j in jobs] == [high, low, running]
    assert [j.queue_position for j in jobs] == [1, 2, None]
    assert jobs[0].waiting_reason == f"waits for the running full job {str(running)[:8]}"
    assert jobs[1].waiting_reason is not None
    assert jobs[1].waiting_reason.endswith("and 1 queued job(s) ahead of it")
    assert [j.kind for j in jobs] == ["pipeline"] * 3
    assert [j.resource_class for j in jobs] == ["cpu", "cpu", "cpu"]  # embed, tag, full

    assert cancel_job(organizer, low).status == "cancelled"  # queued: cancelled at once
    with pipeline.transaction() as tx:
        assert repo.start_next_queued(tx) == (high, "embed")
        assert repo.start_next_queued(tx) is None
    with pytest.raises(Conflict):
        retry_job(organizer, high)  # running: cancel it first
    with pipeline.transaction() as tx:
        assert repo.get_job(tx, repo.insert_queued(tx, event.id, "describe", 0)).resource_class == "gemini"  # type: ignore[union-attr]
        assert repo.get_job(tx, repo.insert_run(tx, event.id, "faces")).resource_class == "face_image"  # type: ignore[union-attr]


def test_jobs_of_one_event_are_invisible_to_another(make_event) -> None:
    event, other = make_event("mine"), make_event("theirs")
    job_id = open_run(Scope.pipeline(event), "full")

    assert list_jobs(Scope.organizer(other, "test")).jobs == []
    with pytest.raises(Exception, match="no job"):
        cancel_job(Scope.organizer(other, "test"), job_id)


def test_a_face_data_purge_is_listed_as_a_job_beside_the_runs(make_event) -> None:
    from datetime import UTC, datetime

    from eventlens.events.service import get_event, update_event
    from eventlens.findme.control import purge_face_data

    event = make_event("purged")
    organizer = Scope.organizer(event, "org")
    update_event(organizer, settings_patch={"ends_on": "2026-01-10", "face_retention_days": 5})
    run = open_run(Scope.pipeline(event), "full")

    ended = get_event("purged")  # with its new settings
    assert purge_face_data(now=datetime(2026, 1, 16, tzinfo=UTC), event=ended) == {"purged": 0}

    pipeline_run, purge = list_jobs(organizer).jobs  # the running one first
    assert (purge.kind, purge.status, purge.log) == (
        "purge",
        "completed",
        ["purged 0 face embeddings (retention)"],
    )
    assert pipeline_run.id == run
    assert [r.id for r in pipeline_status(organizer).runs] == [run]  # the run table lists runs only
