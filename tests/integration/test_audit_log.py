"""The audit log: one entry per sensitive action, written in the action's own transaction; who,
for which event and from where come from the transaction, never the caller; append-only for the
application; chained by hash so a changed or removed entry is found."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from click.testing import CliRunner
from eventlens import db
from eventlens.audit import service as audit
from eventlens.auth.service import login, set_password, sign_out_everywhere
from eventlens.cli import main
from eventlens.errors import LoginFailed, TooManySignIns
from eventlens.events.service import delete_event, update_event
from eventlens.findme.service import purge_expired_templates
from eventlens.moderation.service import update_photo
from eventlens.scope import Scope

from tests.fixtures_photos import real_jpeg
from tests.helpers import scoped, stored_photo


def entries(event=None) -> list[dict]:
    with scoped(None if event is None else event.id) as tx:
        return tx.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()


def actions(event=None) -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in entries(event)]


def test_every_sensitive_action_writes_exactly_one_entry(db: str, make_event, owner_conn) -> None:
    event = make_event("audited")  # make_event creates it through the service: event_create
    organizer = Scope.organizer(event, "alice").coming_from("203.0.113.7")
    photo = stored_photo(event.id, "a.jpg", real_jpeg("coffee", (64, 40)))

    login("audited", "password-audited", client="198.51.100.1")
    with pytest.raises(LoginFailed):
        login("audited", "wrong", client="198.51.100.2")
    update_photo(organizer, photo.id, hidden=True)
    update_photo(organizer, photo.id, hidden=False, review="rejected")
    update_photo(organizer, photo.id, review="approved")
    changed = update_event(organizer, settings_patch={"nsfw_threshold": 0.5})
    update_event(organizer.at(changed), settings_patch={"nsfw_threshold": 0.5})  # no change: no entry
    set_password(organizer, "a-new-password")
    sign_out_everywhere(organizer)
    with scoped(event.id) as tx:
        tx.execute(
            "INSERT INTO match_sessions (event_id, model, confidence_band, session_key, embedding, created_at)"
            " VALUES (%s, 'sface', 'none', %s, %s::vector, now() - interval '2 hours')",
            (event.id, "a" * 64, "[" + ",".join(["0.1"] * 128) + "]"),
        )
    assert purge_expired_templates(event=event) == 1

    assert actions(event) == [
        ("event_create", "ok"),
        ("sign_in", "ok"),
        ("sign_in", "refused"),
        ("photo_hide", "ok"),
        ("photo_unhide", "ok"),
        ("photo_reject", "ok"),
        ("photo_approve", "ok"),
        ("settings_change", "ok"),
        ("password_change", "ok"),
        ("sign_out_everywhere", "ok"),
        ("face_templates_purge", "ok"),
    ]
    log = entries(event)
    assert (log[1]["origin"], log[2]["origin"], log[2]["detail"]["reason"]) == (
        "198.51.100.1",
        "198.51.100.2",
        "LoginFailed",
    )
    hide = log[3]
    assert (hide["actor"], hide["subject"], hide["origin"], hide["target"]) == (
        "organizer",
        "alice",
        "203.0.113.7",
        str(photo.id),
    )
    assert log[7]["detail"]["changes"]["settings"]["before"]["nsfw_threshold"] == 0.8
    assert log[7]["detail"]["changes"]["settings"]["after"]["nsfw_threshold"] == 0.5
    assert log[10]["detail"] == {"templates": 1, "retention_minutes": 30}

    delete_event("audited")
    assert actions(event)[-1] == ("event_delete", "ok")  # the trail outlives the event
    assert audit.verify(Scope.system()).intact


def test_a_throttled_sign_in_is_recorded_as_refused(db: str, make_event) -> None:
    event = make_event("guessed")
    refused = 0
    for i in range(12):
        try:
            login("guessed", f"wrong-{i}", client="192.0.2.9")
        except (LoginFailed, TooManySignIns):
            refused += 1
    reasons = [e["detail"]["reason"] for e in entries(event) if e["action"] == "sign_in"]
    assert len(reasons) == refused == 12
    assert "TooManySignIns" in reasons


def test_the_caller_cannot_say_who_when_or_where(make_event) -> None:
    event = make_event("forged")
    with db.transaction(event.id, "visitor", "someone", "192.0.2.1") as tx:
        tx.execute(
            "INSERT INTO audit_log (action, actor, subject, origin, event_id, at, seq, hash, prev_hash)"
            " VALUES ('sign_in', 'system', 'root', 'localhost', NULL, '2000-01-01', 999, 'x', 'y')"
        )
    forged = entries(event)[-1]
    assert (forged["actor"], forged["subject"], forged["origin"], forged["event_id"]) == (
        "visitor",
        "someone",
        "192.0.2.1",
        event.id,
    )
    assert (forged["seq"], forged["at"].year > 2000) == (len(entries()), True)
    assert audit.verify(Scope.system()).intact


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET outcome = 'ok'", "DELETE FROM audit_log", "TRUNCATE audit_log"]
)
def test_the_application_can_only_append(make_event, statement: str) -> None:
    make_event("append-only")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction(None, "system") as tx:
        tx.execute(statement)


def test_who_reads_which_entries(make_event) -> None:
    a, b = make_event("reader-a"), make_event("reader-b")
    with db.transaction(a.id, "visitor") as tx:
        assert tx.execute("SELECT count(*) AS n FROM audit_log").fetchone() == {"n": 0}
    with db.transaction(a.id, "organizer", "alice", role="ADMIN") as tx:
        assert {r["event_id"] for r in tx.execute("SELECT event_id FROM audit_log")} == {a.id}
    with db.transaction(a.id, "organizer", "eddie", role="EDITOR") as tx:  # audit.read: ADMIN and up
        assert tx.execute("SELECT count(*) AS n FROM audit_log").fetchone() == {"n": 0}
    page = audit.entries(Scope.organizer(b, "bob"))
    assert [e.action for e in page.entries] == ["event_create"]
    assert {e.event_id for e in audit.entries(Scope.system()).entries} >= {a.id, b.id}


def test_concurrent_appends_keep_one_unbroken_chain(make_event) -> None:
    event = make_event("busy")

    def append(i: int) -> int:
        with Scope.system(event).transaction() as tx:
            return audit.record(tx, "settings_change", f"t{i}", n=i)

    with ThreadPoolExecutor(8) as pool:
        seqs = list(pool.map(append, range(64)))

    assert sorted(seqs) == list(range(min(seqs), min(seqs) + 64))
    result = audit.verify(Scope.system())
    assert (result.intact, result.entries) == (True, len(entries()))


def test_verify_finds_a_changed_and_a_removed_entry(make_event, pg_admin_url, db: str) -> None:
    make_event("tampered")
    for i in range(3):
        with Scope.system().transaction() as tx:
            audit.record(tx, "settings_change", f"t{i}")
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "audit log intact" in ok.output

    database = psycopg.conninfo.conninfo_to_dict(db)["dbname"]
    admin_url = psycopg.conninfo.make_conninfo(pg_admin_url, dbname=database)
    with psycopg.connect(admin_url, autocommit=True) as admin:  # someone with the keys to the database
        admin.execute("UPDATE audit_log SET detail = '{\"n\": 1}' WHERE seq = 2")
        admin.execute("DELETE FROM audit_log WHERE seq = 3")

    bad = runner.invoke(main, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "entry 2: was changed after it was written" in bad.output
    assert "entry 4: does not follow the entry before it" in bad.output
    assert "entries 3 to 3 are missing" in bad.output


def test_export_writes_every_entry_as_a_json_line_and_is_itself_recorded(make_event) -> None:
    make_event("exported")
    result = CliRunner().invoke(main, ["audit", "export"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["action"] for line in lines] == ["event_create", "audit_export"]
    assert all(len(line["hash"]) == 64 for line in lines)
    assert lines[-1]["origin"] == "cli"
