"""The one duplicate rule: exact copies by content hash, near copies by dHash distance.

The dedupe phase stores each photo's cluster with it; organizers asking at another distance get the
same rule recomputed in memory. Near pairs are found without comparing all pairs:

Multi-index hashing (Norouzi et al., 2012): cut each hash into m bands; two hashes within
Hamming distance d differ in at most floor(d / m) bits in at least one band (pigeonhole). So
each hash only meets hashes whose band equals its own band with up to r = floor(d / m) bits
flipped: sorted-array lookups in numpy, then an exact popcount check of those candidates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal
from uuid import UUID

import numpy as np

BITS = 64


def _popcount(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.uint64)
    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return ((v * np.uint64(0x0101010101010101)) >> np.uint64(56)).astype(np.int64)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _popcount(np.bitwise_xor(a.astype(np.uint64), b.astype(np.uint64)))


def _masks(width: int, radius: int) -> np.ndarray:
    """Every value of `width` bits with at most `radius` bits set (the flips to probe)."""
    masks = [0]
    for r in range(1, radius + 1):
        masks += [sum(1 << b for b in bits) for bits in combinations(range(width), r)]
    return np.array(masks, np.uint64)


def plan(n: int, distance: int) -> tuple[int, int]:
    """(bands, radius) with the fewest expected probes + candidate checks for n uniform hashes."""
    best: tuple[float, int, int] | None = None
    for bands in range(1, BITS + 1):
        width = -(-BITS // bands)
        radius = distance // bands
        if width > 32:
            continue
        probes = len(_masks(width, radius)) if radius <= 3 else float("inf")
        cost = bands * probes * (1 + n / 2.0**width)
        if best is None or cost < best[0]:
            best = (cost, bands, radius)
    assert best is not None
    return best[1], best[2]


def near_pairs(hashes: np.ndarray, distance: int) -> np.ndarray:
    """(k, 2) index pairs i < j with Hamming(hashes[i], hashes[j]) <= distance."""
    values = np.asarray(hashes).astype(np.int64).view(np.uint64)
    n = len(values)
    if n < 2:
        return np.zeros((0, 2), np.int64)
    bands, radius = plan(n, distance)
    width = -(-BITS // bands)
    found: list[np.ndarray] = []
    for band in range(bands):
        shift = np.uint64(band * width)
        bits = min(width, BITS - band * width)
        key = (values >> shift) & np.uint64((1 << bits) - 1)
        order = np.argsort(key, kind="stable")
        # One binary search per probe, into the distinct band values only (each with the start
        # and length of its run in the sorted order): half the searches, over a smaller array.
        distinct, starts, runs = np.unique(key[order], return_index=True, return_counts=True)
        for mask in _masks(bits, radius):
            probe = key ^ mask
            at = np.minimum(np.searchsorted(distinct, probe), len(distinct) - 1)
            hit = distinct[at] == probe
            lo = starts[at]
            counts = np.where(hit, runs[at], 0)
            if not counts.any():
                continue
            left = np.repeat(np.arange(n), counts)
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            right = order[np.repeat(lo, counts) + offsets]
            keep = left < right
            left, right = left[keep], right[keep]
            close = hamming(values[left], values[right]) <= distance
            found.append(np.stack([left[close], right[close]], axis=1))
    if not found:
        return np.zeros((0, 2), np.int64)
    return np.unique(np.concatenate(found), axis=0)


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Connected-component label per index (union-find with path halving, label = smallest index)."""
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for a, b in pairs.tolist():
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([root(i) for i in range(n)])


DuplicateKind = Literal["exact", "near"]


@dataclass(frozen=True)
class Cluster:
    cluster_id: str
    duplicate_kind: DuplicateKind
    photo_ids: list[UUID]


def cluster_hashes(rows: Sequence[tuple[UUID, str, int | None]], distance: int) -> list[Cluster]:
    """Clusters of >= 2 photos among (id, content_hash, dhash) rows.

    Photos with equal bytes, or dHashes within `distance` bits (transitively), share a cluster. Its
    duplicate_kind is `exact` when every member has the same bytes, else `near`; its id is stable for the same
    members (`exact-<hash prefix>`, `near-<smallest id prefix>`).
    """
    n = len(rows)
    if n < 2:
        return []
    links: list[np.ndarray] = []
    first_of: dict[str, int] = {}
    exact = []
    for i, (_, content_hash, _) in enumerate(rows):
        j = first_of.setdefault(content_hash, i)
        if j != i:
            exact.append((j, i))
    if exact:
        links.append(np.array(exact, np.int64))
    with_dhash = np.array([i for i, row in enumerate(rows) if row[2] is not None], np.int64)
    if len(with_dhash) > 1:
        dhashes = np.array([rows[i][2] for i in with_dhash], np.int64)
        pairs = near_pairs(dhashes, distance)
        links.append(with_dhash[pairs])
    if not links:
        return []
    labels = components(n, np.concatenate(links))
    members: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels.tolist()):
        members[label].append(i)
    clusters = []
    for group in members.values():
        if len(group) < 2:
            continue
        ids = sorted((rows[i][0] for i in group), key=str)
        hashes = {rows[i][1] for i in group}
        if len(hashes) == 1:
            clusters.append(Cluster(f"exact-{next(iter(hashes))[:16]}", "exact", ids))
        else:
            clusters.append(Cluster(f"near-{str(ids[0])[:8]}", "near", ids))
    return sorted(clusters, key=lambda c: (c.duplicate_kind != "exact", -len(c.photo_ids), c.cluster_id))
