"""Crew suggestions on a synthetic event with known teams: precision@5, with and without a host.

    .venv/bin/python benchmarks/crews.py [--teams 12] [--size 6] [--photos 600] [--seed 1]
                                         [--cache-sizes 600:12,10000:200]

An event of `teams` teams of `size` people. Each photo shows 2-4 members of one team; one photo
in five also shows somebody from another team (a chat at the coffee machine); in the "host"
variant a host is in every photo. For each person, the top 5 suggestions
(`faceclusters.crews.suggest`: own Louvain crew first, then by weight, as shipped; and by weight
alone) are scored against their team (precision@5: team mates among the 5, out of min(5, size - 1)). Measures compared in the
same run: Jaccard (shipped) and the raw count of shared photos (the obvious alternative).

Then the crew graph cache (`faceclusters.service._graph`): what one find me or crew request costs
in Python when the graph and Louvain are built every time, against a cache hit (the appearances,
read from the database in both cases and not timed here, compared with those the cached graph was
built from), for events of photos:teams (teams of `size`, with a host).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time


def event(
    teams: int, size: int, photos: int, host: bool, seed: int
) -> tuple[list[tuple[int, str]], dict[str, int]]:
    rng = random.Random(seed)
    team_of = {f"t{t}p{i}": t for t in range(teams) for i in range(size)}
    members = {t: [p for p, tt in team_of.items() if tt == t] for t in range(teams)}
    pairs = []
    for n in range(photos):
        team = rng.randrange(teams)
        shown = rng.sample(members[team], rng.randint(2, min(4, size)))
        if rng.random() < 0.2:
            shown.append(rng.choice([p for p in team_of if team_of[p] != team]))
        if host:
            shown.append("host")
        pairs += [(n, p) for p in shown]
    return pairs, team_of


def precision_at_5(
    pairs: list[tuple[int, str]], team_of: dict[str, int], size: int, measure: str, use_crews: bool
) -> float:
    from eventlens.faceclusters.crews import communities, graph, suggest

    g = graph(pairs, measure)
    found = communities(g) if use_crews else []
    scores = []
    for person, team in team_of.items():
        top = suggest(g, person, found, 5)
        hits = sum(1 for s in top if team_of.get(str(s.person)) == team)
        scores.append(hits / min(5, size - 1))
    return sum(scores) / len(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=12)
    parser.add_argument("--size", type=int, default=6)
    parser.add_argument("--photos", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache-sizes", default="600:12,10000:200", help="photos:teams, comma separated")
    args = parser.parse_args()
    print(f"$ {' '.join(sys.argv)}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"event: {args.teams} teams of {args.size}, {args.photos} photos, 20% with one outsider")
    import networkx  # noqa: F401  (imported before the clock starts)

    print("variant      measure   ranking              precision@5  time (s)")
    for host in (False, True):
        pairs, team_of = event(args.teams, args.size, args.photos, host, args.seed)
        for measure in ("jaccard", "count"):
            for use_crews in (True, False):
                start = time.perf_counter()
                p = precision_at_5(pairs, team_of, args.size, measure, use_crews)
                took = time.perf_counter() - start
                ranking = "crew first, weight" if use_crews else "weight only"
                print(
                    f"{'host' if host else 'no host':<12} {measure:<9} {ranking:<20} {p:11.3f}  {took:8.3f}"
                )
    print("\ncrew graph per request (host in every photo; median of 5): built every time vs cache hit")
    print("photos  people  appearances  built (ms)  cache hit (ms)")
    for spec in args.cache_sizes.split(","):
        photos, teams = (int(v) for v in spec.split(":"))
        built, hit = cache_costs(photos, teams, args.size, args.seed)
        appearances = len(event(teams, args.size, photos, True, args.seed)[0])
        print(
            f"{photos:6d}  {teams * args.size + 1:6d}  {appearances:11d}  {built * 1000:10.1f}  {hit * 1000:14.2f}"
        )


def cache_costs(photos: int, teams: int, size: int, seed: int, repeat: int = 5) -> tuple[float, float]:
    """Median seconds to build graph + Louvain, and to recognise the same appearances (cache hit)."""
    import statistics

    from eventlens.faceclusters.crews import communities, graph

    pairs, _ = event(teams, size, photos, True, seed)
    built, hit = [], []
    key = frozenset(pairs)
    for _ in range(repeat):
        start = time.perf_counter()
        communities(graph(pairs, "jaccard"))
        built.append(time.perf_counter() - start)
        start = time.perf_counter()
        same = frozenset(list(pairs)) == key
        hit.append(time.perf_counter() - start)
        assert same
    return statistics.median(built), statistics.median(hit)


if __name__ == "__main__":
    main()
