"""Run a phase within a wall-clock budget, or the whole pipeline in order (the local runner).

`run_phase` is what a Lambda (one per phase, chained by Step Functions) calls; `run_pipeline`
is the same thing in one process: it loops each phase until done and stops at the first phase
that is not done when its overall budget runs out, saying where it paused.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventlens.config import PHASES, PHOTO_PHASES, settings
from eventlens.db import events_repo, pipeline_repo, scoped
from eventlens.pipeline import sync
from eventlens.pipeline.context import PhaseContext, PipelineOptions
from eventlens.pipeline.resilience import WallClockGuard
from eventlens.storage import blob_store

PhaseFn = Callable[[PhaseContext], tuple[int, int, bool]]
ProgressFn = Callable[[str, int, int], None]

PHASE_FUNCTIONS: dict[str, str] = {
    "sync": "sync:run_sync",
    "scan": "sync:run_scan",
    "analyze": "analyze:run",
    "describe": "describe:run",
    "embed": "embed:run",
    "faces": "faces:run",
    "dedupe": "dedupe:run",
    "tag": "tag:run",
}
"""Each phase's function in `eventlens.pipeline`, imported when that phase runs: a phase Lambda
loads only its own libraries (sync, embed and tag carry no numpy or Pillow)."""
assert tuple(PHASE_FUNCTIONS) == PHASES


def phase_function(phase: str) -> PhaseFn:
    module, _, name = PHASE_FUNCTIONS[phase].partition(":")
    fn: PhaseFn = getattr(importlib.import_module(f"eventlens.pipeline.{module}"), name)
    return fn


class UnknownPhase(ValueError):
    pass


def _context(
    event_id: UUID | str,
    budget_ms: float,
    options: PipelineOptions | None,
    on_item: Callable[[], None] | None,
) -> PhaseContext:
    with scoped(event_id) as conn:
        event = events_repo.get_event_by_id(conn, event_id)
    return PhaseContext(
        event=event,
        guard=WallClockGuard(budget_ms),
        cfg=settings(),
        store=blob_store(),
        options=options or PipelineOptions(),
        on_item=on_item,
    )


def run_phase(
    event_id: UUID | str,
    phase: str,
    budget_ms: int,
    *,
    options: PipelineOptions | None = None,
    on_item: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """One phase until done or out of budget: {phase, processed, remaining, errors, done}."""
    if phase not in PHASE_FUNCTIONS:
        raise UnknownPhase(f"unknown phase {phase!r}; expected one of {list(PHASES)}")
    ctx = _context(event_id, budget_ms, options, on_item)
    processed, errors, done = phase_function(phase)(ctx)
    return {
        "phase": phase,
        "processed": processed,
        "remaining": remaining(ctx, phase, done),
        "errors": errors,
        "done": done,
    }


def remaining(ctx: PhaseContext, phase: str, done: bool = False) -> int:
    """Items `phase` still has to do (per-photo phases count rows in flight elsewhere too)."""
    if phase in PHOTO_PHASES:
        model = ctx.cfg.text_embedder if phase == "embed" else None
        with scoped(ctx.event.id) as conn:
            return pipeline_repo.count_remaining(conn, ctx.event.id, phase, model)
    if phase == "scan":
        return len(sync.pending_scan(ctx))
    return 0 if done else 1


def run_pipeline(
    event_id: UUID | str,
    phase: str = "full",
    budget_ms: int | None = None,
    on_progress: ProgressFn | None = None,
    *,
    options: PipelineOptions | None = None,
) -> list[dict[str, Any]]:
    """Phases in order (or one), each looped until done; stops at the first not done.

    `budget_ms` bounds the whole run (None: no bound). This runner assumes it is the event's
    only one, so rows a killed process left `processing` are taken back at once.
    """
    phases = PHASES if phase == "full" else (phase,)
    if phase != "full" and phase not in PHASE_FUNCTIONS:
        raise UnknownPhase(f"unknown phase {phase!r}; expected 'full' or one of {list(PHASES)}")
    with scoped(event_id) as conn:
        pipeline_repo.reset_processing(conn, event_id)
    deadline = None if budget_ms is None else time.monotonic() + budget_ms / 1000.0
    slice_ms = settings().phase_budget_ms
    results = []
    for name in phases:
        counter = _Progress(name, on_progress, _total(event_id, name))
        total = {"phase": name, "processed": 0, "remaining": 0, "errors": 0, "done": False}
        while True:
            left_ms = slice_ms if deadline is None else max(0.0, (deadline - time.monotonic()) * 1000.0)
            result = run_phase(
                event_id, name, int(min(slice_ms, left_ms)), options=options, on_item=counter.tick
            )
            total["processed"] += result["processed"]
            total["errors"] += result["errors"]
            total["remaining"], total["done"] = result["remaining"], result["done"]
            out_of_time = deadline is not None and time.monotonic() >= deadline
            if result["done"] or out_of_time or result["processed"] == 0:
                break
        counter.finish()
        results.append(total)
        if not total["done"]:
            break
    return results


def _total(event_id: UUID | str, phase: str) -> int:
    if phase in ("sync", "dedupe", "tag"):
        return 1
    return remaining(_context(event_id, 0, None, None), phase)


class _Progress:
    """Feeds `on_progress(phase, done, total)`; the total grows if work appears meanwhile."""

    def __init__(self, phase: str, callback: ProgressFn | None, total: int) -> None:
        self.phase, self.callback, self.total, self.done = phase, callback, total, 0
        self._emit()

    def tick(self) -> None:
        self.done += 1
        self.total = max(self.total, self.done)
        self._emit()

    def finish(self) -> None:
        self.total = max(self.done, 1) if self.phase in ("sync", "dedupe", "tag") else self.total
        self.done = max(self.done, self.total) if self.phase in ("sync", "dedupe", "tag") else self.done
        self._emit()

    def _emit(self) -> None:
        if self.callback is not None:
            self.callback(self.phase, self.done, self.total)


def retry_errors(event_id: UUID | str) -> int:
    """Failed items back to pending (with the phases their failure had skipped); how many."""
    with scoped(event_id) as conn:
        return pipeline_repo.retry_errors(conn, event_id)
