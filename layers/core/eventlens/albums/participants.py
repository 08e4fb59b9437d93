"""Who acts on albums and subjects: a signed-in person with a role, or a reader of the gallery.

Albums are the first part of EventLens where attendees write (rate, flag, contribute), so the
scope names the person (`person:<uuid>`, what the policies' `current_person_id()` reads). On a
public event a signed-in person without a grant acts as a VIEWER: anyone may read that gallery,
and the album actions a VIEWER may take are open to whoever signs in. A private event needs a grant.
"""

from __future__ import annotations

from eventlens.access import service as access
from eventlens.access.rights import Action, Role, can
from eventlens.auth.principals import Principal
from eventlens.errors import NotAllowed, NotSignedIn
from eventlens.scope import Scope
from eventlens.types import Event

PERSONAL: frozenset[Action] = frozenset({"album.rate", "album.flag", "album.contribute", "album.create"})
"""Actions recorded as a person's own (a rating, a flag, an item, an album): an event password's
holder is that event's ADMIN but names nobody, so it cannot take them."""


def person_subject(who: Principal) -> str:
    if who.person_id is None:
        raise NotSignedIn("Sign in with your own account (an event password names no person)")
    return f"person:{who.person_id}"


def role_of(who: Principal, event: Event) -> Role | None:
    role = access.role_in_event(who, event)
    if role is None and event.visibility == "public" and who.person_id is not None:
        return Role.VIEWER
    return role


def acting(who: Principal, event: Event, action: Action) -> Scope:
    """The scope `who` takes `action` in, if its role in `event` may (403 otherwise)."""
    if action in PERSONAL:
        person_subject(who)
    role = role_of(who, event)
    if role is None:
        raise NotAllowed(f"You have no role in the event {event.slug!r}: ask one of its admins to invite you")
    if not can(role, action):
        raise NotAllowed(f"Your role in the event {event.slug!r} ({role.value}) may not do this ({action})")
    subject = person_subject(who) if who.person_id is not None else who.subject
    return Scope.organizer(event, subject, role=role)


def reading(who: Principal | None, event: Event) -> Scope:
    """Whoever may read the gallery: moderators see pending and held items, a contributor its own."""
    if who is not None:
        role = role_of(who, event)
        if role is not None and can(role, "album.moderate"):
            # the event password's holder too: the dashboard lists held albums
            subject = person_subject(who) if who.person_id is not None else who.subject
            return Scope.organizer(event, subject, role=role)
    if who is not None and who.person_id is not None:
        base = access.gallery_scope(who, event)
        return Scope.visitor(event, subject=person_subject(who), role=base.role)
    return access.gallery_scope(who, event)
