"""Connections: a pool per process, and transactions scoped to who acts for which event.

Every request runs as the `eventlens_app` role, which never bypasses row-level security, with
the event it acts for and the kind of actor set transaction-locally: a query that forgets its
WHERE clause still sees only what that actor may see of that event.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from eventlens.config import Settings, settings

APP_ROLE = "eventlens_app"

_lock = threading.Lock()
_pool: ConnectionPool | None = None
_pool_url: str | None = None


def database_url(cfg: Settings | None = None) -> str:
    """The server to use: DATABASE_URL, a Secrets Manager secret (AWS), or the embedded one."""
    cfg = cfg or settings()
    if cfg.database_url:
        return cfg.database_url
    if cfg.db_secret_arn:
        return _url_from_secret(cfg)
    from eventlens.db.embedded import embedded_url

    return embedded_url(cfg.pgdata)


def _url_from_secret(cfg: Settings) -> str:
    import json

    import boto3
    from psycopg.conninfo import make_conninfo

    secret = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=cfg.db_secret_arn)["SecretString"]
    )
    return make_conninfo(
        host=cfg.db_host or secret["host"],
        port=secret.get("port", 5432),
        dbname=secret.get("dbname", cfg.db_name),
        user=secret["username"],
        password=secret["password"],
        sslmode="require",
    )


def _configure(conn: psycopg.Connection[Any]) -> None:
    from pgvector.psycopg import register_vector

    with suppress(psycopg.ProgrammingError):  # no vector extension yet: before migrations
        register_vector(conn)
    conn.commit()


def pool() -> ConnectionPool:
    global _pool, _pool_url
    with _lock:
        if _pool is None:
            _pool_url = database_url()
            _pool = ConnectionPool(
                _pool_url,
                min_size=1,
                max_size=8,
                kwargs={"row_factory": dict_row, "autocommit": False},
                configure=_configure,
                open=True,
                name="eventlens",
            )
        return _pool


def close_pool() -> None:
    global _pool, _pool_url
    with _lock:
        if _pool is not None:
            _pool.close()
        _pool, _pool_url = None, None


Tx = psycopg.Connection[dict[str, Any]]
"""A connection inside one scoped transaction: what every repository function takes first."""


@contextmanager
def transaction(event_id: UUID | None, actor: str, subject: str | None = None) -> Iterator[Tx]:
    """One transaction as the app role, for `actor` acting in `event_id` (None: no event's rows).

    Row-level security reads both settings; they are transaction-local, so a pooled connection
    carries nothing into the next transaction. Call through `eventlens.scope.Scope.transaction`.
    """
    with pool().connection() as conn, conn.transaction():
        conn.execute(f"SET LOCAL ROLE {APP_ROLE}")
        conn.execute(
            "SELECT set_config('eventlens.event_id', %s, true), set_config('eventlens.actor', %s, true),"
            " set_config('eventlens.subject', %s, true)",
            ("" if event_id is None else str(event_id), actor, subject or ""),
        )
        yield conn  # type: ignore[misc]


def ping() -> None:
    """Raise unless the database answers (the health route)."""
    with transaction(None, "visitor") as tx:
        tx.execute("SELECT 1")
