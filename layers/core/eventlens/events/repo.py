"""SQL for events: typed `Event` rows in and out."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from eventlens.db import Tx
from eventlens.errors import EventExists, EventNotFound
from eventlens.types import Event, EventSettings

_COLUMNS = "id, slug, name, settings, created_at, sessions_valid_after, organization_id, visibility"
_SELECT = (
    "SELECT e.id, e.slug, e.name, e.settings, e.created_at, e.sessions_valid_after, e.organization_id,"
    " e.visibility, o.grants_version FROM events e JOIN organizations o ON o.id = e.organization_id"
)


def _event(row: dict[str, Any]) -> Event:
    return Event(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        settings=EventSettings.model_validate(row["settings"] or {}),
        created_at=row["created_at"],
        sessions_valid_after=row["sessions_valid_after"],
        organization_id=row["organization_id"],
        visibility=row["visibility"],
        grants_version=row.get("grants_version") or 0,
    )


def create_event(
    tx: Tx,
    slug: str,
    name: str,
    password_hash: str | None,
    settings: EventSettings,
    organization_id: UUID,
    visibility: str = "public",
) -> Event:
    try:
        row = tx.execute(
            "INSERT INTO events (slug, name, password_hash, settings, organization_id, visibility)"
            f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
            (slug, name, password_hash, Jsonb(settings.model_dump(mode="json")), organization_id, visibility),
        ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise EventExists(f"an event with slug {slug!r} already exists") from None
    assert row is not None
    return _event(row)


def get_event(tx: Tx, slug: str) -> Event:
    row = tx.execute(f"{_SELECT} WHERE e.slug = %s", (slug,)).fetchone()
    if row is None:
        raise EventNotFound(f"no event {slug!r}")
    return _event(row)


def get_event_by_id(tx: Tx, event_id: UUID | str) -> Event:
    row = tx.execute(f"{_SELECT} WHERE e.id = %s", (event_id,)).fetchone()
    if row is None:
        raise EventNotFound(f"no event {event_id}")
    return _event(row)


def lock_event(tx: Tx, event_id: UUID) -> Event:
    """The event as stored, locked until the transaction ends (a read-modify-write of its settings)."""
    row = tx.execute(f"{_SELECT} WHERE e.id = %s FOR UPDATE OF e", (event_id,)).fetchone()
    if row is None:
        raise EventNotFound(f"no event {event_id}")
    return _event(row)


def list_events(tx: Tx) -> list[Event]:
    return [_event(row) for row in tx.execute(f"{_SELECT} ORDER BY e.created_at").fetchall()]


def update_event(
    tx: Tx, event_id: UUID, name: str | None, settings: EventSettings | None, visibility: str | None = None
) -> Event:
    row = tx.execute(
        "UPDATE events SET name = coalesce(%s, name), settings = coalesce(%s, settings),"
        f" visibility = coalesce(%s, visibility), updated_at = now() WHERE id = %s RETURNING {_COLUMNS}",
        (name, None if settings is None else Jsonb(settings.model_dump(mode="json")), visibility, event_id),
    ).fetchone()
    if row is None:
        raise EventNotFound(f"no event {event_id}")
    return _event(row)


def facets(tx: Tx) -> dict[str, Any]:
    """Visible photo count, folders and tags of the event in scope: what the gallery's tabs need."""
    row = tx.execute(
        "SELECT count(*) AS photo_count,"
        " coalesce(array_agg(DISTINCT folder ORDER BY folder) FILTER (WHERE folder <> ''), '{}') AS folders,"
        " coalesce(array_agg(DISTINCT auto_tag ORDER BY auto_tag) FILTER (WHERE auto_tag IS NOT NULL), '{}')"
        " AS tags FROM photos WHERE event_id = current_event_id() AND is_public"
    ).fetchone()
    assert row is not None
    return dict(row)


def delete_event(tx: Tx, event_id: UUID) -> None:
    tx.execute("DELETE FROM events WHERE id = %s", (event_id,))
