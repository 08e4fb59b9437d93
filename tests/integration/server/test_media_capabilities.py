"""Media URLs are capabilities: unguessable, signed, expiring, stable within their window, and
revoked when the photo stops being public. A served file is only ever the type its bytes were
sniffed as, sandboxed, and an original is an attachment (issue 11, "Served media")."""

from __future__ import annotations

import time
from uuid import uuid4

import requests
from eventlens.config import settings
from eventlens.db.photos import PhotoFilter
from eventlens.media import service as media
from eventlens.moderation import service as moderation
from eventlens.scope import Scope
from eventlens.storage import blob_store
from eventlens.storage.capability import Capability, expiry, sign, verify

from tests.fixtures_photos import real_jpeg
from tests.helpers import stored_photo

HTML = b"<html><script>fetch('/api/events/other/admin/errors')</script></html>"


def _listed(event) -> dict[str, dict]:
    page = media.list_photos(Scope.visitor(event), PhotoFilter())
    return {p.filename: p.model_dump() for p in page.photos}


def test_listed_urls_name_no_folder_or_file_and_are_the_same_on_every_listing(served) -> None:
    server, event = served
    stored_photo(
        event.id,
        "Day 1/secret-name.jpg",
        real_jpeg("coffee", (320, 200)),
        thumbnail=real_jpeg("coffee", (32, 20)),
    )

    first, second = _listed(event), _listed(event)

    photo = first["secret-name.jpg"]
    assert photo == second["secret-name.jpg"]  # stable: browsers and caches reuse it
    for url in (photo["thumbnail_url"], photo["original_url"]):
        assert url.startswith("/media/")
        assert not {"secret", "Day", "events"} & set(url.replace(".", "/").replace("-", "/").split("/"))
    assert requests.get(server + photo["thumbnail_url"], timeout=10).status_code == 200


def test_a_blob_is_never_served_by_its_key(served) -> None:
    server, event = served
    stored_photo(event.id, "a.jpg", real_jpeg("coffee", (320, 200)))
    assert requests.get(f"{server}/media/events/demo/originals/a.jpg", timeout=10).status_code == 404


def test_hiding_a_photo_revokes_its_public_urls_and_staff_get_their_own(served) -> None:
    server, event = served
    row = stored_photo(
        event.id, "a.jpg", real_jpeg("coffee", (320, 200)), thumbnail=real_jpeg("coffee", (32, 20))
    )
    public = _listed(event)["a.jpg"]
    urls = [public["thumbnail_url"], public["original_url"]]
    assert [requests.get(server + u, timeout=10).status_code for u in urls] == [200, 200]

    organizer = Scope.organizer(event, "test")
    hidden = moderation.update_photo(organizer, row.id, hidden=True)

    assert [requests.get(server + u, timeout=10).status_code for u in urls] == [404, 404]
    staff_urls = [hidden.thumbnail_url, hidden.original_url]
    assert not set(staff_urls) & set(urls)
    assert [requests.get(f"{server}{u}", timeout=10).status_code for u in staff_urls] == [200, 200]
    staff = verify(settings().media_key, str(hidden.original_url).rsplit("/", 1)[-1])
    assert (staff.audience, staff.expires - time.time() <= 2 * 3600) == ("staff", True)

    moderation.update_photo(organizer, row.id, hidden=False)
    assert requests.get(server + urls[0], timeout=10).status_code == 200  # public again, same URL


def test_a_held_photo_is_served_to_staff_only(served) -> None:
    server, event = served
    row = stored_photo(event.id, "held.jpg", real_jpeg("coffee", (320, 200)), public=False)
    assert "held.jpg" not in _listed(event)
    forged_public = sign(
        settings().media_key, Capability(event.id, row.id, "original", "public", expiry("public"))
    )
    assert requests.get(f"{server}/media/{forged_public}", timeout=10).status_code == 404
    staff = media.get_photo(Scope.organizer(event, "test"), row.id)
    assert requests.get(f"{server}{staff.original_url}", timeout=10).status_code == 200


def test_forged_altered_expired_and_other_keys_tokens_open_nothing(served) -> None:
    server, event = served
    row = stored_photo(event.id, "a.jpg", real_jpeg("coffee", (320, 200)))
    key = settings().media_key
    good = sign(key, Capability(event.id, row.id, "original", "public", expiry("public")))
    expired = sign(key, Capability(event.id, row.id, "original", "public", int(time.time()) - 1))
    other_key = sign(b"k" * 32, Capability(event.id, row.id, "original", "public", expiry("public")))
    flipped = good[:10] + ("A" if good[10] != "A" else "B") + good[11:]
    unknown = sign(key, Capability(event.id, uuid4(), "original", "public", expiry("public")))

    assert requests.get(f"{server}/media/{good}", timeout=10).status_code == 200
    for token in (expired, other_key, flipped, unknown, good[:-1], "x" * len(good), "..%2F..%2Fetc%2Fpasswd"):
        reply = requests.get(f"{server}/media/{token}", timeout=10)
        assert (reply.status_code, reply.json()) == (404, {"message": "No such file"}), token


def test_a_window_keeps_one_url_and_the_next_window_another() -> None:
    window = 12 * 3600
    start = 1_800_000_000 // window * window
    assert expiry("public", start) == expiry("public", start + window - 1) == start + 2 * window
    assert expiry("public", start + window) == start + 3 * window


def test_served_media_is_its_sniffed_type_sandboxed_and_originals_are_attachments(served) -> None:
    """A JPEG-HTML polyglot named .html is served as image/jpeg, nosniff, in a CSP sandbox."""
    server, event = served
    polyglot = real_jpeg("coffee", (64, 40)) + HTML
    stored_photo(event.id, "evil.html", polyglot, thumbnail=real_jpeg("coffee", (32, 20)))
    photo = _listed(event)["evil.html"]

    original = requests.get(server + photo["original_url"], timeout=10)
    thumb = requests.get(server + photo["thumbnail_url"], timeout=10)

    assert original.headers["Content-Type"] == "image/jpeg"
    assert original.headers["Content-Disposition"].startswith('attachment; filename="evil.html"')
    assert (thumb.headers["Content-Type"], thumb.headers.get("Content-Disposition")) == ("image/jpeg", None)
    for reply in (original, thumb):
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in reply.headers["Content-Security-Policy"]
        assert reply.headers["Cache-Control"].startswith("public, max-age=")


def test_a_photo_whose_bytes_are_no_photo_type_is_never_served(served) -> None:
    server, event = served
    row = stored_photo(event.id, "script.svg", b"<svg onload=alert(1)>", mime="image/svg+xml")
    staff = media.get_photo(Scope.organizer(event, "test"), row.id)
    assert requests.get(f"{server}{staff.original_url}", timeout=10).status_code == 404


def test_media_supports_range_requests_through_a_capability(served) -> None:
    server, event = served
    data = real_jpeg("coffee", (320, 200))
    stored_photo(event.id, "a.jpg", data)
    url = server + _listed(event)["a.jpg"]["original_url"]
    whole = requests.get(url, timeout=10)
    assert (whole.status_code, whole.content, whole.headers["Accept-Ranges"]) == (200, data, "bytes")
    part = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=10)
    assert (part.status_code, part.content, part.headers["Content-Range"]) == (
        206,
        data[10:20],
        f"bytes 10-19/{len(data)}",
    )
    assert requests.get(url, headers={"Range": f"bytes={len(data) + 5}-"}, timeout=10).status_code == 416


def test_an_upload_put_whose_bytes_are_not_a_photo_or_video_is_refused(served) -> None:
    server, _ = served
    token = requests.post(
        f"{server}/api/events/demo/login", json={"password": "password-demo"}, timeout=10
    ).json()["token"]
    url = f"{server}/media/events/demo/originals/uploads/evil.jpg"
    reply = requests.put(
        url, data=HTML, headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}, timeout=10
    )
    assert reply.status_code == 415
    assert not blob_store().exists("events/demo/originals/uploads/evil.jpg")


def test_an_upload_ticket_for_an_active_file_name_is_refused(served) -> None:
    server, _ = served
    token = requests.post(
        f"{server}/api/events/demo/login", json={"password": "password-demo"}, timeout=10
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for name in ("evil.html", "x.svg", "a.js", "page.xhtml"):
        reply = requests.post(
            f"{server}/api/events/demo/admin/uploads",
            json={"filename": name, "content_type": "image/jpeg", "size": 100},
            headers=auth,
            timeout=10,
        )
        assert reply.status_code == 400, (name, reply.text)
    ok = requests.post(
        f"{server}/api/events/demo/admin/uploads",
        json={"filename": "IMG_0001.JPG", "content_type": "image/jpeg", "size": 100},
        headers=auth,
        timeout=10,
    )
    assert ok.status_code == 200


def test_a_photo_analyzed_before_the_2x_thumbnail_existed_offers_its_1x_one_for_both(served) -> None:
    """High-density screens ask for `thumbnail_2x_url`: for an old photo (no 640 px rendition) it is
    the 1x thumbnail, which is served, never a URL that answers 404."""
    server, event = served
    stored_photo(
        event.id, "old.jpg", real_jpeg("coffee", (320, 200)), thumbnail=real_jpeg("coffee", (32, 20))
    )

    photo = _listed(event)["old.jpg"]

    assert photo["thumbnail_2x_url"] == photo["thumbnail_url"]
    assert requests.get(server + photo["thumbnail_2x_url"], timeout=10).status_code == 200
