"""The database's policies mirror the table of rights: direct queries as the application role, one
probe per action the policies check, for every role, against the written-out spec of the
permission matrix (not the code's table). Service-only actions (uploads, runs, deletion,
transfer, creating events and organizations) are carried out as the pipeline or the operator
after the service's check; docs/roles.md lists them."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import psycopg
import pytest
from eventlens import db

from tests.integration.api.test_permission_matrix import EXPECTED, ROLE_NAMES

VECTOR = "[" + ",".join(["0.1"] * 128) + "]"


@pytest.fixture
def seeded(make_event, people, owner_conn) -> dict[str, UUID]:
    org = people.organization("org-a")
    event = make_event("probe", organization="org-a", visibility="private")
    photos = {}
    for name, hidden in (("public.jpg", False), ("hidden.jpg", True)):
        row = owner_conn.execute(
            "INSERT INTO photos (event_id, source_key, content_hash, filename, hidden, analyze_status)"
            " VALUES (%s, %s, %s, %s, %s, 'completed') RETURNING id",
            (event.id, f"originals/{name}", f"hash-{name}", name, hidden),
        ).fetchone()
        photos[name] = row[0]
    owner_conn.execute(
        "INSERT INTO match_sessions (event_id, model, embedding, confidence_band) VALUES (%s, 'sface', %s::vector, 'high')",
        (event.id, VECTOR),
    )
    owner_conn.execute("INSERT INTO pipeline_runs (event_id, phase) VALUES (%s, 'full')", (event.id,))
    member = people.person("member@example.org")
    people.grant(member, "VIEWER", event=event.id)
    return {"org": org, "event": event.id, "public": photos["public.jpg"], "member": member}


def _rows(tx: db.Tx, sql: str, *args: object) -> int:
    return len(tx.execute(sql, args).fetchall())


def _changed(tx: db.Tx, sql: str, *args: object) -> int:
    try:
        with tx.transaction():  # a savepoint: a refused write leaves the probe's transaction usable
            return tx.execute(sql, args).rowcount
    except psycopg.errors.InsufficientPrivilege:
        return 0


PROBES: dict[str, tuple[str, Callable[[db.Tx, dict[str, UUID]], int]]] = {
    "gallery.view": ("visitor", lambda tx, s: _rows(tx, "SELECT id FROM photos")),
    "members.view": ("organizer", lambda tx, s: _rows(tx, "SELECT id FROM grants")),
    "members.manage": (
        "organizer",
        lambda tx, s: _changed(tx, "UPDATE grants SET role = 'VIEWER' WHERE person_id = %s", s["member"]),
    ),
    "event.inspect": ("organizer", lambda tx, s: _rows(tx, "SELECT id FROM photos WHERE hidden")),
    "photo.moderate": (
        "organizer",
        lambda tx, s: _changed(tx, "UPDATE photos SET hidden = true WHERE id = %s", s["public"]),
    ),
    "photo.delete": (
        "organizer",
        lambda tx, s: _changed(tx, "DELETE FROM photos WHERE id = %s", s["public"]),
    ),
    "findme.analytics": ("organizer", lambda tx, s: _rows(tx, "SELECT id FROM match_sessions")),
    "event.settings": (
        "organizer",
        lambda tx, s: _changed(tx, "UPDATE events SET name = 'Probed' WHERE id = %s", s["event"]),
    ),
    "audit.read": ("organizer", lambda tx, s: _rows(tx, "SELECT seq FROM audit_log")),
    "org.manage": (
        "organizer",
        lambda tx, s: _changed(tx, "UPDATE organizations SET name = 'Probed' WHERE id = %s", s["org"]),
    ),
}


@pytest.mark.parametrize("action", sorted(PROBES), ids=lambda action: action.replace(".", "_"))
def test_each_policy_lets_exactly_the_roles_of_the_spec_through(seeded, action: str) -> None:
    actor, probe = PROBES[action]
    seen = {}
    for role in ROLE_NAMES:
        organization_level = action.startswith("org.")
        event_id = None if organization_level else seeded["event"]
        with (
            db.transaction(event_id, actor, "probe", role=role, organization_id=seeded["org"]) as tx,
            tx.transaction() as probing,  # undone: each role probes the same rows
        ):
            seen[role] = probe(tx, seeded) > 0
            raise psycopg.Rollback(probing)
    assert {role for role, allowed in seen.items() if allowed} == EXPECTED[action]


def test_without_a_role_a_private_event_shows_nothing_and_a_role_in_one_event_is_nothing_in_another(
    seeded, make_event
) -> None:
    with db.transaction(seeded["event"], "visitor") as tx:
        assert _rows(tx, "SELECT id FROM photos") == 0
    other = make_event("other", organization="org-a", visibility="private")
    with db.transaction(other.id, "organizer", "probe", role="ADMIN", organization_id=seeded["org"]) as tx:
        assert _rows(tx, "SELECT id FROM photos") == 0  # the event in scope is the only one a query sees
        assert _changed(tx, "UPDATE events SET name = 'x' WHERE id = %s", seeded["event"]) == 0
