"""Subjects through the real handlers: create, rename, merge (audited), and the subject page, which
lists a subject's albums and photos across the organization's events the caller may read."""

from __future__ import annotations

from tests.fixtures_photos import real_jpeg
from tests.helpers import stored_photo


def _subject(api, token: str, slug: str, kind: str, name: str) -> dict:
    status, body = api("POST", f"/api/events/{slug}/subjects", {"kind": kind, "name": name}, token=token)
    assert status == 201, body
    return body


def _album_about(api, token: str, slug: str, title: str, subject_ids: list[str], photo) -> dict:
    status, album = api(
        "POST", f"/api/events/{slug}/albums", {"title": title, "subject_ids": subject_ids}, token=token
    )
    assert status == 201, album
    status, _ = api(
        "POST", f"/api/events/{slug}/albums/{album['id']}/items", {"photo_id": str(photo.id)}, token=token
    )
    assert status == 201
    return album


def test_subjects_are_created_renamed_and_unique_per_kind(api, people, make_event) -> None:
    event = make_event("fest")
    _, editor = people.with_role("EDITOR", event=event.id)
    speaker = _subject(api, editor, "fest", "person", "Ada Lovelace")
    assert (
        api("POST", "/api/events/fest/subjects", {"kind": "person", "name": "ada lovelace"}, token=editor)[0]
        == 409
    )
    assert (
        api("POST", "/api/events/fest/subjects", {"kind": "planet", "name": "Mars"}, token=editor)[0] == 422
    )
    _subject(api, editor, "fest", "place", "Ada Lovelace")  # another kind: another subject
    status, renamed = api(
        "PATCH", f"/api/events/fest/subjects/{speaker['id']}", {"name": "Ada King"}, token=editor
    )
    assert (status, renamed["name"]) == (200, "Ada King")
    names = [(s["kind"], s["name"]) for s in api("GET", "/api/events/fest/subjects")[1]["subjects"]]
    assert names == [("person", "Ada King"), ("place", "Ada Lovelace")]


def test_a_subject_page_spans_the_organizations_events_the_caller_may_read(api, people, make_event) -> None:
    people.organization("org-a")
    day_one = make_event("day-one", organization="org-a")
    day_two = make_event("day-two", organization="org-a", visibility="private")
    editor, editor_token = people.with_role("EDITOR", organization=None, event=day_one.id)
    people.grant(editor, "EDITOR", event=day_two.id)
    speaker = _subject(api, editor_token, "day-one", "person", "Grace Hopper")
    one = _album_about(
        api,
        editor_token,
        "day-one",
        "Keynote",
        [speaker["id"]],
        stored_photo(day_one.id, "k.jpg", real_jpeg("coffee")),
    )
    two = _album_about(
        api,
        editor_token,
        "day-two",
        "Workshop",
        [speaker["id"]],
        stored_photo(day_two.id, "w.jpg", real_jpeg("chelsea")),
    )

    status, page = api("GET", f"/api/events/day-one/subjects/{speaker['id']}", token=editor_token)
    assert status == 200
    assert sorted(a["title"] for a in page["albums"]) == ["Keynote", "Workshop"]
    assert len(page["items"]) == 2
    anonymous = api("GET", f"/api/events/day-one/subjects/{speaker['id']}")[1]
    assert [a["id"] for a in anonymous["albums"]] == [one["id"]], "a private event's album stays out"
    assert two["id"] not in {a["id"] for a in anonymous["albums"]}


def test_merging_moves_every_album_link_and_removes_the_merged_subject(
    api, people, make_event, owner_conn
) -> None:
    people.organization("org-a")
    day_one = make_event("day-one", organization="org-a")
    day_two = make_event("day-two", organization="org-a")
    editor, token = people.with_role("EDITOR", event=day_one.id)
    people.grant(editor, "EDITOR", event=day_two.id)
    dup = _subject(api, token, "day-one", "organization", "ACME Corp")
    kept = _subject(api, token, "day-one", "organization", "ACME")
    photo_one = stored_photo(day_one.id, "a.jpg", real_jpeg("coffee"))
    photo_two = stored_photo(day_two.id, "b.jpg", real_jpeg("coffee"))
    _album_about(api, token, "day-one", "Booth", [dup["id"], kept["id"]], photo_one)
    _album_about(api, token, "day-two", "Stand", [dup["id"]], photo_two)

    status, body = api(
        "POST", f"/api/events/day-one/subjects/{dup['id']}/merge", {"into": kept["id"]}, token=token
    )
    assert (status, body["id"]) == (200, kept["id"])
    assert api("GET", f"/api/events/day-one/subjects/{dup['id']}")[0] == 404
    page = api("GET", f"/api/events/day-one/subjects/{kept['id']}", token=token)[1]
    assert sorted(a["title"] for a in page["albums"]) == ["Booth", "Stand"]
    assert owner_conn.execute(
        "SELECT count(*) FROM album_subjects WHERE subject_id = %s", (kept["id"],)
    ).fetchone() == (2,)
    audited = owner_conn.execute(
        "SELECT action FROM audit_log WHERE action LIKE 'subject_%%' ORDER BY seq"
    ).fetchall()
    assert [a for (a,) in audited] == ["subject_create", "subject_create", "subject_merge"]
    _, viewer = people.with_role("VIEWER", event=day_one.id)
    assert (
        api("POST", f"/api/events/day-one/subjects/{kept['id']}/merge", {"into": dup["id"]}, token=viewer)[0]
        == 403
    )
