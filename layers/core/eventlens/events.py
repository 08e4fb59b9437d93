"""Event management: create, look up, log in, change settings."""

from __future__ import annotations

from typing import Any

from eventlens.auth.passwords import hash_password, verify_password
from eventlens.auth.tokens import issue_token
from eventlens.config import settings
from eventlens.db import events_repo, scoped
from eventlens.domain import SLUG, Event, EventSettings


class LoginFailed(Exception):
    pass


def create_event(slug: str, name: str, password: str | None = None, **event_settings: Any) -> Event:
    if not SLUG.match(slug):
        raise ValueError(f"{slug!r} is not a valid slug: use lowercase letters, digits and dashes (max 63)")
    if not name.strip() or len(name) > 200:
        raise ValueError("the event name must be 1 to 200 characters")
    password_hash = hash_password(password) if password else None
    with scoped(None) as conn:
        return events_repo.create_event(
            conn, slug, name, password_hash, EventSettings.model_validate(event_settings)
        )


def get_event(slug: str) -> Event:
    with scoped(None) as conn:
        return events_repo.get_event(conn, slug)


def list_events() -> list[Event]:
    with scoped(None) as conn:
        return events_repo.list_events(conn)


def login(slug: str, password: str) -> tuple[str, int]:
    """A signed token for the event's organizer, or LoginFailed (same error for every cause)."""
    with scoped(None) as conn:
        try:
            stored = events_repo.get_password_hash(conn, slug)
        except events_repo.EventNotFound:
            stored = None
    if not verify_password(password, stored):
        raise LoginFailed("wrong event or password")
    cfg = settings()
    return issue_token(slug, cfg.token_secret, cfg.token_ttl_s)


def update_event(
    event: Event, name: str | None = None, settings_patch: dict[str, Any] | None = None
) -> Event:
    merged = None
    if settings_patch:
        current = event.settings.model_dump()
        for key, value in settings_patch.items():
            if isinstance(value, dict) and isinstance(current.get(key), dict):
                current[key] = {**current[key], **value}
            else:
                current[key] = value
        merged = EventSettings.model_validate(current)
    with scoped(event.id) as conn:
        return events_repo.update_event(conn, event.id, name, merged)


def set_password(event: Event, password: str) -> None:
    with scoped(event.id) as conn:
        events_repo.set_password_hash(conn, event.id, hash_password(password))
