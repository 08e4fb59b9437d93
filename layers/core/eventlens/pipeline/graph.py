"""The one phase graph: every list of phases (the API's enum, the CLI's choices, the state machine
generator, the dashboard's menu via `phase_names`, the runner's function map) derives from here.

Pure data, no imports: the state machine generator and a Lambda's cold start read it for free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

LEASE = timedelta(minutes=16)
"""How long a claim or a run's heartbeat is trusted: longer than a Lambda can run (15 min), so a
row still `processing` (or a run still `running`) after it was left by a worker that died."""


@dataclass(frozen=True)
class Phase:
    name: str
    function: str
    """`module:function` run for this phase, imported only when it runs (a phase Lambda loads only
    its own libraries: sync, embed and tag carry no numpy or Pillow)."""
    per_photo: bool = False
    """Tracked per photo with `<name>_status` / `<name>_error` columns, claimed row by row."""
    after: str | None = None
    """The per-photo phase whose output this one needs (its failure skips this one)."""
    fan_out: bool = False
    """On AWS, batches run as parallel Map workers, each claiming its own rows."""
    summary: str = ""


GRAPH: tuple[Phase, ...] = (
    Phase("sync", "eventlens.sources.sync:run_sync", summary="forget deleted objects, follow renames"),
    Phase("scan", "eventlens.sources.sync:run_scan", fan_out=True, summary="register new objects"),
    Phase(
        "analyze",
        "eventlens.pipeline.phases.analyze:run",
        per_photo=True,
        fan_out=True,
        summary="decode once: size, EXIF, thumbnails, dHash, NSFW score",
    ),
    Phase(
        "describe",
        "eventlens.pipeline.phases.describe:run",
        per_photo=True,
        after="analyze",
        fan_out=True,
        summary="visible text, people, scene",
    ),
    Phase(
        "embed",
        "eventlens.pipeline.phases.embed:run",
        per_photo=True,
        after="describe",
        fan_out=True,
        summary="description embeddings",
    ),
    Phase(
        "faces",
        "eventlens.pipeline.phases.faces:run",
        per_photo=True,
        after="analyze",
        fan_out=True,
        summary="detect and embed faces",
    ),
    Phase("dedupe", "eventlens.dedupe.service:run_phase", summary="exact and near-duplicate clusters"),
    Phase("tag", "eventlens.pipeline.phases.tag:run", summary="one gallery tab per photo"),
)

PHASES: tuple[str, ...] = tuple(p.name for p in GRAPH)
"""Phase names in the order a `full` run executes them."""

PHOTO_PHASES: tuple[str, ...] = tuple(p.name for p in GRAPH if p.per_photo)
"""Phases tracked per photo (in dependency order)."""

EVENT_PHASES: tuple[str, ...] = tuple(p.name for p in GRAPH if not p.per_photo)
"""Phases that work on the event as a whole (one item each)."""

if TYPE_CHECKING:
    RunPhase = str
else:
    RunPhase = Literal[("full", *PHASES)]
"""What a run may be asked to do: every phase in order (`full`) or one (the API's enum)."""

BY_NAME: dict[str, Phase] = {p.name: p for p in GRAPH}


def prerequisite(phase: str) -> str | None:
    return BY_NAME[phase].after


def dependents(phase: str) -> tuple[str, ...]:
    """Per-photo phases that need `phase`, directly or through another (skipped when it fails)."""
    out: list[str] = []
    for p in GRAPH:
        chain = p.after
        while chain is not None:
            if chain == phase:
                out.append(p.name)
                break
            chain = BY_NAME[chain].after
    return tuple(out)
