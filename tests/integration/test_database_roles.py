"""Database roles as on Aurora: a non-superuser schema owner, an application role that logs in.

No superuser anywhere: migrations run as an owner with CREATEROLE only (Aurora's master user),
the application logs in as `eventlens_app` (no SET ROLE), which owns nothing and bypasses nothing.
"""

from __future__ import annotations

import eventlens.db as eventlens_db
import psycopg
import pytest
from eventlens.config import load_settings
from eventlens.scope import Scope


def test_migrations_ran_as_a_non_superuser_owner(db: str, owner_conn) -> None:
    row = owner_conn.execute(
        "SELECT current_user, rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row == ("eventlens_owner", False, True, False)
    owners = owner_conn.execute(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
        " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'i')"
    ).fetchall()
    assert owners == [("eventlens_owner",)]  # schema_migrations included: the migrating user
    assert owner_conn.execute(
        "SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'search_text_candidates'"
    ).fetchone() == ("eventlens_owner",)


def test_the_app_logs_in_as_eventlens_app_without_set_role(make_event) -> None:
    event = make_event("roles")
    with Scope.visitor(event).transaction() as tx:
        row = tx.execute(
            "SELECT current_user, session_user, rolsuper, rolbypassrls, rolcanlogin"
            " FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == {
            "current_user": "eventlens_app",
            "session_user": "eventlens_app",  # logged in as itself: no SET ROLE happened
            "rolsuper": False,
            "rolbypassrls": False,
            "rolcanlogin": True,
        }
        assert tx.execute("SHOW role").fetchone() == {"role": "none"}


def test_the_app_role_owns_nothing_and_cannot_become_the_owner(make_event, owner_conn) -> None:
    assert (
        owner_conn.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = 'eventlens_app'::regrole"
            " OR relnamespace = 'public'::regnamespace AND relowner IN"
            "  (SELECT roleid FROM pg_auth_members WHERE member = 'eventlens_app'::regrole)"
        ).fetchone()[0]
        == 0
    )
    event = make_event("roles")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), Scope.system(event).transaction() as tx:
        tx.execute("SET LOCAL ROLE eventlens_owner")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), Scope.system(event).transaction() as tx:
        tx.execute("CREATE TABLE sneaky (id int)")  # no CREATE on the schema either


def test_the_owner_administers_the_app_role_but_cannot_act_as_it(db: str, owner_conn) -> None:
    """PostgreSQL 16+: CREATEROLE administers the roles it created, without SET ROLE to them."""
    owner_conn.execute("ALTER ROLE eventlens_app LOGIN")  # administers it (the migration does this)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        owner_conn.execute("SET ROLE eventlens_app")


def test_the_app_refuses_a_connection_that_bypasses_row_level_security(
    db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from eventlens.config import reset_settings
    from psycopg_pool import PoolTimeout

    with psycopg.connect(db) as owner, pytest.raises(eventlens_db.UnsafeAppRole, match="eventlens_owner"):
        eventlens_db.check_app_role(owner)
    monkeypatch.setenv("EVENTLENS_APP_DATABASE_URL", db)  # the owner's URL by mistake
    eventlens_db.close_pool()
    reset_settings()
    with pytest.raises(PoolTimeout), eventlens_db.pool().connection(timeout=2):
        pass
    assert "bypasses row-level security" in caplog.text


def test_migrations_set_the_app_password_as_a_scram_verifier(
    db: str, pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventlens.config import reset_settings
    from eventlens.db.migrate import upgrade

    monkeypatch.setenv("EVENTLENS_APP_DB_PASSWORD", "app-secret-123")
    reset_settings()
    try:
        assert upgrade(db) == []  # nothing to migrate; the password is still set
        with psycopg.connect(pg_admin_url) as admin:  # only a superuser may read pg_authid
            stored = admin.execute(
                "SELECT rolpassword FROM pg_authid WHERE rolname = 'eventlens_app'"
            ).fetchone()
        assert stored is not None
        assert stored[0].startswith("SCRAM-SHA-256$")
        assert "app-secret-123" not in stored[0]
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute("ALTER ROLE eventlens_app PASSWORD NULL")


def test_database_url_is_the_owners_and_the_app_url_is_derived_from_it() -> None:
    env = {
        "EVENTLENS_HOME": "/tmp/unused",
        "DATABASE_URL": "postgresql://master:m-pw@db.example:5433/eventlens?sslmode=require",
        "EVENTLENS_APP_DB_PASSWORD": "app-pw",
    }
    cfg = load_settings(env)
    assert eventlens_db.database_url(cfg) == env["DATABASE_URL"]
    app = psycopg.conninfo.conninfo_to_dict(eventlens_db.app_database_url(cfg))
    assert app == {
        "user": "eventlens_app",
        "password": "app-pw",
        "host": "db.example",
        "port": "5433",
        "dbname": "eventlens",
        "sslmode": "require",
    }
    assert eventlens_db.app_password(cfg) == "app-pw"
    explicit = load_settings(
        {**env, "EVENTLENS_APP_DATABASE_URL": "postgresql://eventlens_app:x@proxy/eventlens"}
    )
    assert eventlens_db.app_database_url(explicit) == "postgresql://eventlens_app:x@proxy/eventlens"


def test_a_database_an_earlier_version_migrated_as_superuser_is_handed_over_to_the_owner(
    pg_admin_url: str, home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Embedded data from before 0006 (migrated as pgserver's superuser) upgrades as the owner."""
    import uuid

    from eventlens.db import migrate
    from eventlens.db.embedded import provision

    name = f"legacy_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # owned by the superuser, as before
    superuser_url = psycopg.conninfo.make_conninfo(pg_admin_url, dbname=name)
    earlier = [m for m in migrate.available() if m.version < 6]
    with monkeypatch.context() as patch:
        patch.setattr(migrate, "available", lambda: earlier)
        migrate.upgrade(superuser_url)
    with psycopg.connect(superuser_url) as conn:
        assert conn.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'photos'"
        ).fetchone() == ("postgres",)
        assert conn.execute(
            "SELECT count(*) FROM pg_proc WHERE proleakproof AND proname = 'texticlike'"
        ).fetchone() == (1,)

    owner_url = provision(pg_admin_url, name)
    assert [a for a in migrate.upgrade(owner_url) if a.endswith(".sql")] == [
        m.name for m in migrate.available() if m.version >= 6
    ]
    with psycopg.connect(owner_url) as conn:
        assert conn.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        ).fetchall() == [("eventlens_owner",)]
        assert conn.execute(
            "SELECT count(*) FROM pg_proc WHERE proleakproof AND proname = 'texticlike'"
        ).fetchone() == (0,)
    with psycopg.connect(eventlens_db.as_app(owner_url)) as app:
        app.execute("SELECT set_config('eventlens.actor', 'visitor', true)")
        assert app.execute("SELECT current_user, count(*) FROM photos").fetchone() == ("eventlens_app", 0)
