"""Engagement rules through the real handlers (real PostgreSQL as eventlens_app, row-level security on)."""

from __future__ import annotations

import secrets
import threading
from typing import Any
from uuid import UUID

import pytest


def _session() -> str:
    return secrets.token_urlsafe(18)


def _item(
    owner_conn, event, name: str, *, kind: str = "video", duration: float | None = 30.0, **cols: Any
) -> UUID:
    columns = {
        "event_id": event.id,
        "source_key": f"events/{event.slug}/originals/{name}",
        "content_hash": name,
        "filename": name,
        "kind": kind,
        "duration_s": duration if kind == "video" else None,
        "analyze_status": "completed",
        "width": 1920,
        "height": 1080,
        **cols,
    }
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    row = owner_conn.execute(
        f"INSERT INTO photos ({names}) VALUES ({marks}) RETURNING id", list(columns.values())
    ).fetchone()
    return row[0]


@pytest.fixture
def clip(make_event, owner_conn) -> tuple[Any, UUID]:
    event = make_event("fest")
    return event, _item(owner_conn, event, "clip.mp4")


def _base(event, item: UUID) -> str:
    return f"/api/events/{event.slug}/media/{item}"


def test_an_upvote_is_idempotent_per_session_removable_and_counted_once(api, clip, owner_conn) -> None:
    event, item = clip
    one, two = _session(), _session()
    assert api("POST", _base(event, item) + "/upvote", {"session_id": one}) == (
        200,
        {"upvoted": True, "upvote_count": 1},
    )
    assert api("POST", _base(event, item) + "/upvote", {"session_id": one})[1]["upvote_count"] == 1
    assert (
        api("POST", _base(event, item) + "/upvote", {}, headers={"X-EventLens-Session": two})[1][
            "upvote_count"
        ]
        == 2
    )
    status, body = api("DELETE", _base(event, item) + "/upvote", headers={"X-EventLens-Session": one})
    assert (status, body) == (200, {"upvoted": False, "upvote_count": 1})
    status, body = api("DELETE", _base(event, item) + "/upvote", headers={"X-EventLens-Session": one})
    assert body["upvote_count"] == 1
    assert owner_conn.execute("SELECT count(*) FROM media_upvotes").fetchone()[0] == 1
    status, body = api("GET", _base(event, item), headers={"X-EventLens-Session": two})
    assert (status, body["upvoted"], body["upvote_count"]) == (200, True, 1)


def test_engagement_without_a_session_or_with_a_malformed_one_is_refused(api, clip) -> None:
    event, item = clip
    status, body = api("POST", _base(event, item) + "/upvote", {})
    assert status == 400
    assert "session" in body["message"]
    status, _ = api("POST", _base(event, item) + "/upvote", {"session_id": "short"})
    assert status == 422
    status, _ = api(
        "POST", _base(event, item) + "/upvote", {}, headers={"X-EventLens-Session": "bad id!" * 4}
    )
    assert status == 400


def test_a_video_view_counts_once_per_session_after_the_minimum_watch_time(api, clip, owner_conn) -> None:
    event, item = clip
    session = _session()
    status, body = api("POST", _base(event, item) + "/views", {"session_id": session, "watched_s": 3})
    assert (status, body["counted"], body["view_count"], body["min_watch_s"]) == (202, False, 0, 10.0)
    status, body = api("POST", _base(event, item) + "/views", {"session_id": session, "watched_s": 12})
    assert (body["counted"], body["view_count"]) == (True, 1)
    status, body = api("POST", _base(event, item) + "/views", {"session_id": session, "watched_s": 20})
    assert (body["counted"], body["view_count"]) == (False, 1)
    photo = _item(owner_conn, event, "still.jpg", kind="photo")
    status, body = api("POST", _base(event, photo) + "/views", {"session_id": session})
    assert (body["counted"], body["view_count"], body["min_watch_s"]) == (True, 1, 0.0)
    # reading the item counts nothing
    assert api("GET", _base(event, item))[1]["view_count"] == 1


def test_watch_time_and_finishes_are_bounded_per_session(api, clip) -> None:
    event, item = clip  # 30 s: a session adds at most 60 s, one finish
    session = _session()
    for _ in range(5):
        status, body = api(
            "POST", _base(event, item) + "/watch", {"session_id": session, "seconds": 30, "finished": True}
        )
        assert status == 200
    assert (body["watched_s"], body["cap_s"], body["finished"]) == (60.0, 60.0, True)
    assert (body["watch_time_s"], body["finish_count"]) == (60.0, 1)
    other = api("POST", _base(event, item) + "/watch", {"session_id": _session(), "seconds": 500})
    assert other[0] == 200
    assert other[1]["watched_s"] == 60.0
    assert other[1]["watch_time_s"] == 120.0


def test_reactions_need_a_known_type_a_moment_within_the_video_and_a_person(api, clip, people) -> None:
    event, item = clip
    _person, token = people.with_role(None)
    url = _base(event, item) + "/reactions"
    status, body = api("POST", url, {"reaction": "love", "at_s": 12})
    assert status == 401
    status, body = api("POST", url, {"reaction": "meh", "at_s": 12}, token=token)
    assert status == 400
    assert "like, love, laugh, wow, sad, angry" in body["message"]
    status, body = api("POST", url, {"reaction": "love", "at_s": 31}, token=token)
    assert status == 400
    assert "not within" in body["message"]
    status, body = api("POST", url, {"reaction": "love", "at_s": -1}, token=token)
    assert status == 400
    status, body = api("POST", url, {"reaction": "love", "at_s": 27}, token=token)
    assert status == 201
    assert (body["emoji"], body["formatted_time"], body["mine"]) == ("\u2764\ufe0f", "0:27", True)
    api("POST", url, {"reaction": "laugh", "at_s": 1.0}, token=token)
    status, listing = api("GET", url)
    assert [r["reaction"] for r in listing["reactions"]] == ["laugh", "love"]
    assert len(listing["heatmap"]) == 20
    assert listing["heatmap"][0]["counts"] == {"laugh": 1}
    assert listing["heatmap"][18]["counts"] == {"love": 1}
    status, mine = api("GET", f"/api/events/{event.slug}/my-reactions", token=token)
    assert status == 200
    assert len(mine["reactions"]) == 2
    assert api("GET", _base(event, item))[1]["reaction_count"] == 2
    status, config = api("GET", "/api/reactions/config")
    assert [r["type"] for r in config["reactions"]] == ["like", "love", "laugh", "wow", "sad", "angry"]


def test_a_locked_item_takes_no_engagement_and_leaves_the_public_gallery(api, clip, people) -> None:
    event, item = clip
    session = _session()
    api("POST", _base(event, item) + "/upvote", {"session_id": session})
    _, editor = people.with_role("EDITOR", event=event.id)
    status, body = api(
        "POST", f"/api/events/{event.slug}/admin/media/{item}/lock", {"reason": "wrong event"}, token=editor
    )
    assert (status, body["locked"], body["locked_reason"]) == (200, True, "wrong event")
    assert body["locked_at"] is not None
    assert body["upvote_count"] == 1
    for path, payload in (
        ("/upvote", {"session_id": session}),
        ("/views", {"session_id": session, "watched_s": 20}),
        ("/comments", {"session_id": session, "body": "hi"}),
    ):
        status, body = api("POST", _base(event, item) + path, payload)
        assert (status, "wrong event" in body["message"]) == (409, True), path
    _, person = people.with_role(None)
    assert (
        api("POST", _base(event, item) + "/reactions", {"reaction": "wow", "at_s": 1}, token=person)[0] == 409
    )
    assert api("GET", f"/api/events/{event.slug}/media")[1]["items"] == []
    status, body = api("DELETE", f"/api/events/{event.slug}/admin/media/{item}/lock", token=editor)
    assert (status, body["locked"], body["locked_at"]) == (200, False, None)
    assert [i["id"] for i in api("GET", f"/api/events/{event.slug}/media")[1]["items"]] == [str(item)]


def test_comments_are_escaped_length_limited_rate_limited_and_reply_one_level(api, clip, people) -> None:
    event, item = clip
    url = _base(event, item) + "/comments"
    session = _session()
    status, first = api(
        "POST", url, {"session_id": session, "body": "<script>alert(1)</script>", "author_name": "<b>"}
    )
    assert status == 201
    assert first["body"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert first["author_name"] == "&lt;b&gt;"
    assert api("POST", url, {"session_id": session, "body": "x" * 1001})[0] == 422
    assert api("POST", url, {"session_id": session, "body": ""})[0] == 422
    status, reply = api("POST", url, {"session_id": session, "body": "a reply", "parent_id": first["id"]})
    assert status == 201
    assert reply["parent_id"] == first["id"]
    status, body = api("POST", url, {"session_id": session, "body": "deeper", "parent_id": reply["id"]})
    assert status == 400
    assert "one level" in body["message"]
    for n in range(3):
        assert api("POST", url, {"session_id": session, "body": f"more {n}"})[0] == 201
    status, body = api("POST", url, {"session_id": session, "body": "one too many"})
    assert status == 429
    _, token = people.with_role(None)  # a signed-in person is another author
    assert api("POST", url, {"body": "signed in"}, token=token)[0] == 201
    listing = api("GET", url)[1]["comments"]
    assert len(listing) == 6
    assert api("GET", _base(event, item))[1]["comment_count"] == 6


def test_flags_hold_a_comment_for_review_after_three_sessions_and_staff_decide(api, clip, people) -> None:
    from eventlens.engagement.service import HOLD_AFTER_FLAGS

    assert HOLD_AFTER_FLAGS == 3  # migration 0020's trigger holds at the third flag
    event, item = clip
    url = _base(event, item) + "/comments"
    author = _session()
    _, comment = api("POST", url, {"session_id": author, "body": "spam spam"})
    flag = f"/api/events/{event.slug}/comments/{comment['id']}/flag"
    flagger = _session()
    assert api("POST", flag, {"session_id": flagger})[1] == {"flagged": True}
    assert api("POST", flag, {"session_id": flagger})[1] == {"flagged": False}  # once per session
    api("POST", flag, {"session_id": _session()})
    assert [c["id"] for c in api("GET", url)[1]["comments"]] == [comment["id"]]
    api("POST", flag, {"session_id": _session()})
    assert api("GET", url)[1]["comments"] == []
    assert api("GET", _base(event, item))[1]["comment_count"] == 0
    mine = api("GET", url, headers={"X-EventLens-Session": author})[1]["comments"]
    assert [c["status"] for c in mine] == ["held"]  # its author still sees it, held
    _, editor = people.with_role("EDITOR", event=event.id)
    held = api("GET", f"/api/events/{event.slug}/admin/comments", token=editor)[1]["comments"]
    assert [c["id"] for c in held] == [comment["id"]]
    status, body = api(
        "PATCH",
        f"/api/events/{event.slug}/admin/comments/{comment['id']}",
        {"status": "visible"},
        token=editor,
    )
    assert (status, body["status"]) == (200, "visible")
    assert api("GET", _base(event, item))[1]["comment_count"] == 1
    assert (
        api("POST", f"/api/events/{event.slug}/comments/{UUID(int=5)}/flag", {"session_id": flagger})[0]
        == 404
    )


def test_the_gallery_sorts_filters_and_pages_with_has_more(api, make_event, owner_conn) -> None:
    event = make_event("gallery")
    ids = {}
    for n, (w, h) in enumerate([(1920, 1080), (1080, 1920), (800, 800), (1280, 720)]):
        ids[n] = _item(
            owner_conn, event, f"v{n}.mp4", width=w, height=h, created_at=f"2026-01-0{n + 1}T00:00:00Z"
        )
    owner_conn.execute("UPDATE photos SET hidden = true WHERE id = %s", (ids[3],))
    for n, votes in ((0, 3), (1, 1), (2, 2)):
        for _ in range(votes):
            api("POST", _base(event, ids[n]) + "/upvote", {"session_id": _session()})
    api("POST", _base(event, ids[1]) + "/views", {"session_id": _session(), "watched_s": 30})
    api("POST", _base(event, ids[1]) + "/views", {"session_id": _session(), "watched_s": 30})
    url = f"/api/events/{event.slug}/media"

    def order(query: str) -> list[int]:
        status, body = api("GET", url + query)
        assert status == 200, body
        back = {str(v): k for k, v in ids.items()}
        return [back[i["id"]] for i in body["items"]]

    assert order("?sort=recent") == [2, 1, 0]
    assert order("?sort=popular") == [0, 2, 1]
    assert order("?sort=most_viewed") == [1, 2, 0]
    assert order("?sort=top_rated") == [0, 2, 1]  # views < upvotes counts every upvoter as a viewer
    assert order("?sort=trending")[0] in (0, 2)
    assert order("?aspect=portrait") == [1]
    assert order("?aspect=square") == [2]
    assert order("?q=v1") == [1]  # search: the file name's words (and descriptions)
    assert order("?kind=photo") == []
    _, page = api("GET", url + "?sort=popular&limit=2")
    assert page["pagination"] == {"limit": 2, "offset": 0, "has_more": True}
    _status, page = api("GET", url + "?sort=popular&limit=2&offset=2")
    assert page["pagination"]["has_more"] is False
    assert len(page["items"]) == 1
    assert api("GET", url + "?sort=best")[0] == 422
    assert api("GET", url + "?aspect=round")[0] == 422
    # the gallery's first page asks for the count too (its scrubber, "N photos"); later ones do not
    _, first = api("GET", url + "?sort=popular&limit=2&count=true")
    assert (first["total"], len(first["items"])) == (3, 2)
    assert page["total"] is None
    assert all(item["original_url"].startswith("/media/") for item in first["items"])


def test_reconcile_reports_and_repairs_drift(api, clip, owner_conn) -> None:
    from eventlens.engagement.service import reconcile
    from eventlens.scope import Scope

    event, item = clip
    api("POST", _base(event, item) + "/upvote", {"session_id": _session()})
    assert reconcile(Scope.system(event), repair=False).drift == []
    owner_conn.execute("UPDATE photos SET upvote_count = 7, view_count = 3 WHERE id = %s", (item,))
    report = reconcile(Scope.system(event), repair=True)
    assert sorted((d.counter, d.stored, d.recomputed) for d in report.drift) == [
        ("upvote_count", 7, 1),
        ("view_count", 3, 0),
    ]
    assert reconcile(Scope.system(event), repair=False).drift == []
    assert owner_conn.execute("SELECT upvote_count FROM photos WHERE id = %s", (item,)).fetchone()[0] == 1


def test_concurrent_upvotes_from_many_sessions_and_their_repeats_count_exactly(api, clip, owner_conn) -> None:
    """16 threads, each through the handler with its own pooled connection: 64 sessions, twice each."""
    event, item = clip
    sessions = [_session() for _ in range(64)]
    errors: list[Any] = []
    barrier = threading.Barrier(16)

    def worker(share: list[str]) -> None:
        barrier.wait()
        for session in share + share:
            status, body = api("POST", _base(event, item) + "/upvote", {"session_id": session})
            if status != 200 or body["upvoted"] is not True:
                errors.append((status, body))

    threads = [threading.Thread(target=worker, args=(sessions[i::16],)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = owner_conn.execute("SELECT upvote_count FROM photos WHERE id = %s", (item,)).fetchone()[0]
    rows = owner_conn.execute("SELECT count(*) FROM media_upvotes WHERE photo_id = %s", (item,)).fetchone()[0]
    assert (stored, rows) == (64, 64)


def test_the_reconcile_command_reports_drift_with_exit_1_and_repairs_it(api, clip, owner_conn) -> None:
    from click.testing import CliRunner
    from eventlens.cli import main

    event, item = clip
    api("POST", _base(event, item) + "/upvote", {"session_id": _session()})
    owner_conn.execute("UPDATE photos SET upvote_count = upvote_count + 5 WHERE id = %s", (item,))
    found = CliRunner().invoke(main, ["engagement", "reconcile", "--event", event.slug])
    assert found.exit_code == 1, found.output
    assert "upvote_count: stored 6, recomputed 1" in found.output
    fixed = CliRunner().invoke(main, ["engagement", "reconcile", "--event", event.slug, "--repair"])
    assert fixed.exit_code == 0, fixed.output
    clean = CliRunner().invoke(main, ["engagement", "reconcile", "--event", event.slug])
    assert (clean.exit_code, "0 drifted counters" in clean.output) == (0, True)


def test_the_video_library_lists_every_video_with_validity_for_staff(
    api, make_event, owner_conn, people
) -> None:
    event = make_event("library")
    good = _item(owner_conn, event, "good.mp4", is_valid=True, video_codec="h264")
    bad = _item(
        owner_conn, event, "bad.mp4", is_valid=False, invalid_reason="not a readable video", hidden=True
    )
    _item(owner_conn, event, "still.jpg", kind="photo")
    _, editor = people.with_role("EDITOR", event=event.id)
    url = f"/api/events/{event.slug}/admin/videos"
    status, page = api("GET", url, token=editor)
    assert status == 200
    assert {i["id"] for i in page["items"]} == {str(good), str(bad)}
    invalid = api("GET", url + "?valid=false", token=editor)[1]["items"]
    assert [(i["id"], i["invalid_reason"]) for i in invalid] == [(str(bad), "not a readable video")]
    assert [i["id"] for i in api("GET", url + "?codec=h264", token=editor)[1]["items"]] == [str(good)]
    assert api("GET", url, token=people.with_role("MEMBER", event=event.id)[1])[0] == 403


def test_row_level_security_keeps_each_session_to_its_own_engagement_rows(clip) -> None:
    import psycopg
    from eventlens import db
    from eventlens.findme.session import session_key

    event, item = clip
    mine, theirs = session_key(event, _session()), session_key(event, _session())
    with db.transaction(event.id, "visitor", theirs) as tx:
        tx.execute(
            "INSERT INTO media_upvotes (event_id, photo_id, session_key) VALUES (%s, %s, %s)",
            (event.id, item, theirs),
        )
    with db.transaction(event.id, "visitor", mine) as tx:
        assert tx.execute("SELECT count(*) AS n FROM media_upvotes").fetchone()["n"] == 0  # type: ignore[index]
        assert tx.execute("DELETE FROM media_upvotes").rowcount == 0
    with db.transaction(event.id, "visitor", mine) as tx, pytest.raises(psycopg.errors.InsufficientPrivilege):
        tx.execute(
            "INSERT INTO media_upvotes (event_id, photo_id, session_key) VALUES (%s, %s, %s)",
            (event.id, item, theirs),
        )
    with db.transaction(event.id, "visitor", mine) as tx:  # counters move only through the triggers
        assert tx.execute("UPDATE photos SET upvote_count = 99 WHERE id = %s", (item,)).rowcount == 0
    with db.transaction(event.id, "system") as tx:
        stored = tx.execute("SELECT upvote_count FROM photos WHERE id = %s", (item,)).fetchone()
    assert stored == {"upvote_count": 1}
