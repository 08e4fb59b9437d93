"""The album list at size: top 20 by Bayesian score and by rating count, served from the roll-up
kept on the album row (an index scan), against computing the roll-ups from the ratings on every
request (the obvious alternative); and 500 concurrent raters on one album (issue 15, "Speed").

In one run on one database, as the application role under row-level security:

- `albums.service.list_albums` (the route's whole service call, subjects and the caller's own
  rating included), sort `score` and `count`;
- the list query alone on the roll-up, and the same top 20 computed on the fly
  (GROUP BY over album_ratings joined to albums), both as the operator: row-level security lets a
  visitor read only its own ratings, so the alternative could not run as the visitor at all;
- 500 raters at once on one album, from `--workers` threads with their own connections: the stored
  count, sum and score equal a recount of album_ratings.

    .venv/bin/python benchmarks/albums.py [--albums 100000] [--ratings 1000000] [--events 1] [--requests 200]

The data are generated in SQL (the roll-up trigger disabled while bulk-loading, the roll-ups then
set by one UPDATE, which is what the trigger keeps). A throwaway embedded PostgreSQL under a
temporary folder; nothing is kept.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import numpy as np


def _summary(label: str, taken: list[float]) -> str:
    return (
        f"{label:<52} p50 {np.percentile(taken, 50):7.2f} ms  p95 {np.percentile(taken, 95):7.2f} ms"
        f"  mean {statistics.fmean(taken):7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--albums", type=int, default=100_000)
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1, help="the albums are spread over this many events")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--raters", type=int, default=500)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")

    import pgserver
    import psycopg

    root = Path(tempfile.mkdtemp(prefix="eventlens-albums-"))
    os.environ["EVENTLENS_HOME"] = str(root / "home")
    os.environ["EVENTLENS_TOKEN_SECRET"] = "bench-secret-" + "x" * 32
    os.environ["EVENTLENS_DB_POOL_SIZE"] = str(args.workers + 2)
    server = pgserver.get_server(root / "data", cleanup_mode="stop")
    try:
        from eventlens.db.embedded import create_owner_role, provision

        admin = str(server.get_uri("postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            create_owner_role(conn)
        os.environ["DATABASE_URL"] = provision(admin, "albums")

        from eventlens.db.migrate import upgrade

        upgrade()
        run(args)
    finally:
        from eventlens.db import close_pool

        close_pool()
        server.cleanup()  # type: ignore[attr-defined]
        shutil.rmtree(root, ignore_errors=True)


def load(owner: object, args: argparse.Namespace) -> list[UUID]:
    """`--albums` albums over `--events` events, `--ratings` ratings skewed (a few albums get most)."""
    from eventlens.events.service import create_event

    conn = owner  # psycopg.Connection, autocommit
    for i in range(args.events):
        create_event(f"event-{i}", f"Event {i}")
    events = [r[0] for r in conn.execute("SELECT id FROM events ORDER BY slug").fetchall()]  # type: ignore[attr-defined]
    org = conn.execute("SELECT organization_id FROM events LIMIT 1").fetchone()[0]  # type: ignore[attr-defined]
    people = max(args.raters, 20_000)
    started = time.perf_counter()
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO people (email) SELECT 'p' || g || '@example.org' FROM generate_series(1, %s) g",
        (people,),
    )
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO albums (organization_id, event_id, title, contribution_policy)"
        " SELECT %s, (%s::uuid[])[1 + g %% %s], 'Album ' || g, 'OPEN' FROM generate_series(1, %s) g",
        (org, events, len(events), args.albums),
    )
    conn.execute("ALTER TABLE album_ratings DISABLE TRIGGER album_ratings_rollup")  # type: ignore[attr-defined]
    # Album n (in a random order) gets about ratings/albums · 4 · u³ ratings (u uniform): skewed,
    # averaging ratings/albums. Raters are consecutive people from a per-album offset.
    per_album = args.ratings / args.albums
    conn.execute(  # type: ignore[attr-defined]
        "WITH a AS (SELECT id, event_id, row_number() OVER (ORDER BY id) AS n,"
        "   greatest(0, round(%s * 4 * random() ^ 3))::int AS k FROM albums),"
        " p AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM people)"
        " INSERT INTO album_ratings (album_id, event_id, person_id, stars)"
        " SELECT a.id, a.event_id, p.id, 1 + floor(random() * 5)::int"
        " FROM a CROSS JOIN LATERAL generate_series(0, a.k - 1) j"
        " JOIN p ON p.i = (a.n * 7919 + j) %% %s",
        (per_album, people),
    )
    conn.execute("ALTER TABLE album_ratings ENABLE TRIGGER album_ratings_rollup")  # type: ignore[attr-defined]
    conn.execute(  # type: ignore[attr-defined]
        "UPDATE albums a SET rating_count = r.n, rating_sum = r.s FROM"
        " (SELECT album_id, count(*) AS n, sum(stars) AS s FROM album_ratings GROUP BY album_id) r"
        " WHERE r.album_id = a.id"
    )
    conn.execute("VACUUM ANALYZE albums")  # type: ignore[attr-defined]
    conn.execute("VACUUM ANALYZE album_ratings")  # type: ignore[attr-defined]
    albums, ratings = conn.execute(  # type: ignore[attr-defined]
        "SELECT (SELECT count(*) FROM albums), (SELECT count(*) FROM album_ratings)"
    ).fetchone()
    print(
        f"data: {albums} albums over {len(events)} event(s), {ratings} ratings, {people} people"
        f" (loaded in {time.perf_counter() - started:.1f} s)"
    )
    return events


ON_THE_FLY = {
    "score": (
        "SELECT a.id, (coalesce(r.s, 0) + 15.0) / (coalesce(r.n, 0) + 5) AS score, coalesce(r.n, 0) AS n"
        " FROM albums a LEFT JOIN (SELECT album_id, count(*) AS n, sum(stars) AS s FROM album_ratings"
        "  WHERE event_id = current_event_id() GROUP BY album_id) r ON r.album_id = a.id"
        " WHERE a.event_id = current_event_id() ORDER BY score DESC, n DESC, a.id LIMIT 20"
    ),
    "count": (
        "SELECT a.id, (coalesce(r.s, 0) + 15.0) / (coalesce(r.n, 0) + 5) AS score, coalesce(r.n, 0) AS n"
        " FROM albums a LEFT JOIN (SELECT album_id, count(*) AS n, sum(stars) AS s FROM album_ratings"
        "  WHERE event_id = current_event_id() GROUP BY album_id) r ON r.album_id = a.id"
        " WHERE a.event_id = current_event_id() ORDER BY n DESC, score DESC, a.id LIMIT 20"
    ),
}
ROLLUP = {
    "score": (
        "SELECT a.id, a.rating_score AS score, a.rating_count AS n FROM albums a"
        " WHERE a.event_id = current_event_id() ORDER BY a.rating_score DESC, a.rating_count DESC, a.id LIMIT 20"
    ),
    "count": (
        "SELECT a.id, a.rating_score AS score, a.rating_count AS n FROM albums a"
        " WHERE a.event_id = current_event_id() ORDER BY a.rating_count DESC, a.rating_score DESC, a.id LIMIT 20"
    ),
}


def run(args: argparse.Namespace) -> None:
    import psycopg
    from eventlens.albums import service as albums
    from eventlens.events.service import event_by_id
    from eventlens.scope import Scope

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as owner:
        events = load(owner, args)
        event = event_by_id(events[0])
        visitor = Scope.visitor(event)
        # The raw queries run as the operator: a visitor may not read others' ratings (RLS), so the
        # on-the-fly alternative could not even be computed in the visitor's own transaction.
        operator = Scope.system(event)

        def timed(fn: object, n: int) -> list[float]:
            taken = []
            for _ in range(n):
                started = time.perf_counter()
                fn()  # type: ignore[operator]
                taken.append((time.perf_counter() - started) * 1000)
            return taken

        for sort in ("score", "count"):

            def query(sql: str) -> list[tuple[object, ...]]:
                with operator.transaction() as tx:
                    return [tuple(r.values()) for r in tx.execute(sql).fetchall()]

            rollup, fly = query(ROLLUP[sort]), query(ON_THE_FLY[sort])
            same = [(r[0], round(float(r[1]), 9), r[2]) for r in rollup] == [
                (r[0], round(float(r[1]), 9), r[2]) for r in fly
            ]
            print(f"\nsort={sort}: the roll-up's top 20 equals the on-the-fly top 20: {same}")
            timed(lambda sort=sort: albums.list_albums(visitor, sort, 20), 5)  # warm the pool and caches
            print(
                _summary(
                    f"service list_albums(sort={sort}, limit=20)",
                    timed(lambda sort=sort: albums.list_albums(visitor, sort, 20), args.requests),
                )
            )
            print(
                _summary(
                    "  query on the roll-up (index)",
                    timed(lambda sort=sort: query(ROLLUP[sort]), args.requests),
                )
            )
            fly_n = max(5, args.requests // 20)
            print(
                _summary(
                    f"  query computing roll-ups on the fly ({fly_n} runs)",
                    timed(lambda sort=sort: query(ON_THE_FLY[sort]), fly_n),
                )
            )
            with visitor.transaction() as tx:
                plan = tx.execute("EXPLAIN " + ROLLUP[sort]).fetchall()
            print("  plan:", " / ".join(str(next(iter(r.values()))).strip() for r in plan[:3]))

        concurrent_raters(args, event, owner)


def concurrent_raters(args: argparse.Namespace, event: object, owner: object) -> None:
    from eventlens.access.rights import Role
    from eventlens.albums import service as albums
    from eventlens.scope import Scope

    album = owner.execute(  # type: ignore[attr-defined]
        "INSERT INTO albums (organization_id, event_id, title, contribution_policy)"
        " VALUES (%s, %s, 'Hot', 'OPEN') RETURNING id",
        (event.organization_id, event.id),  # type: ignore[attr-defined]
    ).fetchone()[0]
    people = [
        r[0] for r in owner.execute("SELECT id FROM people ORDER BY id LIMIT %s", (args.raters,)).fetchall()
    ]  # type: ignore[attr-defined]
    start = threading.Barrier(args.workers)

    def rate(index: int) -> float:
        scope = Scope.organizer(event, f"person:{people[index]}", role=Role.VIEWER)  # type: ignore[arg-type]
        if index < args.workers:
            start.wait()
        began = time.perf_counter()
        albums.rate(scope, album, 1 + index % 5)
        return (time.perf_counter() - began) * 1000

    began = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        taken = list(pool.map(rate, range(len(people))))
    wall = time.perf_counter() - began
    stored = owner.execute(
        "SELECT rating_count, rating_sum, rating_score FROM albums WHERE id = %s", (album,)
    ).fetchone()  # type: ignore[attr-defined]
    recount = owner.execute(
        "SELECT count(*), sum(stars) FROM album_ratings WHERE album_id = %s", (album,)
    ).fetchone()  # type: ignore[attr-defined]
    print(f"\n{len(people)} concurrent ratings on one album from {args.workers} threads: {wall:.2f} s")
    print(_summary("  one rating (service call)", taken))
    print(
        f"  stored count, sum = {stored[0]}, {stored[1]}; recount = {recount[0]}, {recount[1]};"
        f" equal: {(stored[0], stored[1]) == (recount[0], recount[1])};"
        f" score {stored[2]:.4f} = (sum + 15) / (count + 5): {abs(stored[2] - (recount[1] + 15) / (recount[0] + 5)) < 1e-9}"
    )


if __name__ == "__main__":
    main()
