"""Given pipeline runs, they are recorded per event, closed by id alone, and run in the background."""

from __future__ import annotations

import time

import pytest
from eventlens.pipeline.ingest import import_files
from eventlens.pipeline.runs import (
    RunNotFound,
    finish_run,
    get_run,
    list_runs,
    start_background_run,
    start_run,
)

from tests.fixtures_photos import real_jpeg


def test_a_run_is_closed_by_its_id_and_stays_invisible_to_other_events(make_event) -> None:
    event, other = make_event("runs"), make_event("others")
    run_id = start_run(event.id, "full")

    finish_run(
        run_id, "succeeded", [{"phase": "sync", "processed": 0, "remaining": 0, "errors": 0, "done": True}]
    )

    run = get_run(event.id, run_id)
    assert (run["status"], run["results"][0]["phase"]) == ("succeeded", "sync")
    assert run["finished_at"] is not None
    assert [r["id"] for r in list_runs(event.id, 5)] == [run_id]
    assert list_runs(other.id, 5) == []
    with pytest.raises(RunNotFound):
        get_run(other.id, run_id)


def test_background_run_processes_the_event_and_records_its_results(make_event, photo_dir) -> None:
    event = make_event("background")
    import_files(event, [photo_dir({"a.jpg": real_jpeg("coffee", (320, 200))})])

    run_id = start_background_run(event.id, "full")
    deadline = time.monotonic() + 60
    while get_run(event.id, run_id)["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)

    run = get_run(event.id, run_id)
    assert run["status"] == "succeeded", run["error"]
    assert [r["phase"] for r in run["results"]][-1] == "tag"
    assert all(r["done"] for r in run["results"])
