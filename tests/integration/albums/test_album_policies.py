"""The album tables' policies (migration 0018) mirror the table of rights and hold the person's own
rules without the service: direct queries as the application role, one probe per action, every
role, against the permission matrix's written-out spec; and a ban refuses rating and contributing
but not flagging, in the database itself."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import psycopg
import pytest
from eventlens import db

from tests.integration.api.test_permission_matrix import EXPECTED, ROLE_NAMES


@pytest.fixture
def seeded(make_event, people, owner_conn) -> dict[str, UUID]:
    org = people.organization("org-a")
    event = make_event("probe", organization="org-a", visibility="private")
    owner = people.person("owner@example.org")
    prober = people.person("prober@example.org")
    album = owner_conn.execute(
        "INSERT INTO albums (organization_id, event_id, owner_id, title, contribution_policy)"
        " VALUES (%s, %s, %s, 'Probe', 'OPEN') RETURNING id",
        (org, event.id, owner),
    ).fetchone()[0]
    obj = owner_conn.execute(
        "INSERT INTO stored_objects (organization_id, key, owned) VALUES (%s, 'events/probe/albums/x.jpg', true)"
        " RETURNING id",
        (org,),
    ).fetchone()[0]
    owner_conn.execute(
        "INSERT INTO album_items (album_id, event_id, object_id, contributor_id, status)"
        " VALUES (%s, %s, %s, %s, 'pending')",
        (album, event.id, obj, owner),
    )
    return {"org": org, "event": event.id, "album": album, "object": obj, "prober": prober}


def _rows(tx: db.Tx, sql: str, *args: object) -> int:
    return len(tx.execute(sql, args).fetchall())


def _changed(tx: db.Tx, sql: str, *args: object) -> int:
    try:
        with tx.transaction():
            return tx.execute(sql, args).rowcount
    except psycopg.errors.InsufficientPrivilege:
        return 0


PROBES: dict[str, Callable[[db.Tx, dict[str, UUID]], int]] = {
    "album.create": lambda tx, s: _changed(
        tx,
        "INSERT INTO albums (organization_id, event_id, owner_id, title) VALUES (%s, %s, %s, 'Mine')",
        s["org"],
        s["event"],
        s["prober"],
    ),
    "album.manage": lambda tx, s: _changed(tx, "UPDATE albums SET title = 'Taken' WHERE id = %s", s["album"]),
    "album.moderate": lambda tx, s: _rows(tx, "SELECT id FROM album_items WHERE status = 'pending'"),
    "subject.manage": lambda tx, s: _changed(
        tx, "INSERT INTO subjects (organization_id, kind, name) VALUES (%s, 'place', 'Main stage')", s["org"]
    ),
    "album.rate": lambda tx, s: _changed(
        tx,
        "INSERT INTO album_ratings (album_id, event_id, person_id, stars) VALUES (%s, %s, %s, 4)",
        s["album"],
        s["event"],
        s["prober"],
    ),
    "album.flag": lambda tx, s: _changed(
        tx,
        "INSERT INTO album_flags (album_id, event_id, person_id, reason) VALUES (%s, %s, %s, 'spam')",
        s["album"],
        s["event"],
        s["prober"],
    ),
    "album.contribute": lambda tx, s: _changed(
        tx,
        "INSERT INTO album_items (album_id, event_id, object_id, contributor_id) VALUES (%s, %s, %s, %s)",
        s["album"],
        s["event"],
        s["object"],
        s["prober"],
    ),
}


def _probe(seeded: dict[str, UUID], role: str, probe: Callable[[db.Tx, dict[str, UUID]], int]) -> bool:
    subject = f"person:{seeded['prober']}"
    with (
        db.transaction(seeded["event"], "organizer", subject, role=role, organization_id=seeded["org"]) as tx,
        tx.transaction() as probing,
    ):
        allowed = probe(tx, seeded) > 0
        raise psycopg.Rollback(probing)
    return allowed


@pytest.mark.parametrize("action", sorted(PROBES), ids=lambda action: action.replace(".", "_"))
def test_each_album_policy_lets_exactly_the_roles_of_the_spec_through(seeded, action: str) -> None:
    seen = {role: _probe(seeded, role, PROBES[action]) for role in ROLE_NAMES}
    assert {role for role, allowed in seen.items() if allowed} == EXPECTED[action]


def test_a_person_acts_only_as_itself(seeded, people) -> None:
    someone_else = people.person("else@example.org")
    as_other = {**seeded, "prober": someone_else}
    for action in ("album.rate", "album.flag", "album.contribute", "album.create"):
        subject = f"person:{seeded['prober']}"
        with (
            db.transaction(
                seeded["event"], "organizer", subject, role="ADMIN", organization_id=seeded["org"]
            ) as tx,
            tx.transaction() as probing,
        ):
            assert PROBES[action](tx, as_other) == 0, action
            raise psycopg.Rollback(probing)


def test_the_database_refuses_a_banned_persons_rating_and_items_but_takes_its_flag(
    seeded, owner_conn
) -> None:
    owner_conn.execute(
        "INSERT INTO album_bans (organization_id, person_id, reason) VALUES (%s, %s, 'spam')",
        (seeded["org"], seeded["prober"]),
    )
    assert not _probe(seeded, "VIEWER", PROBES["album.rate"])
    assert not _probe(seeded, "VIEWER", PROBES["album.contribute"])
    assert _probe(seeded, "VIEWER", PROBES["album.flag"])
    assert _probe(seeded, "EDITOR", PROBES["album.moderate"])


def test_a_visitor_reads_approved_items_only(seeded, owner_conn) -> None:
    owner_conn.execute("UPDATE events SET visibility = 'public' WHERE id = %s", (seeded["event"],))
    with db.transaction(seeded["event"], "visitor") as tx:
        assert _rows(tx, "SELECT id FROM albums") == 1
        assert _rows(tx, "SELECT id FROM album_items") == 0
    owner_conn.execute("UPDATE album_items SET status = 'approved'")
    with db.transaction(seeded["event"], "visitor") as tx:
        assert _rows(tx, "SELECT id FROM album_items") == 1
        assert _rows(tx, "SELECT person_id FROM album_bans") == 0
