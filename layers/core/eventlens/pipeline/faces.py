"""faces: detect, align and embed every face; one row per face, a sentinel row when there is none.

Re-runs never duplicate faces: a photo's rows are deleted and inserted in the transaction that
marks the phase completed. Boxes are stored in pixels of the (oriented) original, whatever size
the detector saw. An event with face matching off gets `skipped` and no face rows at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eventlens.db import pipeline_repo, scoped
from eventlens.db.vectors import check_dim
from eventlens.pipeline.context import PhaseContext, Row, fail_safely, load_media, run_photo_items
from eventlens.pipeline.media import DecodedMedia

PHASE = "faces"

FaceRow = tuple[tuple[float, float, float, float], float, np.ndarray]


def runs_locally(ctx: PhaseContext) -> bool:
    """Whether analyze may run faces in-process: SFace is local; buffalo_l has its own Lambda."""
    return ctx.cfg.face_model == "sface" and ctx.event.settings.face_matching


@dataclass
class FoundFaces:
    ok: bool
    faces: list[FaceRow] = field(default_factory=list)
    error: str = ""

    @property
    def count(self) -> int:
        return len(self.faces)


@dataclass
class FaceStep:
    """The face model, checked once against the event's face space, and how to save its output."""

    model: Any
    event_id: Any

    @classmethod
    def create(cls, ctx: PhaseContext) -> FaceStep:
        from eventlens.models.faces import face_model

        model = face_model(ctx.cfg.face_model)
        with scoped(ctx.event.id) as conn:
            check_dim(conn, "face", model.name, model.dim)
        return cls(model, ctx.event.id)

    def detect(self, media: DecodedMedia) -> list[FaceRow]:
        scale = media.scale
        return [
            (tuple(float(v) * scale for v in face.bbox), float(face.score), face.embedding)  # type: ignore[misc]
            for face in self.model.detect(media.rgb)
        ]

    def try_detect(self, media: DecodedMedia) -> FoundFaces:
        try:
            return FoundFaces(True, self.detect(media))
        except Exception as exc:
            return FoundFaces(False, error=f"{type(exc).__name__}: {exc}")

    def save(self, conn: Any, row: Row, found: FoundFaces) -> None:
        if not found.ok:
            pipeline_repo.mark_error(conn, row["id"], PHASE, found.error)
            return
        pipeline_repo.replace_faces(conn, self.event_id, row["id"], self.model.name, found.faces)
        pipeline_repo.complete(conn, row["id"], PHASE, {"face_count": found.count})


def run(ctx: PhaseContext) -> tuple[int, int, bool]:
    if not ctx.event.settings.face_matching:

        def skip(row: Row) -> bool:
            with scoped(ctx.event.id) as conn:
                pipeline_repo.mark_skipped(conn, row["id"], PHASE)
            return True

        outcome = run_photo_items(ctx, PHASE, skip)
        return outcome.processed, outcome.errors, outcome.exhausted

    step = FaceStep.create(ctx)

    def work(row: Row) -> bool:
        try:
            found = FoundFaces(True, step.detect(load_media(ctx, row)))
        except Exception as exc:
            return fail_safely(ctx, row, PHASE, exc)
        with scoped(ctx.event.id) as conn:
            step.save(conn, row, found)
        return True

    outcome = run_photo_items(ctx, PHASE, work)
    return outcome.processed, outcome.errors, outcome.exhausted
