"""What the API says about a person and a session."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventlens.types import Model


class Person(Model):
    id: UUID
    email: str
    display_name: str = ""
    email_verified_at: datetime | None = None
    idp_subject: str | None = None
    sessions_valid_after: datetime | None = None
    created_at: datetime | None = None


class Session(Model):
    """A signed-in session: a short-lived access token and the refresh token that renews it."""

    access_token: str
    expires_at: int
    refresh_token: str
    refresh_expires_at: int
    person: Person
