"""Guest links through the real handlers: a file drop takes uploads and shows nothing, a
guest-upload link shows the album and takes uploads, a view link opens one album of a private
event; passwords (scrypt), expiry and revocation; only the owner or album.manage makes them."""

from __future__ import annotations

from typing import Any

from eventlens.storage import blob_store

from tests.fixtures_photos import real_jpeg
from tests.helpers import stored_photo


def _link(api, token: str, slug: str, album_id: str, **body: Any) -> dict[str, Any]:
    status, link = api("POST", f"/api/events/{slug}/albums/{album_id}/links", body, token=token)
    assert status == 201, link
    assert link["token"]
    assert len(link["token"]) >= 40
    return link


def _guest_upload(api, link: str, data: bytes, password: str | None = None) -> tuple[int, Any]:
    headers = {"x-link-password": password} if password else None
    status, ticket = api(
        "POST",
        f"/api/album-links/{link}/uploads",
        {"filename": "guest.jpg", "content_type": "image/jpeg", "size": len(data)},
        headers=headers,
    )
    if status != 200:
        return status, ticket
    blob_store().put(ticket["key"], data)
    return api("POST", f"/api/album-links/{link}/uploads/complete", {"key": ticket["key"]}, headers=headers)


def _setup(api, people, make_event, visibility: str = "public") -> tuple[Any, str, str, dict[str, Any]]:
    event = make_event("fest", visibility=visibility)
    _, owner = people.with_role("CONTRIBUTOR", event=event.id)
    _, editor = people.with_role("EDITOR", event=event.id)
    status, album = api("POST", "/api/events/fest/albums", {"title": "Backstage"}, token=owner)
    assert status == 201
    return event, owner, editor, album


def test_a_file_drop_takes_uploads_into_moderation_and_shows_nothing(
    api, people, make_event, owner_conn
) -> None:
    event, owner, editor, album = _setup(api, people, make_event)
    photo = stored_photo(event.id, "a.jpg", real_jpeg("coffee", (320, 240)))
    api("POST", f"/api/events/fest/albums/{album['id']}/items", {"photo_id": str(photo.id)}, token=owner)
    drop = _link(api, owner, "fest", album["id"], kind="file_drop")["token"]

    status, seen = api("GET", f"/api/album-links/{drop}")
    assert (status, seen["title"], seen["items"]) == (200, "Backstage", [])
    status, item = _guest_upload(api, drop, real_jpeg("astronaut", (1200, 1200)))
    assert status == 201, item
    assert (item["status"], item["contributor_id"]) == ("pending", None)
    queue = api("GET", "/api/events/fest/album-review", token=editor)[1]["items"]
    assert [i["id"] for i in queue] == [item["id"]]
    status, copy = _guest_upload(api, drop, real_jpeg("astronaut", (1200, 1200)))
    assert copy["status"] == "rejected", "the same gate: an exact copy is refused"


def test_a_guest_upload_link_shows_the_approved_items_and_takes_uploads(api, people, make_event) -> None:
    _event, owner, editor, album = _setup(api, people, make_event)
    link = _link(api, owner, "fest", album["id"], kind="guest_upload", password="open sesame!")["token"]
    assert api("GET", f"/api/album-links/{link}")[0] == 401
    assert api("GET", f"/api/album-links/{link}", headers={"x-link-password": "wrong password"})[0] == 401
    assert _guest_upload(api, link, real_jpeg("chelsea", (900, 700)))[0] == 401
    status, item = _guest_upload(api, link, real_jpeg("chelsea", (900, 700)), password="open sesame!")
    assert status == 201
    seen = api("GET", f"/api/album-links/{link}", headers={"x-link-password": "open sesame!"})[1]
    assert seen["items"] == [], "pending: not shown yet"
    api("PATCH", f"/api/events/fest/album-items/{item['id']}", {"status": "approved"}, token=editor)
    seen = api("GET", f"/api/album-links/{link}", headers={"x-link-password": "open sesame!"})[1]
    assert [i["id"] for i in seen["items"]] == [item["id"]]


def test_a_view_link_opens_one_album_of_a_private_event_and_takes_no_upload(api, people, make_event) -> None:
    event, owner, _editor, album = _setup(api, people, make_event, visibility="private")
    photo = stored_photo(event.id, "a.jpg", real_jpeg("coffee", (320, 240)))
    api("POST", f"/api/events/fest/albums/{album['id']}/items", {"photo_id": str(photo.id)}, token=owner)
    assert api("GET", f"/api/events/fest/albums/{album['id']}")[0] == 401
    view = _link(api, owner, "fest", album["id"], kind="view")["token"]
    status, seen = api("GET", f"/api/album-links/{view}")
    assert status == 200
    assert len(seen["items"]) == 1
    assert _guest_upload(api, view, real_jpeg("chelsea", (900, 700)))[0] == 403
    from eventlens.media.service import open_media

    assert open_media(seen["items"][0]["url"].split("/media/")[1]).key == photo.source_key


def test_expired_revoked_and_unknown_links_open_nothing(api, people, make_event, owner_conn) -> None:
    _event, owner, _editor, album = _setup(api, people, make_event)
    expiring = _link(api, owner, "fest", album["id"], kind="view", expires_in_hours=1)
    assert api("GET", f"/api/album-links/{expiring['token']}")[0] == 200
    owner_conn.execute(
        "UPDATE album_links SET expires_at = now() - interval '1 second' WHERE id = %s", (expiring["id"],)
    )
    assert api("GET", f"/api/album-links/{expiring['token']}")[0] == 404
    revoked = _link(api, owner, "fest", album["id"], kind="guest_upload")
    assert (
        api("DELETE", f"/api/events/fest/albums/{album['id']}/links/{revoked['id']}", token=owner)[0] == 204
    )
    assert api("GET", f"/api/album-links/{revoked['token']}")[0] == 404
    assert _guest_upload(api, revoked["token"], real_jpeg("coffee", (640, 480)))[0] == 404
    assert api("GET", "/api/album-links/" + "x" * 43)[0] == 404
    listed = api("GET", f"/api/events/fest/albums/{album['id']}/links", token=owner)[1]["links"]
    assert [(link["kind"], link["token"], link["revoked_at"] is not None) for link in listed] == [
        ("view", None, False),
        ("guest_upload", None, True),
    ]
    stored = owner_conn.execute("SELECT token_hash FROM album_links").fetchall()
    assert all(len(h) == 32 and expiring["token"].encode() not in h for (h,) in stored), "only hashes kept"


def test_only_the_owner_or_album_manage_makes_links(api, people, make_event) -> None:
    event, owner, editor, album = _setup(api, people, make_event)
    _, stranger = people.with_role("CONTRIBUTOR", event=event.id)
    url = f"/api/events/fest/albums/{album['id']}/links"
    assert api("POST", url, {"kind": "view"}, token=stranger)[0] == 403
    assert api("POST", url, {"kind": "view"}, token=editor)[0] == 201
    assert api("POST", url, {"kind": "view", "password": "short"}, token=owner)[0] == 422
    assert api("POST", url, {"kind": "everything"}, token=owner)[0] == 422


def test_a_guest_link_takes_a_resumable_upload_that_continues_from_its_stored_parts(
    api, people, make_event
) -> None:
    from eventlens.albums.service import PART_SIZE

    from tests.fixtures_photos import large_jpeg

    _event, owner, editor, album = _setup(api, people, make_event)
    link = _link(api, owner, "fest", album["id"], kind="file_drop", password="open sesame!")["token"]
    other = _setup_other_album(api, owner)
    view = _link(api, owner, "fest", album["id"], kind="view")["token"]
    secret = {"x-link-password": "open sesame!"}
    uploads = f"/api/album-links/{link}/uploads/multipart"
    data = large_jpeg()
    pieces = [data[i : i + PART_SIZE] for i in range(0, len(data), PART_SIZE)]
    assert len(pieces) >= 3
    start = {"filename": "large.jpg", "content_type": "image/jpeg", "size": len(data)}

    assert api("POST", uploads, start)[0] == 401, "the link's password"
    assert api("POST", f"/api/album-links/{view}/uploads/multipart", start)[0] == 403, "a view link"
    status, ticket = api("POST", uploads, start, headers=secret)
    assert status == 200, ticket
    assert ticket["key"].startswith(f"events/fest/albums/{album['id']}/")
    assert [p["number"] for p in ticket["parts"]] == list(range(1, len(pieces) + 1))
    store = blob_store()
    first = store.put_part(ticket["key"], ticket["upload_id"], 1, pieces[0])  # the part URL's PUT

    ended = {"key": ticket["key"], "upload_id": ticket["upload_id"]}
    status, resumed = api("POST", uploads + "/resume", {**ended, "size": len(data)}, headers=secret)
    assert status == 200, resumed
    assert [(p["number"], p["etag"]) for p in resumed["done"]] == [(1, first)]
    assert [p["number"] for p in resumed["parts"]] == list(range(2, len(pieces) + 1))
    elsewhere = f"/api/album-links/{other}/uploads/multipart/resume"
    assert api("POST", elsewhere, {**ended, "size": len(data)})[0] == 400, "another album's link"
    etags = {1: first}
    for part in resumed["parts"]:
        etags[part["number"]] = store.put_part(
            ticket["key"], ticket["upload_id"], part["number"], pieces[part["number"] - 1]
        )
    parts = [{"number": n, "etag": e} for n, e in sorted(etags.items())]
    status, item = api("POST", uploads + "/complete", {**ended, "parts": parts}, headers=secret)
    assert status == 201, item
    assert (item["status"], item["contributor_id"]) == ("pending", None)
    assert store.get(ticket["key"]) == data
    queue = api("GET", "/api/events/fest/album-review", token=editor)[1]["items"]
    assert [i["id"] for i in queue] == [item["id"]]

    status, again = api("POST", uploads, {**start, "filename": "again.jpg"}, headers=secret)
    dropped = {"key": again["key"], "upload_id": again["upload_id"]}
    assert api("POST", uploads + "/abort", dropped, headers=secret)[0] == 204
    gone = api("POST", uploads + "/resume", {**dropped, "size": len(data)}, headers=secret)
    assert gone[0] == 400, gone


def _setup_other_album(api, owner: str) -> str:
    """A guest-upload link of a second album of the event (its token)."""
    status, album = api("POST", "/api/events/fest/albums", {"title": "Other"}, token=owner)
    assert status == 201
    return _link(api, owner, "fest", album["id"], kind="guest_upload")["token"]
