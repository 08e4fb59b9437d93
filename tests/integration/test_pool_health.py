"""A connection the server (or RDS Proxy) closed while the process slept is never handed to a
transaction: the pool checks each checkout and replaces a dead connection."""

from __future__ import annotations

import psycopg
from eventlens import db
from eventlens.events.service import get_event


def test_a_connection_closed_by_the_server_is_replaced_before_the_next_request(
    make_event, pg_admin_url
) -> None:
    make_event("healthy")
    assert get_event("healthy").slug == "healthy"  # the pool holds an open connection now

    with psycopg.connect(pg_admin_url, autocommit=True) as admin:  # as the server's idle timeout would
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'eventlens_app'"
        ).fetchone()
    assert killed is not None
    assert killed[0] >= 1

    assert get_event("healthy").slug == "healthy"  # no "server closed the connection unexpectedly"
    with db.transaction(None, "system") as tx:
        assert tx.execute("SELECT 1 AS one").fetchone() == {"one": 1}


def test_the_app_role_may_ask_the_server_to_close_its_idle_sessions(make_event) -> None:
    """The AWS URL asks PostgreSQL (startup option) to close an app session idle for a while, so a
    frozen Lambda's connection does not keep a paused-at-0-ACU Aurora awake: eventlens_app may set
    it, the server does close the session, and the pool then serves the next request anyway."""
    import time

    make_event("idle")
    url = db.app_database_url()
    with psycopg.connect(url, options="-c idle_session_timeout=1s", autocommit=True) as conn:
        assert conn.execute("SHOW idle_session_timeout").fetchone() == ("1s",)
        time.sleep(1.6)
        try:
            conn.execute("SELECT 1")
            closed = False
        except psycopg.OperationalError:
            closed = True
    assert closed
    assert get_event("idle").slug == "idle"
