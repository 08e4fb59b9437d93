"""Albums through the real handlers: contribution policies × roles, bans, ratings under concurrent
raters, flags, the moderation gate on every contributed upload, and save-to-album without a copy."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from eventlens.access.rights import ROLES
from eventlens.storage import blob_store

from tests.fixtures_photos import real_jpeg
from tests.helpers import stored_photo

ROLE_NAMES = [role.value for role in ROLES if role.value != "SUPER_ADMIN"]
MANAGERS = {"EDITOR", "ADMIN"}


@dataclass
class Fest:
    event: Any
    owner: tuple[UUID, str]
    editor: tuple[UUID, str]


@pytest.fixture
def fest(make_event, people) -> Fest:
    event = make_event("fest", visibility="public")
    owner = people.with_role("CONTRIBUTOR", event=event.id)
    editor = people.with_role("EDITOR", event=event.id)
    return Fest(event, owner, editor)


def _album(api, fest: Fest, policy: str = "INVITE_ONLY", title: str = "Keynote") -> dict[str, Any]:
    status, body = api(
        "POST",
        "/api/events/fest/albums",
        {"title": title, "contribution_policy": policy},
        token=fest.owner[1],
    )
    assert status == 201, body
    return body


def _upload(api, token: str, album_id: str, data: bytes, name: str = "p.jpg") -> tuple[int, Any]:
    status, ticket = api(
        "POST",
        f"/api/events/fest/albums/{album_id}/uploads",
        {"filename": name, "content_type": "image/jpeg", "size": len(data)},
        token=token,
    )
    if status != 200:
        return status, ticket
    blob_store().put(ticket["key"], data)  # what the browser's PUT to the presigned URL does
    return api(
        "POST", f"/api/events/fest/albums/{album_id}/uploads/complete", {"key": ticket["key"]}, token=token
    )


def _email(people, person: UUID) -> str:
    return people.owner_conn.execute("SELECT email FROM people WHERE id = %s", (person,)).fetchone()[0]


def test_each_policy_lets_exactly_the_right_people_contribute(api, people, fest: Fest) -> None:
    """CLOSED: owner and album.manage; INVITE_ONLY: also contributor rows; OPEN: anyone signed in.
    Every policy × role × invited cell, through the API; rating is open to all whatever the policy."""
    photo = stored_photo(fest.event.id, "stage.jpg", real_jpeg("coffee", (320, 240)))
    mismatches = []
    for policy in ("CLOSED", "INVITE_ONLY", "OPEN"):
        album = _album(api, fest, policy)
        for role in ROLE_NAMES:
            for invited in (False, True):
                person, token = people.with_role(role, event=fest.event.id)
                if invited:
                    email = _email(people, person)
                    status, _ = api(
                        "POST",
                        f"/api/events/fest/albums/{album['id']}/contributors",
                        {"email": email},
                        token=fest.owner[1],
                    )
                    assert status == 201, _
                expected = role in MANAGERS or policy == "OPEN" or (policy == "INVITE_ONLY" and invited)
                status, _ = api(
                    "POST",
                    f"/api/events/fest/albums/{album['id']}/items",
                    {"photo_id": str(photo.id)},
                    token=token,
                )
                if (status == 201) != expected or status not in (201, 403):
                    mismatches.append(f"{policy} {role} invited={invited}: {status}")
                # the policy governs contributions only: everyone signed in rates
                rated = api(
                    "PUT", f"/api/events/fest/albums/{album['id']}/rating", {"stars": 3}, token=token
                )[0]
                if rated != 200:
                    mismatches.append(f"{policy} {role} invited={invited}: rate {rated}")
        status, _ = api(
            "POST",
            f"/api/events/fest/albums/{album['id']}/items",
            {"photo_id": str(photo.id)},
            token=fest.owner[1],
        )
        assert status == 201, f"the owner contributes to its {policy} album"
    assert mismatches == []


def test_a_banned_person_browses_and_flags_and_nothing_else(api, people, fest: Fest, owner_conn) -> None:
    album = _album(api, fest, "OPEN")
    person, token = people.with_role("VIEWER", event=fest.event.id)
    email = _email(people, person)
    status, _ = api(
        "POST", "/api/events/fest/album-bans", {"email": email, "reason": "spam"}, token=fest.editor[1]
    )
    assert status == 201
    photo = stored_photo(fest.event.id, "a.jpg", real_jpeg("coffee", (320, 240)))
    url = f"/api/events/fest/albums/{album['id']}"

    assert api("GET", url, token=token)[0] == 200
    assert api("GET", "/api/events/fest/albums", token=token)[0] == 200
    assert api("PUT", url + "/rating", {"stars": 5}, token=token)[0] == 403
    assert api("POST", url + "/items", {"photo_id": str(photo.id)}, token=token)[0] == 403
    assert _upload(api, token, album["id"], real_jpeg("chelsea", (640, 480)))[0] == 403
    assert api("POST", "/api/events/fest/albums", {"title": "Mine"}, token=token)[0] == 403
    assert api("POST", url + "/flags", {"reason": "off topic"}, token=token)[0] == 201

    status, bans = api("GET", "/api/events/fest/album-bans", token=fest.editor[1])
    assert [b["person_id"] for b in bans["bans"]] == [str(person)]
    assert api("DELETE", f"/api/events/fest/album-bans/{person}", token=fest.editor[1])[0] == 204
    audited = owner_conn.execute(
        "SELECT action, target, event_id FROM audit_log WHERE action LIKE 'album_%%ban' ORDER BY seq"
    ).fetchall()
    assert audited == [("album_ban", str(person), fest.event.id), ("album_unban", str(person), fest.event.id)]
    assert api("PUT", url + "/rating", {"stars": 5}, token=token)[0] == 200


def test_concurrent_raters_leave_the_album_row_equal_to_a_recount(
    api, people, fest: Fest, owner_conn
) -> None:
    """Real concurrent workers (threads, each with its own pooled connection) rate and re-rate."""
    from eventlens.albums import participants
    from eventlens.albums import service as albums
    from eventlens.auth.principals import Principal

    album = _album(api, fest, "OPEN")
    raters = [people.with_role("VIEWER", event=fest.event.id)[0] for _ in range(24)]
    start = threading.Barrier(len(raters))
    errors: list[BaseException] = []

    def rater(index: int, person: UUID) -> None:
        try:
            who = Principal(subject=f"person:{person}", events=frozenset(), person_id=person)
            scope = participants.acting(who, fest.event, "album.rate")
            start.wait()
            albums.rate(scope, UUID(album["id"]), 1 + index % 5)
            albums.rate(scope, UUID(album["id"]), 1 + (index * 7) % 5)  # changes it
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=rater, args=(i, p)) for i, p in enumerate(raters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = owner_conn.execute(
        "SELECT rating_count, rating_sum, rating_score FROM albums WHERE id = %s", (album["id"],)
    ).fetchone()
    recount = owner_conn.execute(
        "SELECT count(*), sum(stars) FROM album_ratings WHERE album_id = %s", (album["id"],)
    ).fetchone()
    expected_sum = sum(1 + (i * 7) % 5 for i in range(len(raters)))
    assert (stored[0], stored[1]) == (recount[0], recount[1]) == (len(raters), expected_sum)
    assert stored[2] == pytest.approx((expected_sum + 15) / (len(raters) + 5))
    _status, page = api("GET", f"/api/events/fest/albums/{album['id']}", token=people.token(raters[0]))
    assert page["album"]["rating_average"] == pytest.approx(expected_sum / len(raters))
    assert page["album"]["my_rating"] == 1


def test_albums_sort_by_bayesian_score_and_by_count(api, people, fest: Fest) -> None:
    one_five = _album(api, fest, "OPEN", "One five-star rating")
    many_fours = _album(api, fest, "OPEN", "Many four-star ratings")
    _, token = people.with_role("VIEWER", event=fest.event.id)
    api("PUT", f"/api/events/fest/albums/{one_five['id']}/rating", {"stars": 5}, token=token)
    for _ in range(6):
        _, rater = people.with_role("VIEWER", event=fest.event.id)
        api("PUT", f"/api/events/fest/albums/{many_fours['id']}/rating", {"stars": 4}, token=rater)
    by_score = api("GET", "/api/events/fest/albums?sort=score")[1]["albums"]
    # (5 + 15) / 6 = 3.33 against (24 + 15) / 11 = 3.55: six fours beat one five.
    assert [a["title"] for a in by_score] == ["Many four-star ratings", "One five-star rating"]
    assert [a["rating_count"] for a in api("GET", "/api/events/fest/albums?sort=count")[1]["albums"]] == [
        6,
        1,
    ]
    assert api("GET", "/api/events/fest/albums?sort=loudest")[0] == 422


def test_flags_are_one_per_person_and_three_hold_the_item(api, people, fest: Fest) -> None:
    album = _album(api, fest, "OPEN")
    photo = stored_photo(fest.event.id, "a.jpg", real_jpeg("coffee", (320, 240)))
    status, item = api(
        "POST",
        f"/api/events/fest/albums/{album['id']}/items",
        {"photo_id": str(photo.id)},
        token=fest.owner[1],
    )
    assert status == 201
    assert item["status"] == "approved"
    url = f"/api/events/fest/albums/{album['id']}/flags"
    first = people.with_role("VIEWER", event=fest.event.id)[1]
    assert api("POST", url, {"reason": "not from this show", "item_id": item["id"]}, token=first)[0] == 201
    assert api("POST", url, {"reason": "again", "item_id": item["id"]}, token=first)[0] == 409
    assert api("POST", url, {"reason": ""}, token=first)[0] == 422
    for _ in range(2):
        other = people.with_role("VIEWER", event=fest.event.id)[1]
        assert api("POST", url, {"reason": "spam", "item_id": item["id"]}, token=other)[0] == 201

    visible = api("GET", f"/api/events/fest/albums/{album['id']}")[1]["items"]
    assert visible == [], "a held item is out of the public album"
    queue = api("GET", "/api/events/fest/album-review", token=fest.editor[1])[1]["items"]
    assert [(i["id"], i["held"], i["flag_count"]) for i in queue] == [(item["id"], True, 3)]
    flags = api("GET", "/api/events/fest/album-flags", token=fest.editor[1])[1]["flags"]
    assert len(flags) == 3
    for each in flags:
        status, _ = api(
            "PATCH",
            f"/api/events/fest/album-flags/{each['id']}",
            {"resolution": "dismissed"},
            token=fest.editor[1],
        )
        assert status == 200
    assert [i["id"] for i in api("GET", f"/api/events/fest/albums/{album['id']}")[1]["items"]] == [item["id"]]


def test_an_open_albums_uploads_still_wait_for_moderation_and_the_contributor_is_told(
    api, people, fest: Fest
) -> None:
    album = _album(api, fest, "OPEN")
    _person, token = people.with_role("VIEWER", event=fest.event.id)
    status, item = _upload(api, token, album["id"], real_jpeg("astronaut", (1600, 1600)))
    assert status == 201, item
    assert item["status"] == "pending"
    assert 0 <= item["nsfw_score"] < 0.2
    assert 0.5 < item["quality_score"] <= 1
    assert api("GET", f"/api/events/fest/albums/{album['id']}")[1]["items"] == []
    mine = api("GET", f"/api/events/fest/albums/{album['id']}", token=token)[1]["items"]
    assert [(i["id"], i["status"]) for i in mine] == [(item["id"], "pending")]

    queue = api("GET", "/api/events/fest/album-review", token=fest.editor[1])[1]["items"]
    assert [i["id"] for i in queue] == [item["id"]]
    assert (
        api("PATCH", f"/api/events/fest/album-items/{item['id']}", {"status": "approved"}, token=token)[0]
        == 403
    )
    status, decided = api(
        "PATCH", f"/api/events/fest/album-items/{item['id']}", {"status": "approved"}, token=fest.editor[1]
    )
    assert (status, decided["status"]) == (200, "approved")
    public = api("GET", f"/api/events/fest/albums/{album['id']}")[1]["items"]
    assert [i["id"] for i in public] == [item["id"]]


def test_exact_copies_are_rejected_and_near_copies_marked_for_review(api, people, fest: Fest) -> None:
    album = _album(api, fest, "OPEN")
    _, token = people.with_role("VIEWER", event=fest.event.id)
    original = real_jpeg("chelsea", (1200, 900))
    first = _upload(api, token, album["id"], original)[1]
    copy = _upload(api, token, album["id"], original)[1]
    assert copy["status"] == "rejected"
    assert copy["reason"].startswith(f"duplicate of item {first['id']}")
    smaller = real_jpeg("chelsea", (800, 600), quality=70)
    near = _upload(api, token, album["id"], smaller)[1]
    assert near["status"] == "pending"
    assert near["near_duplicate_of"] == first["id"]
    assert "near duplicate" in near["reason"]
    other = _upload(api, token, album["id"], real_jpeg("coffee", (1200, 900)))[1]
    assert other["near_duplicate_of"] is None


def test_bytes_that_are_no_photo_are_refused_and_removed(api, people, fest: Fest) -> None:
    album = _album(api, fest, "OPEN")
    _, token = people.with_role("VIEWER", event=fest.event.id)
    status, body = _upload(api, token, album["id"], b"<html>not a photo</html>")
    assert status == 400
    assert "not a photo" in body["message"]
    assert not any("albums/" in b.key for b in blob_store().list("events/fest/"))
    status, _ = api(
        "POST",
        f"/api/events/fest/albums/{album['id']}/uploads/complete",
        {"key": "events/fest/originals/x.jpg"},
        token=token,
    )
    assert status == 400


def test_save_to_album_copies_no_bytes_and_the_last_reference_deletes_them(
    api, people, fest: Fest, owner_conn
) -> None:
    first = _album(api, fest, "OPEN", "First")
    second = _album(api, fest, "OPEN", "Second")
    _, token = people.with_role("VIEWER", event=fest.event.id)
    uploaded = _upload(api, token, first["id"], real_jpeg("astronaut", (1200, 1200)))[1]
    api(
        "PATCH",
        f"/api/events/fest/album-items/{uploaded['id']}",
        {"status": "approved"},
        token=fest.editor[1],
    )
    keys_before = sorted(b.key for b in blob_store().list("events/fest/"))
    status, saved = api(
        "POST", f"/api/events/fest/albums/{second['id']}/items", {"item_id": uploaded["id"]}, token=token
    )
    assert status == 201
    assert saved["object_id"] == uploaded["object_id"]
    assert saved["status"] == "approved"
    assert sorted(b.key for b in blob_store().list("events/fest/")) == keys_before, "no copy"
    key = owner_conn.execute(
        "SELECT key FROM stored_objects WHERE id = %s", (saved["object_id"],)
    ).fetchone()[0]

    assert (
        api("DELETE", f"/api/events/fest/albums/{first['id']}/items/{uploaded['id']}", token=token)[0] == 204
    )
    assert blob_store().exists(key), "the other reference keeps the bytes"
    page = api("GET", f"/api/events/fest/albums/{second['id']}")[1]
    media = page["items"][0]["url"].split("/media/")[1]
    from eventlens.media.service import open_media

    assert open_media(media).key == key
    assert api("DELETE", f"/api/events/fest/albums/{second['id']}/items/{saved['id']}", token=token)[0] == 204
    assert not blob_store().exists(key), "the last reference took the bytes"
    assert owner_conn.execute("SELECT count(*) FROM stored_objects WHERE key = %s", (key,)).fetchone()[0] == 0


def test_removing_a_saved_gallery_photo_never_deletes_its_original(api, people, fest: Fest) -> None:
    album = _album(api, fest, "OPEN")
    photo = stored_photo(fest.event.id, "keep.jpg", real_jpeg("coffee", (320, 240)))
    _, token = people.with_role("VIEWER", event=fest.event.id)
    item = api(
        "POST", f"/api/events/fest/albums/{album['id']}/items", {"photo_id": str(photo.id)}, token=token
    )[1]
    other = people.with_role("VIEWER", event=fest.event.id)[1]
    assert api("DELETE", f"/api/events/fest/albums/{album['id']}/items/{item['id']}", token=other)[0] == 403
    assert api("DELETE", f"/api/events/fest/albums/{album['id']}/items/{item['id']}", token=token)[0] == 204
    assert blob_store().exists(photo.source_key)


def test_concurrent_removals_of_the_last_two_references_delete_the_bytes_once(
    api, people, fest: Fest
) -> None:
    """Two workers remove the last two references at once: the counter (row lock) sees both."""
    from eventlens.albums import participants
    from eventlens.albums import service as albums
    from eventlens.auth.principals import Principal

    albums_made = [_album(api, fest, "OPEN", f"A{i}") for i in range(2)]
    person, token = people.with_role("VIEWER", event=fest.event.id)
    uploaded = _upload(api, token, albums_made[0]["id"], real_jpeg("astronaut", (900, 900)))[1]
    api(
        "PATCH",
        f"/api/events/fest/album-items/{uploaded['id']}",
        {"status": "approved"},
        token=fest.editor[1],
    )
    saved = api(
        "POST",
        f"/api/events/fest/albums/{albums_made[1]['id']}/items",
        {"item_id": uploaded["id"]},
        token=token,
    )[1]
    key = next(b.key for b in blob_store().list("events/fest/albums/"))
    who = Principal(subject=f"person:{person}", events=frozenset(), person_id=person)
    start = threading.Barrier(2)

    def remove(album_id: str, item_id: str) -> None:
        scope = participants.acting(who, fest.event, "gallery.view")
        start.wait()
        albums.delete_item(scope, UUID(album_id), UUID(item_id))

    threads = [
        threading.Thread(target=remove, args=(albums_made[0]["id"], uploaded["id"])),
        threading.Thread(target=remove, args=(albums_made[1]["id"], saved["id"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not blob_store().exists(key)


def test_a_private_events_albums_need_a_role(api, people, make_event) -> None:
    make_event("closed", visibility="private")
    assert api("GET", "/api/events/closed/albums")[0] == 401
    _, nobody = people.with_role(None)
    assert api("GET", "/api/events/closed/albums", token=nobody)[0] == 403
    assert api("POST", "/api/events/closed/albums", {"title": "x"}, token=nobody)[0] == 403


def test_an_event_password_names_no_person_to_rate_as(api, fest: Fest) -> None:
    album = _album(api, fest, "OPEN")
    _, login = api("POST", "/api/events/fest/login", {"password": "password-fest"})
    status, body = api(
        "PUT", f"/api/events/fest/albums/{album['id']}/rating", {"stars": 3}, token=login["token"]
    )
    assert status == 401
    assert "own account" in body["message"]


def test_a_cover_must_be_an_approved_item_of_the_album(api, people, fest: Fest) -> None:
    """Without a chosen cover, the oldest approved item is the cover; a chosen one replaces it."""
    from eventlens.media.service import open_media

    album = _album(api, fest, "OPEN")
    assert album["cover_url"] is None
    items = []
    for name, scene in (("first.jpg", "coffee"), ("cover.jpg", "chelsea")):
        photo = stored_photo(fest.event.id, name, real_jpeg(scene, (320, 240)))
        saved = api(
            "POST",
            f"/api/events/fest/albums/{album['id']}/items",
            {"photo_id": str(photo.id)},
            token=fest.owner[1],
        )[1]
        items.append((saved, photo))
    url = f"/api/events/fest/albums/{album['id']}"
    listed = api("GET", "/api/events/fest/albums")[1]["albums"][0]
    cover = f"events/fest/album-covers/{items[0][0]['id']}.jpg"  # the item cut to the tile (cover.py)
    assert open_media(listed["cover_url"].split("/media/")[1]).key == cover
    item = items[1][0]
    assert api("PATCH", url, {"cover_item_id": str(UUID(int=5))}, token=fest.owner[1])[0] == 404
    status, body = api("PATCH", url, {"cover_item_id": item["id"], "title": "Renamed"}, token=fest.owner[1])
    assert (status, body["cover_item_id"], body["title"]) == (200, item["id"], "Renamed")
    cover = f"events/fest/album-covers/{item['id']}.jpg"
    assert open_media(body["cover_url"].split("/media/")[1]).key == cover
    _, stranger = people.with_role("CONTRIBUTOR", event=fest.event.id)
    assert api("PATCH", url, {"title": "Mine now"}, token=stranger)[0] == 403


def test_deleting_an_album_releases_only_the_bytes_nothing_else_references(api, people, fest: Fest) -> None:
    doomed, keeper = _album(api, fest, "OPEN", "Doomed"), _album(api, fest, "OPEN", "Keeper")
    _, token = people.with_role("VIEWER", event=fest.event.id)
    shared = _upload(api, token, doomed["id"], real_jpeg("astronaut", (900, 900)))[1]
    alone = _upload(api, token, doomed["id"], real_jpeg("coffee", (900, 700)))[1]
    for item in (shared, alone):
        api(
            "PATCH",
            f"/api/events/fest/album-items/{item['id']}",
            {"status": "approved"},
            token=fest.editor[1],
        )
    api("POST", f"/api/events/fest/albums/{keeper['id']}/items", {"item_id": shared["id"]}, token=token)
    keys = {b.key for b in blob_store().list("events/fest/albums/")}
    assert len(keys) == 2
    assert api("DELETE", f"/api/events/fest/albums/{doomed['id']}", token=token)[0] == 403, "not its owner"
    assert api("DELETE", f"/api/events/fest/albums/{doomed['id']}", token=fest.owner[1])[0] == 204
    left = {b.key for b in blob_store().list("events/fest/albums/")}
    assert len(left) == 1
    assert left < keys
    page = api("GET", f"/api/events/fest/albums/{keeper['id']}")[1]
    assert [i["object_id"] for i in page["items"]] == [shared["object_id"]]


def test_concurrent_flags_count_each_person_once(api, people, fest: Fest, owner_conn) -> None:
    """Real concurrent workers: eight people flag one item at once, each twice; the unique index
    keeps one flag per person and the counter (by trigger) equals the rows. Once three flags hold
    the item it is out of public view, so a flagger that arrives after that finds no item."""
    from eventlens.albums import participants
    from eventlens.albums import service as albums
    from eventlens.auth.principals import Principal
    from eventlens.errors import AlbumItemNotFound, AlreadyFlagged

    album = _album(api, fest, "OPEN")
    photo = stored_photo(fest.event.id, "a.jpg", real_jpeg("coffee", (320, 240)))
    item = api(
        "POST",
        f"/api/events/fest/albums/{album['id']}/items",
        {"photo_id": str(photo.id)},
        token=fest.owner[1],
    )[1]
    flaggers = [people.with_role("VIEWER", event=fest.event.id)[0] for _ in range(8)]
    start = threading.Barrier(len(flaggers) * 2)
    outcomes: list[tuple[UUID, str]] = []

    def flag(person: UUID) -> None:
        who = Principal(subject=f"person:{person}", events=frozenset(), person_id=person)
        scope = participants.acting(who, fest.event, "album.flag")
        start.wait()
        try:
            albums.flag(scope, UUID(album["id"]), "spam", UUID(item["id"]))
            outcomes.append((person, "flagged"))
        except AlreadyFlagged:
            outcomes.append((person, "already"))
        except AlbumItemNotFound:
            outcomes.append((person, "held"))

    threads = [threading.Thread(target=flag, args=(p,)) for p in flaggers for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 16, "every worker ended in one of the three answers"
    flagged = [person for person, outcome in outcomes if outcome == "flagged"]
    assert len(flagged) == len(set(flagged)) >= 3, "one flag per person, and at least the three that hold it"
    stored = owner_conn.execute(
        "SELECT flag_count, held FROM album_items WHERE id = %s", (item["id"],)
    ).fetchone()
    rows = owner_conn.execute(
        "SELECT count(*) FROM album_flags WHERE item_id = %s", (item["id"],)
    ).fetchone()[0]
    assert stored == (rows, True)
    assert rows == len(flagged)


def test_a_dashboard_upload_joins_an_album_its_uploader_may_add_to_and_is_refused_before_registering_otherwise(
    api, people, fest: Fest
) -> None:
    """`uploads/complete` with an album_id: an editor's photos join any album, approved; a
    contributor who may not add to an INVITE_ONLY album is refused (403) before its upload is
    registered."""
    album = _album(api, fest)
    contributor = people.with_role("CONTRIBUTOR", event=fest.event.id)

    def upload(token: str, name: str) -> tuple[int, Any]:
        data = real_jpeg("astronaut", (320, 240)) + name.encode()
        status, ticket = api(
            "POST",
            "/api/events/fest/admin/uploads",
            {"filename": name, "content_type": "image/jpeg", "size": len(data)},
            token=token,
        )
        assert status == 200, ticket
        blob_store().put(ticket["key"], data)
        return api(
            "POST",
            "/api/events/fest/admin/uploads/complete",
            {"keys": [ticket["key"]], "album_id": album["id"]},
            token=token,
        )

    status, refused = upload(contributor[1], "theirs.jpg")
    assert status == 403, refused
    status, photos = api("GET", "/api/events/fest/admin/photos", token=fest.editor[1])
    assert photos["photos"] == []  # refused before registering (a later scan finds its object)
    status, done = upload(fest.editor[1], "mine.jpg")
    assert status == 200, done
    assert (done["registered"], done["album_items"]) == (1, 1)

    status, page = api("GET", f"/api/events/fest/albums/{album['id']}", token=fest.editor[1])
    assert status == 200, page
    assert [(i["status"], i["reason"]) for i in page["items"]] == [("approved", "uploaded")]
    deadline = time.monotonic() + 120  # the run the upload started ends before the database does
    while time.monotonic() < deadline:
        status, run = api(
            "GET", f"/api/events/fest/admin/pipeline/runs/{done['run_id']}", token=fest.editor[1]
        )
        if run["status"] != "running":
            break
        time.sleep(0.5)
    assert run["status"] == "completed", run
