"""SQL for pipeline runs (one row per `full` or single-phase run) and the per-phase picture of an event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.types.json import Jsonb

from eventlens.db import Tx
from eventlens.jobs.views import Job, PhaseCounts, PipelineRun, resource_class_of
from eventlens.pipeline.graph import PHOTO_PHASES

_COLUMNS = "id, phase, status, results, error, started_at, finished_at, progress"
_JOB_COLUMNS = (
    _COLUMNS
    + ", kind, priority, resource_class, created_at, cancel_requested_at IS NOT NULL AS cancel_requested,"
    " log, execution_arn"
)
LOG_KEEP = 200
"""Log lines a job keeps (the latest)."""


def insert_run(tx: Tx, event_id: UUID, phase: str) -> UUID:
    row = tx.execute(
        "INSERT INTO pipeline_runs (event_id, phase, resource_class) VALUES (%s, %s, %s) RETURNING id",
        (event_id, phase, resource_class_of(phase)),
    ).fetchone()
    assert row is not None
    tx.execute("INSERT INTO pipeline_run_events (run_id, event_id) VALUES (%s, %s)", (row["id"], event_id))
    return UUID(str(row["id"]))


def run_event_id(tx: Tx, run_id: UUID | str) -> UUID | None:
    row = tx.execute("SELECT event_id FROM pipeline_run_events WHERE run_id = %s", (run_id,)).fetchone()
    return None if row is None else row["event_id"]


def finish_run(
    tx: Tx, run_id: UUID | str, status: str, results: list[dict[str, Any]], error: str | None
) -> bool:
    """Close the job; a cancelled one stays cancelled (its execution may still report its end)."""
    cur = tx.execute(
        "UPDATE pipeline_runs SET status = CASE WHEN status = 'cancelled' THEN status ELSE %s END,"
        " results = %s, error = coalesce(%s, error), finished_at = coalesce(finished_at, now()),"
        " log = (log || %s::text)[greatest(1, cardinality(log) - %s + 2):] WHERE id = %s",
        (status, Jsonb(results), error, f"{status}" + (f": {error}" if error else ""), LOG_KEEP, run_id),
    )
    return cur.rowcount > 0


def get_job(tx: Tx, job_id: UUID | str) -> Job | None:
    row = tx.execute(
        f"SELECT {_JOB_COLUMNS} FROM pipeline_runs WHERE event_id = current_event_id() AND id = %s", (job_id,)
    ).fetchone()
    return None if row is None else Job.model_validate(row)


def list_jobs(tx: Tx, limit: int) -> list[Job]:
    """Queued jobs first in the order they will start, then the rest newest first."""
    rows = tx.execute(
        f"SELECT {_JOB_COLUMNS} FROM pipeline_runs WHERE event_id = current_event_id()"
        " ORDER BY status = 'queued' DESC, status = 'running' DESC,"
        " CASE WHEN status = 'queued' THEN priority END DESC, CASE WHEN status = 'queued' THEN created_at END,"
        " created_at DESC LIMIT %s",
        (limit,),
    ).fetchall()
    return [Job.model_validate(r) for r in rows]


def insert_queued(tx: Tx, event_id: UUID, phase: str, priority: int) -> UUID:
    """A job that waits for the event's running job to end (and for those queued before it)."""
    row = tx.execute(
        "INSERT INTO pipeline_runs (event_id, phase, status, priority, resource_class, started_at, log)"
        " VALUES (%s, %s, 'queued', %s, %s, NULL, ARRAY['queued']) RETURNING id",
        (event_id, phase, priority, resource_class_of(phase)),
    ).fetchone()
    assert row is not None
    tx.execute("INSERT INTO pipeline_run_events (run_id, event_id) VALUES (%s, %s)", (row["id"], event_id))
    return UUID(str(row["id"]))


def insert_closed(
    tx: Tx,
    event_id: UUID,
    kind: str,
    status: str,
    started_at: datetime,
    line: str,
    resource_class: str = "cpu",
) -> UUID:
    """A job of another kind (archive, purge, re-embed) recorded once it ended, with one log line."""
    row = tx.execute(
        "INSERT INTO pipeline_runs (event_id, phase, kind, status, resource_class, started_at, created_at,"
        " finished_at, log) VALUES (%s, %s, %s, %s, %s, %s, %s, now(), ARRAY[%s]) RETURNING id",
        (event_id, kind, kind, status, resource_class, started_at, started_at, line[:500]),
    ).fetchone()
    assert row is not None
    tx.execute("INSERT INTO pipeline_run_events (run_id, event_id) VALUES (%s, %s)", (row["id"], event_id))
    return UUID(str(row["id"]))


def start_next_queued(tx: Tx) -> tuple[UUID, str] | None:
    """The event's next queued job (highest priority, then oldest), now running: its id and phase."""
    row = tx.execute(
        "UPDATE pipeline_runs SET status = 'running', started_at = now(), heartbeat_at = now(),"
        " log = log || ARRAY['started'] WHERE id = (SELECT id FROM pipeline_runs"
        " WHERE event_id = current_event_id() AND status = 'queued'"
        " ORDER BY priority DESC, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, phase"
    ).fetchone()
    return None if row is None else (row["id"], row["phase"])


def request_cancel(tx: Tx, job_id: UUID | str) -> str | None:
    """Ask a job to stop: a queued or pending one is cancelled at once, a running one is flagged and
    stops at its next slice. The job's status after, or None when there is no such job."""
    row = tx.execute(
        "UPDATE pipeline_runs SET cancel_requested_at = coalesce(cancel_requested_at, now()),"
        " status = CASE WHEN status IN ('queued', 'pending') THEN 'cancelled' ELSE status END,"
        " finished_at = CASE WHEN status IN ('queued', 'pending') THEN now() ELSE finished_at END,"
        " log = log || ARRAY['cancel requested']"
        " WHERE event_id = current_event_id() AND id = %s RETURNING status",
        (job_id,),
    ).fetchone()
    return None if row is None else str(row["status"])


def cancel_requested(tx: Tx, job_id: UUID | str) -> bool:
    row = tx.execute(
        "SELECT cancel_requested_at IS NOT NULL AS asked FROM pipeline_runs WHERE id = %s", (job_id,)
    ).fetchone()
    return bool(row and row["asked"])


def set_priority(tx: Tx, job_id: UUID | str, priority: int) -> bool:
    return (
        tx.execute(
            "UPDATE pipeline_runs SET priority = %s, log = log || ('priority ' || %s::text)"
            " WHERE event_id = current_event_id() AND id = %s",
            (priority, priority, job_id),
        ).rowcount
        > 0
    )


def set_execution(tx: Tx, job_id: UUID | str, execution_arn: str) -> None:
    tx.execute("UPDATE pipeline_runs SET execution_arn = %s WHERE id = %s", (execution_arn, job_id))


def record_progress(tx: Tx, job_id: UUID | str, phase: str, done: int, total: int) -> None:
    """Per-phase progress of a running job, as its worker reports it."""
    tx.execute(
        "UPDATE pipeline_runs SET progress = progress || jsonb_build_object(%s::text,"
        " jsonb_build_object('done', %s::int, 'total', %s::int)), heartbeat_at = now()"
        " WHERE event_id = current_event_id() AND id = %s AND status = 'running'",
        (phase, done, total, job_id),
    )


def append_log(tx: Tx, job_id: UUID | str, line: str) -> None:
    tx.execute(
        "UPDATE pipeline_runs SET log = (log || %s::text)[greatest(1, cardinality(log) - %s + 2):]"
        " WHERE event_id = current_event_id() AND id = %s",
        (line[:500], LOG_KEEP, job_id),
    )


def beat(tx: Tx, run_id: UUID | str) -> None:
    """The run's worker is alive (a running run only: a closed one stays closed)."""
    tx.execute(
        "UPDATE pipeline_runs SET heartbeat_at = now() WHERE event_id = current_event_id() AND id = %s"
        " AND status = 'running'",
        (run_id,),
    )


def fail_abandoned(tx: Tx, silent_for: timedelta) -> int:
    """Close as failed every running run of the event whose worker has not beaten for `silent_for`."""
    return tx.execute(
        "UPDATE pipeline_runs SET status = 'failed', finished_at = now(),"
        " error = 'the worker stopped without finishing (no heartbeat since ' || heartbeat_at || ')'"
        " WHERE event_id = current_event_id() AND status = 'running' AND heartbeat_at < now() - %s",
        (silent_for,),
    ).rowcount


def get_run(tx: Tx, run_id: UUID | str) -> PipelineRun | None:
    row = tx.execute(
        f"SELECT {_COLUMNS} FROM pipeline_runs WHERE event_id = current_event_id() AND id = %s", (run_id,)
    ).fetchone()
    return None if row is None else PipelineRun.model_validate(row)


def list_runs(tx: Tx, limit: int) -> list[PipelineRun]:
    rows = tx.execute(
        f"SELECT {_COLUMNS} FROM pipeline_runs WHERE event_id = current_event_id() AND kind = 'pipeline'"
        " ORDER BY created_at DESC LIMIT %s",
        (limit,),
    ).fetchall()
    return [PipelineRun.model_validate(r) for r in rows]


def lock_run_start(tx: Tx) -> None:
    """Serialize "is a run going? else open one" per event, until this transaction ends."""
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('eventlens-run-start:' || current_event_id(), 0))"
    )


def running_run(tx: Tx) -> UUID | None:
    row = tx.execute(
        "SELECT id FROM pipeline_runs WHERE event_id = current_event_id() AND status = 'running'"
        " AND kind = 'pipeline' ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    return None if row is None else row["id"]


def phase_counts(tx: Tx) -> list[PhaseCounts]:
    """Photos per status, for every per-photo phase of the event in scope."""
    out = []
    for phase in PHOTO_PHASES:
        rows = tx.execute(
            sql.SQL(
                "SELECT {s} AS status, count(*) AS n FROM photos WHERE event_id = current_event_id() GROUP BY 1"
            ).format(s=sql.Identifier(f"{phase}_status"))
        ).fetchall()
        counts = {"pending": 0, "processing": 0, "completed": 0, "error": 0, "skipped": 0}
        counts.update({r["status"]: int(r["n"]) for r in rows})
        out.append(PhaseCounts(phase=phase, **counts))
    return out


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """One photo's failure in one phase, with the message as recorded."""

    photo_id: UUID
    filename: str
    phase: str
    detail: str


def list_errors(tx: Tx) -> list[ErrorRow]:
    parts = [
        sql.SQL(
            "SELECT id AS photo_id, filename, {p} AS phase, {e} AS error, created_at FROM photos "
            "WHERE event_id = current_event_id() AND {s} = 'error'"
        ).format(
            p=sql.Literal(phase), e=sql.Identifier(f"{phase}_error"), s=sql.Identifier(f"{phase}_status")
        )
        for phase in PHOTO_PHASES
    ]
    query = sql.SQL(
        "SELECT photo_id, filename, phase, error AS detail FROM ({u}) AS e ORDER BY created_at, filename, phase"
    )
    return [ErrorRow(**r) for r in tx.execute(query.format(u=sql.SQL(" UNION ALL ").join(parts)))]


@dataclass(frozen=True, slots=True)
class DeletedPhoto:
    """A failed photo's row as it was deleted, and the keys of the stored objects that were it."""

    photo_id: UUID
    filename: str
    versions: dict[str, str]
    """Each stored object's key (the photo's, then its aliases'), with the version (etag) it had."""


def delete_failed_photo(tx: Tx, photo_id: UUID) -> DeletedPhoto | None:
    """Deletes the photo only if a phase failed on it (faces and aliases go with it, ON DELETE
    CASCADE); None when there is no such failed photo."""
    failed = sql.SQL(" OR ").join(
        sql.SQL("{s} = 'error'").format(s=sql.Identifier(f"{phase}_status")) for phase in PHOTO_PHASES
    )
    aliases = tx.execute(
        "SELECT source_key, etag FROM photo_aliases WHERE event_id = current_event_id() AND photo_id = %s",
        (photo_id,),
    ).fetchall()
    row = tx.execute(
        sql.SQL(
            "DELETE FROM photos WHERE event_id = current_event_id() AND id = %s AND ({failed})"
            " RETURNING id, filename, source_key, etag"
        ).format(failed=failed),
        (photo_id,),
    ).fetchone()
    if row is None:
        return None
    versions = {row["source_key"]: row["etag"] or "", **{a["source_key"]: a["etag"] or "" for a in aliases}}
    return DeletedPhoto(photo_id=row["id"], filename=row["filename"], versions=versions)
