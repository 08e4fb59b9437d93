"""The shared window's SQL: two functions of migration 0017, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from eventlens.db import Tx


@dataclass(frozen=True)
class Take:
    wait_s: float
    """0.0: a start was taken; otherwise how long until one may be."""
    started_at: datetime | None
    """The database's clock at the start taken (None when none was)."""


def take(tx: Tx, bucket: str, limit: int, window_s: float) -> Take:
    row = tx.execute(
        "SELECT wait_s, started_at FROM gemini_rate_take(%s, %s, %s)", (bucket, limit, window_s)
    ).fetchone()
    assert row is not None
    return Take(float(row["wait_s"]), row["started_at"])


def hold(tx: Tx, bucket: str, seconds: float) -> None:
    tx.execute("SELECT gemini_rate_hold(%s, %s)", (bucket, seconds))
