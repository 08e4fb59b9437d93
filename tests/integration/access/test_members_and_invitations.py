"""Members, invitations and transfers through the API: the escalation rules on top of the table,
invitations that work once for the address they name, and one audit entry per change."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from eventlens.config import settings

from tests.integration.api.conftest import Api


@pytest.fixture
def api(db: str) -> Api:
    return Api()


@pytest.fixture
def event(make_event, people):
    people.organization("org-a")
    return make_event("gala", organization="org-a")


def _invitation_token() -> str:
    mails = sorted(settings().outbox_dir.glob("*.eml"))
    link = str(message_from_bytes(mails[-1].read_bytes(), policy=policy.default)["X-EventLens-Link"])
    found = re.search(r"/account/invitation#token=([\w-]+)$", link)
    assert found, link
    return found.group(1)


def _audit(owner_conn, action: str) -> list[dict]:
    rows = owner_conn.execute(
        "SELECT action, outcome, detail, subject FROM audit_log WHERE action = %s ORDER BY seq", (action,)
    ).fetchall()
    return [{"action": r[0], "outcome": r[1], "detail": r[2], "subject": r[3]} for r in rows]


def test_an_invitation_gives_its_role_once_to_the_address_it_names(api, people, event, owner_conn) -> None:
    _, admin = people.with_role("ADMIN", event=event.id)
    status, invitation = api(
        "POST",
        "/api/events/gala/admin/invitations",
        {"email": "Eve@Example.org", "role": "EDITOR"},
        token=admin,
    )
    assert status == 201
    assert invitation["email"] == "Eve@example.org"
    token = _invitation_token()

    mallory = people.token(people.person("mallory@example.org"))
    status, refused = api("POST", "/api/invitations/accept", {"token": token}, token=mallory)
    assert status == 400
    assert (
        refused["message"] == "This invitation is for Eve@example.org: sign in with that address to accept it"
    )

    eve = people.person("eve@example.org")
    status, accepted = api("POST", "/api/invitations/accept", {"token": token}, token=people.token(eve))
    assert (status, accepted["role"]) == (200, "EDITOR")
    status, me = api("GET", "/api/me?event=gala", token=people.token(eve))
    assert me["role"] == "EDITOR"
    assert "photo.moderate" in me["allowed"]
    assert "event.settings" not in me["allowed"]
    status, reused = api("POST", "/api/invitations/accept", {"token": token}, token=people.token(eve))
    assert (status, reused["message"]) == (400, "This invitation was already used")
    assert [e["detail"]["role"] for e in _audit(owner_conn, "invite")] == ["EDITOR"]
    assert len(_audit(owner_conn, "invite_accept")) == 1


def test_an_expired_or_withdrawn_invitation_is_refused(api, people, event, owner_conn) -> None:
    _, admin = people.with_role("ADMIN", event=event.id)
    fay = people.person("fay@example.org")
    api(
        "POST",
        "/api/events/gala/admin/invitations",
        {"email": "fay@example.org", "role": "MEMBER"},
        token=admin,
    )
    late = _invitation_token()
    owner_conn.execute("UPDATE invitations SET expires_at = now() - interval '1 minute'")
    status, reply = api("POST", "/api/invitations/accept", {"token": late}, token=people.token(fay))
    assert (status, reply["message"]) == (400, "This invitation has expired: ask for a new one")

    _, invitation = api(
        "POST",
        "/api/events/gala/admin/invitations",
        {"email": "fay@example.org", "role": "MEMBER"},
        token=admin,
    )
    withdrawn = _invitation_token()
    status, _ = api("DELETE", f"/api/events/gala/admin/invitations/{invitation['id']}", token=admin)
    assert status == 204
    status, reply = api("POST", "/api/invitations/accept", {"token": withdrawn}, token=people.token(fay))
    assert (status, reply["message"]) == (400, "This invitation was withdrawn: ask for a new one")
    status, reply = api("POST", "/api/invitations/accept", {"token": "n" * 43}, token=people.token(fay))
    assert (status, reply["message"]) == (400, "This invitation link is not valid: ask for a new one")


@pytest.mark.parametrize(
    ("granter", "role"),
    [("EDITOR", "ADMIN"), ("EDITOR", "VIEWER"), ("ADMIN", "SUPER_ADMIN"), ("MEMBER", "MEMBER")],
)
def test_nobody_grants_a_role_they_may_not_or_one_above_their_own(api, people, event, granter, role) -> None:
    people.person("target@example.org")
    _, token = people.with_role(granter, event=event.id)
    for path in ("/api/events/gala/admin/members", "/api/events/gala/admin/invitations"):
        status, reply = api("POST", path, {"email": "target@example.org", "role": role}, token=token)
        assert status == 403, (path, reply)


def test_an_admin_of_one_event_grants_nothing_organization_wide(api, people, event) -> None:
    _, event_admin = people.with_role("ADMIN", event=event.id)
    people.person("target@example.org")
    status, _ = api(
        "POST",
        "/api/orgs/org-a/members",
        {"email": "target@example.org", "role": "VIEWER"},
        token=event_admin,
    )
    assert status == 403


def test_a_role_change_and_a_removal_are_one_audit_entry_each_and_take_effect_at_once(
    api, people, event, owner_conn
) -> None:
    _, admin = people.with_role("ADMIN", event=event.id)
    gus = people.person("gus@example.org")
    status, member = api(
        "POST", "/api/events/gala/admin/members", {"email": "gus@example.org", "role": "EDITOR"}, token=admin
    )
    assert (status, member["role"], member["level"]) == (200, "EDITOR", "event")
    gus_token = people.token(gus)
    assert api("GET", "/api/events/gala/admin/pipeline", token=gus_token)[0] == 200  # cached: EDITOR

    status, _ = api("PATCH", f"/api/events/gala/admin/members/{gus}", {"role": "VIEWER"}, token=admin)
    assert status == 200
    assert (
        api("GET", "/api/events/gala/admin/pipeline", token=gus_token)[0] == 403
    )  # the cache saw the change
    status, _ = api("DELETE", f"/api/events/gala/admin/members/{gus}", token=admin)
    assert status == 204
    assert api("GET", "/api/me?event=gala", token=gus_token)[1]["role"] is None
    grants = _audit(owner_conn, "grant")
    assert [(e["detail"]["before"], e["detail"]["after"]) for e in grants] == [
        (None, "EDITOR"),
        ("EDITOR", "VIEWER"),
    ]
    assert [e["detail"]["before"] for e in _audit(owner_conn, "revoke")] == ["VIEWER"]


def test_the_last_admin_cannot_be_removed_or_demoted(api, people, event) -> None:
    admin_id, admin = people.with_role("ADMIN", event=event.id)
    status, reply = api("DELETE", f"/api/events/gala/admin/members/{admin_id}", token=admin)
    assert status == 409
    assert "last ADMIN" in reply["message"]
    status, _ = api("PATCH", f"/api/events/gala/admin/members/{admin_id}", {"role": "EDITOR"}, token=admin)
    assert status == 409


def test_transfer_to_another_organization_needs_a_role_there_and_moves_who_may_act(
    api, people, event, owner_conn
) -> None:
    org_b = people.organization("org-b")
    admin_id, admin = people.with_role("ADMIN", event=event.id)
    status, _ = api("POST", "/api/events/gala/admin/transfer", {"organization": "org-b"}, token=admin)
    assert status == 403  # no role in org-b
    status, _ = api("POST", "/api/events/gala/admin/transfer", {"organization": "no-such-org"}, token=admin)
    assert status == 404
    people.grant(admin_id, "ADMIN", organization=org_b)
    org_a_editor = people.person("old-org@example.org")
    people.grant(org_a_editor, "EDITOR", organization=event.organization_id)
    assert api("GET", "/api/events/gala/admin/pipeline", token=people.token(org_a_editor))[0] == 200
    status, _ = api("POST", "/api/events/gala/admin/transfer", {"organization": "org-b"}, token=admin)
    assert status == 200
    assert api("GET", "/api/events/gala/admin/pipeline", token=people.token(org_a_editor))[0] == 403
    [entry] = _audit(owner_conn, "event_transfer")
    assert entry["detail"] == {"before": "org-a", "after": "org-b"}


def test_transfer_to_an_owner_without_an_account_is_refused(api, people, event) -> None:
    _, admin = people.with_role("ADMIN", event=event.id)
    status, reply = api(
        "POST", "/api/events/gala/admin/transfer", {"owner": "ghost@example.org"}, token=admin
    )
    assert status == 404
    assert "no account for ghost@example.org" in reply["message"]
    owner = people.person("heir@example.org")
    status, _ = api("POST", "/api/events/gala/admin/transfer", {"owner": "heir@example.org"}, token=admin)
    assert status == 200
    assert api("GET", "/api/me?event=gala", token=people.token(owner))[1]["role"] == "ADMIN"


def test_a_member_may_not_change_settings_and_a_viewer_may_not_see_members(api, people, event) -> None:
    _, member = people.with_role("MEMBER", event=event.id)
    status, reply = api("PATCH", "/api/events/gala/admin/settings", {"face_threshold": 0.1}, token=member)
    assert status == 403
    assert reply["message"] == "Your role in the event 'gala' (MEMBER) may not do this (event.settings)"
    _, viewer = people.with_role("VIEWER", event=event.id)
    assert api("GET", "/api/events/gala/admin/members", token=viewer)[0] == 403
    assert api("GET", "/api/events/gala/admin/members", token=member)[0] == 200


def test_a_private_gallery_is_seen_only_by_its_members_and_its_media_urls_still_open(
    api, people, make_event, owner_conn
) -> None:
    import io

    from PIL import Image

    from tests.helpers import stored_photo

    people.organization("org-a")
    hidden_party = make_event("afterparty", organization="org-a", visibility="private")
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(jpeg, "JPEG")
    stored_photo(hidden_party.id, "dance.jpg", jpeg.getvalue())
    status, reply = api("GET", "/api/events/afterparty/photos")
    assert status == 401
    assert reply["message"] == "This gallery is private: sign in with the account you were invited with"
    _, stranger = people.with_role(None)
    assert api("GET", "/api/events/afterparty/photos", token=stranger)[0] == 403
    _, viewer = people.with_role("VIEWER", event=hidden_party.id)
    status, page = api("GET", "/api/events/afterparty/photos", token=viewer)
    assert status == 200
    [photo] = page["photos"]
    from eventlens.media.service import open_media

    grant = open_media(photo["original_url"].split("/media/")[1])  # the capability opens for its holder
    assert grant.key.endswith("/dance.jpg")
