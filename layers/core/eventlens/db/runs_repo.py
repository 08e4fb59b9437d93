"""SQL for pipeline runs (one row per `full` or single-phase run, with its phase results)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

_COLUMNS = "id, event_id, phase, status, results, error, execution_arn, started_at, finished_at"


def insert_run(conn: psycopg.Connection[Any], event_id: UUID | str, phase: str) -> UUID:
    row = conn.execute(
        "INSERT INTO pipeline_runs (event_id, phase) VALUES (%s, %s) RETURNING id", (event_id, phase)
    ).fetchone()
    assert row is not None
    conn.execute("INSERT INTO pipeline_run_events (run_id, event_id) VALUES (%s, %s)", (row["id"], event_id))
    return row["id"]


def run_event_id(conn: psycopg.Connection[Any], run_id: UUID | str) -> UUID | None:
    row = conn.execute("SELECT event_id FROM pipeline_run_events WHERE run_id = %s", (run_id,)).fetchone()
    return None if row is None else row["event_id"]


def finish_run(
    conn: psycopg.Connection[Any],
    run_id: UUID | str,
    status: str,
    results: list[dict[str, Any]],
    error: str | None,
) -> bool:
    cur = conn.execute(
        "UPDATE pipeline_runs SET status = %s, results = %s, error = %s, finished_at = now() WHERE id = %s",
        (status, Jsonb(results), error, run_id),
    )
    return cur.rowcount > 0


def set_results(conn: psycopg.Connection[Any], run_id: UUID | str, results: list[dict[str, Any]]) -> None:
    conn.execute("UPDATE pipeline_runs SET results = %s WHERE id = %s", (Jsonb(results), run_id))


def get_run(conn: psycopg.Connection[Any], run_id: UUID | str) -> dict[str, Any] | None:
    return conn.execute(f"SELECT {_COLUMNS} FROM pipeline_runs WHERE id = %s", (run_id,)).fetchone()


def list_runs(conn: psycopg.Connection[Any], limit: int) -> list[dict[str, Any]]:
    return conn.execute(
        f"SELECT {_COLUMNS} FROM pipeline_runs ORDER BY started_at DESC LIMIT %s", (limit,)
    ).fetchall()


def running_run(conn: psycopg.Connection[Any]) -> UUID | None:
    row = conn.execute(
        "SELECT id FROM pipeline_runs WHERE status = 'running' ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    return None if row is None else row["id"]
