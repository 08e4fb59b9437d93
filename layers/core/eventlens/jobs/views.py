"""The JSON contract of pipeline runs, per-phase counts and per-photo errors."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from eventlens.pipeline.graph import PHASES
from eventlens.types import Model

RunStatus = Literal["running", "succeeded", "failed"]


class PhaseResult(Model):
    phase: str
    processed: int
    remaining: int
    errors: int
    done: bool


class PipelineRun(Model):
    id: UUID
    phase: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    results: list[PhaseResult]
    error: str | None


class PhaseCounts(Model):
    phase: str
    pending: int
    processing: int
    completed: int
    error: int
    skipped: int


class PipelineStatus(Model):
    phases: list[PhaseCounts]
    runs: list[PipelineRun]
    phase_names: list[str] = Field(
        default_factory=lambda: list(PHASES), description="Every phase, in the order a full run takes them"
    )


class PhotoError(Model):
    photo_id: UUID
    filename: str
    phase: str
    error: str = Field(description="What happened, in plain words (jobs/explain.py)")
    detail: str = Field(description="The technical message as recorded, for staff")
    thumbnail_url: str | None = Field(default=None, description="When analyze made one before the failure")
    hidden: bool = Field(default=False, description="Hidden from the gallery: the organizer ignored it")


class ErrorList(Model):
    errors: list[PhotoError]


class RetryResponse(Model):
    requeued: int = Field(description="Failed items put back to pending")
    phases: list[str] = Field(default_factory=list, description="The phases the retry's run takes")
    run: PipelineRun | None = Field(default=None, description="The run started to process them again")
