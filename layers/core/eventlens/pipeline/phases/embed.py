"""embed: description embeddings in batches, into the event's description vector space.

Picks every described photo not yet embedded by the configured model — new ones and, after a
model switch, those embedded by another model (the backfill) — and checks the space's recorded
dimension before writing, so two models' vectors never mix.
"""

from __future__ import annotations

from eventlens.db.vectors import check_dim
from eventlens.pipeline import repo
from eventlens.pipeline.context import PhaseContext, Row

PHASE = "embed"
BATCH = 32


def document(row: Row) -> str:
    """The text a photo is found by: what it shows, who is in it, what it says, where it is filed."""
    parts = [row.scene_description, row.people_descriptions, row.visible_text]
    place = " ".join(p for p in (row.folder.replace("/", " "), row.filename) if p)
    return "\n".join(p.strip() for p in [*parts, place] if p and p.strip())


def run(ctx: PhaseContext) -> tuple[int, int, bool]:
    from eventlens.ml.text import text_embedder

    embedder = text_embedder(ctx.cfg.text_embedder)
    with ctx.scope.transaction() as tx:
        check_dim(tx, "description", embedder.name, embedder.dim)
    processed = errors = 0
    while processed == 0 or not ctx.guard.expired():
        with ctx.scope.transaction() as tx:
            rows = repo.claim(tx, PHASE, BATCH, embed_model=embedder.name)
        if not rows:
            return processed, errors, True
        try:
            vectors = embedder.embed([document(row) for row in rows])
            if vectors.shape != (len(rows), embedder.dim):
                raise ValueError(f"embedder returned {vectors.shape}, expected ({len(rows)}, {embedder.dim})")
        except Exception as exc:
            with ctx.scope.transaction() as tx:
                for row in rows:
                    repo.mark_error(tx, row.id, PHASE, f"{type(exc).__name__}: {exc}")
            errors += len(rows)
        else:
            with ctx.scope.transaction() as tx:
                repo.complete_embed(
                    tx, embedder.name, [(r.id, v) for r, v in zip(rows, vectors, strict=True)]
                )
        processed += len(rows)
        for _ in rows:
            ctx.item_done()
    return processed, errors, False
