"""faces: detect, align and embed every face; one row per face, a sentinel row when there is none.

Re-runs never duplicate faces: a photo's rows are deleted and inserted in the transaction that
marks the phase completed. Boxes are stored in pixels of the (oriented) original, whatever size
the detector saw. An event with face matching off, set to "no biometrics" or whose face data was
purged gets `skipped` and no face rows at all. The regions people hid or forgot themselves in
(findme.control) are re-applied: a hidden face is stored hidden; a face in a forgotten region is
never embedded (the model skips it after detection) and so never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import numpy as np

from eventlens.db import Tx
from eventlens.db.vectors import check_dim
from eventlens.media.decode import DecodedMedia
from eventlens.pipeline import repo
from eventlens.pipeline.context import PhaseContext, Row, fail_safely, load_media, run_photo_items

PHASE = "faces"

FaceRow = tuple[tuple[float, float, float, float], float, np.ndarray]


def runs_locally(ctx: PhaseContext) -> bool:
    """Whether analyze may run faces in-process: SFace is local; buffalo_l has its own Lambda."""
    return (
        ctx.cfg.face_model == "sface"
        and ctx.event.settings.face_matching
        and not ctx.event.settings.no_biometrics
    )


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
    allowed: bool = True
    """False once the event's face data was purged: nothing is stored (the database refuses it)."""
    forgotten: dict[UUID, list[tuple[float, float, float, float]]] = field(default_factory=dict)
    """Forget me's regions per photo, read when the run starts: the model embeds no face in them.
    (A region recorded during the run is still applied when the photo's faces are saved.)"""

    @classmethod
    def create(cls, ctx: PhaseContext) -> FaceStep:
        from eventlens.findme.control import face_data_allowed, forgotten_regions
        from eventlens.ml.faces import face_model

        model = face_model(ctx.cfg.face_model)
        with ctx.scope.transaction() as tx:
            check_dim(tx, "face", model.name, model.dim)
        return cls(model, face_data_allowed(ctx.scope), forgotten_regions(ctx.scope))

    def detect(self, media: DecodedMedia, photo_id: UUID) -> list[FaceRow]:
        from eventlens.findme.control import forgotten_in

        scale = media.scale
        regions = self.forgotten.get(photo_id)
        skip = forgotten_in(regions, scale) if regions else None
        return [
            (tuple(float(v) * scale for v in face.bbox), float(face.score), face.embedding)  # type: ignore[misc]
            for face in self.model.detect(media.rgb, skip)
        ]

    def try_detect(self, media: DecodedMedia, photo_id: UUID) -> FoundFaces:
        try:
            return FoundFaces(True, self.detect(media, photo_id))
        except Exception as exc:
            return FoundFaces(False, error=f"{type(exc).__name__}: {exc}")

    def save(self, tx: Tx, row: Row, found: FoundFaces) -> None:
        from eventlens.findme.control import apply_opt_outs

        if not self.allowed:
            repo.mark_skipped(tx, row.id, PHASE)
            return
        if not found.ok:
            repo.mark_error(tx, row.id, PHASE, found.error)
            return
        kept, hidden = apply_opt_outs(tx, row.id, found.faces)
        repo.complete_faces(tx, row.id, self.model.name, kept, hidden)


def run(ctx: PhaseContext) -> tuple[int, int, bool]:
    from eventlens.findme.control import face_data_allowed

    if not face_data_allowed(ctx.scope):

        def skip(row: Row) -> bool:
            with ctx.scope.transaction() as tx:
                repo.mark_skipped(tx, row.id, PHASE)
            return True

        outcome = run_photo_items(ctx, PHASE, skip)
        return outcome.processed, outcome.errors, outcome.exhausted

    step = FaceStep.create(ctx)

    def work(row: Row) -> bool:
        try:
            found = FoundFaces(True, step.detect(load_media(ctx, row), row.id))
        except Exception as exc:
            return fail_safely(ctx, row, PHASE, exc)
        with ctx.scope.transaction() as tx:
            step.save(tx, row, found)
        return True

    outcome = run_photo_items(ctx, PHASE, work)
    cluster_new_faces(ctx)
    return outcome.processed, outcome.errors, outcome.exhausted


def cluster_new_faces(ctx: PhaseContext) -> None:
    """The faces just stored join the event's people (faceclusters), a batch at a time."""
    from eventlens.faceclusters.service import assign_new_faces

    assign_new_faces(ctx.scope)
