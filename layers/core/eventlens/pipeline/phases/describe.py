"""describe: visible text, people and scene for each photo, by the configured describer.

"local" reads text by OCR and writes a scene line from what is known (faces, folder, time,
camera); "gemini" asks Gemini vision. The face count found by the faces phase wins over a
describer's guess, so describe only fills it where faces has not run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventlens.db import Tx
from eventlens.media.decode import DecodedMedia
from eventlens.ml.describe import Description
from eventlens.pipeline import repo
from eventlens.pipeline.context import PhaseContext, Row, fail_safely, load_media, run_photo_items
from eventlens.resilience import Deadline

PHASE = "describe"


@dataclass
class Outcome:
    ok: bool
    description: Description | None
    error: str = ""


@dataclass
class DescribeStep:
    describer: Any
    deadline: Deadline | None = None
    """The phase's budget: Gemini's attempts and retries stay inside it."""

    @classmethod
    def create(cls, ctx: PhaseContext) -> DescribeStep:
        from eventlens.ml.describe import describer

        return cls(describer(ctx.cfg.describer), ctx.guard)

    def describe(self, row: Row, media: DecodedMedia, face_count: int | None) -> Description:
        from eventlens.ml.describe import DescribeContext

        context = DescribeContext(
            filename=row.filename,
            folder=row.folder,
            taken_at=media.taken_at or row.taken_at,
            face_count=face_count,
            exif=media.exif or row.exif or {},
        )
        result: Description = self.describer.describe(media.rgb, context, self.deadline)
        return Description(
            visible_text=result.visible_text or "",
            people_descriptions=result.people_descriptions or "",
            scene_description=result.scene_description or "",
            face_count=int(result.face_count)
            if face_count is None and result.face_count is not None
            else None,
        )

    def try_describe(self, row: Row, media: DecodedMedia, face_count: int | None) -> Outcome:
        try:
            return Outcome(True, self.describe(row, media, face_count))
        except Exception as exc:
            return Outcome(False, None, f"{type(exc).__name__}: {exc}")

    def save(self, tx: Tx, row: Row, outcome: Outcome) -> None:
        if outcome.description is not None:
            repo.complete_describe(tx, row.id, outcome.description)
        else:
            repo.mark_error(tx, row.id, PHASE, outcome.error)


def run(ctx: PhaseContext) -> tuple[int, int, bool]:
    step = DescribeStep.create(ctx)

    def work(row: Row) -> bool:
        try:
            description = step.describe(row, load_media(ctx, row), row.face_count)
        except Exception as exc:
            return fail_safely(ctx, row, PHASE, exc)
        with ctx.scope.transaction() as tx:
            repo.complete_describe(tx, row.id, description)
        return True

    outcome = run_photo_items(ctx, PHASE, work)
    return outcome.processed, outcome.errors, outcome.exhausted
