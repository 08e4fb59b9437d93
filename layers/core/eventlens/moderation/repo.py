"""SQL for moderation: hiding a photo, and the photos the NSFW score flagged."""

from __future__ import annotations

from uuid import UUID

from eventlens.db import Tx
from eventlens.db.photos import PHOTO_COLUMNS, PhotoRow


def set_hidden(tx: Tx, photo_id: UUID, hidden: bool) -> PhotoRow | None:
    row = tx.execute(
        "UPDATE photos p SET hidden = %s, updated_at = now() WHERE p.event_id = current_event_id() AND p.id = %s"
        " RETURNING " + PHOTO_COLUMNS,
        (hidden, photo_id),
    ).fetchone()
    return None if row is None else PhotoRow.of(row)


def flagged(tx: Tx, nsfw_threshold: float, limit: int = 500) -> list[PhotoRow]:
    """Photos whose nsfw_score reaches the event's nsfw_threshold, highest first."""
    rows = tx.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id()"
        " AND p.nsfw_score >= %s ORDER BY p.nsfw_score DESC, p.id LIMIT %s",
        (nsfw_threshold, limit),
    ).fetchall()
    return [PhotoRow.of(r) for r in rows]
