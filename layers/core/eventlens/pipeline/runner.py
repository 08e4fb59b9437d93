"""Run a phase within a wall-clock budget, or the whole pipeline in order (the local runner).

`run_phase` is what a Lambda (one per phase, chained by Step Functions) calls; `run_pipeline`
is the same thing in one process: it loops each phase until done and stops at the first phase
that is not done when its overall budget runs out, saying where it paused.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from eventlens import db
from eventlens.config import settings
from eventlens.errors import RunCancelled, UnknownPhase
from eventlens.pipeline import repo
from eventlens.pipeline.context import PhaseContext, PipelineOptions
from eventlens.pipeline.graph import BY_NAME, EVENT_PHASES, PHASES, PHOTO_PHASES
from eventlens.resilience import WallClockGuard
from eventlens.scope import Scope
from eventlens.storage import blob_store
from eventlens.types import Event

PhaseFn = Callable[[PhaseContext], tuple[int, int, bool]]
ProgressFn = Callable[[str, int, int], None]


def phase_function(phase: str) -> PhaseFn:
    """The phase's function from the graph, imported now (a phase Lambda loads only its own)."""
    if phase not in BY_NAME:
        raise UnknownPhase(f"unknown phase {phase!r}; expected one of {list(PHASES)}")
    module, _, name = BY_NAME[phase].function.partition(":")
    fn: PhaseFn = getattr(importlib.import_module(module), name)
    return fn


def _event(event: Event | UUID | str) -> Event:
    if isinstance(event, Event):
        return event
    from eventlens.events.service import event_by_id

    return event_by_id(event)


def _context(
    event: Event,
    guard: WallClockGuard,
    options: PipelineOptions | None,
    on_item: Callable[[], None] | None,
    shard: tuple[int, int] | None = None,
) -> PhaseContext:
    return PhaseContext(
        event=event,
        guard=guard,
        cfg=settings(),
        store=blob_store(),
        options=options or PipelineOptions(),
        on_item=on_item,
        shard=shard,
    )


def run_phase(
    event: Event | UUID | str,
    phase: str,
    budget: WallClockGuard | int,
    *,
    options: PipelineOptions | None = None,
    on_item: Callable[[], None] | None = None,
    run_id: UUID | str | None = None,
    shard: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """One phase until done or out of budget: {phase, processed, remaining, errors, done}.

    `event` is the Event, or its id as a state machine message carries it; `budget` a guard (a
    Lambda's: `WallClockGuard.for_lambda(context)`) or milliseconds; `run_id`, the run this batch
    works for, gets a heartbeat after the batch (a run whose batches stop beating is closed as failed);
    `shard` is (worker, workers) for one of a Map's workers.
    """
    fn = phase_function(phase)
    guard = budget if isinstance(budget, WallClockGuard) else WallClockGuard(budget)
    ctx = _context(_event(event), guard, options, on_item, shard)
    processed, errors, done = fn(ctx)
    if run_id is not None:
        from eventlens.jobs.service import beat

        beat(ctx.scope, run_id)
    return {
        "phase": phase,
        "processed": processed,
        "remaining": remaining(ctx, phase, done),
        "errors": errors,
        "done": done,
    }


def list_for_scan(event: Event | UUID | str) -> int:
    """List the event's originals once for a run's scan workers (sources.sync.list_for_scan)."""
    from eventlens.sources.sync import list_for_scan as write_manifest

    return write_manifest(_context(_event(event), WallClockGuard(0), None, None))


def remaining(ctx: PhaseContext, phase: str, done: bool = False) -> int:
    """Items `phase` still has to do (per-photo phases count rows in flight elsewhere too)."""
    if phase in PHOTO_PHASES:
        model = ctx.cfg.text_embedder if phase == "embed" else None
        with ctx.scope.transaction() as tx:
            return repo.count_remaining(tx, phase, model)
    if phase == "scan":
        from eventlens.sources.sync import scan_todo

        return len(scan_todo(ctx))
    return 0 if done else 1


def photos_waiting(tx: db.Tx) -> int:
    """Photos registered but not yet analyzed (the first per-photo phase every new photo needs), or
    being analyzed: what a run that reached its end missed because it arrived meanwhile."""
    return repo.count_remaining(tx, PHOTO_PHASES[0])


def run_pipeline(
    event: Event,
    phase: str = "full",
    budget_ms: int | None = None,
    on_progress: ProgressFn | None = None,
    *,
    options: PipelineOptions | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[dict[str, Any]]:
    """Phases in order (or one), each looped until done; stops at the first not done.

    `should_stop` is asked before every slice and, every second, between items (a job's cooperative
    cancel): when it answers True the slice ends after the batch it claimed and the run raises
    RunCancelled with what it did, every photo left completed or still pending for a later run.

    `budget_ms` bounds the whole run (None: no bound). Rows a killed process left `processing`
    are taken back at once when no other runner of the event is alive (an advisory lock tells);
    runners started together share the work through their claims instead of repeating it.
    One phase asked for is that phase alone: analyze does not fuse faces and the describer in.
    """
    if phase != "full" and phase not in BY_NAME:
        raise UnknownPhase(f"unknown phase {phase!r}; expected 'full' or one of {list(PHASES)}")
    phases = PHASES if phase == "full" else (phase,)
    if phase != "full":
        options = replace(options or PipelineOptions(), fuse=False)
    return run_phases(event, phases, budget_ms, on_progress, options=options, should_stop=should_stop)


def run_phases(
    event: Event,
    phases: tuple[str, ...],
    budget_ms: int | None = None,
    on_progress: ProgressFn | None = None,
    *,
    options: PipelineOptions | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[dict[str, Any]]:
    """These phases in this order, as `run_pipeline` runs its own: a retry takes only the per-photo
    phases that have failed items again, not a whole run (no sync, scan, dedupe or tag)."""
    if unknown := [p for p in phases if p not in BY_NAME]:
        raise UnknownPhase(f"unknown phases {unknown}; expected some of {list(PHASES)}")
    with db.advisory_lock(f"eventlens-runner:{event.id}") as sole:
        if sole:  # no other local runner is alive: rows left `processing` belong to a dead one
            with Scope.pipeline(event).transaction() as tx:
                repo.reset_processing(tx)
        return _run_phases(event, phases, budget_ms, on_progress, options, should_stop)


def _run_phases(
    event: Event,
    phases: tuple[str, ...],
    budget_ms: int | None,
    on_progress: ProgressFn | None,
    options: PipelineOptions | None,
    should_stop: Callable[[], bool] | None = None,
) -> list[dict[str, Any]]:
    deadline = None if budget_ms is None else time.monotonic() + budget_ms / 1000.0
    slice_ms = settings().phase_budget_ms
    results: list[dict[str, Any]] = []
    fused = (options or PipelineOptions()).fuse and "analyze" in phases
    done_at_start = _done_per_phase(event) if fused else {}
    for name in phases:
        counter = _Progress(name, on_progress, _total(event, name))
        total: dict[str, Any] = {"phase": name, "processed": 0, "remaining": 0, "errors": 0, "done": False}
        while True:
            if should_stop is not None and should_stop():
                raise RunCancelled([*results, total])
            left_ms = slice_ms if deadline is None else max(0.0, (deadline - time.monotonic()) * 1000.0)
            guard = WallClockGuard(int(min(slice_ms, left_ms)))
            stop = _StopWatch(guard, counter.tick, should_stop)
            result = run_phase(event, name, guard, options=options, on_item=stop.tick)
            total["processed"] += result["processed"]
            total["errors"] += result["errors"]
            total["remaining"], total["done"] = result["remaining"], result["done"]
            if stop.stopped:
                raise RunCancelled([*results, total])
            out_of_time = deadline is not None and time.monotonic() >= deadline
            if result["done"] or out_of_time or result["processed"] == 0:
                break
        counter.finish()
        if fused and name in FUSED_INTO_ANALYZE:  # the work analyze did for it counts for it too
            finished = _done_per_phase(event)[name] - done_at_start[name]
            total["processed"] = max(total["processed"], finished)
        results.append(total)
        if not total["done"]:
            break
    return results


STOP_CHECK_EVERY_S = 1.0
"""How often a slice asks whether its run was cancelled (a query), between items."""


class _StopWatch:
    """Within a slice: between items, at most every STOP_CHECK_EVERY_S, asks `should_stop`; when it
    answers True the slice's guard runs out, so the phase finishes the batch it claimed and returns
    (as at a Lambda's deadline) instead of working through a whole phase first."""

    def __init__(
        self, guard: WallClockGuard, tick: Callable[[], None], should_stop: Callable[[], bool] | None
    ) -> None:
        self.guard, self._tick, self.should_stop = guard, tick, should_stop
        self.stopped, self.asked = False, time.monotonic()

    def tick(self) -> None:
        self._tick()
        if self.should_stop is None or self.stopped or time.monotonic() - self.asked < STOP_CHECK_EVERY_S:
            return
        self.asked = time.monotonic()
        if self.should_stop():
            self.stopped = True
            self.guard.budget_ms = 0


FUSED_INTO_ANALYZE = ("faces", "describe")
"""Phases whose work analyze does on the way when `PipelineOptions.fuse` is on (local models)."""


def _done_per_phase(event: Event) -> dict[str, int]:
    """Photos each per-photo phase has finished (completed or failed): the dashboard's table counts
    the same, so a run's summary agrees with it. Only for phases analyze did work for: another
    runner's finishes would count too, so a phase's own count stays its own otherwise."""
    from eventlens.jobs.service import finished_per_phase

    return finished_per_phase(Scope.pipeline(event))


def _total(event: Event, phase: str) -> int:
    if phase in EVENT_PHASES and phase != "scan":
        return 1
    return remaining(_context(event, WallClockGuard(0), None, None), phase)


class _Progress:
    """Feeds `on_progress(phase, done, total)`; the total grows if work appears meanwhile."""

    def __init__(self, phase: str, callback: ProgressFn | None, total: int) -> None:
        self.phase, self.callback, self.total, self.done = phase, callback, total, 0
        self.whole_event = phase in EVENT_PHASES and phase != "scan"
        self._emit()

    def tick(self) -> None:
        self.done += 1
        self.total = max(self.total, self.done)
        self._emit()

    def finish(self) -> None:
        if self.whole_event:
            self.total = max(self.done, 1)
            self.done = max(self.done, self.total)
        self._emit()

    def _emit(self) -> None:
        if self.callback is not None:
            self.callback(self.phase, self.done, self.total)


@dataclass(frozen=True, slots=True)
class Requeued:
    """What `retry_errors` put back: the failed items, and the phases that now have work for them
    (the failed ones and those their failure had skipped), in the order a run takes them."""

    items: int
    phases: tuple[str, ...]


def retry_errors(scope: Scope) -> Requeued:
    """Failed items back to pending (with the phases their failure had skipped)."""
    with scope.transaction() as tx:
        failed_items = repo.failed_items(tx)
        requeued = repo.retry_errors(tx)
    return Requeued(items=failed_items, phases=tuple(p for p in PHOTO_PHASES if p in requeued))
