""" "You might also appear in": photos find-me did not claim but that are worth a look.

Two signals: faces just under the threshold (a profile, a blurred face), and co-occurrence —
photos of the people you were photographed with, where you may stand half hidden.
"""

from __future__ import annotations

import numpy as np

from eventlens.db import Tx
from eventlens.db.photos import PhotoRow
from eventlens.findme import repo
from eventlens.findme.views import Recommendation
from eventlens.media.views import photo_view

MAX_RECOMMENDATIONS = 12


def recommend(
    tx: Tx,
    embedding: np.ndarray,
    model: str,
    threshold: float,
    mine: list[PhotoRow],
    near: list[PhotoRow],
) -> list[Recommendation]:
    """Near misses first (closest face first), then photos shared with companions (most companions first)."""
    out: list[Recommendation] = []
    seen = {r.id for r in mine}
    for row in near:
        if row.id not in seen:
            seen.add(row.id)
            out.append(Recommendation(photo=photo_view(row), reason="A face in this photo looks like yours"))
    if mine:
        companions = repo.companion_photos(
            tx, embedding, model, threshold, [r.id for r in mine], limit=MAX_RECOMMENDATIONS
        )
        for row, count in companions:
            if row.id not in seen:
                seen.add(row.id)
                people = "someone" if count == 1 else f"{count} people"
                out.append(
                    Recommendation(photo=photo_view(row), reason=f"Shows {people} you were photographed with")
                )
    return out[:MAX_RECOMMENDATIONS]
