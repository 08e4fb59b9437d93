"""Shared fixtures: one embedded PostgreSQL per test session, a fresh database per test.

Each test that asks for `db` gets its own migrated database and its own EVENTLENS_HOME (blobs,
token secret), and the process-wide pool, settings and blob store point at them.

Roles as on Aurora (DESIGN.md "Scope and isolation"): the server's superuser only does the
platform step, once per session (the owner role `eventlens_owner`: LOGIN CREATEROLE, no
superuser) and once per database (the database owned by it, extensions vector and pg_trgm).
Migrations run as that owner; the application's pool logs in as `eventlens_app`, which the first
database's migrations create (roles are cluster-wide; each database grants it its privileges).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """Outside pytest's private tmp: as root, pgserver runs PostgreSQL as its own user."""
    import pgserver

    root = Path(tempfile.mkdtemp(prefix="eventlens-pg-"))
    server = pgserver.get_server(root / "data", cleanup_mode="stop")
    yield server
    from pgserver._commands import pg_ctl

    # A throwaway cluster: stop it at once rather than wait for stray pool connections.
    with contextlib.suppress(Exception):
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=root / "data", user=server.system_user, timeout=30)  # type: ignore[attr-defined]
    server.cleanup()  # type: ignore[attr-defined]
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_admin_url(pg_server: object) -> str:
    """The server's superuser (the platform administrator): provisioning only, never the app."""
    from eventlens.db.embedded import create_owner_role

    admin = str(pg_server.get_uri("postgres"))  # type: ignore[attr-defined]
    with psycopg.connect(admin, autocommit=True) as conn:
        create_owner_role(conn)  # once per session: roles are cluster-wide
    return admin


@pytest.fixture
def db_url(pg_admin_url: str) -> str:
    """A fresh, unmigrated database owned by `eventlens_owner`, with its extensions: the owner's URL."""
    from eventlens.db.embedded import provision

    return provision(pg_admin_url, f"t_{os.getpid()}_{next(_counter)}")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EVENTLENS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EVENTLENS_TOKEN_SECRET", "test-secret-" + "x" * 32)
    _reset_process_state()
    yield tmp_path / "home"
    _reset_process_state()


@pytest.fixture
def db(home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database for this test; returns its URL (the owner's)."""
    from eventlens.db.migrate import upgrade

    monkeypatch.setenv("DATABASE_URL", db_url)
    for other in (
        "EVENTLENS_APP_DATABASE_URL",
        "EVENTLENS_APP_DB_PASSWORD",
        "DB_SECRET_ARN",
        "DB_APP_SECRET_ARN",
    ):
        monkeypatch.delenv(other, raising=False)  # the app's URL is derived: eventlens_app, same database
    _reset_process_state()
    upgrade(db_url)
    yield db_url
    _reset_process_state()


@pytest.fixture
def owner_conn(db: str) -> Iterator[psycopg.Connection]:
    """The schema owner (not a superuser; the policies do not apply to it): seeds and inspects rows."""
    with psycopg.connect(db, autocommit=True) as conn:
        yield conn


def _reset_process_state() -> None:
    from eventlens.config import reset_settings
    from eventlens.db import close_pool
    from eventlens.storage import blob_store

    close_pool()
    reset_settings()
    blob_store.cache_clear()


@pytest.fixture
def make_event(db: str):
    """Create an event (organizer password 'password-<slug>') and return it."""
    from eventlens.events.service import create_event

    def make(slug: str = "demo", name: str | None = None, **settings: object):
        return create_event(slug, name or slug.title(), password=f"password-{slug}", **settings)

    return make


@pytest.fixture
def photo_dir(tmp_path: Path) -> Callable[[dict[str, bytes]], Path]:
    """Write {relative name: bytes} under a fresh folder and return it."""

    def make(files: dict[str, bytes]) -> Path:
        root = tmp_path / "photos"
        for name, data in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return root

    return make


@pytest.fixture
def people(db: str, owner_conn: psycopg.Connection):
    """Organizations, people and grants seeded as the schema owner, and tokens for the people."""
    from tests.helpers import People

    return People(owner_conn)
