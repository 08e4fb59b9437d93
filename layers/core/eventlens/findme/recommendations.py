""" "You might also appear in": photos find-me did not claim but that are worth a look.

Two signals: faces just under the threshold (a profile, a blurred face), and "photos of your
crew": group photos of the people you are photographed with (faceclusters.crews: a co-appearance
graph normalised so a host in every photo does not dominate; each person counted once per photo;
never a crew mate's solo portrait), where you may stand half hidden.
"""

from __future__ import annotations

from eventlens.db.photos import PhotoRow
from eventlens.findme.views import Recommendation
from eventlens.media.views import photo_view

MAX_RECOMMENDATIONS = 12


def recommend(
    mine: list[PhotoRow], near: list[PhotoRow], crew: list[tuple[PhotoRow, int]]
) -> list[Recommendation]:
    """Near misses first (closest face first), then photos of your crew (best first)."""
    out: list[Recommendation] = []
    seen = {r.id for r in mine}
    for row in near:
        if row.id not in seen:
            seen.add(row.id)
            out.append(Recommendation(photo=photo_view(row), reason="A face in this photo looks like yours"))
    for row, count in crew:
        if row.id not in seen:
            seen.add(row.id)
            people = "someone" if count == 1 else f"{count} people"
            out.append(
                Recommendation(
                    photo=photo_view(row),
                    reason=f"Photo of your crew: shows {people} you were photographed with",
                )
            )
    return out[:MAX_RECOMMENDATIONS]
