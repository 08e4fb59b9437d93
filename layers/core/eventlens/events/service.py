"""Events: create, look up, change settings, and the view the gallery opens with."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from eventlens.audit import service as audit
from eventlens.auth.passwords import hash_password
from eventlens.config import settings
from eventlens.errors import InvalidEvent
from eventlens.events import repo
from eventlens.events.views import EventView
from eventlens.orgs.service import get_organization
from eventlens.scope import Scope
from eventlens.storage import blob_store
from eventlens.storage.keys import event_prefix
from eventlens.types import SLUG, Event, EventSettings


def create_event(
    slug: str,
    name: str,
    password: str | None = None,
    *,
    organization: str = "default",
    visibility: Literal["public", "private"] = "public",
    by: Scope | None = None,
    **event_settings: Any,
) -> Event:
    """A new event of `organization` (its slug), created as the operator (the `system` actor), for
    the command line or, `by`, a person whose role in the organization may create events."""
    if not SLUG.match(slug):
        raise InvalidEvent(f"{slug!r} is not a valid slug: use lowercase letters, digits and dashes (max 63)")
    if not name.strip() or len(name) > 200:
        raise InvalidEvent("the event name must be 1 to 200 characters")
    password_hash = hash_password(password) if password else None
    owner = get_organization(organization)
    as_operator = Scope("system", None, by.subject, by.origin) if by is not None else Scope.system()
    with as_operator.transaction() as tx:
        event = repo.create_event(
            tx, slug, name, password_hash, EventSettings.model_validate(event_settings), owner.id, visibility
        )
        audit.record(tx, "event_create", slug, event_id=event.id, name=name, organization=owner.slug)
    return event


def delete_event(slug: str, by: Scope | None = None) -> int:
    """Delete an event for good (as the operator, for the command line or, `by`, a role that may
    delete it): its rows (photos, faces, runs, find-me sessions cascade) and every blob under its
    prefix. How many blobs went."""
    event = get_event(slug)
    as_operator = Scope("system", event, by.subject, by.origin) if by is not None else Scope.system(event)
    with as_operator.transaction() as tx:
        repo.delete_event(tx, event.id)
        audit.record(tx, "event_delete", slug, name=event.name)
    store = blob_store()
    keys = [info.key for info in store.list(event_prefix(slug))]
    for key in keys:
        store.delete(key)
    return len(keys)


def get_event(slug: str) -> Event:
    """The event by its slug: public metadata, looked up before any tenant is in scope."""
    with Scope.visitor().transaction() as tx:
        return repo.get_event(tx, slug)


def event_by_id(event_id: UUID | str) -> Event:
    """The event a pipeline message or a run names by id."""
    with Scope.system().transaction() as tx:
        return repo.get_event_by_id(tx, event_id)


def list_events() -> list[Event]:
    with Scope.system().transaction() as tx:
        return repo.list_events(tx)


def event_view(scope: Scope) -> EventView:
    event = scope.tenant()
    with scope.transaction() as tx:
        facets = repo.facets(tx)
    return EventView(
        slug=event.slug,
        name=event.name,
        settings=event.settings,
        visibility=event.visibility,
        max_selfie_bytes=settings().max_selfie_bytes,
        organizer_login=settings().organizer_login,
        **facets,
    )


def update_event(
    scope: Scope,
    name: str | None = None,
    settings_patch: dict[str, Any] | None = None,
    visibility: Literal["public", "private"] | None = None,
) -> Event:
    """Rename the event, merge a partial settings change (nested objects merge key by key), make
    its gallery public or private (members only)."""
    with scope.transaction() as tx:
        event = repo.lock_event(tx, scope.tenant().id)  # as stored now; a concurrent change waits
        merged = None
        if settings_patch:
            current = event.settings.model_dump()
            for key, value in settings_patch.items():
                if isinstance(value, dict) and isinstance(current.get(key), dict):
                    current[key] = {**current[key], **value}
                else:
                    current[key] = value
            merged = EventSettings.model_validate(current)
            if "theme" in settings_patch:
                _refuse_unreadable(merged.theme.text, merged.theme.background)
        updated = repo.update_event(tx, event.id, name, merged, visibility)
        before, after = event.model_dump(mode="json"), updated.model_dump(mode="json")
        changed = {
            key: {"before": before[key], "after": after[key]}
            for key in ("name", "settings", "visibility")
            if before[key] != after[key]
        }
        if changed:
            audit.record(tx, "settings_change", event.slug, changes=changed)
    if updated.settings.no_biometrics and not event.settings.no_biometrics:
        from eventlens.findme.control import erase_for_no_biometrics

        erase_for_no_biometrics(updated)  # "no biometrics": the event's face data goes now
    if updated.settings.blur_forgotten_faces and not event.settings.blur_forgotten_faces:
        from eventlens.findme.control import blur_forgotten_faces

        blur_forgotten_faces(updated)  # the people forgotten so far are blurred too
    return updated


def _refuse_unreadable(text: str, background: str) -> None:
    """A theme change whose text would be unreadable on its background is refused whole."""
    from eventlens.errors import ThemeUnreadable
    from eventlens.events.contrast import MIN_TEXT_CONTRAST, contrast_ratio

    ratio = contrast_ratio(text, background)
    if ratio < MIN_TEXT_CONTRAST:
        raise ThemeUnreadable(
            f"The text colour {text} is too close to the background {background}: contrast "
            f"{ratio:.2f}:1, at least {MIN_TEXT_CONTRAST}:1 is needed to read the gallery."
        )
