"""SQL for grants and invitations: typed rows, under the policies of migration 0015."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventlens.access.views import InvitationRow, Member
from eventlens.db import Tx
from eventlens.errors import InvitationInvalid
from eventlens.types import Model


class RoleLookup(Model):
    """What deciding a person's role for a tenant reads: its grants there and its revocation time."""

    roles: list[str]
    sessions_valid_after: datetime | None = None
    exists: bool = True


def role_lookup(tx: Tx, person_id: UUID, organization_id: UUID | None, event_id: UUID | None) -> RoleLookup:
    """The person's grants that hold for the tenant: installation, organization, event (the operator)."""
    row = tx.execute(
        "SELECT p.sessions_valid_after, coalesce(array_agg(g.role) FILTER (WHERE g.role IS NOT NULL), '{}') AS roles"
        " FROM people p LEFT JOIN grants g ON g.person_id = p.id"
        "  AND (g.role = 'SUPER_ADMIN' OR g.organization_id = %s OR g.event_id = %s)"
        " WHERE p.id = %s GROUP BY p.id",
        (organization_id, event_id, person_id),
    ).fetchone()
    if row is None:
        return RoleLookup(roles=[], exists=False)
    return RoleLookup(roles=list(row["roles"]), sessions_valid_after=row["sessions_valid_after"])


def upsert_grant(
    tx: Tx,
    person_id: UUID,
    role: str,
    organization_id: UUID | None,
    event_id: UUID | None,
    granted_by: UUID | None,
) -> str | None:
    """Give the person `role` at this level; the role it held there before, if any."""
    before = tx.execute(
        "SELECT role FROM grants WHERE person_id = %s AND organization_id IS NOT DISTINCT FROM %s"
        " AND event_id IS NOT DISTINCT FROM %s",
        (person_id, organization_id, event_id),
    ).fetchone()
    tx.execute(
        "INSERT INTO grants (person_id, role, organization_id, event_id, granted_by) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (person_id, organization_id, event_id)"
        " DO UPDATE SET role = excluded.role, granted_by = excluded.granted_by, granted_at = now()",
        (person_id, role, organization_id, event_id, granted_by),
    )
    return None if before is None else str(before["role"])


def delete_grant(tx: Tx, person_id: UUID, organization_id: UUID | None, event_id: UUID | None) -> str | None:
    """Remove the person's grant at this level; the role it was, or None (none the policies let us see)."""
    row = tx.execute(
        "DELETE FROM grants WHERE person_id = %s AND organization_id IS NOT DISTINCT FROM %s"
        " AND event_id IS NOT DISTINCT FROM %s RETURNING role",
        (person_id, organization_id, event_id),
    ).fetchone()
    return None if row is None else str(row["role"])


def members(tx: Tx) -> list[Member]:
    """The tenant's people and their roles, as the policies let the caller see them."""
    rows = tx.execute(
        "SELECT g.person_id, p.email, p.display_name, g.role, g.granted_at,"
        " CASE WHEN g.event_id IS NULL THEN 'organization' ELSE 'event' END AS level"
        " FROM grants g JOIN people p ON p.id = g.person_id"
        " WHERE g.event_id = current_event_id() OR g.organization_id = current_organization_id()"
        " ORDER BY lower(p.email), level"
    ).fetchall()
    return [Member.model_validate(row) for row in rows]


def count_admins(tx: Tx, organization_id: UUID | None, event_id: UUID | None) -> int:
    row = tx.execute(
        "SELECT count(*) AS n FROM grants WHERE role IN ('ADMIN', 'SUPER_ADMIN')"
        " AND organization_id IS NOT DISTINCT FROM %s AND event_id IS NOT DISTINCT FROM %s",
        (organization_id, event_id),
    ).fetchone()
    return int(row["n"]) if row else 0


_INVITATION = (
    "id, email, role, organization_id, event_id, invited_by, created_at, expires_at, accepted_at, revoked_at,"
    " (SELECT e.slug FROM events e WHERE e.id = invitations.event_id) AS event_slug"
)


def create_invitation(
    tx: Tx,
    token_hash: bytes,
    email: str,
    role: str,
    organization_id: UUID | None,
    event_id: UUID | None,
    invited_by: UUID | None,
    ttl_s: int,
) -> InvitationRow:
    row = tx.execute(
        "INSERT INTO invitations (token_hash, email, role, organization_id, event_id, invited_by, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, now() + make_interval(secs => %s))"
        f" RETURNING {_INVITATION}",
        (token_hash, email, role, organization_id, event_id, invited_by, ttl_s),
    ).fetchone()
    assert row is not None
    return InvitationRow.model_validate(row)


def invitations(tx: Tx) -> list[InvitationRow]:
    """The tenant's open invitations (not accepted, not revoked), newest first."""
    rows = tx.execute(
        f"SELECT {_INVITATION} FROM invitations WHERE accepted_at IS NULL AND revoked_at IS NULL"
        " AND (event_id = current_event_id() OR (event_id IS NULL AND organization_id = current_organization_id()))"
        " ORDER BY created_at DESC"
    ).fetchall()
    return [InvitationRow.model_validate(row) for row in rows]


def revoke_invitation(tx: Tx, invitation_id: UUID) -> InvitationRow | None:
    row = tx.execute(
        f"UPDATE invitations SET revoked_at = now() WHERE id = %s AND accepted_at IS NULL AND revoked_at IS NULL"
        f" RETURNING {_INVITATION}",
        (invitation_id,),
    ).fetchone()
    return None if row is None else InvitationRow.model_validate(row)


def take_invitation(tx: Tx, token_hash: bytes, person_id: UUID) -> tuple[InvitationRow, bool]:
    """Lock the invitation with this token (the operator); (it, whether it was open and unexpired)."""
    row = tx.execute(
        f"SELECT {_INVITATION}, (expires_at > now()) AS fresh FROM invitations WHERE token_hash = %s FOR UPDATE",
        (token_hash,),
    ).fetchone()
    if row is None:
        raise InvitationInvalid("This invitation link is not valid: ask for a new one")
    fresh: Any = row.pop("fresh")
    return InvitationRow.model_validate(row), bool(fresh)


def mark_accepted(tx: Tx, invitation_id: UUID, person_id: UUID) -> None:
    tx.execute(
        "UPDATE invitations SET accepted_at = now(), accepted_by = %s WHERE id = %s",
        (person_id, invitation_id),
    )
