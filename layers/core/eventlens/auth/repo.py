"""SQL for credentials: the event's organizer password hash (embedded sign-in)."""

from __future__ import annotations

from uuid import UUID

from eventlens.db import Tx


def get_password_hash(tx: Tx, slug: str) -> str | None:
    """The event's organizer password hash; None when the event or its password does not exist.

    The app role cannot read the column; `event_password_hash()` answers only the `system` actor
    and the event's own organizer (migration 0006)."""
    row = tx.execute("SELECT event_password_hash(%s) AS password_hash", (slug,)).fetchone()
    return None if row is None else row["password_hash"]


def set_password_hash(tx: Tx, event_id: UUID, password_hash: str) -> None:
    tx.execute("UPDATE events SET password_hash = %s WHERE id = %s", (password_hash, event_id))


def revoke_sessions(tx: Tx, event_id: UUID) -> None:
    """Every token issued before now is refused from now on."""
    tx.execute("UPDATE events SET sessions_valid_after = now() WHERE id = %s", (event_id,))


def count_attempt(tx: Tx, slug: str, client: str, free: int, max_wait_s: float, decay_s: float) -> float:
    """Count one sign-in attempt as failed until it succeeds; seconds to wait first (0: go ahead).

    The row is locked, so concurrent attempts serialize on it. After `free` failures each further
    one doubles the wait (capped at `max_wait_s`); a row quiet for `decay_s` starts over. An attempt
    refused for waiting is not counted.
    """
    tx.execute(
        "INSERT INTO sign_in_failures (slug, client) VALUES (%s, %s) ON CONFLICT DO NOTHING", (slug, client)
    )
    row = tx.execute(
        "SELECT failures, extract(epoch FROM blocked_until - now()) AS wait,"
        " extract(epoch FROM now() - updated_at) AS quiet"
        " FROM sign_in_failures WHERE slug = %s AND client = %s FOR UPDATE",
        (slug, client),
    ).fetchone()
    assert row is not None
    if row["wait"] is not None and row["wait"] > 0:
        return float(row["wait"])
    failures = 1 if row["quiet"] > decay_s else row["failures"] + 1
    wait = min(max_wait_s, 2.0 ** (failures - free)) if failures > free else None
    tx.execute(
        "UPDATE sign_in_failures SET failures = %s, updated_at = now(),"
        " blocked_until = now() + make_interval(secs => %s) WHERE slug = %s AND client = %s",
        (failures, wait, slug, client),
    )
    return 0.0


def clear_failures(tx: Tx, slug: str, client: str) -> None:
    tx.execute("DELETE FROM sign_in_failures WHERE slug = %s AND client = %s", (slug, client))


def forgive_attempt(tx: Tx, slug: str, client: str) -> None:
    """Take back the failure counted for an attempt that succeeded."""
    tx.execute(
        "UPDATE sign_in_failures SET failures = greatest(failures - 1, 0) WHERE slug = %s AND client = %s",
        (slug, client),
    )
