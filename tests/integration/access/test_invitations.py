"""An invitation through the API as the dashboard and the account page use it: the accepted
invitation names the event it opens (where the page lands), and another address is refused."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from eventlens.config import settings

from tests.integration.api.conftest import Api


@pytest.fixture
def api(db: str) -> Api:
    return Api()


def _invitation_token(to: str) -> str:
    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted(settings().outbox_dir.glob("*.eml"))
    ]
    links = [str(m["X-EventLens-Link"]) for m in mails if to in str(m["To"])]
    found = [re.search(r"/account/invitation#token=([\w-]+)$", link) for link in links]
    tokens = [f.group(1) for f in found if f]
    assert tokens, links
    return tokens[-1]


def _account(api: Api, email: str) -> str:
    assert api("POST", "/api/account/sign-up", {"email": email, "password": "password-1"})[0] == 201
    status, session = api("POST", "/api/account/sign-in", {"email": email, "password": "password-1"})
    assert status == 200
    return str(session["access_token"])


def _invite(api: Api, email: str, role: str) -> None:
    _, login = api("POST", "/api/events/demo/login", {"password": "password-demo"})
    status, invitation = api(
        "POST", "/api/events/demo/admin/invitations", {"email": email, "role": role}, token=login["token"]
    )
    assert status == 201, invitation
    assert invitation["event_slug"] == "demo"


def test_an_accepted_invitation_names_its_event_and_gives_the_role_me_reports(api, make_event) -> None:
    make_event("demo")
    _invite(api, "ed@example.org", "EDITOR")
    token = _account(api, "ed@example.org")

    status, accepted = api(
        "POST", "/api/invitations/accept", {"token": _invitation_token("ed@")}, token=token
    )

    assert status == 200, accepted
    assert (accepted["event_slug"], accepted["role"]) == ("demo", "EDITOR")
    status, me = api("GET", "/api/me?event=demo", token=token)
    assert (status, me["role"]) == (200, "EDITOR")
    assert "photo.moderate" in me["allowed"]
    assert "event.settings" not in me["allowed"]
    assert "members.manage" not in me["allowed"]


def test_an_invitation_taken_by_another_address_is_refused_naming_the_invited_one(api, make_event) -> None:
    make_event("demo")
    _invite(api, "fay@example.org", "EDITOR")
    token = _account(api, "gus@example.org")

    status, refused = api(
        "POST", "/api/invitations/accept", {"token": _invitation_token("fay@")}, token=token
    )

    assert status == 400
    assert refused["message"] == (
        "This invitation is for fay@example.org: sign in with that address to accept it"
    )
    assert api("GET", "/api/me?event=demo", token=token)[1]["role"] is None
