"""The gallery page at 10,000+ photos in Chromium: DOM nodes, JS heap, renderer memory, frame times
while scrolling, and how long the thumbnails on screen take after a jump to the end (issue 19).

Compares two versions of web/ in the same run: `before` (the files at a git ref, default `main`)
and `after` (this working tree), against the same synthetic event: a small HTTP server in this
process serves the page's files and an API that answers like `/api/events/<slug>` and `/photos`
(keyset pages of up to 500, photos of mixed aspect ratios), and thumbnails one at a time with
9 ms each (~110/s, the embedded server's rate measured in the issue). Only the browser side is
measured; the API's own speed is benchmarks/many_events.py's and search.py's business.

    .venv/bin/python benchmarks/gallery_scale.py [--photos 10000] [--ref main] [--variants before,after]
        [--scroll-steps 120]

For each variant and size: open the gallery, jump to the middle and wait for the thumbnails on
screen, jump to the end until the last photo is on screen, then wheel-scroll back through it. Figures: max DOM nodes seen,
JS heap (CDP), the renderer's RSS, seconds from a jump to the middle until the thumbnails on
screen there have loaded, p95 frame interval while wheel-scrolling (300 px steps) and
flinging (3,000 px steps), the main thread's long tasks (over 50 ms) and its script, layout + style and total task time
during both (CDP Performance metrics: CPU-bound, so compare variants within one run), and seconds from the first jump until every thumbnail on screen at the
end has loaded.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import subprocess
import tarfile
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psutil
from PIL import Image
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
SLUG = "bench"
THUMB_S = 0.009
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
RATIOS = [(3, 2), (2, 3), (4, 3), (16, 9), (1, 1), (3, 4)]


def _thumbs() -> list[bytes]:
    out = []
    for n in range(12):
        img = Image.new("RGB", (320, 213), ((n * 53) % 255, (n * 97) % 255, (n * 151) % 255))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=80)
        out.append(buf.getvalue())
    return out


def _photo(i: int) -> dict[str, Any]:
    w, h = RATIOS[(i * 7) % len(RATIOS)]
    return {
        "id": f"00000000-0000-4000-8000-{i:012d}",
        "filename": f"IMG_{i:06d}.jpg",
        "kind": "photo",
        "width": w * 1000,
        "height": h * 1000,
        "folder": "Day 1",
        "taken_at": f"2026-06-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z",
        "thumbnail_url": f"/thumb/{i}.jpg",
        "preview_url": f"/thumb/{i}.jpg?size=preview",
        "original_url": f"/thumb/{i}.jpg?size=original",
        "scene_description": f"Synthetic photo {i}",
        "alt": f"Synthetic photo {i}",
    }


def serve(web: Path, photos: int) -> tuple[ThreadingHTTPServer, str]:
    """The page's files from `web`, a synthetic event's API, and throttled thumbnails."""
    thumbs = _thumbs()
    lock = threading.Lock()
    event = {
        "slug": SLUG,
        "name": f"{photos:,} photos",
        "settings": {"face_matching": False, "theme": None},
        "photo_count": photos,
        "folders": [],
        "tags": [],
        "max_selfie_bytes": 8 << 20,
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, body: bytes, kind: str, cache: str = "no-cache") -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", cache)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            path, query = url.path, parse_qs(url.query)
            if path.startswith("/thumb/"):
                n = int(path.rsplit("/", 1)[1].split(".")[0])
                with lock:  # one at a time, as the embedded server sends them
                    time.sleep(THUMB_S)
                self._send(thumbs[n % len(thumbs)], "image/jpeg", "public, max-age=3600")
            elif path == f"/api/events/{SLUG}":
                self._send(json.dumps(event).encode(), "application/json")
            elif path == f"/api/events/{SLUG}/photos":
                limit = min(500, int(query.get("limit", ["100"])[0]))
                start = int(query.get("cursor", query.get("offset", ["0"]))[0])
                end = min(photos, start + limit)
                page = {
                    "photos": [_photo(i) for i in range(start, end)],
                    "next_cursor": str(end) if end < photos else None,
                    "total": photos,
                }
                self._send(json.dumps(page).encode(), "application/json")
            elif path.startswith("/e/"):
                self._send((web / "index.html").read_bytes(), "text/html")
            elif (web / path.lstrip("/")).is_file():
                file = web / path.lstrip("/")
                self._send(file.read_bytes(), TYPES.get(file.suffix, "application/octet-stream"))
            else:
                self.send_error(404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def web_at(ref: str, into: Path) -> Path:
    """web/ as it is at git `ref`."""
    tar = subprocess.run(["git", "archive", ref, "web"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    return into / "web"


FRAMES = """() => { window.__frames = []; window.__long = 0; let last = performance.now();
  if (!window.__longObserver) { window.__longObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long += e.duration; }); window.__longObserver.observe({ type: 'longtask' }); }
  const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__recording) requestAnimationFrame(tick); };
  window.__recording = true; requestAnimationFrame(tick); }"""
VISIBLE_LOADED = """() => { const imgs = [...document.querySelectorAll('.tile img')].filter((i) => {
  const r = i.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight && r.width > 0; });
  return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0); }"""
NODES = "() => document.getElementsByTagName('*').length"


def _renderer_rss() -> int:
    """The largest Chromium renderer under this process (the one tab), in bytes."""
    rss = [
        p.memory_info().rss
        for p in psutil.Process().children(recursive=True)
        if "--type=renderer" in " ".join(p.cmdline())
    ]
    return max(rss, default=0)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)] if ordered else 0.0


def _wheel(page: Page, step: int, count: int, nodes: list[int], long: list[float]) -> list[float]:
    page.evaluate(FRAMES)
    for n in range(count):
        page.mouse.wheel(0, step)
        page.wait_for_timeout(16)
        if n % 5 == 0:
            nodes.append(page.evaluate(NODES))
    page.evaluate("() => { window.__recording = false; }")
    long.append(page.evaluate("() => window.__long"))
    return page.evaluate("() => window.__frames.slice(1)")


def measure(browser: Any, base: str, photos: int, steps: int) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    started = time.monotonic()
    page.goto(f"{base}/e/{SLUG}")
    page.locator(".tile").first.wait_for()
    first_tile_s = time.monotonic() - started

    nodes: list[int] = []
    # A jump into the middle: the thumbnails on screen there, however the grid gets to them.
    page.wait_for_timeout(300)
    jumped = time.monotonic()
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight / 2)")
    page.wait_for_function(VISIBLE_LOADED, polling=20, timeout=120_000)
    mid_visible_s = time.monotonic() - jumped
    nodes.append(page.evaluate(NODES))

    jumped = time.monotonic()
    last = f'.tile[data-index="{photos - 1}"]'
    while not page.locator(last).count():
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_timeout(50)
        nodes.append(page.evaluate(NODES))
        if time.monotonic() - jumped > 600:
            raise RuntimeError("the last photo never appeared")
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function(VISIBLE_LOADED, polling=20, timeout=120_000)
    end_visible_s = time.monotonic() - jumped
    nodes.append(page.evaluate(NODES))
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    heap = metrics["JSHeapUsedSize"]
    rss = _renderer_rss()

    page.mouse.move(683, 500)
    long: list[float] = []
    costs = ("ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "TaskDuration")
    before = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    scroll = _wheel(page, -300, steps, nodes, long)
    fling = _wheel(page, -3000, max(10, steps // 3), nodes, long)
    after = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    spent = {k: round((after[k] - before[k]) * 1000) for k in costs}
    context.close()
    return {
        "photos": photos,
        "first_tile_s": round(first_tile_s, 2),
        "mid_thumbnails_s": round(mid_visible_s, 2),
        "end_thumbnails_s": round(end_visible_s, 2),
        "max_dom_nodes": max(nodes),
        "dom_nodes_at_end": nodes[-1],
        "js_heap_mb": round(heap / 2**20, 1),
        "renderer_rss_mb": round(rss / 2**20, 1),
        "p95_frame_ms_scroll": round(p95(scroll), 1),
        "p95_frame_ms_fling": round(p95(fling), 1),
        "long_task_ms": round(sum(long)),
        "script_ms": spent["ScriptDuration"],
        "layout_style_ms": spent["LayoutDuration"] + spent["RecalcStyleDuration"],
        "main_thread_ms": spent["TaskDuration"],
        "frames": len(scroll) + len(fling),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, action="append", help="event sizes (repeatable; default 10000)")
    parser.add_argument("--ref", default="main", help="git ref of the `before` web/ (default main)")
    parser.add_argument("--variants", default="before,after")
    parser.add_argument(
        "--scroll-steps", type=int, default=120, help="wheel steps of 300 px (a third as many flings)"
    )
    args = parser.parse_args()
    sizes = args.photos or [10_000]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        webs = {"before": web_at(args.ref, Path(tmp)), "after": ROOT / "web"}
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for photos in sizes:
            for variant in args.variants.split(","):
                server, base = serve(webs[variant], photos)
                try:
                    row = {"variant": variant, **measure(browser, base, photos, args.scroll_steps)}
                finally:
                    server.shutdown()
                print(json.dumps(row), flush=True)
                rows.append(row)
        browser.close()
    keys = [k for k in rows[0] if k != "variant"]
    print("\n| variant | " + " | ".join(keys) + " |")
    print("|" + "---|" * (len(keys) + 1))
    for row in rows:
        print(f"| {row['variant']} | " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
