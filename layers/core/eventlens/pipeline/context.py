"""What every phase gets (event, budget, options) and the loop that runs per-photo work.

The loop keeps `workers` photos in flight on a thread pool (Pillow, OpenCV and onnxruntime
release the GIL, so two threads use two cores), claims rows in small batches so parallel
Lambda workers share the queue, stops starting photos once the guard says the next one would
not fit, and hands unstarted claims back.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from eventlens.config import Settings
from eventlens.errors import BadMedia, BlobNotFound, DomainError
from eventlens.pipeline import repo
from eventlens.pipeline.repo import ClaimedPhoto
from eventlens.resilience import OutOfTime, WallClockGuard
from eventlens.scope import Scope
from eventlens.storage import BlobStore
from eventlens.storage.keys import originals_prefix, thumbnail_key
from eventlens.types import Event

if TYPE_CHECKING:
    from eventlens.media.decode import DecodedMedia

Row = ClaimedPhoto


@dataclass(frozen=True)
class PipelineOptions:
    """How pixels are handled; the defaults are the fast path, the rest exists for the benchmark."""

    draft: bool = True
    """Decode JPEGs at the smallest DCT scale covering the working size (4x fewer pixels)."""
    fuse: bool = True
    """Analyze also runs faces and the local describer on the image it decoded, when they are
    pending and local, so `full` decodes each photo once instead of once per pixel phase."""
    workers: int | None = None
    """Photos in flight at once; None: settings().pipeline_workers."""


@dataclass
class PhaseContext:
    event: Event
    guard: WallClockGuard
    cfg: Settings
    store: BlobStore
    options: PipelineOptions = field(default_factory=PipelineOptions)
    on_item: Callable[[], None] | None = None
    shard: tuple[int, int] | None = None
    """(worker, workers) when this batch is one of `workers` Map workers of the phase (worker counts
    from 1): a phase that cannot claim rows (scan registers objects not yet in the database) takes
    only its share, so no two workers fetch and hash the same object."""

    @property
    def scope(self) -> Scope:
        """The pipeline acting for this event: every transaction of a phase opens through it."""
        return Scope.pipeline(self.event)

    @property
    def workers(self) -> int:
        return max(1, self.options.workers or self.cfg.pipeline_workers)

    @property
    def originals_prefix(self) -> str:
        return originals_prefix(self.event.slug)

    def thumb_key(self, photo_id: UUID, size: int) -> str:
        return thumbnail_key(self.event.slug, photo_id, size)

    def item_done(self) -> None:
        if self.on_item is not None:
            self.on_item()


@dataclass
class Outcome:
    processed: int = 0
    errors: int = 0
    exhausted: bool = False  # nothing left to claim when the loop ended


def run_photo_items(
    ctx: PhaseContext, phase: str, work: Callable[[Row], bool], *, embed_model: str | None = None
) -> Outcome:
    """Run `work(row)` (True: completed, False: row marked error) on every row needing `phase`."""
    outcome = Outcome()
    queue: deque[Row] = deque()
    inflight: dict[Future[tuple[bool, float]], Row] = {}
    item_ms = 0.0  # running mean of one photo's time: what the next one started needs

    out_of_time = False

    def may_start() -> bool:
        # Always start one photo per call, so a tiny budget still makes progress.
        started = outcome.processed + len(inflight) > 0
        return not out_of_time and (not started or not ctx.guard.expired(reserve_ms=item_ms))

    pool = _executor(ctx.workers)
    while True:
        while len(inflight) < ctx.workers and not outcome.exhausted and may_start():
            if not queue:
                with ctx.scope.transaction() as tx:
                    queue.extend(repo.claim(tx, phase, ctx.workers * 2, embed_model))
                if not queue:
                    outcome.exhausted = True
                    break
            row = queue.popleft()
            inflight[pool.submit(_timed, work, row)] = row
        if not inflight:
            break
        finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
        for future in finished:
            inflight.pop(future)
            try:
                ok, took_ms = future.result()
            except OutOfTime:  # the photo is pending again; start no other this batch
                out_of_time, outcome.exhausted = True, False
                continue
            outcome.processed += 1
            outcome.errors += 0 if ok else 1
            item_ms = took_ms if outcome.processed == 1 else 0.8 * item_ms + 0.2 * took_ms
            ctx.item_done()
        if outcome.exhausted and not inflight:
            break
    if queue:
        with ctx.scope.transaction() as tx:
            repo.release(tx, phase, [row.id for row in queue])
    return outcome


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    """One long-lived pool per size: models keep per-thread sessions (OpenCV nets, RapidOCR
    engines) that cost ~1 s to build, so threads must outlive a phase run (and a warm Lambda call)."""
    with _pools_lock:
        if workers not in _pools:
            _one_thread_per_photo()
            _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="eventlens-pipeline")
        return _pools[workers]


def _one_thread_per_photo() -> None:
    """Photos run in parallel, so OpenCV's own thread pool only oversubscribes (~10% more CPU)."""
    try:
        import cv2
    except ImportError:  # an API-only Lambda layer
        return
    cv2.setNumThreads(1)


def _timed(work: Callable[[Row], bool], row: Row) -> tuple[bool, float]:
    import time

    started = time.perf_counter()
    ok = work(row)
    return ok, (time.perf_counter() - started) * 1000.0


def load_media(ctx: PhaseContext, row: Row) -> DecodedMedia:
    """The photo's working image (a video's poster frame), decoded as the options say."""
    from eventlens.media.decode import decode_image, decode_video  # imaging libraries: pixel phases only

    try:
        data = ctx.store.get(row.source_key)
    except BlobNotFound:
        raise BadMedia(f"source object {row.source_key} is missing from the store") from None
    if row.kind == "video":
        return decode_video(data, mime=row.mime)
    return decode_image(data, max_pixels=ctx.cfg.max_image_pixels, draft=ctx.options.draft)


def fail_safely(ctx: PhaseContext, row: Row, phase: str, exc: BaseException) -> bool:
    """Record one photo's failure on its row; the batch goes on. A photo whose work ran out of
    the phase's time (`OutOfTime`: a retry would pass the budget) is not failed: it goes back to
    pending for the next batch."""
    if isinstance(exc, OutOfTime):
        with ctx.scope.transaction() as tx:
            repo.release(tx, phase, [row.id])
        raise exc  # run_photo_items ends the batch: the service asked us to come back later
    message = str(exc) or type(exc).__name__
    if not isinstance(exc, (DomainError, ValueError)):
        message = f"{type(exc).__name__}: {message}"
    with ctx.scope.transaction() as tx:
        repo.mark_error(tx, row.id, phase, message)
    return False
