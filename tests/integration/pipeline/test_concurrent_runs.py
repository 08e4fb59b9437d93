"""Two runners of one event started together share the work: no photo is processed twice."""

from __future__ import annotations

import threading

from eventlens.pipeline.runner import run_pipeline
from eventlens.scope import Scope
from eventlens.sources.service import import_files

from tests.fixtures_photos import real_jpeg
from tests.helpers import scoped

PHOTOS = 10


def test_a_second_runner_started_mid_run_does_not_take_back_the_first_ones_rows(
    make_event, photo_dir
) -> None:
    event = make_event("two-runners")
    names = ("astronaut", "coffee", "chelsea", "rocket", "cat")
    files = {f"p{i}.jpg": real_jpeg(names[i % len(names)], (480 + 8 * i, 360)) for i in range(PHOTOS)}
    import_files(Scope.pipeline(event), [photo_dir(files)])
    first_started = threading.Event()
    results: dict[str, list[dict]] = {}

    def first() -> None:
        def progress(phase: str, done: int, total: int) -> None:
            if done >= 1:
                first_started.set()  # rows are claimed and in flight now

        results["first"] = run_pipeline(event, "analyze", on_progress=progress)

    def second() -> None:
        first_started.wait(timeout=60)
        results["second"] = run_pipeline(event, "analyze")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    processed = results["first"][0]["processed"] + results["second"][0]["processed"]
    assert processed == PHOTOS, results  # before: the second runner reset the first one's rows
    with scoped(event.id) as tx:
        statuses = [r["analyze_status"] for r in tx.execute("SELECT analyze_status FROM photos").fetchall()]
    assert statuses == ["completed"] * PHOTOS
