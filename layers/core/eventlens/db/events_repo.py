"""SQL for events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from eventlens.domain import Event, EventSettings


class EventNotFound(LookupError):
    pass


class EventExists(ValueError):
    pass


def _event(row: dict[str, Any]) -> Event:
    return Event(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        settings=EventSettings.model_validate(row["settings"] or {}),
        created_at=row["created_at"],
    )


def create_event(
    conn: psycopg.Connection[Any],
    slug: str,
    name: str,
    password_hash: str | None,
    settings: EventSettings | None = None,
) -> Event:
    settings = settings or EventSettings()
    try:
        row = conn.execute(
            "INSERT INTO events (slug, name, password_hash, settings) VALUES (%s, %s, %s, %s) "
            "RETURNING id, slug, name, settings, created_at",
            (slug, name, password_hash, Jsonb(settings.model_dump())),
        ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise EventExists(f"an event with slug {slug!r} already exists") from None
    assert row is not None
    return _event(row)


def get_event(conn: psycopg.Connection[Any], slug: str) -> Event:
    row = conn.execute(
        "SELECT id, slug, name, settings, created_at FROM events WHERE slug = %s", (slug,)
    ).fetchone()
    if row is None:
        raise EventNotFound(f"no event {slug!r}")
    return _event(row)


def get_event_by_id(conn: psycopg.Connection[Any], event_id: UUID | str) -> Event:
    row = conn.execute(
        "SELECT id, slug, name, settings, created_at FROM events WHERE id = %s", (event_id,)
    ).fetchone()
    if row is None:
        raise EventNotFound(f"no event {event_id}")
    return _event(row)


def list_events(conn: psycopg.Connection[Any]) -> list[Event]:
    rows = conn.execute(
        "SELECT id, slug, name, settings, created_at FROM events ORDER BY created_at"
    ).fetchall()
    return [_event(row) for row in rows]


def get_password_hash(conn: psycopg.Connection[Any], slug: str) -> str | None:
    row = conn.execute("SELECT password_hash FROM events WHERE slug = %s", (slug,)).fetchone()
    if row is None:
        raise EventNotFound(f"no event {slug!r}")
    return row["password_hash"]


def update_event(
    conn: psycopg.Connection[Any], event_id: UUID, name: str | None, settings: EventSettings | None
) -> Event:
    row = conn.execute(
        "UPDATE events SET name = coalesce(%s, name), settings = coalesce(%s, settings), updated_at = now() "
        "WHERE id = %s RETURNING id, slug, name, settings, created_at",
        (name, None if settings is None else Jsonb(settings.model_dump()), event_id),
    ).fetchone()
    if row is None:
        raise EventNotFound(str(event_id))
    return _event(row)


def set_password_hash(conn: psycopg.Connection[Any], event_id: UUID, password_hash: str) -> None:
    conn.execute("UPDATE events SET password_hash = %s WHERE id = %s", (password_hash, event_id))
