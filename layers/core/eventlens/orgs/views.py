"""What the API says about an organization."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventlens.types import Model


class Organization(Model):
    id: UUID
    slug: str
    name: str
    grants_version: int = 1
    created_at: datetime | None = None
