"""Connections: a pool per process, and transactions scoped to who acts for which event.

Two login roles, neither a superuser (DESIGN.md "Scope and isolation"):
- the schema owner (`database_url()`: DATABASE_URL, the owner's secret, or the embedded server's
  `eventlens_owner`), which migrations connect as; it owns the tables, so it is not subject to
  row-level security (no FORCE) and is never used to serve a request;
- `eventlens_app` (`app_database_url()`), which the pool logs in as: it owns nothing and never
  bypasses row-level security, and it never needs SET ROLE.

Every transaction states the event it acts for and the kind of actor (transaction-local
settings); the policies read both, so a query that forgets its WHERE clause still sees only what
that actor may see of that event.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import psycopg.rows
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from eventlens.config import Settings, settings
from eventlens.errors import DatabaseResuming

APP_ROLE = "eventlens_app"

AWS_ROOT_CA = Path(__file__).with_name("amazon-root-ca.pem")
"""The roots RDS Proxy's certificate chains to (ACM's Amazon Trust Services, not the RDS CA):
shipped with the code, so verifying the server needs no download at run time."""
RDS_CA_BUNDLE = Path(__file__).with_name("rds-global-bundle.pem")
"""The RDS CA bundle an Aurora cluster endpoint's certificate chains to (AWS publishes it; no
package ships it): `make rds-ca` puts it here before `sam build` (docs/deploy.md)."""

IDLE_SESSION_TIMEOUT_S = 60

_lock = threading.Lock()
_pool: ConnectionPool | None = None
_pool_url: str | None = None


class UnsafeAppRole(RuntimeError):
    """The application's connection would not be bound by row-level security."""


def database_url(cfg: Settings | None = None) -> str:
    """The schema owner's connection (migrations): DATABASE_URL, the owner's secret, or embedded."""
    cfg = cfg or settings()
    if cfg.database_url:
        return cfg.database_url
    if cfg.db_secret_arn:
        return _url_from_secret(cfg, cfg.db_secret_arn)
    from eventlens.db.embedded import embedded_url

    return embedded_url(cfg.pgdata)


def app_database_url(cfg: Settings | None = None) -> str:
    """The application's connection, as `eventlens_app`.

    EVENTLENS_APP_DATABASE_URL if set; else the app's own secret (DB_APP_SECRET_ARN); else the
    owner's server and database with the user `eventlens_app` and EVENTLENS_APP_DB_PASSWORD (none:
    a server that trusts local connections, like the embedded one).
    """
    cfg = cfg or settings()
    if cfg.app_database_url:
        return cfg.app_database_url
    if cfg.db_app_secret_arn:
        return _url_from_secret(cfg, cfg.db_app_secret_arn)
    return as_app(database_url(cfg), cfg.app_db_password)


def as_app(owner_url: str, password: str | None = None) -> str:
    """`owner_url` with the app role's user and password instead of the owner's."""
    params = conninfo_to_dict(owner_url)
    params.pop("password", None)
    params["user"] = APP_ROLE
    if password:
        params["password"] = password
    return make_conninfo("", **params)


def app_password(cfg: Settings | None = None) -> str | None:
    """The app role's configured password (migrations set it on the role), if any."""
    cfg = cfg or settings()
    if cfg.app_db_password:
        return cfg.app_db_password
    if cfg.db_app_secret_arn:
        return str(_secret(cfg.db_app_secret_arn)["password"])
    return None


def _secret(arn: str) -> dict[str, Any]:
    import json

    import boto3

    value: dict[str, Any] = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    )
    return value


def _url_from_secret(cfg: Settings, arn: str) -> str:
    """The AWS connection: to DB_HOST (the cluster endpoint) with a secret's credentials, over TLS
    whose certificate must chain to the CA `ca_bundle` picks and name that host (verify-full): a
    password is never sent to a server that merely offers TLS."""
    secret = _secret(arn)
    host = cfg.db_host or secret["host"]
    return make_conninfo(
        host=host,
        port=secret.get("port", 5432),
        dbname=secret.get("dbname", cfg.db_name),
        user=secret["username"],
        password=secret["password"],
        sslmode="verify-full",
        sslrootcert=str(ca_bundle(cfg, host)),
        # A paused Aurora holds a new connection while it resumes (~15 s): wait that long for it.
        connect_timeout=30,
        # Aurora pauses only once no connection is open: a frozen Lambda's pooled connection would
        # keep it up for as long as the instance lives, so the server closes one idle for a minute
        # (the pool's checkout check replaces it).
        options=f"-c idle_session_timeout={IDLE_SESSION_TIMEOUT_S}s",
    )


def ca_bundle(cfg: Settings, host: str) -> Path:
    """The roots `host`'s certificate must chain to: EVENTLENS_DB_CA_BUNDLE if set; else ACM's
    Amazon roots for an RDS Proxy endpoint (`<name>.proxy-<id>.<region>.rds.amazonaws.com`), the
    RDS CA bundle for anything else (the cluster endpoint)."""
    if cfg.db_ca_bundle is not None:
        return cfg.db_ca_bundle
    if ".proxy-" in host:
        return AWS_ROOT_CA
    if not RDS_CA_BUNDLE.is_file():
        raise RuntimeError(
            f"{RDS_CA_BUNDLE.name} is missing beside eventlens.db: run `make rds-ca` before `sam build`"
            " (docs/deploy.md), or set EVENTLENS_DB_CA_BUNDLE"
        )
    return RDS_CA_BUNDLE


def _configure(conn: psycopg.Connection[Any]) -> None:
    from pgvector.psycopg import register_vector

    check_app_role(conn)
    with suppress(psycopg.ProgrammingError):  # no vector extension yet: before migrations
        register_vector(conn)
    conn.commit()


def check_app_role(conn: psycopg.Connection[Any]) -> None:
    """Refuse a connection that row-level security would not bind: a superuser, a role with
    BYPASSRLS, or one that owns (or may become the owner of) the tables."""
    with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        row = cur.execute(
            "SELECT r.rolname, r.rolsuper OR r.rolbypassrls"
            " OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
            "  AND c.relkind IN ('r', 'p') AND pg_has_role(r.oid, c.relowner, 'MEMBER'))"
            " FROM pg_roles r WHERE r.rolname = current_user"
        ).fetchone()
    assert row is not None
    name, unsafe = row
    if unsafe:
        raise UnsafeAppRole(
            f"the application connected as {name!r}, which bypasses row-level security (a superuser,"
            f" BYPASSRLS or the tables' owner): it must connect as {APP_ROLE}"
            " (see EVENTLENS_APP_DATABASE_URL / DB_APP_SECRET_ARN)"
        )


def pool() -> ConnectionPool:
    """The process's connections, opened on demand up to `db_pool_size`: a Lambda needs one or two,
    the embedded server one per invocation it runs at once."""
    global _pool, _pool_url
    with _lock:
        if _pool is None:
            _pool_url = app_database_url()
            _pool = ConnectionPool(
                _pool_url,
                min_size=1,
                max_size=settings().db_pool_size,
                kwargs={"row_factory": dict_row, "autocommit": False},
                configure=_configure,
                # A Lambda sleeps between invocations and RDS Proxy or the server may have closed an
                # idle connection meanwhile: each checkout is checked (one empty round trip) and a
                # dead connection replaced before a transaction ever sees it.
                check=ConnectionPool.check_connection,
                max_idle=300,
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
def transaction(
    event_id: UUID | None,
    actor: str,
    subject: str | None = None,
    origin: str | None = None,
    role: str | None = None,
    organization_id: UUID | None = None,
) -> Iterator[Tx]:
    """One transaction as the app role, for `actor` acting in `event_id` (None: no event's rows).

    The pool is logged in as `eventlens_app` (no SET ROLE). Row-level security reads these
    settings; they are transaction-local, so a pooled connection carries nothing into the next
    transaction. Call through `eventlens.scope.Scope.transaction`.
    """
    connections = pool()
    conn = _checkout(connections)
    try:
        with conn.transaction():
            _scope_settings(conn, event_id, actor, subject, origin, role, organization_id)
            yield conn
    finally:
        connections.putconn(conn)


def _checkout(connections: ConnectionPool) -> psycopg.Connection[Any]:
    """A pooled connection within `db_connect_wait_s`, else DatabaseResuming (503, Retry-After).

    The pool keeps connecting in the background (with backoff) after the wait gives up, so the
    retry the client is told to make finds the database resumed rather than starting over."""
    wait = settings().db_connect_wait_s
    try:
        return connections.getconn(timeout=wait)
    except (PoolTimeout, psycopg.OperationalError) as exc:
        raise DatabaseResuming(
            "The database is starting up (it pauses when the gallery is idle); try again in a few seconds.",
            retry_after_s=max(5, round(wait)),
        ) from exc


def _scope_settings(
    conn: psycopg.Connection[Any],
    event_id: UUID | None,
    actor: str,
    subject: str | None,
    origin: str | None,
    role: str | None,
    organization_id: UUID | None,
) -> None:
    conn.execute(
        "SELECT set_config('eventlens.event_id', %s, true), set_config('eventlens.actor', %s, true),"
        " set_config('eventlens.subject', %s, true), set_config('eventlens.origin', %s, true),"
        " set_config('eventlens.role', %s, true), set_config('eventlens.organization_id', %s, true)",
        (
            "" if event_id is None else str(event_id),
            actor,
            subject or "",
            origin or "",
            role or "",
            "" if organization_id is None else str(organization_id),
        ),
    )


def ping() -> None:
    """Raise unless the database answers (the health route)."""
    with transaction(None, "visitor") as tx:
        tx.execute("SELECT 1")


@contextmanager
def advisory_lock(name: str) -> Iterator[bool]:
    """Try a session-level advisory lock on a connection of its own, held while the block runs.

    Yields False when another session holds it. The lock dies with its connection, so a killed
    process never leaves it behind.
    """
    with psycopg.connect(app_database_url(), autocommit=True) as conn:
        conn.execute("SET idle_session_timeout = 0")  # held idle for a whole run: never closed under it
        row = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (name,)).fetchone()
        held = bool(row and row[0])
        try:
            yield held
        finally:
            # Released now, not when the server notices the closed connection: a caller taking
            # the lock again right after (the next sync) would otherwise find it still held.
            if held and not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,))
