"""tag: one thematic gallery tab per photo, from its description and its face count.

Keyword rules over the description, OCR text, folder and filename come first (an organizer's
"Keynote/" folder or a slide saying "Workshop" is the strongest signal); the face count decides
between portraits and group photos when no theme matches.
"""

from __future__ import annotations

import re
from typing import Any

from eventlens.db import pipeline_repo, scoped
from eventlens.pipeline.context import PhaseContext

PHASE = "tag"

RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Stage & Keynotes",
        (
            "keynote",
            "stage",
            "speaker",
            "speech",
            "talk",
            "podium",
            "lectern",
            "panel",
            "presentation",
            "presenting",
            "slide",
            "auditorium",
            "conference",
            "lecture",
        ),
    ),
    (
        "Workshops",
        (
            "workshop",
            "hands-on",
            "hands on",
            "training",
            "tutorial",
            "hackathon",
            "lab",
            "class",
            "breakout",
            "whiteboard",
        ),
    ),
    (
        "Expo & Booths",
        (
            "booth",
            "expo",
            "exhibit",
            "exhibition",
            "exhibitor",
            "stand",
            "sponsor",
            "demo",
            "showcase",
            "trade show",
        ),
    ),
    (
        "Food & Drinks",
        (
            "food",
            "lunch",
            "dinner",
            "breakfast",
            "brunch",
            "coffee",
            "drink",
            "drinks",
            "buffet",
            "bar",
            "catering",
            "snack",
            "beer",
            "wine",
            "cocktail",
            "dessert",
            "meal",
        ),
    ),
    (
        "Networking",
        (
            "networking",
            "mingle",
            "mingling",
            "reception",
            "meetup",
            "meet-up",
            "happy hour",
            "conversation",
            "chatting",
            "party",
            "social",
        ),
    ),
)
_PATTERNS = [
    (tag, re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.I)) for tag, words in RULES
]


def auto_tag(row: dict[str, Any]) -> str | None:
    text = (
        " ".join(
            str(row.get(k) or "")
            for k in ("folder", "filename", "scene_description", "people_descriptions", "visible_text")
        )
        .replace("_", " ")
        .replace("/", " ")
    )
    for tag, pattern in _PATTERNS:
        if pattern.search(text):
            return tag
    faces = row.get("face_count") or 0
    if faces >= 3:
        return "Group Photos"
    if faces >= 1:
        return "Portraits"
    return None


def run(ctx: PhaseContext) -> tuple[int, int, bool]:
    with scoped(ctx.event.id) as conn:
        rows = pipeline_repo.tag_rows(conn, ctx.event.id)
        changed = [(row["id"], tag) for row in rows if (tag := auto_tag(row)) != row["auto_tag"]]
        pipeline_repo.set_tags(conn, changed)
    ctx.item_done()
    return len(rows), 0, True
