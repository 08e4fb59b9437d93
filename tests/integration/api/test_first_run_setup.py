"""The first-run wizard's API on an empty embedded installation: only the holder of the setup code
`eventlens serve` printed may set it up, only once, and a refused or bad request creates nothing;
a good one creates the organization, the organizer (SUPER_ADMIN), the event with its settings and
source, and starts its first run. `POST /api/events` creates further events by the table's rule."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from eventlens.firstrun.service import CODE_FILE, issue_code
from eventlens.scope import Scope
from eventlens.types import EventSettings

from tests.fixtures_photos import real_jpeg


def counts(owner_conn) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        owner_conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("organizations WHERE slug <> 'default'", "people", "events")
    )


def request(code: str, **changes: Any) -> dict[str, Any]:
    body = {
        "code": code,
        "organization_slug": "acme",
        "organization_name": "Acme Conferences",
        "event_slug": "launch-2026",
        "event_name": "Launch 2026",
        "email": "organizer@example.org",
        "password": "correct horse battery",
        "theme": {"primary": "#123456", "accent": "#abcdef", "background": "#000000", "text": "#ffffff"},
        "face_matching": False,
        "consent_text": "I agree that my selfie is compared with the event's photos.",
    }
    body.update(changes)
    return body


def test_without_a_printed_code_nobody_may_set_up(api, owner_conn) -> None:
    assert api("GET", "/api/setup") == (200, {"needed": True, "code_issued": False, "sign_in": "code"})

    status, reply = api("POST", "/api/setup", request("anything"))

    assert status == 403
    assert "eventlens serve" in reply["message"]
    assert counts(owner_conn) == (0, 0, 0)


def test_a_wrong_code_is_refused_and_a_bad_request_creates_nothing(api, owner_conn, home: Path) -> None:
    code = issue_code()
    assert code is not None
    path = next(home.rglob(CODE_FILE))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert issue_code() == code  # the same code until setup is done
    assert api("GET", "/api/setup") == (200, {"needed": True, "code_issued": True, "sign_in": "code"})

    assert api("POST", "/api/setup", request("not-" + code))[0] == 403
    status, reply = api(
        "POST", "/api/setup", request(code, source={"kind": "folder", "location": str(home / "nowhere")})
    )
    assert status == 400
    assert "is not a folder" in reply["message"]
    assert api("POST", "/api/setup", request(code, event_slug="Not A Slug"))[0] == 400
    assert api("POST", "/api/setup", request(code, password="short"))[0] == 422
    assert counts(owner_conn) == (0, 0, 0)
    assert path.exists()


def test_the_code_sets_up_the_installation_once_and_starts_the_first_run(
    api, owner_conn, home: Path, tmp_path: Path
) -> None:
    from eventlens.events.service import get_event
    from eventlens.jobs.service import get_run

    folder = tmp_path / "photos"
    (folder / "Keynote").mkdir(parents=True)
    (folder / "Keynote/cat.jpg").write_bytes(real_jpeg("chelsea", (96, 64)))
    code = issue_code()
    assert code is not None

    status, reply = api(
        "POST", "/api/setup", request(code, source={"kind": "folder", "location": str(folder)})
    )

    assert status == 201, reply
    assert (reply["event"], reply["organization"], reply["email"]) == (
        "launch-2026",
        "acme",
        "organizer@example.org",
    )
    event = get_event("launch-2026")
    keeps = "consent_text" in EventSettings.model_fields  # the event's consent setting (issue 17)
    assert reply["consent_text_kept"] is keeps
    if keeps:
        assert getattr(event.settings, "consent_text") == request("")["consent_text"]  # noqa: B009
    assert event.settings.theme.primary == "#123456"
    assert event.settings.face_matching is False
    grant = owner_conn.execute(
        "SELECT g.role FROM grants g JOIN people p ON p.id = g.person_id WHERE p.email = %s"
        " AND g.organization_id IS NULL AND g.event_id IS NULL",
        ("organizer@example.org",),
    ).fetchone()
    assert grant == ("SUPER_ADMIN",)
    run_id = reply["run"]["id"]
    for _ in range(600):  # the first run goes on in the server's background thread
        run = get_run(Scope.system(event), run_id)
        if run.status not in ("queued", "running"):
            break
        time.sleep(0.2)
    assert run.status == "completed", run
    photo = owner_conn.execute(
        "SELECT filename, folder FROM photos WHERE event_id = %s", (event.id,)
    ).fetchone()
    assert photo == ("cat.jpg", "Keynote")
    assert not list(home.rglob(CODE_FILE))  # one-time

    assert api("POST", "/api/setup", request(code, event_slug="again"))[0] == 403
    assert issue_code() is None
    assert api("GET", "/api/setup") == (200, {"needed": False, "code_issued": False, "sign_in": "code"})
    status, session = api(
        "POST",
        "/api/account/sign-in",
        {"email": "organizer@example.org", "password": "correct horse battery"},
    )
    assert status == 200
    status, created = api(
        "POST",
        "/api/events",
        {"organization": "acme", "slug": "second", "name": "Second"},
        token=session["access_token"],
    )
    assert status == 201, created
    assert created["slug"] == "second"


def test_concurrent_setups_make_one_installation(api, owner_conn) -> None:
    code = issue_code()
    assert code is not None
    statuses: list[int] = []
    start = threading.Barrier(4)

    def worker(n: int) -> None:
        start.wait()
        statuses.append(
            api("POST", "/api/setup", request(code, event_slug=f"event-{n}", email=f"o{n}@example.org"))[0]
        )

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(statuses)[0] == 201
    assert statuses.count(201) == 1
    assert set(statuses) - {201} <= {403, 409}
    assert counts(owner_conn) == (1, 1, 1)


@pytest.mark.parametrize("missing", ["organization", "slug"])
def test_post_events_refuses_bad_input(api, people, missing: str) -> None:
    people.organization("org-a")
    _, token = people.with_role("ADMIN", organization=people.organization("org-b"))
    body = {"organization": "org-b", "slug": "new-event", "name": "New"}
    del body[missing]
    status, _ = api("POST", "/api/events", body, token=token)
    assert status == 422
