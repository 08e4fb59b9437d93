"""SQL for pipeline runs (one row per `full` or single-phase run) and the per-phase picture of an event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.types.json import Jsonb

from eventlens.db import Tx
from eventlens.jobs.views import PhaseCounts, PipelineRun
from eventlens.pipeline.graph import PHOTO_PHASES

_COLUMNS = "id, phase, status, results, error, started_at, finished_at"


def insert_run(tx: Tx, event_id: UUID, phase: str) -> UUID:
    row = tx.execute(
        "INSERT INTO pipeline_runs (event_id, phase) VALUES (%s, %s) RETURNING id", (event_id, phase)
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
    cur = tx.execute(
        "UPDATE pipeline_runs SET status = %s, results = %s, error = %s, finished_at = now() WHERE id = %s",
        (status, Jsonb(results), error, run_id),
    )
    return cur.rowcount > 0


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
        f"SELECT {_COLUMNS} FROM pipeline_runs WHERE event_id = current_event_id() ORDER BY started_at DESC LIMIT %s",
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
        " ORDER BY started_at DESC LIMIT 1"
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
    source_keys: list[str]


def delete_failed_photo(tx: Tx, photo_id: UUID) -> DeletedPhoto | None:
    """Deletes the photo only if a phase failed on it (faces and aliases go with it, ON DELETE
    CASCADE); None when there is no such failed photo."""
    failed = sql.SQL(" OR ").join(
        sql.SQL("{s} = 'error'").format(s=sql.Identifier(f"{phase}_status")) for phase in PHOTO_PHASES
    )
    aliases = tx.execute(
        "SELECT source_key FROM photo_aliases WHERE event_id = current_event_id() AND photo_id = %s",
        (photo_id,),
    ).fetchall()
    row = tx.execute(
        sql.SQL(
            "DELETE FROM photos WHERE event_id = current_event_id() AND id = %s AND ({failed})"
            " RETURNING id, filename, source_key"
        ).format(failed=failed),
        (photo_id,),
    ).fetchone()
    if row is None:
        return None
    keys = [row["source_key"], *(a["source_key"] for a in aliases)]
    return DeletedPhoto(photo_id=row["id"], filename=row["filename"], source_keys=keys)
