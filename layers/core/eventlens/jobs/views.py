"""The JSON contract of pipeline runs, per-phase counts and per-photo errors."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from eventlens.pipeline.graph import PHASES
from eventlens.types import Model

JobStatus = Literal["pending", "queued", "running", "completed", "failed", "cancelled"]
"""Every status a job (a run among them) takes; the last three close it."""
RunStatus = JobStatus
JobKind = Literal["pipeline", "reembed", "archive", "purge"]
ResourceClass = Literal["cpu", "face_image", "gemini"]
CLOSED: tuple[JobStatus, ...] = ("completed", "failed", "cancelled")


def resource_class_of(phase: str) -> ResourceClass:
    """What a pipeline job of `phase` waits for: Gemini's quota (describe), the face models on the
    images (faces), or plain CPU (every other phase, and `full`, whose longest wait is CPU locally)."""
    return {"describe": "gemini", "faces": "face_image"}.get(phase, "cpu")  # type: ignore[return-value]


class PhaseResult(Model):
    phase: str
    processed: int
    remaining: int
    errors: int
    done: bool


class PhaseProgress(Model):
    done: int
    total: int


class PipelineRun(Model):
    id: UUID
    phase: str
    status: RunStatus
    started_at: datetime | None = Field(description="None while the job waits in the queue")
    finished_at: datetime | None
    results: list[PhaseResult]
    error: str | None
    progress: dict[str, PhaseProgress] = Field(
        default_factory=dict, description="Per phase: items done of total, recorded while it goes"
    )


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


class Job(PipelineRun):
    """A run as the job queue shows it: what it is, where it waits, how far it got."""

    kind: JobKind
    priority: int = Field(description="Higher first among the queued jobs of the event")
    resource_class: ResourceClass
    created_at: datetime
    cancel_requested: bool = Field(description="Cancel asked for; a running job stops at its next slice")
    log: list[str]
    execution_arn: str | None = Field(description="The Step Functions execution running it on AWS")
    queue_position: int | None = Field(default=None, description="1 = next to start; None unless queued")
    waiting_reason: str | None = Field(default=None, description="Why a queued job has not started")


class JobList(Model):
    jobs: list[Job]
