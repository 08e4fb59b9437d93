"""Accounts end to end through the API: sign up, mailed links (read from the local outbox),
sessions that refresh, expire and end, and profiles made just in time from identity claims."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import Message

import pytest
from eventlens.config import settings

from tests.integration.api.conftest import Api


@pytest.fixture
def api(db: str) -> Api:
    return Api()


def _mails() -> list[Message]:
    outbox = settings().outbox_dir
    return (
        [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.glob("*.eml"))]
        if outbox.exists()
        else []
    )


def _token_of_last_mail(kind_path: str) -> str:
    link = str(_mails()[-1]["X-EventLens-Link"])
    assert kind_path in link
    found = re.search(r"#token=([\w-]+)$", link)
    assert found
    return found.group(1)


def test_sign_up_mails_a_verification_link_that_works_once(api) -> None:
    status, person = api(
        "POST", "/api/account/sign-up", {"email": "Ada@Example.ORG", "password": "correct horse"}
    )
    assert status == 201
    assert person["email"] == "Ada@example.org"
    assert person["email_verified_at"] is None
    token = _token_of_last_mail("/account/verify")
    status, verified = api("POST", "/api/account/verify", {"token": token})
    assert status == 200
    assert verified["email_verified_at"]
    status, again = api("POST", "/api/account/verify", {"token": token})
    assert (status, again["message"]) == (400, "This link was already used: ask for a new one")


def test_a_second_account_for_the_same_address_in_any_case_is_refused(api) -> None:
    api("POST", "/api/account/sign-up", {"email": "bo@example.org", "password": "password-1"})
    status, reply = api("POST", "/api/account/sign-up", {"email": "BO@example.org", "password": "password-2"})
    assert status == 409
    assert "already exists" in reply["message"]


def test_sign_in_gives_a_session_that_refreshes_and_a_refresh_token_works_only_once(api) -> None:
    api("POST", "/api/account/sign-up", {"email": "cy@example.org", "password": "password-1"})
    status, wrong = api("POST", "/api/account/sign-in", {"email": "cy@example.org", "password": "nope-nope"})
    assert (status, wrong["message"]) == (401, "wrong email or password")
    status, unknown = api(
        "POST", "/api/account/sign-in", {"email": "zz@example.org", "password": "nope-nope"}
    )
    assert (status, unknown["message"]) == (401, "wrong email or password")  # no account enumeration
    status, session = api(
        "POST", "/api/account/sign-in", {"email": "cy@example.org", "password": "password-1"}
    )
    assert status == 200
    status, me = api("GET", "/api/me", token=session["access_token"])
    assert status == 200
    assert me["person"]["email"] == "cy@example.org"
    assert me["role"] is None

    status, renewed = api("POST", "/api/account/refresh", {"refresh_token": session["refresh_token"]})
    assert status == 200
    assert renewed["refresh_token"] != session["refresh_token"]
    # the old refresh token again: a stolen copy; every session of the person ends
    status, _ = api("POST", "/api/account/refresh", {"refresh_token": session["refresh_token"]})
    assert status == 401
    status, _ = api("POST", "/api/account/refresh", {"refresh_token": renewed["refresh_token"]})
    assert status == 401
    status, _ = api("GET", "/api/me", token=renewed["access_token"])
    assert status == 401


def test_a_magic_link_signs_in_once_and_not_after_it_expires(api, owner_conn) -> None:
    api("POST", "/api/account/sign-up", {"email": "di@example.org", "password": "password-1"})
    status, reply = api("POST", "/api/account/magic-link", {"email": "di@example.org"})
    assert (status, reply) == (202, {"sent": True})
    status, _ = api("POST", "/api/account/magic-link", {"email": "nobody@example.org"})
    assert status == 202  # the same reply: nobody learns whether an address has an account
    token = _token_of_last_mail("/account/magic")
    status, session = api("POST", "/api/account/magic-link/sign-in", {"token": token})
    assert status == 200
    assert session["person"]["email_verified_at"]
    status, reused = api("POST", "/api/account/magic-link/sign-in", {"token": token})
    assert (status, reused["message"]) == (400, "This link was already used: ask for a new one")

    api("POST", "/api/account/magic-link", {"email": "di@example.org"})
    late = _token_of_last_mail("/account/magic")
    owner_conn.execute(
        "UPDATE person_links SET expires_at = now() - interval '1 second' WHERE used_at IS NULL"
    )
    status, expired = api("POST", "/api/account/magic-link/sign-in", {"token": late})
    assert (status, expired["message"]) == (400, "This link has expired: ask for a new one")
    status, _ = api("POST", "/api/account/magic-link/sign-in", {"token": "x" * 43})
    assert status == 400


def test_a_reset_link_sets_a_new_password_and_ends_every_other_session(api) -> None:
    api("POST", "/api/account/sign-up", {"email": "ed@example.org", "password": "password-1"})
    _, old = api("POST", "/api/account/sign-in", {"email": "ed@example.org", "password": "password-1"})
    api("POST", "/api/account/reset", {"email": "ed@example.org"})
    token = _token_of_last_mail("/account/reset")
    status, fresh = api("POST", "/api/account/reset/confirm", {"token": token, "password": "password-2"})
    assert status == 200
    assert api("GET", "/api/me", token=old["access_token"])[0] == 401
    assert api("POST", "/api/account/refresh", {"refresh_token": old["refresh_token"]})[0] == 401
    assert api("GET", "/api/me", token=fresh["access_token"])[0] == 200
    assert (
        api("POST", "/api/account/sign-in", {"email": "ed@example.org", "password": "password-1"})[0] == 401
    )
    assert (
        api("POST", "/api/account/sign-in", {"email": "ed@example.org", "password": "password-2"})[0] == 200
    )


def test_sign_out_everywhere_ends_this_session_and_every_other(api) -> None:
    api("POST", "/api/account/sign-up", {"email": "fi@example.org", "password": "password-1"})
    _, one = api("POST", "/api/account/sign-in", {"email": "fi@example.org", "password": "password-1"})
    _, two = api("POST", "/api/account/sign-in", {"email": "fi@example.org", "password": "password-1"})
    assert api("POST", "/api/account/sign-out-everywhere", token=one["access_token"])[0] == 204
    for session in (one, two):
        assert api("GET", "/api/me", token=session["access_token"])[0] == 401
        assert api("POST", "/api/account/refresh", {"refresh_token": session["refresh_token"]})[0] == 401


def test_a_profile_is_made_just_in_time_by_subject_first_then_by_verified_email(api, people) -> None:
    existing = people.person("gil@example.org")
    claims = {"sub": "sub-1", "email": "gil@example.org", "email_verified": "true", "token_use": "id"}
    status, me = api("GET", "/api/me", claims=claims)
    assert status == 200
    assert me["person"]["id"] == str(existing)
    claims_new_email = {**claims, "email": "gil.new@example.org"}
    status, me = api("GET", "/api/me", claims=claims_new_email)
    assert me["person"]["id"] == str(existing)  # the subject comes first
    unverified = {"sub": "sub-2", "email": "gil@example.org", "email_verified": "false", "token_use": "id"}
    status, me = api("GET", "/api/me", claims=unverified)
    assert status == 200
    assert me["person"]["id"] != str(existing)
    status, again = api("GET", "/api/me", claims=unverified)
    assert again["person"]["id"] == me["person"]["id"]


def test_each_account_action_writes_exactly_one_audit_entry(api, owner_conn) -> None:
    def counts() -> dict[tuple[str, str], int]:
        rows = owner_conn.execute("SELECT action, outcome, count(*) FROM audit_log GROUP BY 1, 2").fetchall()
        return {(action, outcome): n for action, outcome, n in rows}

    before = counts()
    steps = [
        (
            ("POST", "/api/account/sign-up", {"email": "hal@example.org", "password": "password-1"}),
            ("account_create", "ok"),
        ),
        (
            ("POST", "/api/account/sign-in", {"email": "hal@example.org", "password": "wrong-one"}),
            ("sign_in", "refused"),
        ),
        (
            ("POST", "/api/account/sign-in", {"email": "hal@example.org", "password": "password-1"}),
            ("sign_in", "ok"),
        ),
    ]
    for (method, path, body), key in steps:
        api(method, path, body)
        after = counts()
        assert {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)} == {key: 1}, path
        before = after
    _, session = api("POST", "/api/account/sign-in", {"email": "hal@example.org", "password": "password-1"})
    before = counts()
    api(
        "POST",
        "/api/account/password",
        {"current_password": "password-1", "new_password": "password-2"},
        token=session["access_token"],
    )
    after = counts()
    assert after[("password_change", "ok")] - before.get(("password_change", "ok"), 0) == 1
    _, session = api("POST", "/api/account/sign-in", {"email": "hal@example.org", "password": "password-2"})
    before = counts()
    api("POST", "/api/account/sign-out-everywhere", token=session["access_token"])
    assert counts()[("sign_out_everywhere", "ok")] - before.get(("sign_out_everywhere", "ok"), 0) == 1
