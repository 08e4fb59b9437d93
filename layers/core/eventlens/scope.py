"""Who acts, for which tenant: what every transaction states, and row-level security reads.

A service receives a `Scope` and opens its transaction through it; it never passes a bare event
id around. The database policies read the actor and the event from transaction-local settings
(`eventlens.actor`, `eventlens.event_id`), so a query that forgets its WHERE still sees only
what this actor may see of this event: a visitor never a hidden photo nor a pipeline run.

Actors:
- `visitor`: anyone on the public gallery (find me included); reads visible photos, writes only
  its own find-me session.
- `organizer`: a signed-in person acting on the dashboard for an event or an organization, with
  the role it holds there (`role`, access/rights.py): the policies' `may(action)` reads it.
- `pipeline`: the phases, ingest and run bookkeeping; writes photos, faces and runs.
- `system`: the operator's command line and lookups that precede a tenant (an event by slug, a
  run by id); sees no event's content unless it names the event.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Literal
from uuid import UUID

from eventlens import db
from eventlens.access.rights import Role
from eventlens.errors import EventNotFound
from eventlens.types import Event

Actor = Literal["visitor", "organizer", "pipeline", "system"]


@dataclass(frozen=True)
class Scope:
    actor: Actor
    event: Event | None = None
    subject: str | None = None
    """Who, within the actor kind: the organizer's principal, a run id, or for a visitor the bearer
    secret it presented (the one subject the policies read): a find-me session key, so it reads
    only its own find-me session, or a ZIP archive's id, so it reads only that archive."""
    origin: str | None = None
    """Where the request came from (the client's address, "cli"): the audit log records it."""
    role: Role | None = None
    """The role the actor holds for this tenant (access.service resolves it from grants)."""
    organization: UUID | None = None
    """The organization acted for when no event is in scope (its members, its settings)."""

    @classmethod
    def visitor(
        cls, event: Event | None = None, subject: str | None = None, role: Role | None = None
    ) -> Scope:
        """Anyone on the public gallery. `subject` is find me's session key
        (`findme.session.session_key`, from the tab's own random session id) or the id of a ZIP
        archive it asked for (`media.archives.holder_scope`): the one subject the policies read, so
        a visitor reads only the find-me sessions recorded under its key, or that archive. `role`:
        what a signed-in visitor holds for a private event (`gallery.view` opens it)."""
        return cls("visitor", event, subject, role=role)

    @classmethod
    def organizer(cls, event: Event, subject: str, role: Role = Role.ADMIN) -> Scope:
        """A person acting for `event` with `role` (the event password's holder is its ADMIN)."""
        return cls("organizer", event, subject, role=role)

    @classmethod
    def for_organization(cls, organization: UUID, subject: str, role: Role) -> Scope:
        """A person acting for an organization itself (no event): its members, its name."""
        return cls("organizer", None, subject, role=role, organization=organization)

    @classmethod
    def pipeline(cls, event: Event | None = None, subject: str | None = None) -> Scope:
        return cls("pipeline", event, subject)

    @classmethod
    def system(cls, event: Event | None = None) -> Scope:
        return cls("system", event)

    @property
    def event_id(self) -> UUID | None:
        return None if self.event is None else self.event.id

    @property
    def organization_id(self) -> UUID | None:
        return self.organization if self.event is None else self.event.organization_id

    def tenant(self) -> Event:
        """The event this scope acts for (a service that needs one says so here)."""
        if self.event is None:
            raise EventNotFound("no event in scope")
        return self.event

    def at(self, event: Event) -> Scope:
        """The same actor with a fresher copy of its event (a role is never carried elsewhere)."""
        if self.event is not None and self.event.id != event.id:
            raise ValueError("a scope's role holds for its own event only")
        return replace(self, event=event)

    def coming_from(self, origin: str | None) -> Scope:
        """The same actor, its requests coming from `origin`."""
        return replace(self, origin=origin)

    @contextmanager
    def transaction(self) -> Iterator[db.Tx]:
        role = None if self.role is None else self.role.value
        with db.transaction(
            self.event_id, self.actor, self.subject, self.origin, role, self.organization_id
        ) as tx:
            yield tx
