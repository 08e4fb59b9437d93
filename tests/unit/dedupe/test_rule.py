"""Near-duplicate pairs by multi-index hashing agree with the all-pairs definition."""

from __future__ import annotations

from itertools import combinations
from uuid import UUID

import numpy as np
import pytest
from eventlens.dedupe.rule import cluster_hashes, components, hamming, near_pairs, plan


def brute_force(hashes: np.ndarray, distance: int) -> set[tuple[int, int]]:
    values = hashes.astype(np.int64).view(np.uint64)
    return {
        (i, j)
        for i, j in combinations(range(len(values)), 2)
        if bin(int(values[i]) ^ int(values[j])).count("1") <= distance
    }


def flip(value: int, bits: list[int]) -> int:
    for b in bits:
        value ^= 1 << b
    return value


@pytest.fixture(scope="module")
def hashes() -> np.ndarray:
    """600 random hashes plus, for 100 of them, copies 0-10 bits away (what re-encoded photos look like)."""
    rng = np.random.default_rng(7)
    base = [int(v) for v in rng.integers(0, 2**63, 600, dtype=np.int64)]
    near = [flip(base[i], list(rng.choice(64, int(rng.integers(0, 11)), replace=False))) for i in range(100)]
    return np.array(base + near, dtype=np.uint64).view(np.int64)


@pytest.mark.parametrize("distance", [0, 3, 6, 10, 16])
def test_banded_pairs_equal_all_pairs(hashes, distance):
    found = {tuple(p) for p in near_pairs(hashes, distance).tolist()}
    assert found == brute_force(hashes, distance)


def test_negative_hashes_keep_all_64_bits():
    a, b = np.int64(-1), np.int64(np.iinfo(np.int64).max)  # differ only in the sign bit
    assert hamming(np.array([a]), np.array([b]))[0] == 1
    assert near_pairs(np.array([a, b]), 1).tolist() == [[0, 1]]


def test_plan_uses_wide_bands_for_many_hashes():
    bands, radius = plan(100_000, 6)
    assert 64 // bands >= 13
    assert radius <= 1


def test_components_join_transitive_pairs():
    labels = components(5, np.array([[0, 1], [1, 2], [3, 4]]))
    assert labels.tolist() == [0, 0, 0, 3, 3]


def test_clusters_grow_with_distance_and_name_their_duplicate_kind():
    ids = [UUID(int=i) for i in range(6)]
    rows = [
        (ids[0], "aaa", 0b1111),
        (ids[1], "aaa", 0b1111),  # byte-identical copy of 0
        (ids[2], "bbb", 0b1110),  # a re-encode of 0: 1 bit away
        (ids[3], "ccc", 0b1100_0000_1110),  # a crop of 2: 2 bits further
        (ids[4], "ddd", -(2**62)),  # unrelated
        (ids[5], "eee", None),  # not hashed yet
    ]
    summary = {d: [(c.duplicate_kind, c.photo_ids) for c in cluster_hashes(rows, d)] for d in (0, 1, 3)}
    assert summary[0] == [("exact", ids[0:2])]
    assert summary[1] == [("near", ids[0:3])]
    assert summary[3] == [("near", ids[0:4])]


def test_exact_cluster_survives_a_zero_distance():
    ids = [UUID(int=i) for i in range(3)]
    clusters = cluster_hashes([(ids[0], "x", 1), (ids[1], "x", 1), (ids[2], "y", 2**40)], distance=0)
    assert [(c.duplicate_kind, c.photo_ids) for c in clusters] == [("exact", [ids[0], ids[1]])]


def test_exact_copies_with_a_lookalike_form_one_near_cluster_and_copies_alone_are_exact() -> None:
    a, b, c, d = (UUID(int=i) for i in range(1, 5))
    rows = [(a, "h1", 0b1111), (b, "h1", 0b1111), (c, "h2", 0b1011), (d, "h3", -1)]
    with_lookalike = cluster_hashes(rows, 6)
    assert [(x.duplicate_kind, x.photo_ids) for x in with_lookalike] == [("near", [a, b, c])]
    copies_only = cluster_hashes(rows, 0)
    assert [(x.duplicate_kind, x.photo_ids) for x in copies_only] == [("exact", [a, b])]
    assert copies_only[0].cluster_id.startswith("exact-h1")
