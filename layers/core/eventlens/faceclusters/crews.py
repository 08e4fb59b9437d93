"""Crews: who is photographed with whom, as a weighted graph of people, its communities and ranked
suggestions. Pure (networkx on plain data): the service feeds it, the benchmark measures it.

Each photo counts once for each pair of people in it (a person with three faces in one photo is
still one person there). The edge weight is the Jaccard index of the two people's photo sets,
|A ∩ B| / |A ∪ B|: a host who is in every photo shares many photos with everybody, but their
union is the whole event, so the host's weight to anyone is that person's share of the event,
small, while two friends photographed mostly together score near 1. Communities: networkx's
Louvain on those weights, with a fixed seed (the same input gives the same crews).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from itertools import combinations

import networkx as nx

SEED = 17
"""Louvain's random seed: deterministic crews."""
RESOLUTION = 1.0


@dataclass(frozen=True)
class Suggestion:
    person: Hashable
    weight: float
    """Jaccard index of the two people's photos."""
    shared: int
    """Photos they share."""
    same_crew: bool


def graph(appearances: Iterable[tuple[Hashable, Hashable]], measure: str = "jaccard") -> nx.Graph:
    """People and their co-appearances from (photo, person) pairs (duplicates count once).
    `measure`: "jaccard" (shipped) or "count" (raw shared photos: the host dominates)."""
    people_in: dict[Hashable, set[Hashable]] = {}
    for photo, person in appearances:
        people_in.setdefault(photo, set()).add(person)
    photos_of: Counter[Hashable] = Counter()
    shared: Counter[tuple[Hashable, Hashable]] = Counter()
    for people in people_in.values():
        photos_of.update(people)
        for a, b in combinations(sorted(people, key=str), 2):
            shared[(a, b)] += 1
    g = nx.Graph()
    for person, n in photos_of.items():
        g.add_node(person, photos=n)
    for (a, b), c in shared.items():
        weight = c / (photos_of[a] + photos_of[b] - c) if measure == "jaccard" else float(c)
        g.add_edge(a, b, weight=weight, shared=c)
    return g


def communities(g: nx.Graph) -> list[set[Hashable]]:
    """Louvain communities on the weights, largest first (people with no edge are left out)."""
    if g.number_of_edges() == 0:
        return []
    found = nx.community.louvain_communities(g, weight="weight", resolution=RESOLUTION, seed=SEED)
    return sorted((set(c) for c in found if len(c) > 1), key=lambda c: (-len(c), sorted(map(str, c))))


def suggest(g: nx.Graph, person: Hashable, crews: list[set[Hashable]], k: int = 5) -> list[Suggestion]:
    """The people photographed with `person`, own crew first, then by weight, then shared photos."""
    if person not in g:
        return []
    crew = next((c for c in crews if person in c), set())
    ranked = [
        Suggestion(other, float(data["weight"]), int(data["shared"]), other in crew)
        for other, data in g[person].items()
    ]
    ranked.sort(key=lambda s: (not s.same_crew, -s.weight, -s.shared, str(s.person)))
    return ranked[:k]
