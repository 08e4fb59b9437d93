"""Compilations: a highlight reel of an event's videos, built as a job.

1. `create_compilation` (POST .../admin/compilations, `eventlens compilations create`) checks the
   recipe against the library (every clip a valid video of the event, 0 <= in < out <= its
   duration, at most MAX_CLIPS clips and MAX_TOTAL_S seconds) and records it, pending, with its
   source ids and settings; then a builder starts: a thread of this process (the server), or the
   command itself (the CLI, which waits for it).
2. `build_compilation` claims the row (a second builder of the same compilation does nothing),
   reads each clip's original, encodes the reel with PyAV (`media.video.compile_reel`: the title
   card, then the trims in order, H.264/AAC, fast start), stores it among the event's originals
   under `Compilations/` and registers it like any imported file; analyze then probes it and picks
   its poster, so the reel is a library video: the player plays it, the gallery lists it, people
   react to it. A builder silent for LEASE_S is gone; `build_waiting` (the CLI's `build`) takes
   what it left.

On AWS the encode needs PyAV, which only the ML image carries: the admin function invokes the
transcode function in that image asynchronously (`compilation_function`), which builds the reel
within one invocation or fails it naming `eventlens compilations build` (`build_waiting`), which
has no time limit; embedded, the API's thread is the builder.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

from eventlens.audit import service as audit
from eventlens.compilations import repo
from eventlens.compilations.repo import CompilationRow
from eventlens.compilations.views import Clip, Compilation, CompilationList
from eventlens.config import settings as app_settings
from eventlens.errors import BadMedia, CompilationNotFound, InvalidCompilation, PhotoNotFound
from eventlens.events.service import event_by_id
from eventlens.resilience import WallClockGuard
from eventlens.scope import Scope
from eventlens.storage import blob_store
from eventlens.storage.keys import originals_prefix
from eventlens.types import Event

log = logging.getLogger(__name__)

MAX_CLIPS = 20
MAX_TOTAL_S = 300.0
"""A reel's longest running time, title card included: a highlight reel, not a re-cut of the event.
At the measured 0.25 s of 1080p reel per second of wall time (benchmarks/engagement.py, a loaded
2-core VM) the longest takes about 20 minutes to build."""
MAX_TITLE_CARD_S = 10.0
FRAME_RATES = (24, 25, 30)
LEASE_S = 3600.0
"""A build still running after this is taken for dead and may be claimed again: well past the
longest reel's build (MAX_TOTAL_S at the measured speed), as a builder saves no progress."""
COST_S_PER_REEL_S = 4.0
"""Estimated wall seconds per second of reel: the measured 0.25 s of 1080p reel per second
(benchmarks/engagement.py). A worker with a hard limit (a Lambda) refuses a reel whose estimate
exceeds its budget rather than dying mid-encode and leaving it `building` for LEASE_S."""
TOO_LONG = (
    "This reel needs about {estimate_s:.0f} s to build, more than a {budget_s:.0f} s worker has:"
    " run `eventlens compilations build --event {slug}`"
)
FOLDER = "Compilations"
"""Where reels sit among the event's originals (and so the gallery's folder that lists them)."""


def _planned_s(row: CompilationRow) -> float:
    """The reel's running time as asked: its title card plus its trims."""
    clips = [Clip(**c) for c in row.settings["clips"]]
    return float(row.settings["title_card_s"]) + sum(c.out_s - c.in_s for c in clips)


def _view(row: CompilationRow, slug: str) -> Compilation:
    settings = row.settings
    clips = [Clip(**c) for c in settings["clips"]]
    planned = _planned_s(row)
    ready = row.status == "ready" and row.photo_id is not None
    return Compilation(
        compilation_id=row.id,
        title=row.title,
        status=row.status,
        clips=clips,
        source_ids=row.source_ids,
        title_card_s=float(settings["title_card_s"]),
        fps=int(settings["fps"]),
        width=settings.get("width"),
        height=settings.get("height"),
        duration_s=row.duration_s if row.duration_s is not None else planned,
        photo_id=row.photo_id,
        player_url=f"/video.html?event={slug}&id={row.photo_id}" if ready else None,
        error=row.error if row.status == "failed" else None,
        created_at=row.created_at,
    )


def create_compilation(
    scope: Scope,
    title: str,
    clips: list[Clip],
    *,
    title_card_s: float = 2.0,
    fps: int = 25,
    size: tuple[int, int] | None = None,
    start: bool = True,
) -> Compilation:
    """Record the recipe (refused with InvalidCompilation or PhotoNotFound) and, with `start`, a
    builder thread; the CLI passes start=False and builds in its own process."""
    title = " ".join(title.split())
    if not title:
        raise InvalidCompilation("Give the reel a title")
    if not 1 <= len(clips) <= MAX_CLIPS:
        raise InvalidCompilation(f"A reel has 1 to {MAX_CLIPS} clips")
    if not 0 <= title_card_s <= MAX_TITLE_CARD_S:
        raise InvalidCompilation(f"The title card lasts 0 to {MAX_TITLE_CARD_S:g} s")
    if fps not in FRAME_RATES:
        raise InvalidCompilation(f"The frame rate is one of {', '.join(map(str, FRAME_RATES))}")
    if size is not None and not all(160 <= side <= 1920 and side % 2 == 0 for side in size):
        raise InvalidCompilation("Width and height are even numbers from 160 to 1920")
    with scope.transaction() as tx:
        sources = repo.source_videos(tx, [c.photo_id for c in clips])
        for clip in clips:
            _check_clip(clip, sources.get(clip.photo_id))
        total = title_card_s + sum(c.out_s - c.in_s for c in clips)
        if total > MAX_TOTAL_S:
            raise InvalidCompilation(f"The reel would last {total:.0f} s; at most {MAX_TOTAL_S:.0f} s")
        settings: dict[str, Any] = {
            "clips": [c.model_dump(mode="json") for c in clips],
            "title_card_s": title_card_s,
            "fps": fps,
            "width": None if size is None else size[0],
            "height": None if size is None else size[1],
        }
        compilation_id = repo.insert(tx, title, [c.photo_id for c in clips], settings, scope.subject)
        audit.record(tx, "compilation_create", str(compilation_id), title=title, clips=len(clips))
        row = repo.get(tx, compilation_id)
    assert row is not None
    if start:
        start_builder(scope.tenant(), compilation_id)
    return _view(row, scope.tenant().slug)


def _check_clip(clip: Clip, source: Any) -> None:
    if source is None:
        raise PhotoNotFound(f"no video {clip.photo_id} in this event")
    if source.kind != "video":
        raise InvalidCompilation(f"{source.filename} is a photo, not a video")
    if source.is_valid is False or source.duration_s is None:
        raise InvalidCompilation(f"{source.filename} is not a readable video (yet): analyze it first")
    if not clip.in_s < clip.out_s <= source.duration_s + 0.05:
        raise InvalidCompilation(
            f"{source.filename}: the clip must start before it ends and end by {source.duration_s:.2f} s"
            f" (asked {clip.in_s:g} to {clip.out_s:g} s)"
        )


def get_compilation(scope: Scope, compilation_id: UUID) -> Compilation:
    with scope.transaction() as tx:
        row = repo.get(tx, compilation_id)
    if row is None:
        raise CompilationNotFound(f"no compilation {compilation_id}")
    return _view(row, scope.tenant().slug)


def list_compilations(scope: Scope, limit: int = 100) -> CompilationList:
    with scope.transaction() as tx:
        rows = repo.list_recent(tx, limit)
    slug = scope.tenant().slug
    return CompilationList(compilations=[_view(r, slug) for r in rows])


# -- the builder ----------------------------------------------------------------------------------


def start_builder(event: Event, compilation_id: UUID) -> None:
    """On AWS an asynchronous invocation of the ML image's transcode function (it has PyAV),
    embedded a daemon thread."""
    function = app_settings().compilation_function
    if function is not None:
        try:
            lambda_client().invoke(
                FunctionName=function,
                InvocationType="Event",
                Payload=json.dumps(
                    {"job": "compilation", "event_id": str(event.id), "compilation_id": str(compilation_id)}
                ).encode(),
            )
        except Exception:
            with Scope.pipeline(event).transaction() as tx:
                repo.fail(tx, compilation_id, "The reel could not be started. Please try again.")
            raise
        return
    threading.Thread(
        target=build_compilation,
        args=(event.id, compilation_id),
        name=f"eventlens-compilation-{compilation_id}",
        daemon=True,
    ).start()


def build_waiting(event: Event, budget: WallClockGuard) -> list[tuple[UUID, str]]:
    """Build the event's pending compilations (and those a dead builder left) while time lasts."""
    with Scope.pipeline(event).transaction() as tx:
        waiting = repo.waiting(tx, LEASE_S, MAX_CLIPS * 5)
    done = []
    for compilation_id in waiting:
        if budget.expired(60_000):
            break
        done.append((compilation_id, build_compilation(event.id, compilation_id, budget)))
    return done


def lambda_client() -> Any:
    import boto3

    return boto3.client("lambda")


def build_compilation(
    event_id: UUID | str,
    compilation_id: UUID | str,
    budget: WallClockGuard | None = None,
    *,
    refuse_longer: bool = False,
) -> str:
    """Build one reel: "ready", "failed" (its error saved), or "skipped" (another builder has it,
    or it is done). Never raises for the reel's sake. With `refuse_longer` (a Lambda) a reel whose
    estimated build exceeds `budget` fails at once with TOO_LONG."""
    event = event_by_id(event_id)
    compilation_id = UUID(str(compilation_id))
    builder = Scope.pipeline(event)
    with builder.transaction() as tx:
        row = repo.claim(tx, compilation_id, LEASE_S)
    if row is None:
        return "skipped"
    if refuse_longer and budget is not None:
        estimate_s = _planned_s(row) * COST_S_PER_REEL_S
        if estimate_s * 1000 > budget.remaining_ms():
            message = TOO_LONG.format(
                estimate_s=estimate_s, budget_s=budget.budget_ms / 1000, slug=event.slug
            )
            with builder.transaction() as tx:
                repo.fail(tx, compilation_id, message)
            return "failed"
    try:
        photo_id, duration, size = _build(event, builder, row, budget or WallClockGuard(LEASE_S * 1000))
    except Exception as exc:
        if isinstance(exc, (BadMedia, InvalidCompilation, PhotoNotFound)):
            message = exc.message
        else:  # a store's error names keys and hosts: logged, never shown
            log.exception("compilation %s of %s failed", compilation_id, event.slug)
            message = "The reel could not be made. Please try again."
        with builder.transaction() as tx:
            repo.fail(tx, compilation_id, message)
        return "failed"
    with builder.transaction() as tx:
        repo.finish(tx, compilation_id, photo_id, duration, size)
    return "ready"


def _build(
    event: Event, builder: Scope, row: CompilationRow, budget: WallClockGuard
) -> tuple[UUID | None, float, tuple[int, int]]:
    from eventlens.media.video import ReelClip, compile_reel, reel_size
    from eventlens.pipeline.runner import run_phase
    from eventlens.sources.registry import register

    store = blob_store()
    settings = row.settings
    clips = [Clip(**c) for c in settings["clips"]]
    with builder.transaction() as tx:
        sources = repo.source_videos(tx, [c.photo_id for c in clips])
    for clip in clips:
        _check_clip(clip, sources.get(clip.photo_id))  # still there, still the same length
    originals = {key: store.get(key) for key in {sources[c.photo_id].source_key for c in clips}}
    reel = [ReelClip(originals[sources[c.photo_id].source_key], c.in_s, c.out_s) for c in clips]
    width, height = settings.get("width"), settings.get("height")
    size = (int(width), int(height)) if width and height else reel_size(reel[0].data)
    with tempfile.TemporaryDirectory(prefix="eventlens-compilation-") as folder:
        out = Path(folder) / "reel.mp4"
        duration = compile_reel(
            reel,
            row.title,
            out,
            size=size,
            fps=int(settings["fps"]),
            title_card_s=float(settings["title_card_s"]),
        )
        data = out.read_bytes()
    key = reel_key(event.slug, row.title, row.id)
    store.put(key, data, "video/mp4")
    registered = register(builder, store, key, store.head(key).etag, data)
    # analyze probes the reel and picks its poster: then it is a public video of the library
    run_phase(event, "analyze", budget)
    return registered.photo_id, duration, size


def reel_key(slug: str, title: str, compilation_id: UUID) -> str:
    """`events/<slug>/originals/Compilations/<title>-<id8>.mp4`: a readable name, unique per reel."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "reel"
    return f"{originals_prefix(slug)}{FOLDER}/{name}-{str(compilation_id)[:8]}.mp4"
