"""Organizer operations: pipeline runs and status, errors, duplicates, uploads."""

from __future__ import annotations

import mimetypes
import re
import uuid
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventlens.api.models import UploadCompleteResponse, UploadRequest, UploadTicket
from eventlens.config import settings
from eventlens.domain import Event, Model
from eventlens.photos import originals_prefix
from eventlens.search.models import DuplicateCluster
from eventlens.storage import InvalidKey, blob_store, validate_key

ALLOWED_UPLOAD_TYPES = re.compile(r"^(image/(jpeg|png|webp|gif|heic|heif|tiff)|video/(mp4|quicktime|webm))$")


class PhaseResult(Model):
    phase: str
    processed: int
    remaining: int
    errors: int
    done: bool


class PipelineRun(Model):
    id: UUID
    phase: str
    status: Literal["running", "succeeded", "failed"]
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


class PipelineStatus(Model):
    phases: list[PhaseCounts]
    runs: list[PipelineRun]


class PhotoError(Model):
    photo_id: UUID
    filename: str
    phase: str
    error: str


class ErrorList(Model):
    errors: list[PhotoError]


class DuplicateList(Model):
    clusters: list[DuplicateCluster]


def pipeline_status(event: Event) -> PipelineStatus:
    import eventlens.pipeline.runs as runs

    return PipelineStatus(
        phases=[PhaseCounts.model_validate(c) for c in runs.phase_counts(event.id)],
        runs=[PipelineRun.model_validate(r) for r in runs.list_runs(event.id, 10)],
    )


def start_run(event: Event, phase: str) -> PipelineRun:
    """Locally a background thread runs the phases; on AWS a Step Functions execution does."""
    import eventlens.pipeline.runs as runs

    cfg = settings()
    if cfg.state_machine_arn:
        run_id = _start_execution(event, phase, cfg.state_machine_arn)
    else:
        run_id = runs.start_background_run(event.id, phase)
    return PipelineRun.model_validate(runs.get_run(event.id, run_id))


def _start_execution(event: Event, phase: str, state_machine_arn: str) -> UUID:
    import json

    import boto3

    import eventlens.pipeline.runs as runs

    run_id = runs.start_run(event.id, phase)
    boto3.client("stepfunctions").start_execution(
        stateMachineArn=state_machine_arn,
        name=f"{event.slug}-{run_id}",
        input=json.dumps(
            {
                "event_id": str(event.id),
                "phase": phase,
                "run_id": str(run_id),
                "face_matching": event.settings.face_matching,
            }
        ),
    )
    return run_id


def get_run(event: Event, run_id: UUID) -> PipelineRun:
    import eventlens.pipeline.runs as runs

    return PipelineRun.model_validate(runs.get_run(event.id, run_id))


def list_errors(event: Event) -> ErrorList:
    import eventlens.pipeline.runs as runs

    return ErrorList(errors=[PhotoError.model_validate(e) for e in runs.list_errors(event.id)])


def retry_errors(event: Event) -> int:
    from eventlens.pipeline.runner import retry_errors as requeue

    return requeue(event.id)


def duplicates(event: Event, threshold: int | None) -> DuplicateList:
    from eventlens.search.duplicates import duplicate_clusters

    clusters = duplicate_clusters(event, threshold)
    return DuplicateList(clusters=list(clusters))


def upload_ticket(event: Event, request: UploadRequest) -> UploadTicket:
    cfg = settings()
    if request.size > cfg.max_upload_bytes:
        raise ValueError(f"{request.filename} is larger than {cfg.max_upload_bytes // (1024 * 1024)} MB")
    if not ALLOWED_UPLOAD_TYPES.match(request.content_type):
        raise ValueError(f"{request.filename}: {request.content_type} is not a photo or video type we accept")
    key = upload_key(event, request.filename)
    url = blob_store().url_for_put(key, request.content_type)
    return UploadTicket(upload_url=url, headers={"Content-Type": request.content_type}, key=key)


def upload_key(event: Event, filename: str) -> str:
    """A fresh key under the event's originals: uploads never overwrite one another."""
    stem = re.sub(r"[^\w.\- ]+", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .") or "upload"
    if "." not in stem:
        stem += mimetypes.guess_extension(mimetypes.guess_type(filename)[0] or "") or ""
    try:
        return validate_key(f"{originals_prefix(event.slug)}uploads/{uuid.uuid4().hex[:12]}-{stem}")
    except InvalidKey:
        return f"{originals_prefix(event.slug)}uploads/{uuid.uuid4().hex}"


def complete_uploads(event: Event, keys: list[str]) -> UploadCompleteResponse:
    import eventlens.pipeline.runs as runs
    from eventlens.pipeline.ingest import ingest_object

    store = blob_store()
    registered = 0
    for key in keys:
        if not validate_key(key).startswith(originals_prefix(event.slug)):
            raise InvalidKey(f"{key} is not one of this event's uploads")
        info = store.head(key)
        result: dict[str, Any] = ingest_object(settings().bucket, key, info.etag, info.size)
        registered += 1 if result else 0
    run_id = None if settings().state_machine_arn else runs.start_background_run(event.id, "full")
    return UploadCompleteResponse(registered=registered, run_id=run_id)
