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
