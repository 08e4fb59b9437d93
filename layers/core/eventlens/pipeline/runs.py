"""Pipeline runs: what was started, how it ended, and each phase's state for the admin page.

Locally, `start_background_run` runs the pipeline in a daemon thread and records its results;
on AWS the admin Lambda starts a Step Functions execution instead and the state machine's
"record run" step calls `start_run` / `finish_run`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from uuid import UUID

from eventlens.db import pipeline_repo, runs_repo, scoped

log = logging.getLogger(__name__)


class RunNotFound(LookupError):
    pass


def start_run(event_id: UUID | str, phase: str) -> UUID:
    with scoped(event_id) as conn:
        return runs_repo.insert_run(conn, event_id, phase)


def finish_run(
    run_id: UUID | str, status: str, results: list[dict[str, Any]], error: str | None = None
) -> None:
    """Close a run by its id alone (the state machine knows no more); its event is looked up."""
    with scoped(None) as conn:
        event_id = runs_repo.run_event_id(conn, run_id)
    if event_id is None:
        raise RunNotFound(f"no pipeline run {run_id}")
    with scoped(event_id) as conn:
        runs_repo.finish_run(conn, run_id, status, results, error)


def get_run(event_id: UUID | str, run_id: UUID | str) -> dict[str, Any]:
    with scoped(event_id) as conn:
        row = runs_repo.get_run(conn, run_id)
    if row is None:
        raise RunNotFound(f"no pipeline run {run_id}")
    return row


def list_runs(event_id: UUID | str, limit: int = 20) -> list[dict[str, Any]]:
    with scoped(event_id) as conn:
        return runs_repo.list_runs(conn, limit)


def phase_counts(event_id: UUID | str) -> list[dict[str, Any]]:
    with scoped(event_id) as conn:
        return pipeline_repo.phase_counts(conn, event_id)


def list_errors(event_id: UUID | str) -> list[dict[str, Any]]:
    with scoped(event_id) as conn:
        return pipeline_repo.list_errors(conn, event_id)


_local_lock = threading.Lock()


def start_background_run(event_id: UUID | str, phase: str = "full") -> UUID:
    """Run the pipeline in a daemon thread (the embedded server); a running run is reused."""
    from eventlens.pipeline.runner import run_pipeline

    with _local_lock:
        with scoped(event_id) as conn:
            running = runs_repo.running_run(conn)
        if running is not None and _alive(running):
            return running
        run_id = start_run(event_id, phase)

        def work() -> None:
            try:
                results = run_pipeline(event_id, phase)
            except Exception as exc:
                log.exception("pipeline run %s failed", run_id)
                finish_run(run_id, "failed", [], f"{type(exc).__name__}: {exc}")
            else:
                finish_run(run_id, "succeeded", results)

        thread = threading.Thread(target=work, name=f"eventlens-run-{run_id}", daemon=True)
        _threads[run_id] = thread
        thread.start()
        return run_id


_threads: dict[UUID, threading.Thread] = {}


def _alive(run_id: UUID) -> bool:
    thread = _threads.get(run_id)
    return thread is not None and thread.is_alive()
