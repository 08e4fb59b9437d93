"""How soon a cancelled local run stops: seconds from the cancel to the run closed, and photos that
finished after it, against the time the same analyze phase takes to the end (what a check only
between slices would wait for locally, where a slice is the whole phase).

    .venv/bin/python benchmarks/job_cancel.py [--photos 12] [--workers 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _make_photos(count: int) -> list[tuple[str, bytes]]:
    spec = importlib.util.spec_from_file_location("bench_pipeline", ROOT / "benchmarks" / "pipeline.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_photos(count)  # type: ignore[no-any-return]


def _event(slug: str, photos: list[tuple[str, bytes]]):  # type: ignore[no-untyped-def]
    from eventlens.events.service import create_event
    from eventlens.storage import blob_store

    event = create_event(slug, slug)
    for name, data in photos:
        blob_store().put(f"events/{slug}/originals/{name}", data)
    return event


def cancelled_run(photos: list[tuple[str, bytes]]) -> tuple[float, int, int]:
    """(seconds from cancel to closed, photos analyzed when cancelled, photos analyzed in all)."""
    from eventlens.jobs.service import cancel_job, list_jobs, run_recorded
    from eventlens.scope import Scope

    event = _event("cancelled", photos)
    organizer = Scope.organizer(event, "bench")
    asked: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "analyze" and done >= 1 and "at" not in asked:
            asked["at"], asked["done"] = time.perf_counter(), done
            cancel_job(organizer, list_jobs(organizer).jobs[0].id)

    results = run_recorded(Scope.pipeline(event), "full", on_progress=progress)
    stopped = time.perf_counter() - asked["at"]
    analyzed = next(r["processed"] for r in results if r["phase"] == "analyze")
    return stopped, int(asked["done"]), analyzed


def whole_analyze(photos: list[tuple[str, bytes]]) -> float:
    from eventlens.pipeline.runner import run_pipeline

    event = _event("whole", photos)
    run_pipeline(event, "scan")
    started = time.perf_counter()
    run_pipeline(event, "analyze")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="eventlens-bench-"))
    os.chmod(home, 0o755)  # noqa: S103 - pgserver's postgres user must reach its data directory
    import pgserver

    server = pgserver.get_server(home / "pg", cleanup_mode="stop")
    os.environ.update(
        {
            "EVENTLENS_HOME": str(home / "home"),
            "DATABASE_URL": server.get_uri(),
            "EVENTLENS_TOKEN_SECRET": "bench-" + "x" * 40,
            "EVENTLENS_PIPELINE_WORKERS": str(args.workers),
        }
    )
    from eventlens.db.migrate import upgrade

    upgrade()
    photos = _make_photos(args.photos)
    whole = whole_analyze(photos)
    stopped, at_cancel, analyzed = cancelled_run(photos)
    print(f"photos {args.photos}, workers {args.workers}, load {os.getloadavg()[0]:.1f}")
    print(f"analyze to the end:            {whole:6.2f} s")
    print(f"cancel -> run closed:          {stopped:6.2f} s")
    print(f"analyzed at cancel / at stop:  {at_cancel} / {analyzed} of {args.photos}")


if __name__ == "__main__":
    main()
