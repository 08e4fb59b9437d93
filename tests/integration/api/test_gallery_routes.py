"""Public gallery routes through the real handler: read-only, scoped to their event."""

from __future__ import annotations


def test_health_reports_the_database(api) -> None:
    assert api("GET", "/api/health") == (200, {"status": "ok", "database": "ok"})


def test_openapi_document_lists_public_and_admin_routes(api) -> None:
    status, reply = api("GET", "/api/openapi.json")
    assert status == 200
    assert "/api/events/{slug}/photos" in reply["paths"]
    assert "/api/events/{slug}/admin/pipeline" in reply["paths"]
    assert "organizer" in reply["components"]["securitySchemes"]


def test_event_lists_folders_and_visible_count(api, seeded) -> None:
    status, event = api("GET", "/api/events/demo")
    assert status == 200
    assert event["name"] == "Demo Day"
    assert event["photo_count"] == 2
    assert event["folders"] == ["Expo", "Keynote"]
    assert event["settings"]["face_matching"] is True


def test_photos_lists_only_this_events_visible_photos(api, seeded) -> None:
    status, page = api("GET", "/api/events/demo/photos")
    assert status == 200
    assert [p["filename"] for p in page["photos"]] == ["a.jpg", "b.jpg"]
    assert page["total"] == 2
    assert page["photos"][0]["original_url"].startswith("/media/")  # a capability: tests/integration/server


def test_photos_paginate_with_a_cursor_without_repeats(api, seeded) -> None:
    _, first = api("GET", "/api/events/demo/photos?limit=1&sort=-taken_at")
    assert [p["filename"] for p in first["photos"]] == ["b.jpg"]
    _, second = api("GET", f"/api/events/demo/photos?limit=1&sort=-taken_at&cursor={first['next_cursor']}")
    assert [p["filename"] for p in second["photos"]] == ["a.jpg"]
    assert second["next_cursor"] is None


def test_photos_from_an_offset_start_at_that_position_and_continue_by_cursor(api, seeded) -> None:
    """A jump far into a long gallery asks for the page where it lands, not every page before it."""
    _, landed = api("GET", "/api/events/demo/photos?limit=1&offset=1")
    assert [p["filename"] for p in landed["photos"]] == ["b.jpg"]
    assert landed["total"] == 2
    assert landed["next_cursor"] is None
    _, first = api("GET", "/api/events/demo/photos?limit=1&offset=0")
    _, after = api("GET", f"/api/events/demo/photos?limit=1&cursor={first['next_cursor']}")
    assert [p["filename"] for p in after["photos"]] == ["b.jpg"]
    _, past = api("GET", "/api/events/demo/photos?offset=5")
    assert past["photos"] == []
    assert past["total"] == 2
    assert api("GET", "/api/events/demo/photos?offset=-1")[0] == 422


def test_photos_filter_by_folder(api, seeded) -> None:
    _, page = api("GET", "/api/events/demo/photos?folder=Keynote")
    assert [p["filename"] for p in page["photos"]] == ["a.jpg"]


def test_a_hidden_photo_is_not_found_publicly(api, seeded, owner_conn) -> None:
    hidden_id = owner_conn.execute("SELECT id FROM photos WHERE filename = 'c.jpg'").fetchone()[0]
    status, reply = api("GET", f"/api/events/demo/photos/{hidden_id}")
    assert status == 404
    assert "no photo" in reply["message"]


def test_another_events_photo_is_not_found_through_this_event(api, seeded, owner_conn) -> None:
    other_id = owner_conn.execute("SELECT id FROM photos WHERE filename = 'secret.jpg'").fetchone()[0]
    assert api("GET", f"/api/events/demo/photos/{other_id}")[0] == 404


def test_unknown_event_is_a_json_404(api, db) -> None:
    status, reply = api("GET", "/api/events/nope/photos")
    assert status == 404
    assert reply == {"message": "no event 'nope'"}


def test_malformed_parameters_are_a_clear_422(api, seeded) -> None:
    status, reply = api("GET", "/api/events/demo/photos?limit=0")
    assert status == 422
    assert reply["message"].startswith("Invalid request: limit")


def test_malformed_cursor_is_a_400(api, seeded) -> None:
    status, reply = api("GET", "/api/events/demo/photos?cursor=!!!")
    assert status == 400
    assert "cursor" in reply["message"]


def test_unknown_route_is_a_json_404(api, db) -> None:
    assert api("GET", "/api/nothing-here") == (404, {"message": "No such route"})


def test_public_routes_are_read_only(api, seeded) -> None:
    photo_id = "00000000-0000-0000-0000-000000000000"
    status, _ = api("PATCH", f"/api/events/demo/photos/{photo_id}", body={"hidden": True})
    assert status == 404  # no such public route: moderation lives under /admin


def test_download_starts_an_archive_of_the_visible_originals(api, seeded, owner_conn) -> None:
    """202 at once; the ZIP is built in the background (tests/integration/server/test_zip_downloads.py)."""
    import io
    import time
    import zipfile

    from eventlens.media.service import open_media
    from eventlens.storage import blob_store

    rows = owner_conn.execute("SELECT id, source_key, filename FROM photos ORDER BY filename").fetchall()
    for _, key, name in rows:
        blob_store().put(key, f"bytes of {name}".encode())
    ids = [str(r[0]) for r in rows if r[2] in ("a.jpg", "c.jpg", "secret.jpg")]  # c hidden, secret elsewhere
    status, reply = api("POST", "/api/events/demo/download", body={"ids": ids})
    assert status == 202
    assert (reply["status"], reply["photo_count"]) == ("pending", 1)
    for _ in range(200):
        status, archive = api("GET", f"/api/events/demo/archives/{reply['archive_id']}")
        if archive["status"] == "ready":
            break
        time.sleep(0.05)
    assert archive["status"] == "ready"
    grant = open_media(archive["url"].rsplit("/", 1)[-1])
    zipped = zipfile.ZipFile(io.BytesIO(blob_store().get(grant.key)))
    assert zipped.namelist() == ["Keynote/a.jpg"]
    assert zipped.read("Keynote/a.jpg") == b"bytes of a.jpg"


def test_malformed_selfie_requests_get_clear_errors(api, seeded) -> None:
    assert api("POST", "/api/events/demo/match", body={}) == (
        422,
        {"message": "Invalid request: image_base64: Field required"},
    )
    status, reply = api("POST", "/api/events/demo/match", body={"image_base64": "not base64!"})
    assert (status, reply["message"]) == (400, "image_base64 is not valid base64")
    boundary = "----WebKitFormBoundaryAbCdEf"  # mixed case, as browsers send it
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="selfie"; filename="s.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\nnot a jpeg\r\n--{boundary}--\r\n"
    ).encode()
    from eventlens.events.service import get_event
    from eventlens.findme.control import consent_text, consent_version

    status, reply = api(
        "POST",
        "/api/events/demo/match",
        raw=form,
        headers={
            "content-type": f"multipart/form-data; boundary={boundary}",
            "X-EventLens-Consent": consent_version(consent_text(get_event("demo"))),
        },
    )
    assert (status, reply["message"]) == (400, "the selfie could not be read as an image")


def test_similar_photos_of_a_hidden_photo_are_not_found_publicly(api, seeded, owner_conn) -> None:
    """Row-level security hides a hidden photo from visitors (0006): "more like this" cannot name one."""
    ids = dict(owner_conn.execute("SELECT filename, id FROM photos").fetchall())
    status, reply = api("GET", f"/api/events/demo/photos/{ids['c.jpg']}/similar")
    assert status == 404
    assert "no photo" in reply["message"]
    assert api("GET", f"/api/events/demo/photos/{ids['secret.jpg']}/similar")[0] == 404  # another event's
    status, reply = api("GET", f"/api/events/demo/photos/{ids['a.jpg']}/similar")
    assert status == 200
    assert "c.jpg" not in {p["filename"] for p in reply["photos"]}


def test_a_malformed_find_me_session_id_is_a_400(api, seeded) -> None:
    selfie = {"image_base64": "aGVsbG8="}
    for headers, body in (
        ({"X-EventLens-Session": "too-short"}, selfie),
        ({}, {**selfie, "session_id": "not url-safe: ;;;;;;;;;;;;"}),
        ({}, {**selfie, "session_id": 12345678901234567890}),
    ):
        status, reply = api("POST", "/api/events/demo/match", body=body, headers=headers)
        assert status == 400
        assert reply["message"].startswith("X-EventLens-Session (or session_id) must be")
