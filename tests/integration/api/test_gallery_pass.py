"""A private gallery opens to its members in both modes through a gallery pass.

On AWS the gallery's routes have no authorizer (a public gallery needs no sign-in) and only the
HTTP API's authorizer vouches for Cognito tokens, so a member trades their verified token for a
pass on an authorized route; the gallery function checks the pass itself.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from eventlens.auth.tokens import issue_pass
from eventlens.config import reset_settings, settings
from PIL import Image

from tests.helpers import stored_photo


@pytest.fixture
def party(people, make_event) -> Any:
    """A private event 'afterparty' with one photo, and 'gala', private, of the same organization."""
    people.organization("org-a")
    event = make_event("afterparty", organization="org-a", visibility="private")
    make_event("gala", organization="org-a", visibility="private")
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(jpeg, "JPEG")
    stored_photo(event.id, "dance.jpg", jpeg.getvalue())
    return event


def _pass(api, **who: Any) -> str:
    status, reply = api("POST", "/api/events/afterparty/pass", **who)
    assert status == 200, reply
    assert reply["expires_at"] > time.time() + 600
    return str(reply["token"])


def test_a_member_trades_their_session_for_a_pass_that_opens_the_gallery(api, people, party) -> None:
    _, viewer = people.with_role("VIEWER", event=party.id)

    gallery_pass = _pass(api, token=viewer)

    status, page = api("GET", "/api/events/afterparty/photos", token=gallery_pass)
    assert status == 200
    assert [p["filename"] for p in page["photos"]] == ["dance.jpg"]
    assert api("GET", "/api/events/afterparty/photos")[0] == 401


def test_a_pass_opens_its_own_gallery_only_even_for_a_member_of_both(api, people, party, make_event) -> None:
    person, viewer = people.with_role("VIEWER", event=party.id)
    gala = make_event("gala-2", organization="org-a", visibility="private")
    people.grant(person, "VIEWER", event=gala.id)
    gallery_pass = _pass(api, token=viewer)

    assert api("GET", "/api/events/gala-2/photos", token=viewer)[0] == 200
    assert api("GET", "/api/events/gala-2/photos", token=gallery_pass)[0] == 403


def test_a_pass_is_a_viewer_key_not_the_holders_other_rights(api, people, party) -> None:
    _, admin = people.with_role("ADMIN", event=party.id)
    gallery_pass = _pass(api, token=admin)

    assert api("GET", "/api/events/afterparty/admin/pipeline", token=admin)[0] == 200
    assert api("GET", "/api/events/afterparty/admin/pipeline", token=gallery_pass)[0] == 403
    assert api("POST", "/api/events/afterparty/pass", token=gallery_pass)[0] == 403


def test_no_pass_for_a_stranger_nobody_or_the_event_password(api, people, party) -> None:
    from eventlens.auth.tokens import issue_token

    _, stranger = people.with_role(None)
    organizer, _ = issue_token("afterparty", settings().token_secret, 900)

    assert api("POST", "/api/events/afterparty/pass", token=stranger)[0] == 403
    assert api("POST", "/api/events/afterparty/pass")[0] == 401
    status, reply = api("POST", "/api/events/afterparty/pass", token=organizer)
    assert status == 403
    assert "signed-in account" in reply["message"]


def test_forged_expired_and_withdrawn_passes_are_refused(api, people, party, owner_conn) -> None:
    person, viewer = people.with_role("VIEWER", event=party.id)
    forged, _ = issue_pass(person, "afterparty", settings().token_secret, 900)  # the wrong key
    expired, _ = issue_pass(person, "afterparty", settings().pass_key, 60, now=time.time() - 3600)
    claims = jwt.decode(_pass(api, token=viewer), options={"verify_signature": False})
    altered = jwt.encode({**claims, "gallery": "gala"}, "guess-" * 8, algorithm="HS256")

    assert api("GET", "/api/events/afterparty/photos", token=forged)[0] == 401
    assert api("GET", "/api/events/afterparty/photos", token=expired)[0] == 401
    assert api("GET", "/api/events/gala/photos", token=altered)[0] == 401
    withdrawn = _pass(api, token=viewer)
    owner_conn.execute("DELETE FROM grants WHERE person_id = %s", (person,))
    assert api("GET", "/api/events/afterparty/photos", token=withdrawn)[0] == 403


@pytest.fixture
def cognito_mode(home, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As on Lambda: Cognito signs people in, no signing key of ours exists, the media key is a secret."""
    monkeypatch.setenv("EVENTLENS_COGNITO_CLIENT_ID", "client")
    monkeypatch.setenv("EVENTLENS_MEDIA_SECRET", "m" * 64)
    monkeypatch.delenv("EVENTLENS_TOKEN_SECRET")
    reset_settings()
    yield
    reset_settings()


def test_on_aws_the_authorizers_claims_buy_a_pass_and_the_id_token_itself_opens_nothing(
    api, people, party, cognito_mode, home
) -> None:
    person = people.person("ada@example.org")
    people.grant(person, "VIEWER", event=party.id)
    claims = {
        "sub": "cognito-sub-ada",
        "email": "ada@example.org",
        "email_verified": "true",
        "token_use": "id",
        "iat": str(int(time.time())),
    }
    id_token = jwt.encode(claims, "cognito-signs-this-" * 3, algorithm="HS256")

    gallery_pass = _pass(api, claims=claims)

    assert api("GET", "/api/events/afterparty/photos", token=gallery_pass)[0] == 200
    assert api("GET", "/api/events/afterparty/photos", token=id_token)[0] == 401
    assert not (home / "token-secret").exists(), "a token secret was created in Cognito mode"
