""" "You might also appear in": photos find-me did not claim but that are worth a look.

Two signals: faces just under the threshold (a profile, a blurred face), and co-occurrence —
photos of the people you were photographed with, where you may stand half hidden.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg

from eventlens.db import search_repo
from eventlens.photos import photo_view
from eventlens.search.models import Recommendation

MAX_RECOMMENDATIONS = 12


def recommend(
    conn: psycopg.Connection[Any],
    embedding: np.ndarray,
    model: str,
    threshold: float,
    mine: list[dict[str, Any]],
    near: list[dict[str, Any]],
) -> list[Recommendation]:
    """Near misses first (closest face first), then photos shared with companions (most companions first)."""
    out: list[Recommendation] = []
    seen = {r["id"] for r in mine}
    for row in near:
        if row["id"] not in seen:
            seen.add(row["id"])
            out.append(Recommendation(photo=photo_view(row), reason="A face in this photo looks like yours"))
    if mine:
        companions = search_repo.companion_photos(
            conn, embedding, model, threshold, [r["id"] for r in mine], limit=MAX_RECOMMENDATIONS
        )
        for row in companions:
            if row["id"] not in seen:
                seen.add(row["id"])
                people = "someone" if row["companions"] == 1 else f"{row['companions']} people"
                out.append(
                    Recommendation(photo=photo_view(row), reason=f"Shows {people} you were photographed with")
                )
    return out[:MAX_RECOMMENDATIONS]
