"""SQL for moderation: hiding a photo, review decisions and the review queue."""

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


def decide(tx: Tx, photo_id: UUID, decision: str) -> PhotoRow | None:
    row = tx.execute(
        "UPDATE photos p SET review = %s, reviewed_at = now(), updated_at = now()"
        " WHERE p.event_id = current_event_id() AND p.id = %s RETURNING " + PHOTO_COLUMNS,
        (decision, photo_id),
    ).fetchone()
    return None if row is None else PhotoRow.of(row)


def held(tx: Tx, limit: int = 500) -> list[PhotoRow]:
    """Photos whose review is pending, highest nsfw_score first."""
    rows = tx.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id()"
        " AND p.review = 'pending' ORDER BY p.nsfw_score DESC NULLS LAST, p.id LIMIT %s",
        (limit,),
    ).fetchall()
    return [PhotoRow.of(r) for r in rows]


def rescore(tx: Tx, nsfw_threshold: float) -> int:
    """Undecided, analyzed photos held or released against a new threshold."""
    return tx.execute(
        "UPDATE photos SET review = CASE WHEN nsfw_score >= %s THEN 'pending' ELSE 'not_needed' END"
        " WHERE event_id = current_event_id() AND analyze_status = 'completed'"
        " AND review IN ('not_needed', 'pending')"
        " AND review IS DISTINCT FROM CASE WHEN nsfw_score >= %s THEN 'pending' ELSE 'not_needed' END",
        (nsfw_threshold, nsfw_threshold),
    ).rowcount
