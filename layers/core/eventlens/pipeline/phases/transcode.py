"""transcode: a browser-playable H.264/AAC MP4 (fast start) of every video a browser cannot play
as it is (MPEG-4 Part 2, MPEG-2, AVI, MKV, ...); the original is kept.

Run by the analyze phase right after it probes a video (on AWS that is the ML image function, with
PyAV and its libx264), and as a job of its own (`eventlens video transcode`, `run`) for videos
left pending: longer than `INLINE_MAX_S`, or whose transcode failed and was retried. On AWS that job
is the state machine's transcode step (the ML image's transcode function, `refuse_longer`). Same claim
contract as a phase: rows are taken with SKIP LOCKED, a worker that dies leaves its row to the
next after the lease.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from eventlens.errors import BlobNotFound
from eventlens.pipeline import repo
from eventlens.resilience import WallClockGuard
from eventlens.scope import Scope
from eventlens.storage import BlobStore
from eventlens.storage.keys import playable_key

INLINE_MAX_S = 120.0
"""Videos up to this long are transcoded inside analyze; longer ones wait for the job. At the
measured ~0.5 s of 1080p video per second on 2 vCPUs (benchmarks/engagement.py) that is at most
about four minutes of an analyze batch's 14."""
COST_S_PER_VIDEO_S = 2.5
"""Estimated wall seconds per second of video (1080p, libx264 veryfast, 2 vCPUs, with margin):
the job takes a video only if its estimate fits in what is left of the budget."""
RESERVE_MS = 30_000.0
TOO_LONG = (
    "Too long to transcode in one {budget_s:.0f} s worker (about {estimate_s:.0f} s estimated):"
    " run `eventlens video transcode --event {slug}`"
)
"""The error a video gets when no single worker of this kind can transcode it (the AWS transcode
step: one Lambda invocation); the command line job has no such limit."""


@dataclass(frozen=True)
class TranscodeReport:
    processed: int
    errors: int
    remaining: int
    done: bool
    more: bool = False
    """Stopped with a video it could take in a fresh budget (time ran out, or one did not fit)."""


def transcode_one(scope: Scope, store: BlobStore, photo_id: UUID, source_key: str) -> str | None:
    """Transcode one claimed video and record the outcome; the error message, or None."""
    from eventlens.errors import BadMedia
    from eventlens.media.video import transcode

    error = None
    key = None
    try:
        data = store.get(source_key)
        with tempfile.TemporaryDirectory(prefix="eventlens-transcode-") as folder:
            out = Path(folder) / "playable.mp4"
            transcode(data, out)
            key = playable_key(scope.tenant().slug, photo_id)
            store.put(key, out.read_bytes(), "video/mp4")
    except (BadMedia, BlobNotFound) as exc:
        error = exc.message
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    with scope.transaction() as tx:
        repo.finish_transcode(tx, photo_id, None if error else key, error)
    return error


def retry_failed(scope: Scope) -> int:
    """Failed transcodes back to pending (after a fix, or a file replaced); how many."""
    with scope.transaction() as tx:
        return repo.retry_transcodes(tx)


def run(
    scope: Scope,
    store: BlobStore,
    guard: WallClockGuard,
    *,
    first_regardless: bool = True,
    refuse_longer: bool = False,
) -> TranscodeReport:
    """Transcode pending videos one at a time until none is left or the budget is nearly spent.
    A video is taken only if its estimated time fits what is left, except (`first_regardless`, the
    command line) the first one, so a video longer than any budget is still done by the job. With
    `refuse_longer` (a worker whose every budget is this one's, the AWS transcode step) a video
    whose estimate exceeds the whole budget is marked failed with TOO_LONG, never left pending."""
    processed = errors = 0
    more = False
    while not (more := guard.expired(RESERVE_MS)):
        with scope.transaction() as tx:
            claimed = repo.claim_transcodes(tx, 1)
        if not claimed:
            break
        photo_id, source_key, duration_s = claimed[0]
        estimate_ms = (duration_s or 0.0) * COST_S_PER_VIDEO_S * 1000
        if refuse_longer and estimate_ms > guard.budget_ms - RESERVE_MS:
            message = TOO_LONG.format(
                budget_s=guard.budget_ms / 1000, estimate_s=estimate_ms / 1000, slug=scope.tenant().slug
            )
            with scope.transaction() as tx:
                repo.finish_transcode(tx, photo_id, None, message)
            errors += 1
            continue
        if (processed or not first_regardless) and estimate_ms > guard.remaining_ms() - RESERVE_MS:
            with scope.transaction() as tx:  # the next run starts with it
                repo.release_transcode(tx, photo_id)
            more = True
            break
        processed += 1
        if transcode_one(scope, store, photo_id, source_key) is not None:
            errors += 1
    with scope.transaction() as tx:
        remaining = repo.count_transcodes(tx)
    return TranscodeReport(
        processed=processed, errors=errors, remaining=remaining, done=remaining == 0, more=more
    )
