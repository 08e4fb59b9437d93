"""The one duplicate rule: near copies by dHash distance.

Exact copies (equal bytes) are not clustered: they are one photo per event, the other files with
its bytes its aliases (migration 0011, `sources.registry`). The dedupe phase stores each photo's
cluster with it; organizers asking at another distance get the same rule recomputed in memory.
Near pairs are found without comparing all pairs:

Multi-index hashing (Norouzi et al., 2012): cut each hash into m bands; two hashes within
Hamming distance d differ in at most floor(d / m) bits in at least one band (pigeonhole). So
each hash only meets hashes whose band equals its own band with up to r = floor(d / m) bits
flipped: sorted-array lookups in numpy, then an exact popcount check of those candidates.

A dHash that says nothing about the scene (a black frame, a blank slide) never makes a near pair:
see `informative`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb
from uuid import UUID

import numpy as np

BITS = 64

MAX_RADIUS = 3
"""Most bits flipped per band when probing: past 3 the probes outnumber what wider bands save."""

MIN_SET_BITS = 8
"""A dHash with fewer than this many bits set, or unset, is flat and joins no near pair.

Each bit says whether a pixel of the 9x8 thumbnail is brighter than its left neighbour, so a
uniformly dark or white photo, a lens-cap shot, a grey card or a blank slide hashes to 0 whatever
it shows, and a left-to-right gradient (a page lit from one side) to all ones. A hash with k bits
set is within k of the flat hash, and two such hashes within 2k of each other: at the default
distance 6, every hash with up to 6 bits set would chain into one cluster with every flat photo.
Measured (Pillow draws, skimage.data and insightface photos through `decode_image` and `dhash64`):
flat, white, grey and lens-cap frames 0 bits, blank slides with a title 3-9, real photos
underexposed to near black 4-11, a photographed page lit from one side 64; 19 other real photos
19-36 (and 28-45 unset), moving 2 bits at most when re-encoded at quality 60 or halved; 4 of 920
random crops of them (mostly sky) under 8. So 8: past the default distance, short of any photo.
"""

MIN_ROW_SPREAD = 3
"""A dHash within fewer than this many bits of one whose 8 rows are all alike joins no near pair.

Such a hash holds one left-to-right brightness profile, the same in every row: the lens's
vignetting on a dark frame (0xF0F0F0F0F0F0F0F0, 32 bits set, so `MIN_SET_BITS` cannot see it) or
the light across a wall, not the scene. Measured as above: vignetted dark frames 0-1 bits from
such a hash, real photos 9-29, the 920 crops 3 or more (the one at 3 is flat by `MIN_SET_BITS`).
"""

_COLUMN = 0x0101010101010101  # one bit of each of the 8 rows (bytes): a column of the 8x8 grid

_CHUNK = 1 << 22
"""Candidate pairs checked per step: bounds memory (a few arrays of this many int64) on large runs."""

_bitwise_count = getattr(np, "bitwise_count", None)  # numpy >= 2: a popcount in one pass


def _popcount(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.uint64, copy=False)
    if _bitwise_count is not None:
        return np.asarray(_bitwise_count(v)).astype(np.int64)
    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return ((v * np.uint64(0x0101010101010101)) >> np.uint64(56)).astype(np.int64)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _popcount(np.bitwise_xor(a.astype(np.uint64, copy=False), b.astype(np.uint64, copy=False)))


def informative(hashes: np.ndarray) -> np.ndarray:
    """Per hash, whether it tells scenes apart: not flat (`MIN_SET_BITS`), not one row repeated
    (`MIN_ROW_SPREAD`). Only informative hashes make near pairs."""
    values = np.asarray(hashes).astype(np.int64).view(np.uint64)
    ones = _popcount(values)
    spread = np.zeros(len(values), np.int64)  # bits away from the nearest hash with 8 equal rows
    for column in range(8):
        in_column = _popcount(values & np.uint64(_COLUMN << column))
        spread += np.minimum(in_column, 8 - in_column)
    return (ones >= MIN_SET_BITS) & (ones <= BITS - MIN_SET_BITS) & (spread >= MIN_ROW_SPREAD)


def _masks(width: int, radius: int) -> np.ndarray:
    """Every value of `width` bits with at most `radius` bits set (the flips to probe)."""
    masks = [0]
    for r in range(1, radius + 1):
        masks += [sum(1 << b for b in bits) for bits in combinations(range(width), r)]
    return np.array(masks, np.uint64)


def band_layout(bands: int) -> list[tuple[int, int]]:
    """(shift, width) of each of `bands` bands that tile the 64 bits, widths differing by one at most.

    Every band holds at least one bit, so the pigeonhole bound floor(d / bands) holds for `bands`
    bands (equal widths of ceil(64 / bands) ran past bit 64 for some counts: 12 bands of 6 bits).
    """
    base, wider = divmod(BITS, bands)
    widths = [base + 1] * wider + [base] * (bands - wider)
    return [(sum(widths[:i]), width) for i, width in enumerate(widths)]


def plan(n: int, distance: int) -> tuple[int, int]:
    """(bands, radius) with the fewest expected probes + candidate checks for n uniform hashes."""
    best: tuple[float, int, int] | None = None
    for bands in range(2, BITS + 1):  # one band would be 64 bits wide: no band wider than 32
        radius = distance // bands
        if radius > MAX_RADIUS:
            continue
        cost = 0.0
        for _, width in band_layout(bands):
            probes = sum(comb(width, r) for r in range(radius + 1))
            cost += probes * (1 + n / 2.0**width)
        if best is None or cost < best[0]:
            best = (cost, bands, radius)
    assert best is not None  # 64 bands of 1 bit with radius 0 always qualify
    return best[1], best[2]


def near_pairs(hashes: np.ndarray, distance: int) -> np.ndarray:
    """(k, 2) index pairs i < j with Hamming(hashes[i], hashes[j]) <= distance."""
    values = np.asarray(hashes).astype(np.int64).view(np.uint64)
    n = len(values)
    if n < 2:
        return np.zeros((0, 2), np.int64)
    bands, radius = plan(n, distance)
    found: list[np.ndarray] = []
    for shift, bits in band_layout(bands):
        key = (values >> np.uint64(shift)) & np.uint64((1 << bits) - 1)
        order = np.argsort(key, kind="stable")
        # Work in band order: equal band values are runs of the sorted arrays, so a candidate's
        # partners are a contiguous slice (cache-friendly), and each pair is made once, from the
        # lower band value (an unflipped probe pairs a run with itself, later positions only).
        skey, svalue = key[order], values[order]
        distinct, starts, runs = np.unique(skey, return_index=True, return_counts=True)
        ends = starts + runs
        everyone = np.arange(n)
        found += _close_pairs(svalue, order, everyone, everyone + 1, np.repeat(ends, runs), distance)
        for mask in _masks(bits, radius)[1:]:
            probe = skey ^ mask
            upward = np.flatnonzero(probe > skey)
            at = np.minimum(np.searchsorted(distinct, probe[upward]), len(distinct) - 1)
            hit = distinct[at] == probe[upward]
            at = at[hit]
            found += _close_pairs(svalue, order, upward[hit], starts[at], ends[at], distance)
    if not found:
        return np.zeros((0, 2), np.int64)
    return np.unique(np.concatenate(found), axis=0)


def _close_pairs(
    svalue: np.ndarray, order: np.ndarray, left: np.ndarray, lo: np.ndarray, hi: np.ndarray, distance: int
) -> list[np.ndarray]:
    """Pairs (i < j, original indices) within `distance` among sorted position left[k] and each
    sorted position in [lo[k], hi[k]), in steps of about _CHUNK candidates."""
    counts = np.maximum(hi - lo, 0)
    ends = np.cumsum(counts)
    out: list[np.ndarray] = []
    first = 0
    while first < len(left):
        done = int(ends[first - 1]) if first else 0
        last = max(int(np.searchsorted(ends, done + _CHUNK, side="right")), first + 1)
        step = counts[first:last]
        total = int(step.sum())
        if total:
            a = np.repeat(left[first:last], step)
            b = np.arange(total) - np.repeat(np.cumsum(step) - step, step) + np.repeat(lo[first:last], step)
            close = hamming(svalue[a], svalue[b]) <= distance
            i, j = order[a[close]], order[b[close]]
            out.append(np.stack([np.minimum(i, j), np.maximum(i, j)], axis=1))
        first = last
    return out


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


@dataclass(frozen=True)
class Cluster:
    cluster_id: str
    photo_ids: list[UUID]


def cluster_hashes(rows: Sequence[tuple[UUID, int | None]], distance: int) -> list[Cluster]:
    """Clusters of >= 2 photos among (id, dhash) rows, largest first.

    Photos with informative dHashes within `distance` bits (transitively) share a cluster: a flat
    dHash (`informative`) or none yet links no photo, whatever the distance. A cluster's id is
    stable for the same members: `near-<smallest id prefix>`.
    """
    with_dhash = np.array([i for i, row in enumerate(rows) if row[1] is not None], np.int64)
    dhashes = np.array([rows[i][1] for i in with_dhash], np.int64)
    telling = informative(dhashes)
    with_dhash, dhashes = with_dhash[telling], dhashes[telling]
    if len(with_dhash) < 2:
        return []
    pairs = with_dhash[near_pairs(dhashes, distance)]
    if not len(pairs):
        return []
    labels = components(len(rows), pairs)
    members: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels.tolist()):
        members[label].append(i)
    clusters = []
    for group in members.values():
        if len(group) < 2:
            continue
        ids = sorted((rows[i][0] for i in group), key=str)
        clusters.append(Cluster(f"near-{str(ids[0])[:8]}", ids))
    return sorted(clusters, key=lambda c: (-len(c.photo_ids), c.cluster_id))
