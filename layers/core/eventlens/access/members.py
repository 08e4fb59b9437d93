"""Members of an event or an organization: grants, role changes, removal, invitations, transfers.

Every function takes the scope `access.service.authorize*` gave for `members.manage` (or
`members.view`, `event.transfer`): the caller's role is in it. On top of the table, one rule: no
one grants, changes or removes a role above their own, and the last ADMIN of a tenant stays.
Each change is one audit entry, in the change's own transaction.
"""

from __future__ import annotations

import secrets
from uuid import UUID

from eventlens.access import repo
from eventlens.access.rights import Role, may_grant
from eventlens.access.views import InvitationRow, Member
from eventlens.accounts import service as accounts
from eventlens.accounts.service import normalize_email, secret_hash
from eventlens.audit import service as audit
from eventlens.db import Tx
from eventlens.errors import Conflict, InvitationInvalid, NotAllowed, PersonNotFound
from eventlens.scope import Scope

INVITATION_TTL_S = 7 * 24 * 3600


def _level(scope: Scope) -> tuple[UUID | None, UUID | None]:
    """(organization, event) of the grants this scope writes: the event's own, or the organization's."""
    return (None, scope.event.id) if scope.event is not None else (scope.organization_id, None)


def _place(scope: Scope) -> str:
    return scope.event.slug if scope.event is not None else f"org:{scope.organization_id}"


def _check_grantable(scope: Scope, role: Role) -> None:
    if role is Role.SUPER_ADMIN or not may_grant(scope.role, role):
        raise NotAllowed(
            f"Your role ({scope.role.value if scope.role else 'none'}) may not grant {role.value}:"
            " nobody grants a role above their own"
        )


def list_members(scope: Scope) -> list[Member]:
    with scope.transaction() as tx:
        return repo.members(tx)


def grant(scope: Scope, email: str, role: Role) -> Member:
    """Give an existing account `role` here (an invitation is for someone without one)."""
    _check_grantable(scope, role)
    organization_id, event_id = _level(scope)
    person = accounts.find_person(email)
    if person is None:
        raise PersonNotFound(f"no account for {email}: send an invitation instead")
    with scope.transaction() as tx:
        before = repo.upsert_grant(tx, person.id, role.value, organization_id, event_id, _person(scope))
        if before is not None and not may_grant(scope.role, Role(before)):
            raise NotAllowed("You may not change the role of someone above you")
        audit.record(
            tx,
            "grant",
            _place(scope),
            person_id=str(person.id),
            email=person.email,
            before=before,
            after=role.value,
        )
        members = repo.members(tx)
    return next(m for m in members if m.person_id == person.id and m.level == _level_name(scope))


def transfer_ownership(scope: Scope, email: str) -> None:
    """Hand the event in scope to another account, made its ADMIN. The caller holds
    `event.transfer`, and that right is the whole rule: no grant rule on top (the operator writes
    the grant after the check, as it moves an event between organizations)."""
    event = scope.tenant()
    person = accounts.find_person(email)
    if person is None:
        raise PersonNotFound(f"no account for {email}: the new owner must have one")
    with Scope("system", event, scope.subject, scope.origin).transaction() as tx:
        before = repo.upsert_grant(tx, person.id, Role.ADMIN.value, None, event.id, _person(scope))
        audit.record(
            tx, "event_transfer", event.slug, owner=person.email, before=before, after=Role.ADMIN.value
        )


def change_role(scope: Scope, person_id: UUID, role: Role) -> Member:
    _check_grantable(scope, role)
    organization_id, event_id = _level(scope)
    with scope.transaction() as tx:
        current = _current(tx, scope, person_id)
        if not may_grant(scope.role, Role(current.role)):
            raise NotAllowed("You may not change the role of someone above you")
        if current.role in ("ADMIN", "SUPER_ADMIN") and role is not Role.ADMIN:
            _keep_an_admin(tx, organization_id, event_id)
        repo.upsert_grant(tx, person_id, role.value, organization_id, event_id, _person(scope))
        audit.record(
            tx,
            "grant",
            _place(scope),
            person_id=str(person_id),
            email=current.email,
            before=current.role,
            after=role.value,
        )
        return current.model_copy(update={"role": role.value})


def remove(scope: Scope, person_id: UUID) -> None:
    organization_id, event_id = _level(scope)
    with scope.transaction() as tx:
        current = _current(tx, scope, person_id)
        if not may_grant(scope.role, Role(current.role)):
            raise NotAllowed("You may not remove someone above you")
        if current.role in ("ADMIN", "SUPER_ADMIN"):
            _keep_an_admin(tx, organization_id, event_id)
        repo.delete_grant(tx, person_id, organization_id, event_id)
        audit.record(
            tx, "revoke", _place(scope), person_id=str(person_id), email=current.email, before=current.role
        )


def invite(scope: Scope, email: str, role: Role, link_base: str = "", inviter: str = "") -> InvitationRow:
    """Mail a link that gives `role` here to whoever signs in with `email` (within 7 days)."""
    _check_grantable(scope, role)
    email = normalize_email(email)
    organization_id, event_id = _level(scope)
    token = secrets.token_urlsafe(32)
    with scope.transaction() as tx:
        invitation = repo.create_invitation(
            tx,
            secret_hash(token),
            email,
            role.value,
            organization_id,
            event_id,
            _person(scope),
            INVITATION_TTL_S,
        )
        audit.record(tx, "invite", _place(scope), email=email, role=role.value, invitation=str(invitation.id))
    from eventlens.accounts.mailer import deliver

    place = scope.event.name if scope.event is not None else _place(scope)
    deliver(
        "invitation",
        email,
        f"{link_base}/account/invitation#token={token}",
        INVITATION_TTL_S,
        inviter=inviter or "An organizer",
        role=role.value,
        place=place,
    )
    return invitation


def list_invitations(scope: Scope) -> list[InvitationRow]:
    with scope.transaction() as tx:
        return repo.invitations(tx)


def revoke_invitation(scope: Scope, invitation_id: UUID) -> None:
    with scope.transaction() as tx:
        revoked = repo.revoke_invitation(tx, invitation_id)
        if revoked is None:
            raise InvitationInvalid("no open invitation with this id")
        audit.record(tx, "invite_revoke", _place(scope), email=revoked.email, invitation=str(invitation_id))


def accept(person_id: UUID, token: str) -> InvitationRow:
    """The signed-in person takes the invitation: it must name their address, be open and fresh."""
    person = accounts.get_person(person_id)
    with Scope.system().transaction() as tx:
        invitation, fresh = repo.take_invitation(tx, secret_hash(token), person_id)
        if invitation.accepted_at is not None:
            raise InvitationInvalid("This invitation was already used")
        if invitation.revoked_at is not None:
            raise InvitationInvalid("This invitation was withdrawn: ask for a new one")
        if not fresh:
            raise InvitationInvalid("This invitation has expired: ask for a new one")
        if person.email.lower() != invitation.email.lower():
            raise InvitationInvalid(
                f"This invitation is for {invitation.email}: sign in with that address to accept it"
            )
        repo.upsert_grant(
            tx,
            person_id,
            invitation.role,
            invitation.organization_id,
            invitation.event_id,
            invitation.invited_by,
        )
        repo.mark_accepted(tx, invitation.id, person_id)
        audit.record(
            tx,
            "invite_accept",
            person.email,
            event_id=invitation.event_id,
            role=invitation.role,
            invitation=str(invitation.id),
        )
    accounts.mark_verified(person_id)  # the invitation's link reached this address
    return invitation


def operator_grant(
    email: str, role: Role, organization_id: UUID | None = None, event_id: UUID | None = None
) -> None:
    """The operator's grant (the command line): any role, SUPER_ADMIN for the installation
    (neither organization nor event)."""
    if (role is Role.SUPER_ADMIN) != (organization_id is None and event_id is None):
        raise NotAllowed(
            "SUPER_ADMIN is held for the installation, every other role for an organization or event"
        )
    person = accounts.find_person(email)
    if person is None:
        raise PersonNotFound(f"no account for {email}: create it first (eventlens user create)")
    with Scope("system", None, "cli", "cli").transaction() as tx:
        before = repo.upsert_grant(tx, person.id, role.value, organization_id, event_id, None)
        place = str(event_id or organization_id or "installation")
        audit.record(
            tx,
            "grant",
            place,
            person_id=str(person.id),
            email=person.email,
            before=before,
            after=role.value,
            event_id=event_id,
        )


def operator_revoke(
    email: str, organization_id: UUID | None = None, event_id: UUID | None = None
) -> str | None:
    person = accounts.find_person(email)
    if person is None:
        raise PersonNotFound(f"no account for {email}")
    with Scope("system", None, "cli", "cli").transaction() as tx:
        before = repo.delete_grant(tx, person.id, organization_id, event_id)
        if before is not None:
            place = str(event_id or organization_id or "installation")
            audit.record(
                tx,
                "revoke",
                place,
                person_id=str(person.id),
                email=person.email,
                before=before,
                event_id=event_id,
            )
    return before


def _current(tx: Tx, scope: Scope, person_id: UUID) -> Member:
    level = _level_name(scope)
    found = [m for m in repo.members(tx) if m.person_id == person_id and m.level == level]
    if not found:
        raise PersonNotFound("this person holds no role here")
    return found[0]


def _keep_an_admin(tx: Tx, organization_id: UUID | None, event_id: UUID | None) -> None:
    if repo.count_admins(tx, organization_id, event_id) <= 1:
        raise Conflict("This is the last ADMIN here: make someone else ADMIN first")


def _level_name(scope: Scope) -> str:
    return "event" if scope.event is not None else "organization"


def _person(scope: Scope) -> UUID | None:
    subject = scope.subject or ""
    return UUID(subject.removeprefix("person:")) if subject.startswith("person:") else None
