"""What the API says about members, invitations and the caller's own rights."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from eventlens.accounts.views import Person
from eventlens.types import Model


class Member(Model):
    person_id: UUID
    email: str
    display_name: str
    role: str
    level: str
    """`organization` (all its events) or `event` (this one)."""
    granted_at: datetime


class InvitationRow(Model):
    id: UUID
    email: str
    role: str
    organization_id: UUID | None
    event_id: UUID | None
    invited_by: UUID | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    event_slug: str | None = None
    """Where an accepted invitation leads (the event's dashboard or gallery); None for an organization."""


class MemberList(Model):
    members: list[Member]


class InvitationList(Model):
    invitations: list[InvitationRow]


class Me(Model):
    """The caller, and for the event or organization asked about, its role and what it may do."""

    person: Person | None = Field(description="None for the event password's holder (no account).")
    subject: str
    role: str | None = None
    allowed: list[str] = Field(
        default_factory=list, description="Actions of access/rights.py the role may take."
    )


class GalleryPass(Model):
    """A member's short-lived key to one private gallery (sent as `Authorization: Bearer`)."""

    token: str
    expires_at: int = Field(description="Seconds since the epoch; ask for a new pass before then.")
