"""Pipeline throughput: photos/s per phase and end to end on 12 MP JPEGs made from real photos.

Compares, in the same run and on the same photos, the shipped design (JPEG draft decoding to the
1920 px working size, and analyze running local faces + OCR on the image it already decoded)
against decoding the full image in every phase that needs pixels.

    .venv/bin/python benchmarks/pipeline.py [--photos 24] [--workers N] [--single]

--single adds a third run, one photo at a time and every phase decoding for itself (as each phase
is its own Lambda on AWS), and prints seconds per photo per phase: the figures docs/deploy.md
turns into Lambda GB-s.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SOURCES = ("t1", "astronaut", "coffee", "chelsea", "rocket", "text")


def make_photos(count: int) -> list[tuple[str, bytes]]:
    from PIL import Image

    from tests.fixtures_photos import jpeg, real_image, text_photo

    out = []
    for i in range(count):
        name = SOURCES[i % len(SOURCES)]
        if name == "text":
            import io

            image = Image.open(io.BytesIO(text_photo(f"HALL {i} KEYNOTE"))).convert("RGB")
        else:
            image = real_image(name)
        out.append((f"{i:03d}-{name}.jpg", jpeg(image.resize((4000, 3000), Image.Resampling.BICUBIC), 90)))
    return out


def warm_up(options: list[object]) -> None:
    """Run both variants on small photos first: every model and every worker thread's sessions
    load once, so neither measured variant pays a one-time cost."""
    from tests.fixtures_photos import real_jpeg, text_photo

    small = [
        ("a.jpg", real_jpeg("t1")),
        ("b.jpg", text_photo()),
        ("c.jpg", real_jpeg("coffee")),
        ("d.jpg", real_jpeg("astronaut")),
    ]
    for i, option in enumerate(options):
        run_variant(f"warm-up-{i}", small, option)


def run_variant(
    slug: str, photos: list[tuple[str, bytes]], options: object
) -> dict[str, tuple[float, float]]:
    from eventlens.events.service import create_event
    from eventlens.pipeline.graph import PHASES
    from eventlens.pipeline.runner import run_pipeline
    from eventlens.storage import blob_store

    event = create_event(slug, slug)
    for name, data in photos:
        blob_store().put(f"events/{slug}/originals/{name}", data)
    seconds: dict[str, tuple[float, float]] = {}
    for phase in PHASES:
        started, cpu = time.perf_counter(), time.process_time()
        result = run_pipeline(event, phase, options=options)  # type: ignore[arg-type]
        seconds[phase] = (time.perf_counter() - started, time.process_time() - cpu)
        if not result[-1]["done"] or result[-1]["errors"]:
            raise RuntimeError(f"benchmark run did not complete cleanly: {result}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--single", action="store_true", help="also run one worker, unfused, and print s/photo per phase"
    )
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
    try:
        from eventlens.db.migrate import upgrade
        from eventlens.pipeline.context import PipelineOptions

        upgrade()
        photos = make_photos(args.photos)
        variants = [PipelineOptions(), PipelineOptions(draft=False, fuse=False)]
        if args.single:
            variants.append(PipelineOptions(fuse=False, workers=1))
        warm_up(variants)
        fast = run_variant("decode-once", photos, variants[0])
        slow = run_variant("decode-full", photos, variants[1])
        single = run_variant("single", photos, variants[2]) if args.single else {}
        load = os.getloadavg()[0]
    finally:
        from eventlens.db import close_pool

        close_pool()
        server.cleanup()
        shutil.rmtree(home, ignore_errors=True)

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    size_mb = sum(len(d) for _, d in photos) / 1e6
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(
        f"machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"workers={args.workers}, python {platform.python_version()}"
    )
    print(
        f"data: {len(photos)} JPEGs 4000x3000 (12 MP, quality 90) from {', '.join(SOURCES)}; {size_mb:.1f} MB"
    )
    print(f"load average after the run: {load:.1f} (other processes share these cores)")
    n = len(photos)
    print(f"{'phase':<11}{'decode once + draft':>30}{'full decode in every phase':>30}")
    print(f"{'':<11}{'photos/s  wall s   CPU s/photo':>30}{'photos/s  wall s   CPU s/photo':>30}")

    def cell(wall: float, cpu: float) -> str:
        return f"{n / wall:8.2f} {wall:7.2f} {cpu / n:10.3f}"

    for phase in fast:
        print(f"{phase:<11}{cell(*fast[phase]):>30}{cell(*slow[phase]):>30}")
    (fw, fc), (sw, sc) = (tuple(map(sum, zip(*v.values(), strict=True))) for v in (fast, slow))
    print(f"{'end to end':<11}{cell(fw, fc):>30}{cell(sw, sc):>30}")
    print(
        f"speed-up: x{sw / fw:.2f} wall, x{sc / fc:.2f} CPU; CPU-bound ceiling on {args.workers} cores: "
        f"{args.workers * n / fc:.2f} vs {args.workers * n / sc:.2f} photos/s"
    )
    if single:
        print()
        print("one worker, no fusing (each phase decodes for itself, as on its own Lambda):")
        print(f"{'phase':<11}{'wall s/photo':>14}{'CPU s/photo':>14}")
        for phase, (wall, cpu_s) in single.items():
            print(f"{phase:<11}{wall / n:14.3f}{cpu_s / n:14.3f}")
        wall, cpu_s = map(sum, zip(*single.values(), strict=True))
        print(f"{'end to end':<11}{wall / n:14.3f}{cpu_s / n:14.3f}")


if __name__ == "__main__":
    main()
