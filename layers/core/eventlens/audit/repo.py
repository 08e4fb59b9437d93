"""SQL for the audit log: append (the trigger fills who, when, where and the hash), read, verify."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from eventlens.audit.views import AuditEntry, ChainProblem
from eventlens.db import Tx

_COLUMNS = (
    "seq, at, event_id, actor, subject, origin, action, target, outcome, detail, encode(hash, 'hex') AS hash"
)


def append(
    tx: Tx,
    action: str,
    target: str | None,
    outcome: str,
    detail: dict[str, Any],
    event_id: UUID | None = None,
) -> int:
    """`event_id` counts only for the operator with no event in scope (the trigger decides)."""
    tx.execute(
        "INSERT INTO audit_log (action, target, outcome, detail, event_id) VALUES (%s, %s, %s, %s, %s)",
        (action, target, outcome, Jsonb(detail), event_id),
    )
    row = tx.execute("SELECT current_setting('eventlens.audit_seq') AS seq").fetchone()  # set by the trigger
    assert row is not None
    return int(row["seq"])


def entries(tx: Tx, action: str | None, before_seq: int | None, limit: int) -> list[AuditEntry]:
    """Newest first; what row-level security lets the actor read (staff: its event's)."""
    rows = tx.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE (%(action)s::text IS NULL OR action = %(action)s)"
        " AND (%(before)s::bigint IS NULL OR seq < %(before)s) ORDER BY seq DESC LIMIT %(limit)s",
        {"action": action, "before": before_seq, "limit": limit},
    ).fetchall()
    return [AuditEntry.model_validate(r) for r in rows]


def all_entries(tx: Tx, batch: int = 1000) -> Any:
    """Every readable entry, oldest first, in batches (an export streams them)."""
    after = 0
    while True:
        rows = tx.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE seq > %s ORDER BY seq LIMIT %s", (after, batch)
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield AuditEntry.model_validate(row)
        after = rows[-1]["seq"]


def verify(tx: Tx) -> tuple[int, list[ChainProblem]]:
    problems = [ChainProblem.model_validate(r) for r in tx.execute("SELECT seq, problem FROM audit_verify()")]
    count = tx.execute("SELECT count(*) AS n FROM audit_log").fetchone()
    return (int(count["n"]) if count else 0), problems
