"""Deciding who may act: a principal's role for a tenant (cached), the check, and the scope it acts in.

Three layers ask the same table (access/rights.py): this service before anything is done (a
refusal is 403 with the reason), the database's policies on every row (`may(action)`), and the
dashboard, which shows only what `/api/me` lists.
"""

from __future__ import annotations

from uuid import UUID

from eventlens.access import repo
from eventlens.access.cache import Entry
from eventlens.access.cache import roles as cache
from eventlens.access.rights import ROLES, Action, Role, can
from eventlens.access.views import GalleryPass
from eventlens.auth.principals import Principal
from eventlens.errors import NotAllowed, NotSignedIn, UnknownRole
from eventlens.orgs.views import Organization
from eventlens.scope import Scope
from eventlens.types import Event

_SIGNED_OUT = "You were signed out (the password changed, or someone signed out everywhere): sign in again"


def role_in_event(who: Principal, event: Event) -> Role | None:
    """The highest role `who` holds for `event`: its token's, its organization's grant, its own.

    A gallery pass opens its own event's gallery only: no role elsewhere, VIEWER at most there."""
    if who.gallery is not None:
        if who.gallery != event.slug:
            return None
        assert event.organization_id is not None
        held = _granted(who, event.organization_id, event.id, event.grants_version)
        return Role.VIEWER if held is not None else None
    token_role = _token_role(who, event.slug)
    if token_role is not None:
        revoked = event.sessions_valid_after
        if revoked is not None and (who.issued_at is None or who.issued_at < revoked.timestamp()):
            raise NotSignedIn(_SIGNED_OUT)
    assert event.organization_id is not None
    return _highest(token_role, _granted(who, event.organization_id, event.id, event.grants_version))


def role_in_organization(who: Principal, organization: Organization) -> Role | None:
    return _highest(
        Role.SUPER_ADMIN if "*" in who.events else None,
        _granted(who, organization.id, None, organization.grants_version),
    )


def authorize(who: Principal, event: Event, action: Action) -> Scope:
    """The scope `who` acts in for `event`, if its role there may take `action`."""
    role = role_in_event(who, event)
    _require(role, action, f"the event {event.slug!r}")
    return Scope.organizer(event, who.subject, role=role)  # type: ignore[arg-type]


def authorize_organization(who: Principal, organization: Organization, action: Action) -> Scope:
    role = role_in_organization(who, organization)
    _require(role, action, f"the organization {organization.slug!r}")
    assert role is not None
    return Scope.for_organization(organization.id, who.subject, role)


def authorize_installation(who: Principal) -> Scope:
    """The operator's scope, for a SUPER_ADMIN (the Cognito group `admins`, or a grant)."""
    role = Role.SUPER_ADMIN if "*" in who.events else None
    if role is None and who.person_id is not None:
        with Scope.system().transaction() as tx:
            found = repo.role_lookup(tx, who.person_id, None, None)
        role = Role.SUPER_ADMIN if "SUPER_ADMIN" in found.roles else None
    _require(role, "installation.manage", "this installation")
    return Scope("system", None, who.subject)


def gallery_scope(who: Principal | None, event: Event) -> Scope:
    """Anyone reads a public event's gallery; a private one only a role that may view it."""
    if event.visibility == "public":
        return Scope.visitor(event)
    if who is None:
        raise NotSignedIn("This gallery is private: sign in with the account you were invited with")
    role = role_in_event(who, event)
    _require(role, "gallery.view", f"the event {event.slug!r}")
    return Scope.visitor(event, role=role)


PASS_TTL_S = 15 * 60


def gallery_pass(who: Principal, event: Event) -> GalleryPass:
    """A pass to `event`'s gallery for a signed-in member whose role may view it (private or not)."""
    if who.person_id is None:
        raise NotAllowed("A gallery pass is for a signed-in account (the event password opens the dashboard)")
    if who.gallery is not None:
        raise NotAllowed("A gallery pass cannot be traded for another: sign in again")
    _require(role_in_event(who, event), "gallery.view", f"the event {event.slug!r}")
    from eventlens.auth.tokens import issue_pass
    from eventlens.config import settings

    token, expires = issue_pass(who.person_id, event.slug, settings().pass_key, PASS_TTL_S)
    return GalleryPass(token=token, expires_at=expires)


def capability_role(event: Event) -> Role | None:
    """What a capability's holder reads a private event as (a media URL, a ZIP archive's id): it
    was handed only to someone whose role could view the gallery."""
    return Role.VIEWER if event.visibility == "private" else None


def _require(role: Role | None, action: Action, where: str) -> None:
    if role is None:
        raise NotAllowed(f"You have no role in {where}: ask one of its admins to invite you")
    if not can(role, action):
        raise NotAllowed(f"Your role in {where} ({role.value}) may not do this ({action})")


def _token_role(who: Principal, slug: str) -> Role | None:
    if "*" in who.events:
        return Role.SUPER_ADMIN
    return Role.ADMIN if slug in who.events else None


def _highest(*roles: Role | None) -> Role | None:
    held = [role for role in roles if role is not None]
    return max(held, key=lambda role: role.rank) if held else None


def _granted(who: Principal, organization_id: UUID, event_id: UUID | None, version: int) -> Role | None:
    """The person's granted role (cached; an entry older than the tenant's grants version is not
    used), refusing a token issued before the person signed out everywhere."""
    if who.person_id is None:
        return None
    key = (who.person_id, organization_id, event_id)
    entry = cache.get(key, version)
    if entry is None:
        with Scope.system().transaction() as tx:
            found = repo.role_lookup(tx, who.person_id, organization_id, event_id)
        held = [Role(role) for role in found.roles]
        entry = Entry(version, _highest(*held), found.sessions_valid_after, found.exists)
        cache.put(key, entry)
    if not entry.exists:
        raise NotSignedIn("This account no longer exists")
    revoked = entry.sessions_valid_after
    if revoked is not None and (who.issued_at is None or who.issued_at < revoked.timestamp()):
        raise NotSignedIn(_SIGNED_OUT)
    return entry.role


def role_named(name: str) -> Role:
    """A role from a request or the command line (any case), or a clear error."""
    try:
        return Role(name.strip().upper())
    except ValueError:
        raise UnknownRole(f"no role {name!r}: one of {', '.join(r.value for r in ROLES)}") from None
