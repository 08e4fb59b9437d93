"""Engagement under load, the public media gallery at scale, and transcode speed (issue 16).

1. Upvotes: 1,000 viewing sessions upvote one item at concurrency 16 through the real gallery
   handler (API Gateway v2 events, each thread its own pooled connection), then the same 1,000
   sessions upvote again (idempotent: no change). The stored count must be exactly 1,000 and the
   reconciliation must find zero drift. Requests/s and p50/p95 per phase.
2. Gallery page (24 items, sort popular) at 100,000 items in the event: the denormalised counter
   (one partial index, `upvote_count DESC`) against the obvious alternative, counting each item's
   upvotes at read time (`GROUP BY` over the upvote table), same filter and order; p50/p95.
3. Transcode speed: a 1080p MPEG-4 Part 2 clip (real photos, slow zoom, audio) to fast-start
   H.264/AAC (media/video.py, libx264 veryfast CRF 23): seconds of video per second.
4. Compilation speed: a highlight reel of that clip (a 2 s title card, then three 3 s trims from
   different places, 1080p25) by `compile_reel`: seconds of reel per second.

    .venv/bin/python benchmarks/engagement.py [--items 100000] [--upvotes 300000] [--clip-s 10]
        [--parts upvotes,gallery,transcode,compile]

A throwaway embedded PostgreSQL under a temporary folder; nothing is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np


def _summary(label: str, taken_ms: list[float]) -> str:
    return (
        f"{label:<52} p50 {np.percentile(taken_ms, 50):7.2f} ms  p95 {np.percentile(taken_ms, 95):7.2f} ms"
        f"  mean {statistics.fmean(taken_ms):7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--upvotes", type=int, default=300_000, help="spread over the items (part 2)")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--clip-s", type=float, default=10.0)
    parser.add_argument("--parts", default="upvotes,gallery,transcode,compile", help="comma-separated")
    args = parser.parse_args()
    print(f"$ python benchmarks/engagement.py {' '.join(sys.argv[1:])}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}")

    import pgserver
    import psycopg

    root = Path(tempfile.mkdtemp(prefix="eventlens-engagement-"))
    os.environ["EVENTLENS_HOME"] = str(root / "home")
    os.environ["EVENTLENS_TOKEN_SECRET"] = "bench-secret-" + "x" * 32
    os.environ["EVENTLENS_DB_POOL_SIZE"] = str(args.concurrency + 4)
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "eventlens")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "EventLens")
    server = pgserver.get_server(root / "data", cleanup_mode="stop")
    try:
        from eventlens.db.embedded import create_owner_role, provision

        admin = str(server.get_uri("postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            create_owner_role(conn)
        os.environ["DATABASE_URL"] = provision(admin, "engagement")

        from eventlens.db.migrate import upgrade

        upgrade()
        results: dict[str, Any] = {}
        parts = set(args.parts.split(","))
        if "upvotes" in parts:
            results["upvotes"] = upvotes(args)
        if "gallery" in parts:
            results["gallery"] = gallery(args)
        if "transcode" in parts:
            results["transcode"] = transcode_speed(args, root)
        if "compile" in parts:
            results["compile"] = compile_speed(args, root)
        print(json.dumps(results, indent=2))
    finally:
        from eventlens.db import close_pool

        close_pool()
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def _item(conn: Any, event: Any, name: str) -> Any:
    row = conn.execute(
        "INSERT INTO photos (event_id, source_key, content_hash, filename, kind, duration_s, width, height,"
        " analyze_status) VALUES (%s, %s, %s, %s, 'video', 30, 1920, 1080, 'completed') RETURNING id",
        (event.id, f"events/{event.slug}/originals/{name}", name, name),
    ).fetchone()
    return row[0]


def upvotes(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler
    from eventlens.engagement.service import reconcile
    from eventlens.events.service import create_event
    from eventlens.scope import Scope

    event = create_event("load", "Load", password=secrets.token_urlsafe(12))
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        item = _item(conn, event, "clip.mp4")
    handler = lambda_handler("api_gallery")
    path = f"/api/events/{event.slug}/media/{item}/upvote"
    sessions = [secrets.token_urlsafe(18) for _ in range(args.sessions)]

    def call(session: str) -> tuple[float, int, int]:
        body = json.dumps({"session_id": session}).encode()
        request = http_api_event(
            "POST", path, {"host": "bench", "content-type": "application/json"}, body, "10.0.0.1", None
        )
        start = time.perf_counter()
        reply = handler(request, LambdaContext("api_gallery", "bench", deadline_ms=2**62))
        taken = (time.perf_counter() - start) * 1000
        return taken, reply["statusCode"], json.loads(reply["body"])["upvote_count"]

    out: dict[str, Any] = {"sessions": args.sessions, "concurrency": args.concurrency}
    for phase in ("first", "repeat"):
        start = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            done = list(pool.map(call, sessions))
        wall = time.perf_counter() - start
        taken = [d[0] for d in done]
        assert all(d[1] == 200 for d in done), {d[1] for d in done}
        print(_summary(f"upvote ({phase}, {args.sessions} sessions, c={args.concurrency})", taken))
        print(f"{'':<52} {args.sessions / wall:7.1f} requests/s")
        out[phase] = {
            "requests_per_s": round(args.sessions / wall, 1),
            "p50_ms": round(float(np.percentile(taken, 50)), 2),
            "p95_ms": round(float(np.percentile(taken, 95)), 2),
        }
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        stored = conn.execute("SELECT upvote_count FROM photos WHERE id = %s", (item,)).fetchone()[0]  # type: ignore[index]
    drift = reconcile(Scope.system(event), repair=False).drift
    print(f"stored upvote_count: {stored} (expected {args.sessions}); reconcile drift: {len(drift)}")
    assert stored == args.sessions
    assert not drift
    out.update(stored=stored, drift=len(drift))
    return out


def gallery(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg
    from eventlens.engagement import repo
    from eventlens.engagement.service import gallery as gallery_page
    from eventlens.engagement.service import reconcile
    from eventlens.events.service import create_event
    from eventlens.scope import Scope

    event = create_event("big", "Big", password=secrets.token_urlsafe(12))
    started = time.perf_counter()
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(
            "INSERT INTO photos (event_id, source_key, content_hash, filename, kind, width, height, analyze_status,"
            " created_at) SELECT %s, 'events/big/originals/' || g || '.jpg', md5(g::text), g || '.jpg',"
            " 'photo', 1200 + (g %% 3) * 300, 1500, 'completed', now() - make_interval(mins => g)"
            " FROM generate_series(1, %s) g",
            (event.id, args.items),
        )
        # upvotes skewed toward few items (a power law, as engagement is): triggers keep the counters
        # seeded with the counter trigger off and the counters set in one statement afterwards
        # (300k trigger runs take minutes here); the reconciliation below proves them right
        conn.execute("ALTER TABLE media_upvotes DISABLE TRIGGER media_upvotes_count")
        conn.execute(
            "WITH ids AS (SELECT array_agg(id ORDER BY created_at DESC) AS a, count(*) AS n FROM photos"
            "  WHERE event_id = %s)"
            " INSERT INTO media_upvotes (event_id, photo_id, session_key)"
            " SELECT %s, ids.a[1 + floor((ids.n - 1) * power(random(), 3))::int], md5(random()::text || g)"
            " FROM ids, generate_series(1, %s) g ON CONFLICT DO NOTHING",
            (event.id, event.id, args.upvotes),
        )
        conn.execute("ALTER TABLE media_upvotes ENABLE TRIGGER media_upvotes_count")
        conn.execute(
            "UPDATE photos p SET upvote_count = u.n FROM (SELECT photo_id, count(*) AS n FROM media_upvotes"
            " WHERE event_id = %s GROUP BY photo_id) u WHERE p.id = u.photo_id",
            (event.id,),
        )
        conn.execute("VACUUM ANALYZE photos")
        conn.execute("ANALYZE media_upvotes")
    print(f"seeded {args.items} items and {args.upvotes} upvotes in {time.perf_counter() - started:.1f} s")
    assert not reconcile(Scope.system(event), repair=False).drift

    visitor = Scope.visitor(event)
    filters = repo.GalleryFilter()
    timings: dict[str, list[float]] = {"denormalised": [], "counted": []}
    first = gallery_page(visitor, "popular", 24, 0)
    # the upvote rows are each session's own to a visitor (row-level security), so the counting
    # query runs as the operator, who reads them all
    operator = Scope.system(event)
    with operator.transaction() as tx:
        counted_first = repo.gallery_page_counting(tx, filters, 24, 0)
    shown = [i.id for i in first.items]
    assert shown == counted_first, "both ways give the same page"
    for _ in range(args.pages):
        offset = 0
        start = time.perf_counter()
        gallery_page(visitor, "popular", 24, offset)
        timings["denormalised"].append((time.perf_counter() - start) * 1000)
    for _ in range(max(20, args.pages // 10)):
        start = time.perf_counter()
        with operator.transaction() as tx:
            repo.gallery_page_counting(tx, filters, 25, 0)
        timings["counted"].append((time.perf_counter() - start) * 1000)
    print(_summary(f"gallery page 24, popular, {args.items} items (counter)", timings["denormalised"]))
    print(_summary(f"gallery page 24, popular, {args.items} items (count(*) join)", timings["counted"]))
    return {
        name: {
            "p50_ms": round(float(np.percentile(t, 50)), 2),
            "p95_ms": round(float(np.percentile(t, 95)), 2),
            "runs": len(t),
        }
        for name, t in timings.items()
    } | {"items": args.items, "upvotes": args.upvotes}


def _clip_1080p(args: argparse.Namespace, root: Path) -> bytes:
    """The 1080p MPEG-4 Part 2 clip both speed parts use (made once)."""
    import skimage.data
    from eventlens.media.video import slideshow
    from PIL import Image

    clip = root / "clip-1080p.mp4"
    if not clip.exists():
        names = ["chelsea", "coffee", "astronaut", "rocket", "camera"]
        images = [Image.fromarray(getattr(skimage.data, n)()).convert("RGB") for n in names]
        slideshow(
            images, clip, codec="mpeg4", size=(1920, 1080), fps=30, seconds_each=args.clip_s / len(images)
        )
    return clip.read_bytes()


def compile_speed(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    from eventlens.media.video import ReelClip, compile_reel

    data = _clip_1080p(args, root)
    span = min(3.0, args.clip_s / 3)
    clips = [ReelClip(data, start, start + span) for start in (0.0, args.clip_s / 3, args.clip_s - span)]
    start = time.perf_counter()
    reel_s = compile_reel(clips, "Benchmark reel", root / "reel.mp4", size=(1920, 1080), title_card_s=2.0)
    wall = time.perf_counter() - start
    print(
        f"compile 1080p reel of {len(clips)} trims + title card, {reel_s:.1f} s: {wall:.2f} s wall,"
        f" {reel_s / wall:.2f} s of reel per second"
    )
    return {"reel_s": round(reel_s, 2), "wall_s": round(wall, 2), "speed": round(reel_s / wall, 2)}


def transcode_speed(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    from eventlens.media.video import probe, transcode

    data = _clip_1080p(args, root)
    facts = probe(data, "video/mp4")
    start = time.perf_counter()
    transcode(data, root / "out.mp4")
    wall = time.perf_counter() - start
    seconds = facts.duration_s or 0.0
    print(
        f"transcode {facts.quality} {facts.video_codec} {seconds:.1f} s ({len(data) / 1e6:.1f} MB) -> H.264/AAC:"
        f" {wall:.2f} s wall, {seconds / wall:.2f} s of video per second"
    )
    return {
        "quality": facts.quality,
        "video_s": round(seconds, 2),
        "wall_s": round(wall, 2),
        "speed": round(seconds / wall, 2),
    }


if __name__ == "__main__":
    main()
