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
