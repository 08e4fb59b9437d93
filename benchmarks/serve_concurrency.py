"""Throughput of `eventlens serve` under concurrent clients: hybrid search and find-me.

Runs `eventlens serve` as a subprocess on the embedded defaults (PostgreSQL from the wheel, local
blobs) over the demo event (`eventlens demo --no-serve`: the demo photos, with their faces and
embeddings from the real pipeline), then sends GET /api/events/demo/search?q=... and POST
/api/events/demo/match (a 1200 px selfie of the astronaut, who is in the demo photos) from 1, 4 and
8 clients at once, each on its own keep-alive connection (--new-connections: a new one for every
request), and prints p50, p95 and requests/s.

The comparison, in the same run and against the same data: one warm instance per function
(EVENTLENS_SERVE_INSTANCES=1: one invocation at a time per function, as the server ran them
before the pool) against the pool at its default size, min(8, CPUs), or --instances. Both servers run
at once (sharing the embedded PostgreSQL) and take turns on each cell.

    .venv/bin/python benchmarks/serve_concurrency.py [--requests 24] [--rounds 2] [--instances N]
        [--new-connections]

The demo home is built once under benchmarks/.data/serve-concurrency (about 30 s) and reused.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / "benchmarks" / ".data" / "serve-concurrency"
EVENTLENS = str(Path(sys.executable).parent / "eventlens")
CONCURRENCY = (1, 4, 8)
QUERIES = ["people on stage", "coffee", "rocket", "cat", "motorbike", "camera", "space", "welcome"]


def environment(instances: int | None) -> dict[str, str]:
    env = {**os.environ, "EVENTLENS_HOME": str(HOME), "POWERTOOLS_LOG_LEVEL": "WARNING"}
    for name in ("DATABASE_URL", "EVENTLENS_APP_DATABASE_URL", "EVENTLENS_SERVE_INSTANCES"):
        env.pop(name, None)
    if instances is not None:
        env["EVENTLENS_SERVE_INSTANCES"] = str(instances)
    return env


def build_demo() -> None:
    """The demo event through the real pipeline, once (a marker file says it is complete)."""
    marker = HOME / "demo-built"
    if marker.exists():
        return
    subprocess.run(
        [EVENTLENS, "demo", "--no-serve", "--password", "bench-password"],
        env=environment(None),
        check=True,
        capture_output=True,
        timeout=900,
    )
    marker.touch()


@contextmanager
def server(instances: int | None) -> Iterator[str]:
    """`eventlens serve` on a free port; yields its URL, stops it (SIGTERM) afterwards."""
    process = subprocess.Popen(
        [EVENTLENS, "serve", "--port", "0"],
        env=environment(instances),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "is serving on " in line:
                yield line.split("is serving on ")[1].split()[0].rstrip("/")
                break
        else:
            raise RuntimeError("eventlens serve exited before serving")
    finally:
        process.terminate()
        process.wait(timeout=60)


def selfie() -> bytes:
    """A phone-sized selfie of a face that is in the demo photos."""
    import skimage.data
    from PIL import Image

    image = Image.fromarray(skimage.data.astronaut()).resize((1200, 1200), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return buf.getvalue()


Request = Callable[[requests.Session, int], requests.Response]


def routes(url: str) -> dict[str, Request]:
    body = {"image_base64": base64.b64encode(selfie()).decode()}

    def search(session: requests.Session, i: int) -> requests.Response:
        params = {"q": QUERIES[i % len(QUERIES)]}
        return session.get(f"{url}/api/events/demo/search", params=params, timeout=120)

    def find_me(session: requests.Session, i: int) -> requests.Response:
        return session.post(f"{url}/api/events/demo/match", json=body, timeout=120)

    return {"search": search, "find-me": find_me}


def load(request: Request, clients: int, total: int, fresh: bool = False) -> tuple[list[float], float]:
    """`total` requests from `clients` threads, one keep-alive session each (`fresh`: a new
    connection for every request): (latencies, wall s)."""
    local = threading.local()
    sessions: list[requests.Session] = []

    def one(i: int) -> float:
        session = None if fresh else getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            sessions.append(session)
        started = time.perf_counter()
        reply = request(session, i)
        took = time.perf_counter() - started
        if reply.status_code != 200:
            raise RuntimeError(f"{reply.status_code}: {reply.text[:300]}")
        return took

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(one, range(total)))
    wall = time.perf_counter() - started
    for session in sessions:
        session.close()
    return latencies, wall


Cell = tuple[str, int]  # (route, clients)


def measure(
    urls: dict[str, str], requests_per_cell: int, rounds: int, fresh: bool
) -> dict[str, dict[Cell, list[float]]]:
    """p50 ms, p95 ms and requests/s per server and cell. The servers take turns, cell by cell and
    round by round (the order alternating), so a burst of other load on the machine hits both."""
    latencies: dict[str, dict[Cell, list[float]]] = {label: {} for label in urls}
    walls: dict[str, dict[Cell, float]] = {label: {} for label in urls}
    requests_by_server = {label: routes(url) for label, url in urls.items()}
    for by_route in requests_by_server.values():
        for request in by_route.values():
            load(request, max(CONCURRENCY), max(CONCURRENCY) * 2)  # every instance loaded and warm
    for name in ("search", "find-me"):
        for clients in CONCURRENCY:
            for turn in range(rounds):
                order = list(urls) if turn % 2 == 0 else list(reversed(urls))
                for label in order:
                    taken, wall = load(requests_by_server[label][name], clients, requests_per_cell, fresh)
                    latencies[label].setdefault((name, clients), []).extend(taken)
                    walls[label][name, clients] = walls[label].get((name, clients), 0.0) + wall
    out: dict[str, dict[Cell, list[float]]] = {}
    for label, cells in latencies.items():
        out[label] = {}
        for cell, taken in cells.items():
            ms = np.array(taken) * 1000
            rps = len(taken) / walls[label][cell]
            out[label][cell] = [float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), rps]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=24, help="requests per cell and round")
    parser.add_argument("--rounds", type=int, default=2, help="turns each server takes per cell")
    parser.add_argument("--instances", type=int, help="pool size to compare (default: the server's own)")
    parser.add_argument(
        "--new-connections", action="store_true", help="a new connection for every request, not keep-alive"
    )
    args = parser.parse_args()
    pool_size = args.instances or min(8, os.cpu_count() or 1)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpu,"
        f" Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at start"
    )
    build_demo()
    photos = sum(1 for p in (HOME / "demo-photos").rglob("*") if p.is_file() and not p.name.startswith("."))
    print(
        f"data: the demo event ({photos} photos, embedded PostgreSQL);"
        f" {args.requests} requests x {args.rounds} rounds per cell,"
        f" {'a new connection per request' if args.new_connections else 'keep-alive connections'}"
    )
    started = time.perf_counter()
    with server(1) as before, server(args.instances) as after:
        result = measure({"before": before, "after": after}, args.requests, args.rounds, args.new_connections)
    print(f"comparison: 1 instance per function (before) vs {pool_size} instances (the pool)")
    print(
        f"{'route':<8} {'clients':>7} | {'p50 ms':>7} {'p95 ms':>7} {'req/s':>6} | {'p50 ms':>7} {'p95 ms':>7}"
        f" {'req/s':>6} | {'req/s x':>7}"
    )
    for (name, clients), (p50, p95, rps) in result["before"].items():
        q50, q95, qps = result["after"][name, clients]
        print(
            f"{name:<8} {clients:>7} | {p50:>7.0f} {p95:>7.0f} {rps:>6.1f} | {q50:>7.0f} {q95:>7.0f}"
            f" {qps:>6.1f} | {qps / rps:>7.2f}"
        )
    print(f"took {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
