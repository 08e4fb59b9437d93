"""On AWS the first-run wizard is the installation admin's (moto stands in for Cognito): no setup
code exists there, so the admin (group `admins`) signs in through the user pool and sets up an
event, its organization if new, its look, find-me and first run behind the JWT authorizer; an
event's own organizer is no installation admin and is refused both steps."""

from __future__ import annotations

import time
from typing import Any

import boto3
import jwt
import pytest
from eventlens.config import reset_settings
from eventlens.events.service import get_event
from eventlens.jobs.service import get_run
from eventlens.scope import Scope

from tests.fixtures_photos import real_jpeg
from tests.integration.api.conftest import PASSWORD, Pool


def event_setup(**changes: Any) -> dict[str, Any]:
    body = {
        "organization_slug": "acme",
        "organization_name": "Acme Conferences",
        "event_slug": "launch-2026",
        "event_name": "Launch 2026",
        "theme": {"primary": "#123456", "accent": "#abcdef", "background": "#000000", "text": "#ffffff"},
        "face_matching": False,
        "visibility": "private",
    }
    body.update(changes)
    return body


def signed_in(api, pool: Pool, email: str, group: str | None) -> dict[str, Any]:
    """The verified claims the HTTP API's authorizer would pass for `email`'s ID token."""
    pool.add_user(email, group)
    status, reply = api("POST", "/api/setup/sign-in", {"username": email, "password": PASSWORD})
    assert status == 200, reply
    return dict(jwt.decode(reply["token"], options={"verify_signature": False}))


def test_the_wizard_asks_for_the_installation_admin_and_the_setup_code_route_refuses(api, pool) -> None:
    status, reply = api("GET", "/api/setup")

    assert status == 200
    assert (reply["sign_in"], reply["code_issued"]) == ("admin", False)
    assert (
        api("POST", "/api/setup", {**event_setup(), "code": "x", "email": "a@b.org", "password": "p" * 12})[0]
        == 403
    )


def test_the_installation_admin_signs_in_and_sets_up_an_organization_and_event(api, pool, owner_conn) -> None:
    claims = signed_in(api, pool, "root@example.com", "admins")

    status, reply = api("POST", "/api/setup/event", event_setup(), claims=claims)

    assert status == 201, reply
    assert (reply["event"], reply["organization"], reply["email"], reply["run"]) == (
        "launch-2026",
        "acme",
        "root@example.com",
        None,
    )
    event = get_event("launch-2026")
    assert (event.visibility, event.settings.face_matching, event.settings.theme.primary) == (
        "private",
        False,
        "#123456",
    )
    assert owner_conn.execute("SELECT name FROM organizations WHERE slug = 'acme'").fetchone() == (
        "Acme Conferences",
    )
    # A second event of the same organization: the organization is reused, not made again.
    status, reply = api("POST", "/api/setup/event", event_setup(event_slug="day-two"), claims=claims)
    assert status == 201, reply
    assert get_event("day-two").organization_id == event.organization_id
    actions = [
        tuple(row)
        for row in owner_conn.execute(
            "SELECT action, outcome FROM audit_log WHERE target = 'installation' ORDER BY seq"
        ).fetchall()
    ]
    assert actions == [("sign_in", "ok")]


def test_an_events_organizer_is_no_installation_admin(api, pool, owner_conn) -> None:
    pool.add_user("ada@example.com", "event:demo")

    status, reply = api("POST", "/api/setup/sign-in", {"username": "ada@example.com", "password": PASSWORD})

    assert status == 403
    assert "admins" in reply["message"]
    ada = {"sub": "ada", "email": "ada@example.com", "cognito:groups": "[event:demo]", "token_use": "id"}
    assert api("POST", "/api/setup/event", event_setup(), claims=ada)[0] == 403
    assert owner_conn.execute("SELECT count(*) FROM organizations WHERE slug = 'acme'").fetchone() == (0,)


def test_a_wrong_password_is_refused_without_saying_why(api, pool) -> None:
    pool.add_user("root@example.com", "admins")

    status, reply = api(
        "POST", "/api/setup/sign-in", {"username": "root@example.com", "password": "Wrong-Passw0rd"}
    )

    assert (status, reply) == (401, {"message": "wrong username or password"})


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ({"kind": "folder", "location": "/srv/photos"}, "on AWS name an S3 prefix"),
        ({"kind": "s3", "location": "s3://someone-elses-bucket/photos"}, "LiveSourceBuckets"),
    ],
    ids=["a folder on the function's disk", "a bucket the stack does not list"],
)
def test_a_source_the_deployment_cannot_read_is_refused_before_anything_is_made(
    api, pool, owner_conn, monkeypatch: pytest.MonkeyPatch, source: dict[str, str], says: str
) -> None:
    monkeypatch.setenv("EVENTLENS_BLOB_BACKEND", "s3")
    monkeypatch.setenv("EVENTLENS_BUCKET", "eventlens-media")
    monkeypatch.setenv("EVENTLENS_LIVE_BUCKETS", "organizer-photos")
    reset_settings()
    claims = signed_in(api, pool, "root@example.com", "admins")

    status, reply = api("POST", "/api/setup/event", event_setup(source=source), claims=claims)

    assert status == 400
    assert says in reply["message"]
    assert owner_conn.execute("SELECT count(*) FROM organizations WHERE slug = 'acme'").fetchone() == (0,)
    assert owner_conn.execute("SELECT count(*) FROM events WHERE slug = 'launch-2026'").fetchone() == (0,)


def test_the_admins_wizard_follows_an_s3_prefix_of_a_listed_bucket_and_its_first_run_brings_the_photos(
    api, pool, owner_conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTLENS_LIVE_BUCKETS", "organizer-photos")
    reset_settings()
    bucket = boto3.client("s3", region_name="us-east-1")
    bucket.create_bucket(Bucket="organizer-photos")
    bucket.put_object(
        Bucket="organizer-photos", Key="gala/Keynote/cat.jpg", Body=real_jpeg("chelsea", (96, 64))
    )
    claims = signed_in(api, pool, "root@example.com", "admins")

    status, reply = api(
        "POST",
        "/api/setup/event",
        event_setup(source={"kind": "s3", "location": "s3://organizer-photos/gala"}),
        claims=claims,
    )

    assert status == 201, reply
    event = get_event("launch-2026")
    for _ in range(600):  # the first run goes on in the server's background thread
        run = get_run(Scope.system(event), reply["run"]["id"])
        if run.status not in ("queued", "running"):
            break
        time.sleep(0.2)
    assert run.status == "completed", run
    assert owner_conn.execute(
        "SELECT folder, filename FROM photos WHERE event_id = %s", (event.id,)
    ).fetchall() == [("Keynote", "cat.jpg")]
