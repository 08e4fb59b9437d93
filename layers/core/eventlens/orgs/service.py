"""Organizations: create (the operator's), look up, rename, and move an event between them."""

from __future__ import annotations

from eventlens.audit import service as audit
from eventlens.errors import InvalidEvent
from eventlens.orgs import repo
from eventlens.orgs.views import Organization
from eventlens.scope import Scope
from eventlens.types import SLUG, Event

DEFAULT = "default"
"""The organization migration 0015 created for every event before it; new events go there unless
they name another."""


def create_organization(scope: Scope, slug: str, name: str) -> Organization:
    if not SLUG.match(slug):
        raise InvalidEvent(f"{slug!r} is not a valid slug: use lowercase letters, digits and dashes (max 63)")
    if not name.strip() or len(name) > 200:
        raise InvalidEvent("the organization name must be 1 to 200 characters")
    with scope.transaction() as tx:
        organization = repo.create(tx, slug, name.strip())
        audit.record(tx, "org_create", slug, name=organization.name)
    return organization


def get_organization(slug: str) -> Organization:
    with Scope.system().transaction() as tx:
        return repo.by_slug(tx, slug)


def list_organizations() -> list[Organization]:
    with Scope.system().transaction() as tx:
        return repo.list_all(tx)


def rename_organization(scope: Scope, name: str) -> Organization:
    """Rename the organization in scope (`org.manage`, checked by the caller and the policy)."""
    if not name.strip() or len(name) > 200:
        raise InvalidEvent("the organization name must be 1 to 200 characters")
    assert scope.organization_id is not None
    with scope.transaction() as tx:
        before = repo.by_id(tx, scope.organization_id)
        after = repo.rename(tx, scope.organization_id, name.strip())
        audit.record(tx, "org_rename", after.slug, before=before.name, after=after.name)
    return after


def transfer_event(scope: Scope, target: Organization) -> Event:
    """Move the event in scope to `target` (the caller holds `event.transfer` here and
    `org.create_event` there). Grants on the event itself stay; the old organization's stop
    reaching it, the new one's start (both organizations' cached roles are made stale)."""
    event = scope.tenant()
    with Scope("system", event, scope.subject, scope.origin).transaction() as tx:
        before = repo.by_id(tx, event.organization_id) if event.organization_id else None
        repo.move_event(tx, event.id, target.id)
        audit.record(
            tx, "event_transfer", event.slug, before=before.slug if before else None, after=target.slug
        )
    from eventlens.events.service import get_event

    return get_event(event.slug)
