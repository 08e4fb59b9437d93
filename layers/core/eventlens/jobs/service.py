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
from datetime import datetime
from typing import Any
from uuid import UUID

from eventlens.config import settings
from eventlens.errors import Conflict, PhotoNotFound, RunCancelled, RunNotFound
from eventlens.events.service import event_by_id
from eventlens.jobs import repo
from eventlens.jobs.explain import plain_message
from eventlens.jobs.views import (
    CLOSED,
    ErrorList,
    Job,
    JobList,
    PhotoError,
    PipelineRun,
    PipelineStatus,
    RetryResponse,
)
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


PROGRESS_EVERY_S = 1.0
"""How often a local run records its per-phase progress (which is also its heartbeat)."""


class _Heartbeat:
    """Records a local run's progress per phase while it goes, at most every PROGRESS_EVERY_S
    seconds and when a phase ends: the job list shows it live, and it says the worker is alive."""

    def __init__(self, scope: Scope, run_id: UUID) -> None:
        self.scope, self.run_id, self.last = scope, run_id, time.monotonic() - PROGRESS_EVERY_S

    def __call__(self, phase: str, done: int, total: int) -> None:
        if done >= total or time.monotonic() - self.last >= PROGRESS_EVERY_S:
            self.last = time.monotonic()
            with self.scope.transaction() as tx:
                repo.record_progress(tx, self.run_id, phase, done, total)

    def should_stop(self) -> bool:
        """Whether the job was cancelled: asked by the runner before every slice."""
        with self.scope.transaction() as tx:
            return repo.cancel_requested(tx, self.run_id)


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
        results = run_pipeline(scope.tenant(), phase, on_progress=progress, should_stop=heartbeat.should_stop)
    except RunCancelled as stopped:
        finish_run(run_id, "cancelled", stopped.results)
        return stopped.results
    except BaseException as exc:
        finish_run(run_id, "failed", [], f"{type(exc).__name__}: {exc}")
        raise
    finish_run(run_id, "completed", results)
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
        started = boto3.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn,
            name=execution_name(event.slug, run_id),
            input=json.dumps({**payload, "face_matching": event.settings.face_matching}),
        )
    except Exception as exc:
        finish_run(run_id, "failed", [], f"the run could not start: {type(exc).__name__}: {exc}")
        raise
    with scope.transaction() as tx:
        repo.set_execution(tx, run_id, started["executionArn"])
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
    with none, the run is closed as completed in the same transaction.

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
            repo.finish_run(tx, run_id, "completed", results, None)
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
    playable copy), so a later scan does not bring it back. A Drive or live folder file stays
    where it is, the organizer's own: its key is remembered as deleted, so a later sync does not
    take it again until it changes. Only a failed photo: one that processed is hidden, never
    deleted, here."""
    from eventlens.audit import service as audit
    from eventlens.sources.service import remember_deleted
    from eventlens.storage import blob_store
    from eventlens.storage.keys import playable_key, thumbnail_prefix

    slug = scope.tenant().slug
    with scope.transaction() as tx:
        gone = repo.delete_failed_photo(tx, photo_id)
        if gone is None:
            raise PhotoNotFound(f"no photo {photo_id} whose processing failed")
        remember_deleted(tx, slug, gone.versions)
        audit.record(tx, "photo_delete", str(photo_id), filename=gone.filename)
    store = blob_store()
    derived = [info.key for info in store.list(thumbnail_prefix(slug, photo_id))]
    for key in [*gone.versions, *derived, playable_key(slug, photo_id)]:
        store.delete(key)


_local_lock = threading.Lock()
_threads: dict[UUID, threading.Thread] = {}


def start_background_run(scope: Scope, phase: str = "full", phases: tuple[str, ...] = ()) -> UUID:
    """Run the pipeline in a daemon thread (the embedded server); a running run is reused.
    `phases`, for a retry: run these (recorded under `phase`) instead. When it ends, the thread
    goes on with the event's queued jobs."""
    with _local_lock:
        with scope.transaction() as tx:
            repo.fail_abandoned(tx, LEASE)
            running = repo.running_run(tx)
        if running is not None and _alive(running):
            return running
        run_id = open_run(scope, phase)

        def work() -> None:
            job: tuple[UUID, str] | None = (run_id, phase)
            only = phases
            while job is not None:
                _run_in_thread(scope, *job, only)
                with scope.transaction() as tx:  # then the event's queue, highest priority first
                    job, only = repo.start_next_queued(tx), ()
                if job is not None:
                    _threads[job[0]] = threading.current_thread()

        thread = threading.Thread(target=work, name=f"eventlens-run-{run_id}", daemon=True)
        _threads[run_id] = thread
        thread.start()
        return run_id


def _run_in_thread(scope: Scope, run_id: UUID, phase: str, phases: tuple[str, ...] = ()) -> None:
    from eventlens.pipeline.runner import run_phases, run_pipeline

    heartbeat = _Heartbeat(scope, run_id)
    try:
        if phases:
            results = run_phases(
                scope.tenant(), phases, on_progress=heartbeat, should_stop=heartbeat.should_stop
            )
        else:
            results = run_pipeline(
                scope.tenant(), phase, on_progress=heartbeat, should_stop=heartbeat.should_stop
            )
    except RunCancelled as stopped:
        finish_run(run_id, "cancelled", stopped.results)
    except Exception as exc:
        log.exception("pipeline run %s failed", run_id)
        finish_run(run_id, "failed", [], f"{type(exc).__name__}: {exc}")
    else:
        finish_run(run_id, "completed", results)


def _alive(run_id: UUID) -> bool:
    thread = _threads.get(run_id)
    return thread is not None and thread.is_alive()


# Jobs: runs as the queue shows them (docs/glossary.md "job"), and what an organizer does to them.

JOB_LIST_LIMIT = 50


def list_jobs(scope: Scope) -> JobList:
    """The event's jobs: queued ones first in the order they will start, with their position and
    why they wait (computed here, never stored), then the running and the closed ones."""
    with scope.transaction() as tx:
        repo.fail_abandoned(tx, LEASE)
        jobs = repo.list_jobs(tx, JOB_LIST_LIMIT)
    return JobList(jobs=_with_queue(jobs))


def get_job(scope: Scope, job_id: UUID | str) -> Job:
    for job in list_jobs(scope).jobs:
        if str(job.id) == str(job_id):
            return job
    with scope.transaction() as tx:
        found = repo.get_job(tx, job_id)
    if found is None:
        raise RunNotFound(f"no job {job_id}")
    return found


def _with_queue(jobs: list[Job]) -> list[Job]:
    running = next((j for j in jobs if j.status == "running"), None)
    out, position = [], 0
    for job in jobs:
        if job.status == "queued":
            position += 1
            if running is not None:
                reason = f"waits for the running {running.phase} job {str(running.id)[:8]}"
            else:
                reason = "waits for a worker to take it"
            if position > 1:
                reason += f" and {position - 1} queued job(s) ahead of it"
            job = job.model_copy(update={"queue_position": position, "waiting_reason": reason})
        out.append(job)
    return out


def cancel_job(scope: Scope, job_id: UUID | str) -> Job:
    """Cancel a job. Queued: it never starts. Running locally: it stops at its next slice (a
    cooperative stop). Running on AWS: its execution is stopped (StopExecution) and the job closed;
    a photo its last batch held `processing` is taken back after the LEASE, so all stay resumable."""
    with scope.transaction() as tx:
        job = repo.get_job(tx, job_id)
        if job is None:
            raise RunNotFound(f"no job {job_id}")
        if job.status in CLOSED:
            raise Conflict(f"the job is already {job.status}")
        repo.request_cancel(tx, job_id)
    if job.status == "running" and job.execution_arn:
        import boto3

        boto3.client("stepfunctions").stop_execution(
            executionArn=job.execution_arn, error="Cancelled", cause="cancelled by an organizer"
        )
        finish_run(job.id, "cancelled", [r.model_dump() for r in job.results])
    return get_job(scope, job_id)


def retry_job(scope: Scope, job_id: UUID | str) -> Job:
    """Run a closed job's work again as a new job: started at once when nothing of the event runs,
    else queued behind the running one with the same priority. Locally, the run finishes what
    the first one left (photos are claimed by state, not by job)."""
    job = _retriable(scope, job_id)
    if settings().state_machine_arn:
        return get_job(scope, start_run(scope, job.phase).id)
    return get_job(scope, enqueue_local(scope, job.phase, job.priority))


def retry_job_here(scope: Scope, job_id: UUID | str, on_progress: ProgressFn | None = None) -> Job:
    """Retry in this process until it ends (the CLI: a daemon thread would die with it)."""
    job = _retriable(scope, job_id)
    run_recorded(scope, job.phase, on_progress=on_progress)
    with scope.transaction() as tx:
        newest = repo.list_jobs(tx, 1)
    return get_job(scope, newest[0].id)


def _retriable(scope: Scope, job_id: UUID | str) -> Job:
    with scope.transaction() as tx:
        job = repo.get_job(tx, job_id)
    if job is None:
        raise RunNotFound(f"no job {job_id}")
    if job.status not in CLOSED:
        raise Conflict(f"the job is {job.status}: cancel it first, or wait for it to end")
    if job.kind != "pipeline":
        raise Conflict(f"a {job.kind} job is retried where it was started")
    if job.phase == RETRY:  # the phases it retried are not recorded: a full run takes what still needs work
        return job.model_copy(update={"phase": "full"})
    return job


def enqueue_local(scope: Scope, phase: str, priority: int = 0) -> UUID:
    """Start a local run now, or queue it when one of the event's runs is going."""
    with _local_lock, scope.transaction() as tx:
        repo.fail_abandoned(tx, LEASE)
        running = repo.running_run(tx)
        if running is not None and _alive(running):
            return repo.insert_queued(tx, scope.tenant().id, phase, priority)
    return start_background_run(scope, phase)


def set_priority(scope: Scope, job_id: UUID | str, priority: int) -> Job:
    """Re-prioritise a job: among the event's queued jobs, the higher starts first."""
    with scope.transaction() as tx:
        job = repo.get_job(tx, job_id)
        if job is None:
            raise RunNotFound(f"no job {job_id}")
        if job.status in CLOSED:
            raise Conflict(f"the job is already {job.status}")
        repo.set_priority(tx, job_id, priority)
    return get_job(scope, job_id)


def record_job(scope: Scope, kind: str, status: str, started_at: datetime, line: str) -> None:
    """Record an archive build, a purge or a re-embed as a closed job of the event, so the Jobs list
    shows every kind of work (they have their own state; only pipeline jobs are queued or retried)."""
    with scope.transaction() as tx:
        repo.insert_closed(tx, scope.tenant().id, kind, status, started_at, line)
