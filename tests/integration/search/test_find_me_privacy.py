"""Find me tells nobody about anyone else's search and keeps no face template past its session.

docs/security.md, "Faces and find me": a search is compared only with the same browser session's
earlier searches (its random session id, hashed into `match_sessions.session_key`, is the
visitor's subject, which row-level security compares); a face template is kept only under a
session key and only for `find_me_retention_minutes`, then purged; analytics read outcomes only.
The oracle tests go through the real match route, as a second browser would.
"""

from __future__ import annotations

import base64
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventlens.scope import Scope

from tests.integration.search.conftest import TAB_A, TAB_B, crop, jpeg

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "eventlens")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "EventLens")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

ROOT = Path(__file__).resolve().parents[3]
VECTOR = "[" + ",".join(["0.1"] * 128) + "]"
OTHER_VECTOR = "[" + ",".join(["0.2"] * 128) + "]"
NO_MATCH = "No photos matched. Try a well-lit, front-facing selfie without sunglasses or a hat."


@pytest.fixture(scope="module")
def t1_selfie(t1_image, t1_faces) -> bytes:
    return jpeg(crop(t1_image, t1_faces[3].bbox))


def match(
    selfie: bytes, session: str | None = None, *, field: bool = False, q: str | None = None
) -> tuple[int, dict[str, Any], str]:
    """POST the selfie to the gala's match route as the gallery does: (status, reply, raw JSON).

    `session` travels as the X-EventLens-Session header, or with `field` as the JSON field.
    """
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler
    from eventlens.events.service import get_event
    from eventlens.findme.control import consent_text, consent_version

    body: dict[str, Any] = {"image_base64": base64.b64encode(selfie).decode(), "q": q}
    consent = consent_version(consent_text(get_event("gala")))  # agreed with this very request
    headers = {"host": "test", "content-type": "application/json", "X-EventLens-Consent": consent}
    if session is not None and field:
        body["session_id"] = session
    elif session is not None:
        headers["X-EventLens-Session"] = session
    event = http_api_event(
        "POST", "/api/events/gala/match", headers, json.dumps(body).encode(), "127.0.0.1", None
    )
    reply = lambda_handler("api_match")(event, LambdaContext("api_match", "req-1", deadline_ms=2**62))
    return reply["statusCode"], json.loads(reply["body"]), reply["body"]


def _templates(owner_conn: psycopg.Connection) -> list[tuple[str | None, bool]]:
    return owner_conn.execute(
        "SELECT session_key, embedding IS NOT NULL FROM match_sessions ORDER BY created_at"
    ).fetchall()


# -- the oracle: no reply says anything about another browser's search -----------------------------


@pytest.mark.parametrize("second", [TAB_B, None], ids=["other-session", "no-session"])
def test_another_browser_uploading_the_same_face_learns_nothing_of_the_first_search(
    gala, astronaut_selfie, owner_conn, second: str | None
) -> None:
    _, ids = gala
    status, first, _ = match(astronaut_selfie, TAB_A, q=None)
    assert status == 200
    assert len(first["matches"]) == 2
    # The photos go; the first browser's search stays on record (it matched 2).
    owner_conn.execute(
        "UPDATE photos SET hidden = true WHERE id = ANY(%s)", ([ids["astronaut"], ids["pair"]],)
    )

    status, reply, raw = match(astronaut_selfie, second)
    assert status == 200
    assert reply["matches"] == []
    assert reply["recommendations"] == []
    assert reply["message"] == NO_MATCH  # what a face nobody ever searched for reads
    assert not re.search(r"earlier|before|welcome|again|\b2\b", raw, re.I)


@pytest.mark.parametrize("second", [TAB_B, None], ids=["other-session", "no-session"])
def test_a_second_browser_with_matches_reads_only_its_own_result(
    gala, astronaut_selfie, second: str | None
) -> None:
    match(astronaut_selfie, TAB_A, q=None)
    match(astronaut_selfie, TAB_A, q=None)
    status, reply, raw = match(astronaut_selfie, second)
    assert status == 200
    assert reply["message"] == "Found you in 2 photos."
    assert not re.search(r"earlier|before|welcome", raw, re.I)


def test_the_same_browser_is_compared_with_its_own_earlier_try(gala, astronaut_selfie, owner_conn) -> None:
    _, ids = gala
    match(astronaut_selfie, TAB_A, field=True)  # the gallery sends the id as a JSON field
    owner_conn.execute(
        "UPDATE photos SET hidden = true WHERE id = ANY(%s)", ([ids["astronaut"], ids["pair"]],)
    )
    _, reply, _ = match(astronaut_selfie, TAB_A)  # the header names the same session
    assert reply["message"].startswith(
        "Your earlier selfie in this session found 2 photos; this one found none."
    )


def test_the_reply_json_never_carries_another_sessions_data(gala, astronaut_selfie, owner_conn) -> None:
    event, _ = gala
    match(astronaut_selfie, TAB_A, q="astronaut secret words")
    stored = owner_conn.execute("SELECT id, created_at FROM match_sessions").fetchone()
    _, reply, raw = match(astronaut_selfie, TAB_B)
    assert set(reply) == {"matches", "recommendations", "message", "crew"}
    assert not re.search(r"earlier|before|welcome", raw, re.I)
    for leaked in (TAB_A, "secret words", str(stored[0]), stored[1].isoformat()[:16]):
        assert leaked not in raw
    from eventlens.findme.session import session_key

    assert session_key(event, TAB_A) not in raw


def test_an_invalid_session_id_is_refused_before_any_face_is_read(gala, astronaut_selfie, owner_conn) -> None:
    for bad in ("short", "x" * 65, "has spaces in it, 1234", "semi;colon;0123456789"):
        status, reply, _ = match(astronaut_selfie, bad)
        assert status == 400
        assert "X-EventLens-Session" in reply["message"]
    assert owner_conn.execute("SELECT count(*) FROM match_sessions").fetchone() == (0,)


# -- what is kept, and for how long ---------------------------------------------------------------


def test_a_template_is_kept_only_under_a_session_and_never_the_session_id(
    gala, astronaut_selfie, owner_conn
) -> None:
    from eventlens.findme.session import session_key

    event, _ = gala
    match(astronaut_selfie, None)
    match(astronaut_selfie, TAB_A)
    assert _templates(owner_conn) == [(None, False), (session_key(event, TAB_A), True)]
    dump = json.dumps(owner_conn.execute("SELECT to_jsonb(m) FROM match_sessions m").fetchall())
    assert TAB_A not in dump


def test_no_template_is_kept_when_the_retention_is_zero(
    gala, astronaut_selfie, owner_conn, monkeypatch
) -> None:
    from eventlens.config import reset_settings

    monkeypatch.setenv("EVENTLENS_FIND_ME_RETENTION_MINUTES", "0")
    reset_settings()
    match(astronaut_selfie, TAB_A)
    assert [has for _, has in _templates(owner_conn)] == [False]


def test_the_purge_forgets_every_template_past_the_retention_and_keeps_younger_ones(
    gala, make_event, astronaut_selfie, owner_conn
) -> None:
    from eventlens.findme.service import purge_expired_templates
    from eventlens.findme.session import find_me_scope

    event, _ = gala
    other = make_event("elsewhere")
    for tab in (TAB_A, TAB_B, "tab-c-0123456789abcdef"):
        match(astronaut_selfie, tab)
    with find_me_scope(other, TAB_A).transaction() as tx:  # another event's template
        tx.execute(
            "INSERT INTO match_sessions (event_id, model, embedding, session_key, confidence_band)"
            " VALUES (current_event_id(), 'sface', %s::vector, current_subject(), 'none')",
            (VECTOR,),
        )
    gala_rows = [
        r[0] for r in owner_conn.execute("SELECT id FROM match_sessions WHERE event_id = %s", (event.id,))
    ]
    for row, age in zip(gala_rows, ("31 minutes", "30 minutes 1 second", "29 minutes"), strict=True):
        owner_conn.execute(
            "UPDATE match_sessions SET created_at = now() - %s::interval WHERE id = %s", (age, row)
        )
    owner_conn.execute(
        "UPDATE match_sessions SET created_at = now() - interval '2 hours' WHERE event_id = %s", (other.id,)
    )
    before = owner_conn.execute(
        "SELECT id, confidence_band, match_count, photo_ids, session_key FROM match_sessions ORDER BY id"
    ).fetchall()

    assert purge_expired_templates() == 3  # two of the gala, one elsewhere
    left = owner_conn.execute(
        "SELECT event_id, created_at > now() - interval '30 minutes' FROM match_sessions WHERE embedding IS NOT NULL"
    ).fetchall()
    assert left == [(event.id, True)]
    after = owner_conn.execute(
        "SELECT id, confidence_band, match_count, photo_ids, session_key FROM match_sessions ORDER BY id"
    ).fetchall()
    assert after == before  # only the templates went

    # Driving the clock two minutes on, the youngest is past its retention too.
    assert purge_expired_templates(now=datetime.now(UTC) + timedelta(minutes=2)) == 1
    assert owner_conn.execute(
        "SELECT count(*) FROM match_sessions WHERE embedding IS NOT NULL"
    ).fetchone() == (0,)
    assert purge_expired_templates(now=datetime.now(UTC) + timedelta(days=1)) == 0


def test_each_find_me_purges_its_events_expired_templates_first(gala, astronaut_selfie, owner_conn) -> None:
    match(astronaut_selfie, TAB_A)
    owner_conn.execute("UPDATE match_sessions SET created_at = now() - interval '1 hour'")
    match(astronaut_selfie, TAB_B)
    assert [has for _, has in _templates(owner_conn)] == [False, True]


def test_an_expired_template_is_never_compared_even_before_the_purge(
    gala, astronaut_selfie, owner_conn, monkeypatch
) -> None:
    from eventlens.findme import service

    _, ids = gala
    monkeypatch.setattr(service, "purge_expired_templates", lambda **_: 0)  # the purge is late
    match(astronaut_selfie, TAB_A)
    owner_conn.execute("UPDATE match_sessions SET created_at = now() - interval '31 minutes'")
    owner_conn.execute(
        "UPDATE photos SET hidden = true WHERE id = ANY(%s)", ([ids["astronaut"], ids["pair"]],)
    )
    _, reply, _ = match(astronaut_selfie, TAB_A)
    assert reply["message"] == NO_MATCH


def test_the_embedded_server_loop_purges_until_stopped(gala, astronaut_selfie, owner_conn) -> None:
    import threading

    from eventlens.findme.service import purge_periodically

    match(astronaut_selfie, TAB_A)
    owner_conn.execute("UPDATE match_sessions SET created_at = now() - interval '1 hour'")
    stop = threading.Event()
    stop.set()  # one round, then return
    purge_periodically(stop, interval_s=0.01)
    assert [has for _, has in _templates(owner_conn)] == [False]


def test_analytics_count_searches_searchers_and_hot_photos_the_same_after_the_purge(
    gala, astronaut_selfie, t1_selfie, owner_conn
) -> None:
    from eventlens.findme.service import match_analytics, purge_expired_templates

    event, ids = gala
    match(astronaut_selfie, TAB_A)
    match(astronaut_selfie, TAB_A)
    match(t1_selfie, TAB_B)
    match(astronaut_selfie, None)
    organizer = Scope.organizer(event, "alice")
    before = match_analytics(organizer)
    assert (before.sessions, before.distinct_searchers) == (4, 3)
    assert {h.photo.id: h.sessions for h in before.hot_photos} == {
        ids["astronaut"]: 3,
        ids["pair"]: 3,
        ids["group"]: 1,
    }

    assert purge_expired_templates(now=datetime.now(UTC) + timedelta(hours=1)) == 3
    assert owner_conn.execute(
        "SELECT count(*) FROM match_sessions WHERE embedding IS NOT NULL"
    ).fetchone() == (0,)
    after = match_analytics(organizer)
    assert after.model_dump() == before.model_dump()


# -- row-level security -----------------------------------------------------------------------------


@pytest.fixture
def sessions(make_event, owner_conn):
    """In event A: a row with a template under tab A's key, one under tab B's, one without a key."""
    from eventlens.findme.session import session_key

    a = make_event("event-a")
    keys = {"a": session_key(a, TAB_A), "b": session_key(a, TAB_B)}
    for key, vector in ((keys["a"], VECTOR), (keys["b"], OTHER_VECTOR), (None, None)):
        owner_conn.execute(
            "INSERT INTO match_sessions (event_id, model, embedding, session_key, confidence_band, match_count)"
            " VALUES (%s, 'sface', %s::vector, %s, 'high', 7)",
            (a.id, vector, key),
        )
    return a, keys


def test_a_visitor_reads_only_its_own_sessions_rows_and_templates(sessions) -> None:
    from eventlens.findme.session import find_me_scope

    a, keys = sessions
    with find_me_scope(a, TAB_A).transaction() as tx:
        rows = tx.execute(
            "SELECT session_key, embedding::text AS e FROM match_sessions"
        ).fetchall()  # no WHERE
        assert [r["session_key"] for r in rows] == [keys["a"]]
        assert rows[0]["e"].startswith("[0.1,")
        assert (
            tx.execute(
                "SELECT count(*) AS n FROM match_sessions WHERE session_key = %s", (keys["b"],)
            ).fetchone()["n"]
            == 0
        )
    for scope in (Scope.visitor(a), find_me_scope(a, "tab-c-0123456789abcdef")):
        with scope.transaction() as tx:
            assert tx.execute("SELECT count(*) AS n FROM match_sessions").fetchone()["n"] == 0
    with Scope.organizer(a, "alice").transaction() as tx:  # analytics
        assert tx.execute("SELECT count(*) AS n FROM match_sessions").fetchone()["n"] == 3


def test_a_visitor_records_only_its_own_session_and_a_template_only_with_a_key(sessions) -> None:
    from eventlens.findme.session import find_me_scope

    a, keys = sessions
    insert = (
        "INSERT INTO match_sessions (event_id, model, embedding, session_key, confidence_band)"
        " VALUES (current_event_id(), 'sface', %s::vector, %s, 'none')"
    )
    refused = [
        (find_me_scope(a, TAB_A), VECTOR, keys["b"]),  # someone else's key
        (find_me_scope(a, TAB_A), VECTOR, None),  # its own template without its key
        (Scope.visitor(a), VECTOR, None),  # a template with no session at all
        (Scope.visitor(a), None, keys["a"]),  # a key it does not hold
    ]
    for scope, vector, key in refused:
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
            scope.transaction() as tx,
        ):
            tx.execute(insert, (vector, key))
    with find_me_scope(a, TAB_A).transaction() as tx:
        tx.execute(insert, (VECTOR, keys["a"]))
    with Scope.visitor(a).transaction() as tx:
        tx.execute(insert, (None, None))


def test_only_the_operator_may_forget_a_template_and_nothing_else(sessions, owner_conn) -> None:
    from eventlens.findme.session import find_me_scope

    a, keys = sessions
    for scope in (find_me_scope(a, TAB_A), Scope.organizer(a, "alice"), Scope.pipeline(a)):
        with scope.transaction() as tx:
            assert tx.execute("UPDATE match_sessions SET embedding = NULL").rowcount == 0
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
        Scope.system(a).transaction() as tx,
    ):
        tx.execute(
            "UPDATE match_sessions SET embedding = %s::vector WHERE session_key = %s", (VECTOR, keys["b"])
        )
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"),
        Scope.system(a).transaction() as tx,
    ):
        tx.execute("UPDATE match_sessions SET match_count = 0")
    assert owner_conn.execute(
        "SELECT count(*) FROM match_sessions WHERE embedding IS NOT NULL"
    ).fetchone() == (2,)
    with Scope.system(a).transaction() as tx:
        assert (
            tx.execute("UPDATE match_sessions SET embedding = NULL WHERE embedding IS NOT NULL").rowcount == 2
        )


# -- what the visitor is told -----------------------------------------------------------------------


def test_the_dialog_states_what_is_kept_and_for_how_long() -> None:
    from eventlens.config import Settings

    html = (ROOT / "web/index.html").read_text()
    dialog = html[html.index('<dialog class="findme-dialog"') :]
    dialog = " ".join(dialog[: dialog.index("</dialog>")].split())
    minutes = Settings.model_fields["find_me_retention_minutes"].default
    assert "never stored" in dialog
    assert f"for {minutes} minutes and only for this browser tab" in dialog
    assert "never with anyone else's search" in dialog
    script = (ROOT / "web/js/gallery/findme.js").read_text()
    assert "sessionStorage" in script
    assert "session_id: findMeSession()" in script
    assert "crypto.getRandomValues" in script


def test_the_scheduled_purge_leaves_an_idle_database_alone_and_purges_while_a_template_may_be_kept(
    gala, astronaut_selfie, owner_conn, monkeypatch
) -> None:
    """Given no find-me with a kept template, the scheduled purge (AWS, every 5 minutes) does not
    connect at all, so a paused Aurora stays paused (here the app's database is unreachable and it
    still answers); after a find-me it purges, and once the template is past its retention it
    forgets it and drops the marker, going back to not connecting."""
    from eventlens.config import reset_settings
    from eventlens.db import close_pool
    from eventlens.findme.service import KEPT_PREFIX, purge_if_kept
    from eventlens.storage import blob_store

    assert purge_if_kept() is None
    match(astronaut_selfie, TAB_A)
    assert [has for _, has in _templates(owner_conn)] == [True]
    markers = [info.key for info in blob_store().list(KEPT_PREFIX)]
    assert len(markers) == 1

    assert purge_if_kept() == 0  # young: kept, and so is its marker
    assert [info.key for info in blob_store().list(KEPT_PREFIX)] == markers
    later = datetime.now(UTC) + timedelta(minutes=35)
    assert purge_if_kept(now=later) == 1
    assert [has for _, has in _templates(owner_conn)] == [False]
    assert list(blob_store().list(KEPT_PREFIX)) == []

    monkeypatch.setenv("EVENTLENS_APP_DATABASE_URL", "postgresql://eventlens_app@127.0.0.1:9/nowhere")
    close_pool()
    reset_settings()
    assert purge_if_kept(now=later) is None  # nothing listed: no connection attempted
