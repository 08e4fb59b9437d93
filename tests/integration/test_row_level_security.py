"""Isolation is enforced by PostgreSQL itself: by tenant (the event) and by who acts (the actor).

Every query here runs as the application does: logged in as `eventlens_app` through
`eventlens.db.transaction` / `Scope.transaction`, and most of them forget their WHERE on purpose.
Rows are seeded as the schema owner, whom the policies do not bind.
"""

from __future__ import annotations

from uuid import UUID

import psycopg
import pytest
from eventlens import db
from eventlens.db.photos import PhotoFilter
from eventlens.scope import Scope
from eventlens.search import repo as search_repo

CONTENT_TABLES = ("photos", "face_embeddings", "match_sessions", "pipeline_runs")
STAFF = ("organizer", "pipeline", "system")
VECTOR = "[" + ",".join(["0.1"] * 128) + "]"


def _photo(
    owner_conn: psycopg.Connection, event_id: UUID, name: str, text: str = "", hidden: bool = False
) -> UUID:
    row = owner_conn.execute(
        "INSERT INTO photos (event_id, source_key, content_hash, filename, visible_text, hidden, analyze_status)"
        " VALUES (%s, %s, %s, %s, %s, %s, 'completed') RETURNING id",
        (event_id, f"originals/{name}", f"hash-{event_id}-{name}", name, text, hidden),
    ).fetchone()
    assert row is not None
    return row[0]


def _seed(owner_conn: psycopg.Connection, event_id: UUID, tag: str) -> dict[str, UUID]:
    """One row per content table, plus a hidden photo and a run's lookup row."""
    visible = _photo(owner_conn, event_id, f"{tag}-visible.jpg", f"Welcome {tag}")
    hidden = _photo(owner_conn, event_id, f"{tag}-hidden.jpg", f"Secret {tag}", hidden=True)
    owner_conn.execute(
        "INSERT INTO face_embeddings (event_id, photo_id, face_index, model, embedding)"
        " VALUES (%s, %s, 0, 'sface', %s::vector)",
        (event_id, visible, VECTOR),
    )
    owner_conn.execute(
        "INSERT INTO match_sessions (event_id, model, embedding, confidence_band)"
        " VALUES (%s, 'sface', %s::vector, 'high')",
        (event_id, VECTOR),
    )
    run = owner_conn.execute(
        "INSERT INTO pipeline_runs (event_id, phase) VALUES (%s, 'full') RETURNING id", (event_id,)
    ).fetchone()
    assert run is not None
    owner_conn.execute(
        "INSERT INTO pipeline_run_events (run_id, event_id) VALUES (%s, %s)", (run[0], event_id)
    )
    return {"visible": visible, "hidden": hidden, "run": run[0]}


@pytest.fixture
def two_events(make_event, owner_conn):
    a, b = make_event("event-a"), make_event("event-b")
    return a, b, _seed(owner_conn, a.id, "a"), _seed(owner_conn, b.id, "b")


def _role(actor: str) -> str | None:
    """The organizer here is the event's ADMIN (what each role may read: test_permission_matrix)."""
    return "ADMIN" if actor == "organizer" else None


READABLE = {
    "visitor": {"photos", "face_embeddings"},  # a visitor reads only its own find-me session's rows
    "organizer": {"photos", "face_embeddings", "match_sessions", "pipeline_runs"},  # + analytics, runs
    "pipeline": {"photos", "face_embeddings", "pipeline_runs"},
    "system": set(CONTENT_TABLES),
}


@pytest.mark.parametrize("actor", ["visitor", *STAFF])
def test_a_query_without_where_sees_only_its_event(two_events, actor: str) -> None:
    a, _, _, _ = two_events
    with db.transaction(a.id, actor, role=_role(actor)) as tx:
        for table in CONTENT_TABLES:
            rows = tx.execute(f"SELECT event_id FROM {table}").fetchall()  # no WHERE on purpose
            assert {r["event_id"] for r in rows} <= {a.id}, f"{table} leaked another event's rows to {actor}"
            assert bool(rows) == (table in READABLE[actor]), f"{table}: {actor} sees {len(rows)} rows"


@pytest.mark.parametrize("actor", ["visitor", *STAFF])
def test_no_event_in_scope_sees_no_content(two_events, actor: str) -> None:
    with db.transaction(None, actor, role=_role(actor)) as tx:
        for table in CONTENT_TABLES:
            assert tx.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"] == 0, table


def test_a_visitor_sees_no_hidden_photo_and_staff_sees_them(two_events) -> None:
    a, _, seeded, _ = two_events
    with Scope.visitor(a).transaction() as tx:
        ids = {r["id"] for r in tx.execute("SELECT id FROM photos").fetchall()}
        assert ids == {seeded["visible"]}
        assert tx.execute("SELECT id FROM photos WHERE hidden").fetchall() == []
        assert tx.execute("SELECT id FROM photos WHERE id = %s", (seeded["hidden"],)).fetchall() == []
    for actor in STAFF:
        with db.transaction(a.id, actor, role=_role(actor)) as tx:
            ids = {r["id"] for r in tx.execute("SELECT id FROM photos").fetchall()}
            assert ids == {seeded["visible"], seeded["hidden"]}, actor


def test_a_visitor_sees_no_pipeline_run(two_events) -> None:
    a, _, seeded, _ = two_events
    with Scope.visitor(a).transaction() as tx:
        assert tx.execute("SELECT * FROM pipeline_runs").fetchall() == []
        assert tx.execute("SELECT * FROM pipeline_run_events").fetchall() == []
    with Scope.visitor().transaction() as tx:  # the lookup by id alone is staff's
        assert (
            tx.execute("SELECT * FROM pipeline_run_events WHERE run_id = %s", (seeded["run"],)).fetchall()
            == []
        )
    with Scope.pipeline().transaction() as tx:
        row = tx.execute(
            "SELECT event_id FROM pipeline_run_events WHERE run_id = %s", (seeded["run"],)
        ).fetchone()
        assert row == {"event_id": a.id}
        assert tx.execute("SELECT count(*) AS n FROM pipeline_runs").fetchone()["n"] == 0  # no event, no run


def test_a_visitor_cannot_insert_a_photo(two_events) -> None:
    a, _, _, _ = two_events
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
        Scope.visitor(a).transaction() as tx,
    ):
        tx.execute(
            "INSERT INTO photos (event_id, source_key, content_hash, filename)"
            " VALUES (current_event_id(), 'x.jpg', 'h', 'x.jpg')"
        )


def test_a_visitor_cannot_update_or_delete_photos(two_events, owner_conn) -> None:
    a, _, seeded, _ = two_events
    with Scope.visitor(a).transaction() as tx:
        assert tx.execute("UPDATE photos SET hidden = true").rowcount == 0
        assert tx.execute("UPDATE photos SET hidden = false WHERE id = %s", (seeded["hidden"],)).rowcount == 0
        assert tx.execute("DELETE FROM photos").rowcount == 0
        assert tx.execute("DELETE FROM face_embeddings").rowcount == 0
        assert tx.execute("UPDATE pipeline_runs SET status = 'failed'").rowcount == 0
    hidden = dict(owner_conn.execute("SELECT id, hidden FROM photos WHERE event_id = %s", (a.id,)).fetchall())
    assert hidden == {seeded["visible"]: False, seeded["hidden"]: True}
    assert owner_conn.execute(
        "SELECT count(*) FROM face_embeddings WHERE event_id = %s", (a.id,)
    ).fetchone() == (1,)


def test_staff_write_photos_of_their_own_event(two_events, owner_conn) -> None:
    a, _, seeded, _ = two_events
    with Scope.organizer(a, "alice").transaction() as tx:
        assert tx.execute("UPDATE photos SET hidden = true WHERE id = %s", (seeded["visible"],)).rowcount == 1
    with Scope.pipeline(a).transaction() as tx:
        tx.execute(
            "INSERT INTO photos (event_id, source_key, content_hash, filename)"
            " VALUES (current_event_id(), 'new.jpg', 'h-new', 'new.jpg')"
        )
    assert owner_conn.execute(
        "SELECT count(*) FROM photos WHERE event_id = %s AND hidden", (a.id,)
    ).fetchone() == (2,)
    assert owner_conn.execute("SELECT count(*) FROM photos WHERE event_id = %s", (a.id,)).fetchone() == (3,)


@pytest.mark.parametrize("actor", STAFF)
def test_staff_of_one_event_cannot_touch_another(two_events, owner_conn, actor: str) -> None:
    a, b, _, seeded_b = two_events
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
        db.transaction(a.id, actor, role=_role(actor)) as tx,
    ):
        tx.execute(
            "INSERT INTO photos (event_id, source_key, content_hash, filename) VALUES (%s, 'x', 'h', 'x.jpg')",
            (b.id,),
        )
    with db.transaction(a.id, actor, role=_role(actor)) as tx:
        assert tx.execute("UPDATE photos SET hidden = true WHERE event_id = %s", (b.id,)).rowcount == 0
        assert tx.execute("DELETE FROM photos WHERE id = %s", (seeded_b["visible"],)).rowcount == 0
        assert (
            tx.execute("UPDATE pipeline_runs SET status = 'failed' WHERE event_id = %s", (b.id,)).rowcount
            == 0
        )
        assert tx.execute("UPDATE events SET name = 'pwned' WHERE id = %s", (b.id,)).rowcount == 0
        # Moving a photo of A into B is refused too (WITH CHECK).
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
        db.transaction(a.id, actor, role=_role(actor)) as tx,
    ):
        tx.execute("UPDATE photos SET event_id = %s", (b.id,))
    assert owner_conn.execute("SELECT name FROM events WHERE id = %s", (b.id,)).fetchone() == ("Event-B",)
    assert owner_conn.execute("SELECT count(*) FROM photos WHERE event_id = %s", (b.id,)).fetchone() == (2,)
    assert owner_conn.execute("SELECT count(*) FROM photos WHERE hidden").fetchone() == (
        2,
    )  # the seeded ones


def test_faces_are_written_by_the_pipeline_only(two_events) -> None:
    a, _, seeded, _ = two_events
    insert = (
        "INSERT INTO face_embeddings (event_id, photo_id, face_index, model)"
        " VALUES (current_event_id(), %s, -1, 'sface')"
    )
    for actor in ("visitor", "organizer"):
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
            db.transaction(a.id, actor, role=_role(actor)) as tx,
        ):
            tx.execute(insert, (seeded["hidden"],))
    with Scope.pipeline(a).transaction() as tx:
        tx.execute(insert, (seeded["hidden"],))
        assert tx.execute("SELECT count(*) AS n FROM face_embeddings").fetchone()["n"] == 2


def test_a_visitor_records_find_me_sessions_of_its_event_only(two_events) -> None:
    a, b, _, _ = two_events
    from eventlens.findme.session import find_me_scope, session_key

    tab = "tab-0123456789abcdef"
    insert = (
        "INSERT INTO match_sessions (event_id, model, embedding, confidence_band, session_key)"
        " VALUES (%s, 'sface', %s::vector, 'none', %s)"
    )
    with find_me_scope(a, tab).transaction() as tx:
        tx.execute(insert, (a.id, VECTOR, session_key(a, tab)))
        assert tx.execute("SELECT count(*) AS n FROM match_sessions").fetchone()["n"] == 1  # its own only
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
        find_me_scope(a, tab).transaction() as tx,
    ):
        tx.execute(insert, (b.id, VECTOR, session_key(a, tab)))
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
        Scope.pipeline(a).transaction() as tx,
    ):
        tx.execute(insert, (a.id, VECTOR, session_key(a, tab)))


def test_events_are_public_but_only_the_operator_creates_and_only_staff_of_the_event_change_them(
    two_events,
) -> None:
    a, _, _, _ = two_events
    with Scope.visitor().transaction() as tx:
        assert {r["slug"] for r in tx.execute("SELECT slug FROM events").fetchall()} == {"event-a", "event-b"}
    with Scope.visitor(a).transaction() as tx:
        assert tx.execute("UPDATE events SET name = 'pwned'").rowcount == 0
    for actor in ("visitor", "organizer", "pipeline"):
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
            db.transaction(a.id, actor, role=_role(actor)) as tx,
        ):
            tx.execute("INSERT INTO events (slug, name) VALUES ('sneaky', 'Sneaky')")
    with Scope.organizer(a, "alice").transaction() as tx:
        assert tx.execute("UPDATE events SET name = 'Renamed'").rowcount == 1  # its own event only
    with Scope.visitor().transaction() as tx:
        names = {r["slug"]: r["name"] for r in tx.execute("SELECT slug, name FROM events").fetchall()}
    assert names == {"event-a": "Renamed", "event-b": "Event-B"}


@pytest.mark.parametrize("actor", ["visitor", *STAFF])
def test_no_actor_reads_the_password_hash_column(two_events, actor: str) -> None:
    a, _, _, _ = two_events
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"),
        db.transaction(a.id, actor, role=_role(actor)) as tx,
    ):
        tx.execute("SELECT password_hash FROM events")
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"),
        db.transaction(a.id, actor, role=_role(actor)) as tx,
    ):
        tx.execute("SELECT * FROM events")


def test_the_password_hash_answers_the_operator_and_the_events_own_organizer_only(two_events) -> None:
    from eventlens.auth.passwords import verify_password

    a, _, _, _ = two_events

    def stored(event_id: UUID | None, actor: str, slug: str) -> str | None:
        with db.transaction(event_id, actor, role=_role(actor)) as tx:
            return tx.execute("SELECT event_password_hash(%s) AS h", (slug,)).fetchone()["h"]

    assert verify_password("password-event-a", stored(None, "system", "event-a"))
    assert stored(a.id, "organizer", "event-a") == stored(None, "system", "event-a")
    assert stored(a.id, "organizer", "event-b") is None
    assert stored(a.id, "visitor", "event-a") is None
    assert stored(a.id, "pipeline", "event-a") is None
    assert stored(None, "visitor", "event-b") is None


# -- text search: fast under RLS through search_text_candidates(), never past the policies -------


@pytest.fixture
def searchable(make_event, owner_conn):
    """'Harvard' on a visible and a hidden photo of A, and on a photo of B."""
    a, b = make_event("event-a"), make_event("event-b")
    return (
        a,
        b,
        {
            "visible": _photo(owner_conn, a.id, "a1.jpg", "Harvard Alumni"),
            "hidden": _photo(owner_conn, a.id, "a2.jpg", "Harvard Reunion", hidden=True),
            "other": _photo(owner_conn, b.id, "b1.jpg", "Harvard Alumni"),
            "unrelated": _photo(owner_conn, a.id, "a3.jpg", "Coffee"),
        },
    )


def _text_candidates(tx: db.Tx, query: str, include_hidden: bool, ids: list[UUID] | None = None) -> set[UUID]:
    search_repo.tune(tx)
    rows = tx.execute(
        "SELECT id FROM search_text_candidates(%s, %s, 100, 1000, %s, NULL, NULL, NULL, NULL, NULL, NULL, %s)",
        (query, f"%{query}%", include_hidden, ids),
    ).fetchall()
    return {r["id"] for r in rows}


@pytest.mark.parametrize("query", ["harvard", "Harvrd", "arvar"])  # full text, trigram, ILIKE
def test_text_search_never_returns_a_hidden_or_another_events_photo_to_a_visitor(
    searchable, query: str
) -> None:
    a, _, photos = searchable
    every = list(photos.values())
    with Scope.visitor(a).transaction() as tx:
        assert _text_candidates(tx, query, include_hidden=True) == {photos["visible"]}
        assert _text_candidates(tx, query, include_hidden=True, ids=every) == {photos["visible"]}
    with Scope.organizer(a, "alice").transaction() as tx:
        assert _text_candidates(tx, query, include_hidden=True) == {photos["visible"], photos["hidden"]}
        assert _text_candidates(tx, query, include_hidden=False) == {photos["visible"]}
    with Scope.visitor().transaction() as tx:
        assert _text_candidates(tx, query, include_hidden=True) == set()


def test_hybrid_search_as_a_visitor_returns_only_its_events_visible_photos(searchable) -> None:
    a, _, photos = searchable
    with Scope.visitor(a).transaction() as tx:
        search_repo.tune(tx)
        hits = search_repo.hybrid_candidates(
            tx,
            "harvard",
            None,
            "minilm-l6-v2",
            PhotoFilter(include_hidden=True),
            0.3,
            photo_ids=list(photos.values()),
        )
    assert {h.photo.id for h in hits} == {photos["visible"]}
    assert hits[0].fulltext is not None


def test_a_wrong_candidate_list_still_cannot_reach_past_the_policies(searchable, owner_conn) -> None:
    """Even if the text function returned every photo of every event, the rows are read under RLS."""
    a, _, photos = searchable
    owner_conn.execute(
        "CREATE OR REPLACE FUNCTION search_text_candidates(q text, like_pattern text, n integer,"
        " scan_cap integer, include_hidden boolean, only_hidden boolean, in_folder text, with_tag text,"
        " of_kind text, taken_from timestamptz, taken_to timestamptz, photo_ids uuid[])"
        " RETURNS TABLE (id uuid, fulltext real, trigram real) LANGUAGE sql STABLE SECURITY DEFINER"
        " SET search_path = public, pg_temp AS $$ SELECT p.id, 1::real, 1::real FROM photos p $$"
    )
    with Scope.visitor(a).transaction() as tx:
        assert len(_text_candidates(tx, "anything", include_hidden=True)) == 4  # the broken function
        hits = search_repo.hybrid_candidates(
            tx, "anything", None, "minilm-l6-v2", PhotoFilter(include_hidden=True), 0.3
        )
    assert {h.photo.id for h in hits} == {photos["visible"], photos["unrelated"]}
