"""tag: one thematic gallery tab per photo, from its description and its face count.

Keyword rules over the description, OCR text, folder and filename come first (an organizer's
"Keynote/" folder or a slide saying "Workshop" is the strongest signal); the face count decides
between portraits and group photos when no theme matches.
"""

from __future__ import annotations

import re

from eventlens.pipeline import repo
from eventlens.pipeline.context import PhaseContext
from eventlens.pipeline.repo import TagInput

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


def auto_tag(row: TagInput) -> str | None:
    text = (
        " ".join(
            str(getattr(row, k) or "")
            for k in ("folder", "filename", "scene_description", "people_descriptions", "visible_text")
        )
        .replace("_", " ")
        .replace("/", " ")
    )
    for tag, pattern in _PATTERNS:
        if pattern.search(text):
            return tag
    faces = row.face_count or 0
    if faces >= 3:
        return "Group Photos"
    if faces >= 1:
        return "Portraits"
    return None


def run(ctx: PhaseContext) -> tuple[int, int, bool]:
    with ctx.scope.transaction() as tx:
        rows = repo.tag_inputs(tx)
        changed = [(row.id, tag) for row in rows if (tag := auto_tag(row)) != row.auto_tag]
        repo.set_tags(tx, changed)
    ctx.item_done()
    return len(rows), 0, True
