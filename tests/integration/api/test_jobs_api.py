"""Jobs through the HTTP API as the dashboard calls it: listed with their queue position, re-
prioritised, cancelled (a queued one at once), retried as a new job; a closed job is not cancelled twice."""

from __future__ import annotations

import time

from eventlens.jobs import repo
from eventlens.jobs.service import open_run
from eventlens.scope import Scope


def _token(api) -> str:
    status, reply = api("POST", "/api/events/demo/login", body={"password": "password-demo"})
    assert status == 200, reply
    return str(reply["token"])


def test_an_organizer_lists_reprioritises_cancels_and_retries_jobs(api, make_event) -> None:
    event = make_event("demo")
    pipeline = Scope.pipeline(event)
    running = open_run(pipeline, "full")
    with pipeline.transaction() as tx:
        queued = repo.insert_queued(tx, event.id, "tag", 0)
    token = _token(api)
    base = "/api/events/demo/admin/jobs"

    status, listed = api("GET", base, token=token)
    assert status == 200
    assert [(j["id"], j["status"], j["queue_position"]) for j in listed["jobs"]] == [
        (str(queued), "queued", 1),
        (str(running), "running", None),
    ]
    assert listed["jobs"][0]["waiting_reason"].startswith("waits for the running full job")

    status, job = api("PATCH", f"{base}/{queued}", {"priority": 7}, token=token)
    assert (status, job["priority"]) == (200, 7)
    assert api("PATCH", f"{base}/{queued}", {"priority": 1000}, token=token)[0] == 422

    status, job = api("POST", f"{base}/{queued}/cancel", token=token)
    assert (status, job["status"]) == (200, "cancelled")
    assert api("POST", f"{base}/{queued}/cancel", token=token)[0] == 409

    api("POST", f"{base}/{running}/cancel", token=token)  # running: flagged; its worker is gone
    with pipeline.transaction() as tx:
        repo.finish_run(tx, running, "cancelled", [], None)
    status, again = api("POST", f"{base}/{running}/retry", token=token)
    assert status == 202, again
    assert again["id"] != str(running)
    assert again["phase"] == "full"
    deadline = time.monotonic() + 60
    while api("GET", f"{base}/{again['id']}", token=token)[1]["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert api("GET", f"{base}/{again['id']}", token=token)[1]["status"] == "completed"


def test_an_archive_build_is_listed_as_a_closed_job(api, make_event, monkeypatch) -> None:
    from eventlens.media import archives

    from tests.helpers import stored_original

    event = make_event("demo")
    photos = [stored_original(event.id, f"{n}.jpg", f"bytes of {n}".encode()) for n in range(2)]
    monkeypatch.setattr(archives, "start_builder", lambda event, archive_id: None)
    status, asked = api("POST", "/api/events/demo/download", body={"ids": [str(p.id) for p in photos]})
    assert status == 202, asked

    assert archives.build_archive(event.id, asked["archive_id"]) == "ready"

    (job,) = api("GET", "/api/events/demo/admin/jobs", token=_token(api))[1]["jobs"]
    assert (job["kind"], job["status"], job["resource_class"]) == ("archive", "completed", "cpu")
    assert job["log"] == [f"archive {asked['archive_id']}: 2 photos asked for"]


def test_jobs_need_a_token(api, make_event) -> None:
    make_event("demo")
    assert api("GET", "/api/events/demo/admin/jobs")[0] == 401
