"""The public photo list while someone guesses the organizer password (issue 11, "Sign-in").

Before: 200 wrong passwords at concurrency 4 were all checked (scrypt, 6/s) in the one gallery
handler, and the photo list slowed from 4 ms to 613 ms. Now guesses back off (429 before the
password check) and the embedded server runs several instances per function. This times
GET /api/events/demo/photos from one client, alone and during a storm of wrong passwords from four
clients, against one instance per function and against the pool, in the same run.

    .venv/bin/python benchmarks/login_storm.py [--guesses 200] [--photos 60]

Uses the demo home of benchmarks/serve_concurrency.py (built once under benchmarks/.data).
"""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import requests
from serve_concurrency import build_demo, server


def photo_list_ms(url: str, count: int) -> list[float]:
    taken = []
    with requests.Session() as session:
        for _ in range(count):
            started = time.perf_counter()
            assert session.get(f"{url}/api/events/demo/photos", timeout=60).status_code == 200
            taken.append((time.perf_counter() - started) * 1000)
    return taken


def storm(url: str, guesses: int, stop: threading.Event) -> dict[int, int]:
    statuses: dict[int, int] = {}

    def guess(i: int) -> None:
        if stop.is_set():
            return
        reply = requests.post(f"{url}/api/events/demo/login", json={"password": f"wrong-{i}"}, timeout=60)
        statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(guess, range(guesses)))
    return statuses


def summary(taken: list[float]) -> str:
    return f"p50 {np.percentile(taken, 50):6.1f} ms  p95 {np.percentile(taken, 95):6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guesses", type=int, default=200)
    parser.add_argument("--photos", type=int, default=60, help="photo list requests per measurement")
    args = parser.parse_args()
    build_demo()
    for label, instances in (("1 instance", 1), ("pool", None)):
        with server(instances) as url:
            photo_list_ms(url, 10)  # warm
            quiet = photo_list_ms(url, args.photos)
            stop = threading.Event()
            with ThreadPoolExecutor(1) as background:
                logins = background.submit(storm, url, args.guesses, stop)
                time.sleep(0.2)
                during = photo_list_ms(url, args.photos)
                stop.set()
                statuses = logins.result()
            print(
                f"{label:10}  alone: {summary(quiet)}   during the storm: {summary(during)}   logins: {statuses}"
            )


if __name__ == "__main__":
    main()
