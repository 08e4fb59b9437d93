"""An audit entry as the dashboard, the API and `eventlens audit export` show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from eventlens.types import Model

Outcome = Literal["ok", "refused"]


class AuditEntry(Model):
    seq: int = Field(description="Position in the installation's chain, from 1")
    at: datetime
    event_id: UUID | None
    actor: str = Field(description="visitor | organizer | pipeline | system")
    subject: str | None = Field(description="Who within the actor: the organizer's account, a run")
    origin: str | None = Field(description="Where from: the client's address, or cli")
    action: str
    target: str | None
    outcome: Outcome
    detail: dict[str, Any]
    hash: str = Field(description="SHA-256 of the entry and the previous entry's hash, hex")


class AuditPage(Model):
    entries: list[AuditEntry]


class ChainProblem(Model):
    seq: int
    problem: str


class AuditVerification(Model):
    entries: int
    intact: bool
    problems: list[ChainProblem]
