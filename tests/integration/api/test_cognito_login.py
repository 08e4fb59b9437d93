"""On AWS the dashboard signs in with the organizer's Cognito account (moto stands in for Cognito).

The real login route exchanges username and password with the user pool (USER_PASSWORD_AUTH) and
answers the ID token; the admin routes then see its claims as the HTTP API authorizer passes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from eventlens.auth.principals import principal_from_claims
from eventlens.config import load_settings

from tests.integration.api.conftest import PASSWORD


def _login(api, username: str | None, password: str = PASSWORD, slug: str = "demo") -> tuple[int, Any]:
    body = {"password": password} if username is None else {"username": username, "password": password}
    return api("POST", f"/api/events/{slug}/login", body=body)


def test_the_event_view_tells_the_dashboard_to_ask_for_a_username(api, pool) -> None:
    status, event = api("GET", "/api/events/demo")

    assert (status, event["organizer_login"]) == (200, "cognito")


def test_organizer_signs_in_and_the_admin_route_accepts_the_id_tokens_claims(api, pool) -> None:
    pool.add_user("ada@example.com", "event:demo")

    status, reply = _login(api, "ada@example.com")

    assert status == 200, reply
    claims = jwt.decode(reply["token"], options={"verify_signature": False})
    assert claims["aud"] == pool.client_id
    assert claims["token_use"] == "id"
    assert principal_from_claims(claims).organizes("demo")
    assert not principal_from_claims(claims).organizes("other")
    assert datetime.fromisoformat(reply["expires_at"]) == datetime.fromtimestamp(claims["exp"], UTC)
    # The HTTP API authorizer verifies the token and hands its claims to the admin function.
    assert api("GET", "/api/events/demo/admin/errors", claims=claims) == (200, {"errors": []})
    assert api("GET", "/api/events/other/admin/errors", claims=claims)[0] == 403


def test_without_the_authorizer_no_bearer_token_is_verified_here(api, pool) -> None:
    pool.add_user("ada@example.com", "event:demo")
    _, reply = _login(api, "ada@example.com")

    status, body = api("GET", "/api/events/demo/admin/errors", token=reply["token"])

    assert status == 401
    assert "organizer account" in body["message"]


def test_an_admin_signs_in_to_any_event(api, pool) -> None:
    pool.add_user("root@example.com", "admins")

    assert _login(api, "root@example.com", slug="other")[0] == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("ada@example.com", "Wrong-Passw0rd"), ("nobody@example.com", PASSWORD)],
    ids=["wrong password", "unknown user"],
)
def test_bad_credentials_fail_the_same_way(api, pool, username: str, password: str) -> None:
    pool.add_user("ada@example.com", "event:demo")

    assert _login(api, username, password) == (401, {"message": "wrong username or password"})


def test_a_user_of_another_event_is_forbidden(api, pool) -> None:
    pool.add_user("bob@example.com", "event:other")

    status, reply = _login(api, "bob@example.com")

    assert status == 403
    assert "'demo'" in reply["message"]
    assert "event:demo" in reply["message"]


def test_a_user_in_no_group_is_forbidden(api, pool) -> None:
    pool.add_user("carol@example.com", None)

    assert _login(api, "carol@example.com")[0] == 403


def test_a_missing_username_is_a_clear_client_error(api, pool) -> None:
    status, reply = _login(api, None)

    assert status == 400
    assert "username is required" in reply["message"]


def test_a_temporary_password_asks_for_a_permanent_one(api, pool) -> None:
    pool.add_user("dan@example.com", "event:demo", permanent=False)

    status, reply = _login(api, "dan@example.com", "Temporary-Passw0rd")

    assert status == 401
    assert "temporary password" in reply["message"]
    assert "admin-set-user-password" in reply["message"]
    assert "--permanent" in reply["message"]


def test_an_unknown_event_is_not_found_before_cognito_is_asked(api, pool) -> None:
    assert _login(api, "ada@example.com", slug="nope")[0] == 404


def test_the_embedded_event_view_asks_for_the_event_password(api, make_event) -> None:
    make_event("demo")

    assert api("GET", "/api/events/demo")[1]["organizer_login"] == "password"


def test_settings_load_on_lambda_without_a_token_secret(tmp_path: Path) -> None:
    home = tmp_path / "read-only-code-dir"

    loaded = load_settings({"EVENTLENS_HOME": str(home), "EVENTLENS_COGNITO_CLIENT_ID": "client"})

    assert loaded.organizer_login == "cognito"
    assert not home.exists()
