"""Event isolation is enforced by PostgreSQL itself, not only by WHERE clauses."""

from __future__ import annotations

import psycopg
import pytest

from tests.helpers import scoped

CONTENT_TABLES = ("photos", "face_embeddings", "match_sessions", "pipeline_runs")


def _seed(owner_conn: psycopg.Connection, event_id: object, tag: str) -> None:
    photo = owner_conn.execute(
        "INSERT INTO photos (event_id, source_key, content_hash, filename)"
        " VALUES (%s, %s, %s, %s) RETURNING id",
        (event_id, f"{tag}/a.jpg", f"hash-{tag}", "a.jpg"),
    ).fetchone()[0]
    owner_conn.execute(
        "INSERT INTO face_embeddings (event_id, photo_id, face_index, model, embedding) "
        "VALUES (%s, %s, 0, 'sface', %s::vector)",
        (event_id, photo, "[" + ",".join(["0.1"] * 128) + "]"),
    )
    owner_conn.execute(
        "INSERT INTO match_sessions (event_id, model, embedding, tier)"
        " VALUES (%s, 'sface', %s::vector, 'high')",
        (event_id, "[" + ",".join(["0.1"] * 128) + "]"),
    )
    owner_conn.execute("INSERT INTO pipeline_runs (event_id, phase) VALUES (%s, 'full')", (event_id,))


def test_event_context_sees_none_of_another_events_rows(make_event, owner_conn) -> None:
    a, b = make_event("event-a"), make_event("event-b")
    _seed(owner_conn, a.id, "a")
    _seed(owner_conn, b.id, "b")
    with scoped(a.id) as conn:
        for table in CONTENT_TABLES:
            rows = conn.execute(f"SELECT * FROM {table}").fetchall()  # no WHERE on purpose
            assert rows, f"{table}: event A's own rows must be visible"
            assert all(row["event_id"] == a.id for row in rows), f"{table} leaked event B's rows"


def test_no_event_context_sees_no_content(make_event, owner_conn) -> None:
    a = make_event("event-a")
    _seed(owner_conn, a.id, "a")
    with scoped(None) as conn:
        for table in CONTENT_TABLES:
            assert conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"] == 0


def test_event_context_cannot_write_into_another_event(make_event) -> None:
    a, b = make_event("event-a"), make_event("event-b")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), scoped(a.id) as conn:
        conn.execute(
            "INSERT INTO photos (event_id, source_key, content_hash, filename)"
            " VALUES (%s, 'x', 'h', 'x.jpg')",
            (b.id,),
        )


def test_event_context_cannot_update_another_event(make_event, owner_conn) -> None:
    a, b = make_event("event-a"), make_event("event-b")
    _seed(owner_conn, b.id, "b")
    with scoped(a.id) as conn:
        changed = conn.execute("UPDATE photos SET hidden = true").rowcount
        assert conn.execute("UPDATE events SET name = 'pwned' WHERE id = %s", (b.id,)).rowcount == 0
    assert changed == 0
    assert owner_conn.execute("SELECT count(*) FROM photos WHERE hidden").fetchone()[0] == 0
