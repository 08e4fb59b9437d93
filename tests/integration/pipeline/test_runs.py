"""Given pipeline runs, they are recorded per event, closed by id alone, and run in the background."""

from __future__ import annotations

import time

import pytest
from eventlens.errors import RunNotFound
from eventlens.jobs.service import finish_run, get_run, open_run, pipeline_status, start_background_run
from eventlens.scope import Scope
from eventlens.sources.service import import_files

from tests.fixtures_photos import real_jpeg
from tests.integration.pipeline.conftest import photos_by_name


def test_a_run_is_closed_by_its_id_and_stays_invisible_to_other_events(make_event) -> None:
    event, other = make_event("runs"), make_event("others")
    run_id = open_run(Scope.pipeline(event), "full")
    organizer, stranger = Scope.organizer(event, "test"), Scope.organizer(other, "test")

    finish_run(
        run_id, "completed", [{"phase": "sync", "processed": 0, "remaining": 0, "errors": 0, "done": True}]
    )

    run = get_run(organizer, run_id)
    assert (run.status, run.results[0].phase) == ("completed", "sync")
    assert run.finished_at is not None
    assert [r.id for r in pipeline_status(organizer).runs] == [run_id]
    assert pipeline_status(stranger).runs == []
    with pytest.raises(RunNotFound):
        get_run(stranger, run_id)


def test_closing_an_unknown_run_is_run_not_found(db) -> None:
    with pytest.raises(RunNotFound):
        finish_run("00000000-0000-0000-0000-000000000000", "completed", [])


def test_background_run_processes_the_event_and_records_its_results(make_event, photo_dir) -> None:
    event = make_event("background")
    import_files(Scope.pipeline(event), [photo_dir({"a.jpg": real_jpeg("coffee", (320, 200))})])

    organizer = Scope.organizer(event, "test")
    run_id = start_background_run(Scope.pipeline(event), "full")
    deadline = time.monotonic() + 60
    while get_run(organizer, run_id).status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)

    run = get_run(organizer, run_id)
    assert run.status == "completed", run.error
    assert [r.phase for r in run.results][-1] == "tag"
    assert all(r.done for r in run.results)


def test_a_run_whose_worker_stopped_beating_ends_as_failed(make_event, owner_conn) -> None:
    event = make_event("abandoned")
    organizer = Scope.organizer(event, "test")
    dead, alive = open_run(Scope.pipeline(event), "full"), open_run(Scope.pipeline(event), "full")
    owner_conn.execute(
        "UPDATE pipeline_runs SET heartbeat_at = now() - interval '17 minutes' WHERE id = %s", (dead,)
    )
    owner_conn.execute(
        "UPDATE pipeline_runs SET heartbeat_at = now() - interval '15 minutes' WHERE id = %s", (alive,)
    )

    runs = {r.id: r for r in pipeline_status(organizer).runs}

    assert runs[dead].status == "failed"
    assert runs[dead].finished_at is not None
    assert "worker stopped" in (runs[dead].error or "")
    assert runs[alive].status == "running"


def test_a_phase_batch_beats_for_its_run(make_event, owner_conn) -> None:
    from eventlens.pipeline.runner import run_phase

    event = make_event("beating")
    run_id = open_run(Scope.pipeline(event), "tag")
    owner_conn.execute(
        "UPDATE pipeline_runs SET heartbeat_at = now() - interval '17 minutes' WHERE id = %s", (run_id,)
    )

    run_phase(event, "tag", 10_000, run_id=run_id)

    assert get_run(Scope.organizer(event, "test"), run_id).status == "running"
    (age,) = owner_conn.execute(
        "SELECT now() - heartbeat_at FROM pipeline_runs WHERE id = %s", (run_id,)
    ).fetchone()
    assert age.total_seconds() < 60


def test_a_photo_whose_gemini_retry_would_pass_the_budget_waits_for_the_next_batch(
    make_event, photo_dir, monkeypatch
) -> None:
    """Gemini asks to come back in 100 s with 5 s of budget left: the photo goes back to pending
    (not an error) and the phase answers done:false, so the next batch describes it."""
    from eventlens.config import reset_settings
    from eventlens.ml.describe import describer
    from eventlens.pipeline.runner import run_phase

    from tests.fakes.gemini_server import API_KEY, FakeGeminiServer, error_reply, text_reply

    with FakeGeminiServer() as fake:
        for name, value in {
            "EVENTLENS_DESCRIBER": "gemini",
            "GEMINI_API_KEY": API_KEY,
            "EVENTLENS_GEMINI_BASE_URL": fake.base_url,
            "EVENTLENS_GEMINI_RPM": "600",
        }.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        describer.cache_clear()
        event = make_event("gemini-budget")
        import_files(Scope.pipeline(event), [photo_dir({"a.jpg": real_jpeg("coffee", (320, 200))})])
        run_phase(event, "analyze", 60_000)
        fake.script_generate(error_reply(429, "Resource has been exhausted", retry_after="100"))

        result = run_phase(event, "describe", 5_000)

        (row,) = photos_by_name(event.id).values()
        assert (row["describe_status"], row["describe_error"]) == ("pending", None)
        assert (result["done"], result["errors"], result["remaining"]) == (False, 0, 1)

        fake.script_generate(
            text_reply(
                '{"visible_text": "", "people_descriptions": "", "scene_description": "Coffee", "face_count": 0}'
            )
        )
        assert run_phase(event, "describe", 60_000)["done"]
        assert photos_by_name(event.id)["a.jpg"]["scene_description"] == "Coffee"
    describer.cache_clear()
    reset_settings()


def test_running_analyze_alone_leaves_faces_and_describe_to_their_own_phases(make_event, photo_dir) -> None:
    """`pipeline run --phase analyze` is analyze only; a full run fuses faces and the describer in."""
    from eventlens.pipeline.runner import run_pipeline

    event = make_event("analyze-alone")
    import_files(Scope.pipeline(event), [photo_dir({"a.jpg": real_jpeg("coffee", (320, 200))})])

    results = run_pipeline(event, "analyze")

    assert [r["phase"] for r in results] == ["analyze"]
    row = photos_by_name(event.id)["a.jpg"]
    assert row["analyze_status"] == "completed"
    assert (row["faces_status"], row["describe_status"]) == ("pending", "pending")

    run_pipeline(event, "full")
    row = photos_by_name(event.id)["a.jpg"]
    assert (row["faces_status"], row["describe_status"]) == ("completed", "completed")
