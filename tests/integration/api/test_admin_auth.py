"""Admin routes refuse a missing, expired, forged or foreign token; accept the organizer's."""

from __future__ import annotations

import time

import jwt
import pytest
from eventlens.auth.tokens import issue_token

SECRET = "test-secret-" + "x" * 32


def _login(api, slug: str = "demo", password: str = "password-demo") -> str:
    status, reply = api("POST", f"/api/events/{slug}/login", body={"password": password})
    assert status == 200, reply
    return reply["token"]


def test_login_with_the_right_password_returns_an_expiring_token(api, seeded) -> None:
    status, reply = api("POST", "/api/events/demo/login", body={"password": "password-demo"})
    assert status == 200
    claims = jwt.decode(reply["token"], SECRET, algorithms=["HS256"], issuer="eventlens")
    assert claims["event"] == "demo"
    assert claims["exp"] > time.time()


@pytest.mark.parametrize(("slug", "password"), [("demo", "wrong-password"), ("nope", "password-demo")])
def test_login_fails_the_same_way_for_wrong_password_or_event(api, seeded, slug, password) -> None:
    assert api("POST", f"/api/events/{slug}/login", body={"password": password}) == (
        401,
        {"message": "wrong event or password"},
    )


def test_admin_route_refuses_a_missing_token(api, seeded) -> None:
    status, reply = api("GET", "/api/events/demo/admin/errors")
    assert status == 401
    assert "bearer" in reply["message"]


def test_admin_route_refuses_an_expired_token(api, seeded) -> None:
    token, _ = issue_token("demo", SECRET, ttl_s=60, now=time.time() - 3600)
    status, reply = api("GET", "/api/events/demo/admin/errors", token=token)
    assert status == 401
    assert "expired" in reply["message"]


def test_admin_route_refuses_a_forged_token(api, seeded) -> None:
    token, _ = issue_token("demo", "not-the-server-secret-" + "y" * 20, ttl_s=600)
    assert api("GET", "/api/events/demo/admin/errors", token=token)[0] == 401
    unsigned = jwt.encode(
        {"iss": "eventlens", "event": "demo", "exp": time.time() + 60}, key="", algorithm="none"
    )
    assert api("GET", "/api/events/demo/admin/errors", token=unsigned)[0] == 401


def test_admin_route_refuses_another_events_organizer(api, seeded) -> None:
    token = _login(api, "other", "password-other")
    status, reply = api("GET", "/api/events/demo/admin/errors", token=token)
    assert status == 403
    assert "demo" in reply["message"]


def test_admin_route_accepts_the_organizers_token(api, seeded) -> None:
    status, reply = api("GET", "/api/events/demo/admin/errors", token=_login(api))
    assert status == 200
    assert reply == {"errors": []}


def test_admin_route_accepts_cognito_claims_from_the_http_api_authorizer(api, seeded) -> None:
    claims = {"sub": "user-1", "cognito:groups": ["event:demo"], "iss": "https://cognito-idp.example"}
    assert api("GET", "/api/events/demo/admin/errors", claims=claims)[0] == 200
    claims["cognito:groups"] = ["event:other"]
    assert api("GET", "/api/events/demo/admin/errors", claims=claims)[0] == 403


def test_organizer_hides_and_unhides_a_photo(api, seeded, owner_conn) -> None:
    token = _login(api)
    photo_id = owner_conn.execute("SELECT id FROM photos WHERE filename = 'a.jpg'").fetchone()[0]
    status, photo = api(
        "PATCH", f"/api/events/demo/admin/photos/{photo_id}", body={"hidden": True}, token=token
    )
    assert (status, photo["hidden"]) == (200, True)
    assert api("GET", f"/api/events/demo/photos/{photo_id}")[0] == 404
    api("PATCH", f"/api/events/demo/admin/photos/{photo_id}", body={"hidden": False}, token=token)
    assert api("GET", f"/api/events/demo/photos/{photo_id}")[0] == 200


def test_organizer_cannot_hide_another_events_photo(api, seeded, owner_conn) -> None:
    token = _login(api)
    other_id = owner_conn.execute("SELECT id FROM photos WHERE filename = 'secret.jpg'").fetchone()[0]
    assert (
        api("PATCH", f"/api/events/demo/admin/photos/{other_id}", body={"hidden": True}, token=token)[0]
        == 404
    )
    assert owner_conn.execute("SELECT hidden FROM photos WHERE id = %s", (other_id,)).fetchone()[0] is False


def test_settings_patch_merges_the_theme(api, seeded) -> None:
    token = _login(api)
    status, event = api(
        "PATCH",
        "/api/events/demo/admin/settings",
        body={"name": "Renamed", "theme": {"primary": "#112233"}, "face_matching": False},
        token=token,
    )
    assert status == 200
    assert event["name"] == "Renamed"
    assert event["settings"]["theme"]["primary"] == "#112233"
    assert event["settings"]["theme"]["accent"] == "#f5a524"
    assert event["settings"]["face_matching"] is False


def test_settings_patch_null_sets_back_what_can_be_unset_and_omitted_keeps_it(api, seeded) -> None:
    token = _login(api)
    chosen = {"consent_text": "Our own words", "ends_on": "2031-05-01", "face_threshold": 0.5}
    assert api("PATCH", "/api/events/demo/admin/settings", body=chosen, token=token)[0] == 200
    # An omitted field keeps its setting
    status, event = api("PATCH", "/api/events/demo/admin/settings", body={"face_matching": True}, token=token)
    assert status == 200
    assert {key: event["settings"][key] for key in chosen} == chosen
    # null sets it back to unset: the standard text, the last photo's day, the calibrated threshold
    cleared = dict.fromkeys(chosen)
    status, event = api("PATCH", "/api/events/demo/admin/settings", body=cleared, token=token)
    assert status == 200
    assert {key: event["settings"][key] for key in chosen} == cleared


@pytest.mark.parametrize("field", ["face_matching", "theme", "face_retention_days", "name"])
def test_settings_patch_refuses_null_for_a_setting_that_has_no_unset_state(api, seeded, field) -> None:
    status, reply = api("PATCH", "/api/events/demo/admin/settings", body={field: None}, token=_login(api))
    assert status == 422
    assert f"{field} cannot be null" in reply["message"]


def test_settings_patch_rejects_a_bad_colour(api, seeded) -> None:
    status, reply = api(
        "PATCH", "/api/events/demo/admin/settings", body={"theme": {"primary": "red"}}, token=_login(api)
    )
    assert status == 422
    assert "primary" in reply["message"]


def test_upload_ticket_refuses_a_wrong_content_type(api, seeded) -> None:
    status, reply = api(
        "POST",
        "/api/events/demo/admin/uploads",
        body={"filename": "evil.exe", "content_type": "application/x-msdownload", "size": 10},
        token=_login(api),
    )
    assert status == 400
    assert "not a photo or video" in reply["message"]


def test_upload_ticket_points_under_the_events_originals(api, seeded) -> None:
    status, ticket = api(
        "POST",
        "/api/events/demo/admin/uploads",
        body={"filename": "../../etc/passwd.jpg", "content_type": "image/jpeg", "size": 10},
        token=_login(api),
    )
    assert status == 200
    assert ticket["key"].startswith("events/demo/originals/uploads/")
    assert ".." not in ticket["key"]


def test_organizer_lists_hidden_photos_too(api, seeded) -> None:
    token = _login(api)
    status, everything = api("GET", "/api/events/demo/admin/photos", token=token)
    assert status == 200, everything
    assert [p["filename"] for p in everything["photos"]] == ["a.jpg", "b.jpg", "c.jpg"]
    _, hidden = api("GET", "/api/events/demo/admin/photos?hidden=true", token=token)
    assert [p["filename"] for p in hidden["photos"]] == ["c.jpg"]
    assert api("GET", "/api/events/demo/admin/photos")[0] == 401


def test_organizer_reads_find_me_analytics(api, seeded) -> None:
    status, reply = api("GET", "/api/events/demo/admin/analytics", token=_login(api))
    assert status == 200
    assert (reply["sessions"], reply["distinct_searchers"], reply["hot_photos"]) == (0, 0, [])
    assert api("GET", "/api/events/demo/admin/analytics")[0] == 401


def test_an_unknown_run_id_is_404_not_500(api, seeded) -> None:
    status, reply = api(
        "GET", "/api/events/demo/admin/pipeline/runs/00000000-0000-0000-0000-000000000000", token=_login(api)
    )
    assert (status, reply) == (404, {"message": "no pipeline run 00000000-0000-0000-0000-000000000000"})


def test_completing_uploads_counts_only_keys_that_became_photos(api, seeded, monkeypatch) -> None:
    from eventlens.storage import blob_store

    from tests.fixtures_photos import real_jpeg

    monkeypatch.setattr("eventlens.jobs.service.start_background_run", lambda scope, phase: None)
    store = blob_store()
    photo = "events/demo/originals/uploads/abc-photo.jpg"
    dotfile = "events/demo/originals/uploads/.DS_Store"
    store.put(photo, real_jpeg("coffee", (64, 48)), "image/jpeg")
    store.put(dotfile, b"finder metadata", "application/octet-stream")
    status, reply = api(
        "POST", "/api/events/demo/admin/uploads/complete", body={"keys": [photo, dotfile]}, token=_login(api)
    )
    assert status == 200, reply
    assert reply["registered"] == 1


def test_face_threshold_can_be_set_and_cleared_back_to_the_default(api, seeded) -> None:
    token = _login(api)
    status, reply = api("PATCH", "/api/events/demo/admin/settings", body={"face_threshold": 0.5}, token=token)
    assert status == 200, reply
    assert reply["settings"]["face_threshold"] == 0.5
