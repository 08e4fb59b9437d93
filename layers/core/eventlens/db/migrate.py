"""Versioned SQL migrations, applied once each and recorded in `schema_migrations`.

Files are `migrations/NNNN_name.sql`, applied in order, each in its own transaction under an
advisory lock so two starting processes (Lambdas, a server and a CLI) never race. A file that
changed after it was applied is an error: migrations are append-only.

Migrations connect as the schema owner (`db.database_url()`, never a superuser on Aurora), which
also administers the `eventlens_app` login role: when a password for it is configured
(EVENTLENS_APP_DB_PASSWORD or the app's secret) it is set here, as a SCRAM verifier computed on
this side, so the password itself never reaches the server or its logs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql

from eventlens.db import APP_ROLE, app_password, database_url
from eventlens.db.vectors import ensure_configured_spaces

_LOCK_KEY = 0x6576656E746C656E  # "eventlen"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    folder = resources.files("eventlens.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        if match := _NAME.match(entry.name):
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text()))
    return sorted(found, key=lambda m: m.version)


def upgrade(url: str | None = None, *, to: int | None = None) -> list[str]:
    """Apply pending migrations (up to version `to`, if given: a test seeds data an older schema
    held) and build the configured vector indexes; return what was applied."""
    applied: list[str] = []
    with psycopg.connect(url or database_url(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {
                row[0]: row[1]
                for row in conn.execute("SELECT version, checksum FROM schema_migrations").fetchall()
            }
            for migration in available():
                if to is not None and migration.version > to:
                    break
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationError(f"{migration.name} changed after it was applied")
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied.append(migration.name)
            applied += sync_role_rights(conn)
            applied += ensure_configured_spaces(conn)
            applied += build_event_indexes(conn)
            if password := app_password():
                set_app_password(conn, password)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied


def sync_role_rights(conn: psycopg.Connection[Any]) -> list[str]:
    """Copy the code's table of rights (`access.rights.TABLE`) into `role_rights`, which the
    policies' `may(action)` reads: on every upgrade, so a changed right needs no migration."""
    if conn.execute("SELECT to_regclass('role_rights')").fetchone() == (None,):
        return []  # a schema older than migration 0015
    from eventlens.access.rights import rows

    wanted = set(rows())
    held = {(row[0], row[1]) for row in conn.execute("SELECT role, action FROM role_rights").fetchall()}
    if wanted == held:
        return []
    with conn.transaction():
        conn.execute("DELETE FROM role_rights")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO role_rights (role, action) VALUES (%s, %s)", sorted(wanted))
    return [f"role_rights: {len(wanted)} rights"]


def build_event_indexes(conn: psycopg.Connection[Any]) -> list[str]:
    """Each large event's own vector index, built (and a stale one dropped) by the schema owner:
    migration 0013's `event_vector_index_ddl()`, one statement at a time outside a transaction
    (CONCURRENTLY: searches go on meanwhile). Runs on every upgrade, i.e. every deploy and every
    embedded command; an event that grew large since is indexed then."""
    if conn.execute("SELECT to_regprocedure('event_vector_index_ddl()')").fetchone() == (None,):
        return []  # a schema older than migration 0013 (`upgrade(to=...)`)
    statements = [row[0] for row in conn.execute("SELECT event_vector_index_ddl()").fetchall()]
    for statement in statements:
        conn.execute(statement)
    return [statement.split(" ON ")[0] for statement in statements]


def build_indexes_between_deploys(url: str | None = None) -> list[str] | None:
    """`build_event_indexes` on its own, for an event that grew large since the last deploy (the
    pipeline's last step asks for it after every run): None when an upgrade or another build holds
    the lock, as that one builds the same indexes."""
    with psycopg.connect(url or database_url(), autocommit=True) as conn:
        if conn.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,)).fetchone() != (True,):
            return None
        try:
            return build_event_indexes(conn)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))


def set_app_password(conn: psycopg.Connection[Any], password: str) -> None:
    """Give `eventlens_app` this password (as a SCRAM-SHA-256 verifier, not in clear text)."""
    verifier = conn.pgconn.encrypt_password(password.encode(), APP_ROLE.encode(), b"scram-sha-256")
    conn.execute(
        sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(APP_ROLE), sql.Literal(verifier.decode()))
    )
