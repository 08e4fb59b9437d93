"""Organizations: create (the operator's), look up, rename, and move an event between them."""

from __future__ import annotations

from eventlens.audit import service as audit
from eventlens.errors import InvalidEvent
from eventlens.orgs import repo
from eventlens.orgs.views import Organization
from eventlens.scope import Scope
from eventlens.types import SLUG

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
