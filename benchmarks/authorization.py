"""What authorizing a signed-in request costs, with the per-instance role cache and without it
(issue 14, "Permission checks fast and fresh").

Every dashboard request reads its event (the organization's grants version comes with it), then
decides the caller's role: from the cache when its entry carries that version, else from the
grants table. This times, in one run on one database:

- the check alone: `access.authorize(who, event, action)` for a warm cache, and with the cache
  emptied before every call (what each request would pay without one);
- a whole request through the real handler (GET .../admin/members), both ways;
- after a grant change: the first request (a miss, which must see the change) and the next.

    .venv/bin/python benchmarks/authorization.py [--events 200] [--people 5000] [--requests 400]

A throwaway embedded PostgreSQL under a temporary folder; nothing is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def _summary(label: str, taken: list[float]) -> str:
    return (
        f"{label:<44} p50 {np.percentile(taken, 50):7.3f} ms  p95 {np.percentile(taken, 95):7.3f} ms"
        f"  mean {statistics.fmean(taken):7.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()

    import pgserver
    import psycopg

    root = Path(tempfile.mkdtemp(prefix="eventlens-authz-"))
    os.environ["EVENTLENS_HOME"] = str(root / "home")
    os.environ["EVENTLENS_TOKEN_SECRET"] = "bench-secret-" + "x" * 32
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "eventlens")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "EventLens")
    server = pgserver.get_server(root / "data", cleanup_mode="stop")
    try:
        from eventlens.db.embedded import create_owner_role, provision

        admin = str(server.get_uri("postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            create_owner_role(conn)
        os.environ["DATABASE_URL"] = provision(admin, "authz")

        from eventlens.db.migrate import upgrade

        upgrade()
        run(args)
    finally:
        from eventlens.db import close_pool

        close_pool()
        server.cleanup()  # type: ignore[attr-defined]
        shutil.rmtree(root, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    import psycopg
    from eventlens.access import service as access
    from eventlens.access.cache import roles as cache
    from eventlens.auth.principals import principal_from_claims
    from eventlens.auth.tokens import issue_person_token, verify_token
    from eventlens.config import settings
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler
    from eventlens.events.service import create_event, get_event

    rng = random.Random(7)
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as owner:
        owner.execute("INSERT INTO organizations (slug, name) VALUES ('bench', 'Bench')")
        slugs = [f"event-{i}" for i in range(args.events)]
        for slug in slugs:
            create_event(slug, slug, organization="bench")
        events = {r[0]: r[1] for r in owner.execute("SELECT slug, id FROM events").fetchall()}
        with owner.cursor() as cur:
            cur.executemany(
                "INSERT INTO people (email) VALUES (%s)", [(f"p{i}@example.org",) for i in range(args.people)]
            )
            people = [r[0] for r in owner.execute("SELECT id FROM people ORDER BY email").fetchall()]
            roles = ["VIEWER", "MEMBER", "CONTRIBUTOR", "EDITOR", "ADMIN"]
            cur.executemany(
                "INSERT INTO grants (person_id, role, event_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(p, rng.choice(roles), events[rng.choice(slugs)]) for p in people for _ in range(3)],
            )
        grants = owner.execute("SELECT count(*) FROM grants").fetchone()[0]
        callers = owner.execute(
            "SELECT g.person_id, e.slug FROM grants g JOIN events e ON e.id = g.event_id WHERE g.role = 'ADMIN' LIMIT 50"
        ).fetchall()
    print(f"{args.events} events, {args.people} people, {grants} grants; {len(callers)} ADMIN callers")

    secret = settings().token_secret
    tokens = [(issue_person_token(person, secret, 3600)[0], slug) for person, slug in callers]

    def check(warm: bool) -> list[float]:
        taken = []
        cache.clear()
        for i in range(args.requests):
            token, slug = tokens[i % len(tokens)]
            started = time.perf_counter()
            if not warm:
                cache.clear()
            who = principal_from_claims(verify_token(token, secret))
            access.authorize(who, get_event(slug), "members.view")
            taken.append((time.perf_counter() - started) * 1000)
        return taken[len(tokens) :] if warm else taken  # warm: after each caller's first miss

    handler = lambda_handler("api_admin")

    def request(warm: bool) -> list[float]:
        taken = []
        cache.clear()
        for i in range(args.requests):
            token, slug = tokens[i % len(tokens)]
            event = http_api_event(
                "GET",
                f"/api/events/{slug}/admin/members",
                {"authorization": f"Bearer {token}"},
                b"",
                "127.0.0.1",
                None,
            )
            if not warm:
                cache.clear()
            started = time.perf_counter()
            reply = handler(event, LambdaContext("api_admin", "r", deadline_ms=2**62))
            taken.append((time.perf_counter() - started) * 1000)
            assert reply["statusCode"] == 200, reply
        return taken[len(tokens) :] if warm else taken

    for _ in range(2):  # warm the pool and the code paths
        check(True), check(False)
    results = {
        "check, no cache (a grants query per request)": check(False),
        "check, cache": check(True),
        "request GET admin/members, no cache": request(False),
        "request GET admin/members, cache": request(True),
    }
    for label, taken in results.items():
        print(_summary(label, taken))

    # Freshness: a grant change is seen by the very next request, on a warm cache.
    person, slug = callers[0]
    token = tokens[0][0]
    who = principal_from_claims(verify_token(token, secret))
    access.authorize(who, get_event(slug), "members.view")
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as owner:
        owner.execute("UPDATE grants SET role = 'VIEWER' WHERE person_id = %s AND role = 'ADMIN'", (person,))
    started = time.perf_counter()
    role = access.role_in_event(who, get_event(slug))
    after_change = (time.perf_counter() - started) * 1000
    print(f"after a grant change: the next check took {after_change:.3f} ms and saw {role}")
    print(json.dumps({"hits": cache.hits, "misses": cache.misses}))


if __name__ == "__main__":
    main()
