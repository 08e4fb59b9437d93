"""Pipeline runs as organizers see and steer them: start, follow, list errors, retry.

Locally a daemon thread runs the pipeline and records its results; on AWS the admin Lambda starts
a Step Functions execution and the state machine's "record run" step closes the run by its id.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventlens.config import settings
from eventlens.errors import PhotoNotFound, RunNotFound
from eventlens.events.service import event_by_id
from eventlens.jobs import repo
from eventlens.jobs.explain import plain_message
from eventlens.jobs.views import ErrorList, PhotoError, PipelineRun, PipelineStatus, RetryResponse
from eventlens.pipeline.graph import LEASE
from eventlens.scope import Scope

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]

BEAT_EVERY_S = 10.0
"""How often a local run's thread says it is alive (well within the LEASE after which it is failed)."""


def pipeline_status(scope: Scope) -> PipelineStatus:
    """Counts per phase and the latest runs; a run whose worker died is closed as failed first."""
    with scope.transaction() as tx:
        repo.fail_abandoned(tx, LEASE)
        return PipelineStatus(phases=repo.phase_counts(tx), runs=repo.list_runs(tx, 10))


def beat(scope: Scope, run_id: UUID | str) -> None:
    """The run's worker is alive (the local runner's thread, or a phase Lambda after each batch)."""
    with scope.transaction() as tx:
        repo.beat(tx, run_id)


class _Heartbeat:
    """Beats for a local run while it makes progress, at most every BEAT_EVERY_S seconds."""

    def __init__(self, scope: Scope, run_id: UUID) -> None:
        self.scope, self.run_id, self.last = scope, run_id, time.monotonic()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if time.monotonic() - self.last >= BEAT_EVERY_S:
            self.last = time.monotonic()
            beat(self.scope, self.run_id)


def start_run(scope: Scope, phase: str) -> PipelineRun:
    """Locally a background thread runs the phases; on AWS a Step Functions execution does."""
    cfg = settings()
    if cfg.state_machine_arn:
        run_id = _start_execution(scope, open_run(scope, phase), phase, cfg.state_machine_arn)
    else:
        run_id = start_background_run(scope, phase)
    return get_run(scope, run_id)


def run_recorded(
    scope: Scope, phase: str = "full", on_progress: ProgressFn | None = None
) -> list[dict[str, Any]]:
    """Run the pipeline in this process (the CLI, the demo) and record it as a run, so the
    dashboard lists it beside the runs it started."""
    from eventlens.pipeline.runner import run_pipeline

    run_id = open_run(scope, phase)
    heartbeat = _Heartbeat(scope, run_id)

    def progress(name: str, done: int, total: int) -> None:
        heartbeat(name, done, total)
        if on_progress is not None:
            on_progress(name, done, total)

    try:
        results = run_pipeline(scope.tenant(), phase, on_progress=progress)
    except BaseException as exc:
        finish_run(run_id, "failed", [], f"{type(exc).__name__}: {exc}")
        raise
    finish_run(run_id, "succeeded", results)
    return results


def process_new_photos(scope: Scope) -> UUID:
    """Start a full run for photos that just arrived, unless one of the event's runs is going.

    Uploads call this: on AWS the ingest function once per SQS batch and event. Checking for a
    running run and opening one is a single step under a per-event transaction lock, so concurrent
    ingest workers start one execution for a burst of 1,000 uploads, not 1,000. The id of the run
    that will process them: the one started, or the one going.
    """
    cfg = settings()
    if not cfg.state_machine_arn:
        return start_background_run(scope, "full")
    with scope.transaction() as tx:
        repo.lock_run_start(tx)
        repo.fail_abandoned(tx, LEASE)
        if (running := repo.running_run(tx)) is not None:
            return running
        run_id = repo.insert_run(tx, scope.tenant().id, "full")
    return _start_execution(scope, run_id, "full", cfg.state_machine_arn)


EXECUTION_NAME_MAX = 80
"""Step Functions' limit on an execution name."""


def execution_name(slug: str, run_id: UUID) -> str:
    """`<slug>-<run id>` within 80 characters: the slug is cut, the run id keeps it unique."""
    suffix = f"-{run_id}"
    return slug[: EXECUTION_NAME_MAX - len(suffix)] + suffix


def _start_execution(scope: Scope, run_id: UUID, phase: str, state_machine_arn: str) -> UUID:
    """Start the run's execution; a run whose execution could not start is closed as failed (else
    it would say "running" with nothing running it)."""
    import boto3

    event = scope.tenant()
    payload = {"event_id": str(event.id), "phase": phase, "run_id": str(run_id)}
    try:
        boto3.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn,
            name=execution_name(event.slug, run_id),
            input=json.dumps({**payload, "face_matching": event.settings.face_matching}),
        )
    except Exception as exc:
        finish_run(run_id, "failed", [], f"the run could not start: {type(exc).__name__}: {exc}")
        raise
    return run_id


def open_run(scope: Scope, phase: str) -> UUID:
    with scope.transaction() as tx:
        return repo.insert_run(tx, scope.tenant().id, phase)


def finish_run(
    run_id: UUID | str, status: str, results: list[dict[str, Any]], error: str | None = None
) -> None:
    """Close a run by its id alone (the state machine knows no more); its event is looked up."""
    with Scope.pipeline().transaction() as tx:
        event_id = repo.run_event_id(tx, run_id)
    if event_id is None:
        raise RunNotFound(f"no pipeline run {run_id}")
    with Scope.pipeline(event_by_id(event_id), subject=str(run_id)).transaction() as tx:
        repo.finish_run(tx, run_id, status, results, error)


def close_if_caught_up(run_id: UUID | str, results: list[dict[str, Any]]) -> int:
    """The last step of a full run on AWS: how many photos arrived while it went and still wait;
    with none, the run is closed as succeeded in the same transaction.

    Counting and closing hold the run-start lock `process_new_photos` takes, so an upload is either
    counted here (the state machine goes round once more) or finds no running run and starts one:
    a photo never waits for the next burst."""
    from eventlens.pipeline.runner import photos_waiting

    with Scope.pipeline().transaction() as tx:
        event_id = repo.run_event_id(tx, run_id)
    if event_id is None:
        raise RunNotFound(f"no pipeline run {run_id}")
    with Scope.pipeline(event_by_id(event_id), subject=str(run_id)).transaction() as tx:
        repo.lock_run_start(tx)
        waiting = photos_waiting(tx)
        if waiting == 0:
            repo.finish_run(tx, run_id, "succeeded", results, None)
    return waiting


def get_run(scope: Scope, run_id: UUID | str) -> PipelineRun:
    with scope.transaction() as tx:
        run = repo.get_run(tx, run_id)
    if run is None:
        raise RunNotFound(f"no pipeline run {run_id}")
    return run


def finished_per_phase(scope: Scope) -> dict[str, int]:
    """Photos each per-photo phase has finished (completed or failed), as the phase table counts."""
    with scope.transaction() as tx:
        return {c.phase: c.completed + c.error for c in repo.phase_counts(tx)}


def list_errors(scope: Scope) -> ErrorList:
    """Failed photos in plain words, with the recorded message, the thumbnail when analyze made one,
    and whether the organizer hid (ignored) the photo."""
    from eventlens.media.service import thumbnails_and_hidden

    with scope.transaction() as tx:
        rows = repo.list_errors(tx)
    shown = thumbnails_and_hidden(scope, list({r.photo_id for r in rows}))
    errors = []
    for r in rows:
        thumbnail_url, hidden = shown.get(r.photo_id, (None, False))
        errors.append(
            PhotoError(
                photo_id=r.photo_id,
                filename=r.filename,
                phase=r.phase,
                error=plain_message(r.phase, r.detail or ""),
                detail=r.detail or "",
                thumbnail_url=thumbnail_url,
                hidden=hidden,
            )
        )
    return ErrorList(errors=errors)


RETRY = "retry"
"""The phase a retry's run is listed under: the per-photo phases of its failed items, no others."""


def retry_errors(scope: Scope) -> RetryResponse:
    """Failed items back to pending, and a run started that processes them (else they would wait
    until someone presses Run, and the list would look emptied for nothing): only the phases that
    failed and those their failure skipped, not a whole run. On AWS the state machine runs `full`
    or one phase: a retry in one phase runs that phase, one in several runs `full` (whose per-photo
    phases claim only pending rows, the retried ones)."""
    from eventlens.pipeline.runner import retry_errors as requeue

    requeued = requeue(scope)
    if not requeued.items:
        return RetryResponse(requeued=0)
    if settings().state_machine_arn:
        run = start_run(scope, requeued.phases[0] if len(requeued.phases) == 1 else "full")
    else:
        run = get_run(scope, start_background_run(scope, RETRY, requeued.phases))
    return RetryResponse(requeued=requeued.items, phases=list(requeued.phases), run=run)


def delete_failed_photo(scope: Scope, photo_id: UUID) -> None:
    """An organizer gives up on a file that failed processing: its row goes (faces, aliases with
    it), audited, then its stored objects (the original, its aliases, thumbnails, a video's
    playable copy), so a later sync or scan does not bring it back. Only a failed photo: one
    that processed is hidden, never deleted, here."""
    from eventlens.audit import service as audit
    from eventlens.storage import blob_store
    from eventlens.storage.keys import playable_key, thumbnail_prefix

    slug = scope.tenant().slug
    with scope.transaction() as tx:
        gone = repo.delete_failed_photo(tx, photo_id)
        if gone is None:
            raise PhotoNotFound(f"no photo {photo_id} whose processing failed")
        audit.record(tx, "photo_delete", str(photo_id), filename=gone.filename)
    store = blob_store()
    derived = [info.key for info in store.list(thumbnail_prefix(slug, photo_id))]
    for key in [*gone.source_keys, *derived, playable_key(slug, photo_id)]:
        store.delete(key)


_local_lock = threading.Lock()
_threads: dict[UUID, threading.Thread] = {}


def start_background_run(scope: Scope, phase: str = "full", phases: tuple[str, ...] = ()) -> UUID:
    """Run the pipeline in a daemon thread (the embedded server); a running run is reused.
    `phases`, for a retry: run these (recorded under `phase`) instead."""
    from eventlens.pipeline.runner import run_phases, run_pipeline

    event = scope.tenant()
    with _local_lock:
        with scope.transaction() as tx:
            repo.fail_abandoned(tx, LEASE)
            running = repo.running_run(tx)
        if running is not None and _alive(running):
            return running
        run_id = open_run(scope, phase)
        heartbeat = _Heartbeat(scope, run_id)

        def work() -> None:
            try:
                if phases:
                    results = run_phases(event, phases, on_progress=heartbeat)
                else:
                    results = run_pipeline(event, phase, on_progress=heartbeat)
            except Exception as exc:
                log.exception("pipeline run %s failed", run_id)
                finish_run(run_id, "failed", [], f"{type(exc).__name__}: {exc}")
            else:
                finish_run(run_id, "succeeded", results)

        thread = threading.Thread(target=work, name=f"eventlens-run-{run_id}", daemon=True)
        _threads[run_id] = thread
        thread.start()
        return run_id


def _alive(run_id: UUID) -> bool:
    thread = _threads.get(run_id)
    return thread is not None and thread.is_alive()
