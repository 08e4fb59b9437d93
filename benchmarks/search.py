"""Search speed at scale: hybrid search, find-me kNN (with recall against an exact scan), duplicates.

    .venv/bin/python benchmarks/scale_data.py              # once: builds 10k and 100k photo databases
    .venv/bin/python benchmarks/search.py --photos 100000  # or 10000; both when omitted

Targets (issue 4, this 2-core machine, embedded PostgreSQL): hybrid p95 <= 50 ms at 100k photos;
find-me kNN p95 <= 25 ms at 300k faces with recall@10 >= 0.97; duplicate clustering of 100k
hashes <= 2 s and >= 20x faster than the seed's all-pairs `XOR + bit_count` SQL.

Every query runs as production does: logged in as `eventlens_app` (no superuser, no SET ROLE),
under row-level security, with no LEAKPROOF operator. `--compare-text` also times hybrid search
with the text candidates planned under row-level security (search_text_candidates() switched to
SECURITY INVOKER for the run), and that again with the three text operators LEAKPROOF (what
migration 0004 did as a superuser), then restores the shipped state.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_data

QUERIES = [
    "Harvrd",
    "keynote speech",
    "speeches",
    "Priyank",
    "dancing",
    "award ceremony trophies",
    "graduation",
    "people networking with drinks",
    "Acme",
    "Stanfrod alumni",
    "woman laughing",
    "band playing",
    "hackathon",
    "rooftop sunset",
    "registration",
    "main stage",
    "coffee",
    "bride and groom",
    "quantum chromodynamics",
    "IMG_004242",
]


def percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000, q))


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


MODES: dict[str, tuple[bool, bool]] = {
    # label -> (search_text_candidates() SECURITY DEFINER, text operators LEAKPROOF)
    "hybrid search": (True, False),  # as shipped
    "  text planned under RLS, no LEAKPROOF (before)": (False, False),
    "  text planned under RLS, LEAKPROOF as superuser (0004)": (False, True),
}


def hybrid_query(event: object) -> Callable[[int], int]:
    """Search QUERIES[i] as a visitor does, the page of photo views included; returns the hit count."""
    from eventlens.db.photos import PhotoFilter
    from eventlens.media.views import photo_view
    from eventlens.scope import Scope
    from eventlens.search.fusion import page
    from eventlens.search.service import ranked_candidates

    rng = np.random.default_rng(5)
    centres = scale_data.topics()
    vectors = [
        scale_data.unit((centres[rng.integers(len(centres))] + rng.normal(scale=0.05, size=384))[None])[0]
        for _ in QUERIES
    ]
    vectors[QUERIES.index("quantum chromodynamics")] = scale_data.unit(rng.normal(size=(1, 384)))[0]
    scope = Scope.visitor(event)  # type: ignore[arg-type]

    def one(i: int) -> int:
        with scope.transaction() as tx, tx.pipeline():  # as search_photos opens it
            ranked, rows = ranked_candidates(tx, QUERIES[i], PhotoFilter(), vectors[i])
        chunk, _ = page(ranked, 50)
        [photo_view(rows[r.candidate.id]) for r in chunk]
        return len(ranked)

    return one


def bench_hybrid(
    event: object, photos: int, rounds: int, switch: Callable[[bool, bool], None], modes: list[str]
) -> None:
    """Each round times every query in every mode in turn, so background load hits all modes alike."""
    one = hybrid_query(event)
    totals: dict[str, list[int]] = {}
    samples: dict[str, list[float]] = {mode: [] for mode in modes}
    for mode in modes:
        switch(*MODES[mode])
        describe_roles(event)
        totals[mode] = [one(i) for i in range(len(QUERIES))]  # warm-up: caches, plans
    for _ in range(rounds):
        for mode in modes:
            switch(*MODES[mode])
            samples[mode] += [s for i in range(len(QUERIES)) for s in timed(functools.partial(one, i), 1)]
    for mode in modes:
        got, total = samples[mode], totals[mode]
        print(
            f"{mode}, {photos} photos, {len(got)} queries: p50 {percentile(got, 50):.1f} ms,"
            f" p95 {percentile(got, 95):.1f} ms (target <= 50 ms at 100k); results per query "
            f"min {min(total)} max {max(total)}; unrelated query -> {total[QUERIES.index('quantum chromodynamics')]}"
        )


def bench_query_embedding() -> None:
    from eventlens.ml.text import text_embedder

    embedder = text_embedder("minilm-l6-v2")
    embed = timed(lambda: embedder.embed_query("people networking with drinks"), 20)
    print(
        f"  + MiniLM query embedding (numpy, in the search Lambda): p50 {percentile(embed, 50):.1f} ms,"
        f" p95 {percentile(embed, 95):.1f} ms"
    )


TEXT_OPERATORS = (
    "ts_match_vq(tsvector, tsquery)",
    "word_similarity_commutator_op(text, text)",
    "texticlike(text, text)",
)
TEXT_FUNCTION = (
    "search_text_candidates(text, text, integer, integer, boolean, boolean, text, text, text,"
    " timestamptz, timestamptz, uuid[])"
)


def text_search_mode(owner_url: str, admin_url: str, definer: bool, leakproof: bool) -> None:
    """Switch how text candidates are planned (the owner's function; the superuser's LEAKPROOF)."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute(f"ALTER FUNCTION {TEXT_FUNCTION} SECURITY {'DEFINER' if definer else 'INVOKER'}")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for operator in TEXT_OPERATORS:
            conn.execute(f"ALTER FUNCTION {operator} {'' if leakproof else 'NOT '}LEAKPROOF")


def describe_roles(event: object) -> None:
    from eventlens.scope import Scope

    with Scope.visitor(event).transaction() as tx:  # type: ignore[arg-type]
        row = tx.execute(
            "SELECT current_user AS app, r.rolsuper AS super, r.rolbypassrls AS bypass,"
            " (SELECT string_agg(proname, ', ') FROM pg_proc WHERE proleakproof AND proname IN"
            "  ('ts_match_vq', 'word_similarity_commutator_op', 'texticlike')) AS leakproof,"
            " (SELECT prosecdef FROM pg_proc WHERE proname = 'search_text_candidates') AS definer"
            " FROM pg_roles r WHERE r.rolname = current_user"
        ).fetchone()
    assert row is not None
    print(
        f"  as {row['app']} (superuser {row['super']}, bypassrls {row['bypass']}); LEAKPROOF text operators:"
        f" {row['leakproof'] or 'none'}; search_text_candidates security definer: {row['definer']}"
    )


def bench_faces(event: object, photos: int, selfies: int) -> None:
    from eventlens.db.vectors import tune_hnsw
    from eventlens.findme import repo as findme_repo
    from eventlens.findme.service import MATCH_K, NEAR_MISS
    from eventlens.scope import Scope

    scope = Scope.visitor(event)  # type: ignore[arg-type]
    rng = np.random.default_rng(9)
    people = scale_data.identities(photos)
    queries = [scale_data.selfie(people[rng.integers(len(people))], rng) for _ in range(selfies)]
    with scope.transaction() as conn:
        exact = [findme_repo.face_knn_ids(conn, q, "sface", 10, exact=True) for q in queries]
    print(f"find-me kNN, {photos * scale_data.FACES_PER_PHOTO} faces, {selfies} selfies:")
    for ef in (40, 64, 100, 200):

        def knn(q: np.ndarray, ef: int = ef) -> list[int]:
            with scope.transaction() as conn:
                tune_hnsw(conn, ef)
                return findme_repo.face_knn_ids(conn, q, "sface", 10)

        got = [knn(q) for q in queries]
        recall = np.mean([len(set(g) & set(e)) / 10 for g, e in zip(got, exact, strict=True)])
        samples = [s for q in queries for s in timed(functools.partial(knn, q), 1)]
        print(f"  ef_search {ef:3d}: top-10 p95 {percentile(samples, 95):5.1f} ms, recall@10 {recall:.3f}")

    def shipped(q: np.ndarray) -> list[object]:
        with scope.transaction() as conn:
            tune_hnsw(conn)
            return list(findme_repo.face_neighbours(conn, q, "sface", 0.36 - NEAR_MISS, MATCH_K))

    samples = [s for q in queries for s in timed(functools.partial(shipped, q), 1)]
    found = [len(shipped(q)) for q in queries[:20]]
    print(
        f"  find-me query as shipped (k={MATCH_K}, threshold, per-photo dedupe, photo rows):"
        f" p50 {percentile(samples, 50):.1f} ms, p95 {percentile(samples, 95):.1f} ms"
        f" (target <= 25 ms), photos per selfie {min(found)}-{max(found)}"
    )
    with scope.transaction() as conn:
        exact_times = timed(lambda: findme_repo.face_knn_ids(conn, queries[0], "sface", 10, exact=True), 5)
    print(f"  exact scan for comparison: p50 {percentile(exact_times, 50):.1f} ms")


def bench_duplicates(event: object, url: str, photos: int, distance: int, seed_timeout_s: int) -> None:
    from eventlens.dedupe import repo as dedupe_repo
    from eventlens.dedupe.rule import cluster_hashes, near_pairs
    from eventlens.scope import Scope

    def ours() -> int:
        with Scope.pipeline(event).transaction() as conn:  # type: ignore[arg-type]
            rows = dedupe_repo.dhashes(conn)
        return len(cluster_hashes(rows, distance))

    samples = timed(ours, 3)
    clusters = ours()
    print(
        f"duplicates, {photos} hashes, distance {distance}: banded multi-index hashing (fetch + cluster)"
        f" {min(samples):.2f} s best, {statistics.median(samples):.2f} s median, {clusters} clusters"
        " (target <= 2 s)"
    )
    seed_sql = (
        "SELECT count(*) FROM photos a JOIN photos b ON a.event_id = b.event_id AND a.id < b.id"
        " WHERE a.dhash IS NOT NULL AND b.dhash IS NOT NULL"
        " AND bit_count((a.dhash # b.dhash)::bit(64)) <= %s"
    )
    # As the owner (not subject to the policies), like the seed's own query; a cancelled seed query
    # must not abort the next one.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET statement_timeout = '{seed_timeout_s}s'")
        started = time.perf_counter()
        try:
            row = conn.execute(seed_sql, (distance,)).fetchone()
            seed_s, seed_pairs = time.perf_counter() - started, (row[0] if row else 0)
            label = f"{seed_s:.1f} s"
        except psycopg.errors.QueryCanceled:
            seed_s, seed_pairs = float(seed_timeout_s), None
            label = f"> {seed_timeout_s} s (cancelled)"
        conn.execute("SET statement_timeout = 0")
        hashes = np.array([r[0] for r in conn.execute("SELECT dhash FROM photos WHERE dhash IS NOT NULL")])
    ours_pairs = len(near_pairs(hashes, distance))
    agree = "" if seed_pairs is None else f", same pairs: {seed_pairs == ours_pairs} ({ours_pairs})"
    print(
        f"  seed all-pairs SQL (pairs only, no clustering): {label}; speed-up >= "
        f"{seed_s / statistics.median(samples):.0f}x{agree}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, action="append")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the query list")
    parser.add_argument("--selfies", type=int, default=100)
    parser.add_argument("--distance", type=int, default=6)
    parser.add_argument("--seed-timeout", type=int, default=300)
    parser.add_argument("--only", choices=["hybrid", "faces", "duplicates"], action="append")
    parser.add_argument(
        "--compare-text",
        action="store_true",
        help="also time hybrid search with text candidates planned under RLS, without and with LEAKPROOF",
    )
    args = parser.parse_args()
    print(
        f"$ {' '.join(sys.argv)}\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, embedded PostgreSQL (pgserver) in {scale_data.DATA / 'pg'}"
    )
    os.environ["EVENTLENS_HOME"] = str(scale_data.DATA / "home")
    os.environ.setdefault("EVENTLENS_TOKEN_SECRET", "benchmark-" + "x" * 32)
    from eventlens.config import reset_settings
    from eventlens.db import close_pool
    from eventlens.types import Event

    for photos in args.photos or [10_000, 100_000]:
        url = scale_data.build(photos)
        from eventlens.db.migrate import upgrade

        upgrade(url)  # migrations newer than the cached data
        os.environ["DATABASE_URL"] = url
        close_pool()
        reset_settings()
        event = Event(id=scale_data.event_id(url), slug="bench", name="Benchmark event")
        print(f"--- {photos} photos, {photos * scale_data.FACES_PER_PHOTO} faces ---")
        only = set(args.only or ["hybrid", "faces", "duplicates"])
        admin = scale_data.admin_url(scale_data.database_name(photos))
        text_search_mode(url, admin, definer=True, leakproof=False)  # the shipped state, whatever ran before
        if "hybrid" in only:
            modes = list(MODES) if args.compare_text else ["hybrid search"]
            try:
                bench_hybrid(
                    event,
                    photos,
                    args.rounds,
                    functools.partial(text_search_mode, url, admin),
                    modes,
                )
            finally:
                text_search_mode(url, admin, definer=True, leakproof=False)
            bench_query_embedding()
        if "faces" in only:
            bench_faces(event, photos, args.selfies)
        if "duplicates" in only:
            bench_duplicates(event, url, photos, args.distance, args.seed_timeout)


if __name__ == "__main__":
    main()
