"""Near-duplicate pairs by multi-index hashing agree with the all-pairs definition."""

from __future__ import annotations

import io
from itertools import combinations
from uuid import UUID

import numpy as np
import pytest
from eventlens.dedupe.rule import cluster_hashes, components, hamming, near_pairs, plan
from eventlens.media.decode import decode_image, dhash64
from PIL import Image

from tests.fixtures_photos import flat_photos, jpeg, real_image


def brute_force(hashes: np.ndarray, distance: int) -> set[tuple[int, int]]:
    values = [int(v) for v in hashes.astype(np.int64).view(np.uint64)]
    return {
        (i, j)
        for i, j in combinations(range(len(values)), 2)
        if (values[i] ^ values[j]).bit_count() <= distance
    }


def flip(value: int, bits: list[int]) -> int:
    for b in bits:
        value ^= 1 << int(b)
    return value


@pytest.fixture(scope="module")
def hashes() -> np.ndarray:
    """600 random hashes (all 64 bits, sign included) plus, for 100 of them, copies 0-10 bits away
    (what re-encoded photos look like) and, for 100 more, copies 11-32 bits away (every distance an
    organizer may ask for has pairs right at its edge)."""
    rng = np.random.default_rng(7)
    base = [int(v) for v in rng.integers(0, 2**64, 600, dtype=np.uint64)]
    near = [flip(base[i], list(rng.choice(64, int(rng.integers(0, 11)), replace=False))) for i in range(100)]
    far = [
        flip(base[i], list(rng.choice(64, int(rng.integers(11, 33)), replace=False))) for i in range(100, 200)
    ]
    return np.array(base + near + far, dtype=np.uint64).view(np.int64)


def sample(hashes: np.ndarray, n: int) -> np.ndarray:
    """n of the fixture's hashes, a third each from the originals and their near and far copies."""
    k = -(-n // 3)
    return hashes[[*range(k), *range(600, 600 + k), *range(700, 700 + k)][:n]]


@pytest.mark.parametrize("distance", range(33))
@pytest.mark.parametrize("n", [2, 3, 50, 120, 800])
def test_banded_pairs_equal_all_pairs_at_every_distance(hashes, distance, n):
    """Every distance the API and CLI accept (0-32), at event sizes that make `plan` pick different
    band counts (small events pick many narrow bands, where the layout used to run past bit 64)."""
    subset = hashes if n == len(hashes) else sample(hashes, n)
    found = {tuple(p) for p in near_pairs(subset, distance).tolist()}
    assert found == brute_force(subset, distance)


@pytest.mark.parametrize("n", [2, 10, 50, 100, 1_000, 10_000, 100_000, 1_000_000])
def test_plan_bands_tile_the_64_bits(n):
    """m bands, none empty, none past bit 64, widths 1-32: the pigeonhole bound holds for m bands."""
    from eventlens.dedupe.rule import band_layout

    for distance in range(33):
        bands, radius = plan(n, distance)
        layout = band_layout(bands)
        assert len(layout) == bands
        assert [shift for shift, _ in layout] == list(np.cumsum([0] + [w for _, w in layout])[:-1])
        assert sum(w for _, w in layout) == 64
        assert all(1 <= w <= 32 for _, w in layout)
        assert radius == distance // bands


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


SCENE = 0x5A3C96E10F78C3A5
"""A dHash with as much to say as a real photo's (32 bits set, rows unlike); toy hashes flip bits of it
(a flat toy hash such as 0b1111 would be left out of near pairs by `informative`)."""


def like(bits: int) -> int:
    """SCENE with `bits` flipped, as the signed 64-bit value PostgreSQL stores."""
    value = (SCENE ^ bits) % 2**64
    return value - 2**64 if value >= 2**63 else value


def test_clusters_grow_with_distance():
    ids = [UUID(int=i) for i in range(6)]
    rows = [
        (ids[0], like(0b1111)),
        (ids[1], like(0b1111)),  # the same dHash, other bytes (re-saved losslessly)
        (ids[2], like(0b1110)),  # a re-encode of 0: 1 bit away
        (ids[3], like(0b1100_0000_1110)),  # a crop of 2: 2 bits further
        (ids[4], like(-(2**62))),  # unrelated
        (ids[5], None),  # not hashed yet
    ]
    summary = {d: [c.photo_ids for c in cluster_hashes(rows, d)] for d in (0, 1, 3)}
    assert summary[0] == [ids[0:2]]
    assert summary[1] == [ids[0:3]]
    assert summary[3] == [ids[0:4]]


def test_a_cluster_id_names_its_smallest_member_and_largest_clusters_come_first() -> None:
    a, b, c, d, e = (UUID(int=i << 96) for i in range(1, 6))
    elsewhere = 0x0F0F_0F0F_0000_0000  # 16 bits from the others
    rows = [(e, like(0b1)), (d, like(0b1)), (c, like(0b11)), (b, like(elsewhere)), (a, like(elsewhere | 1))]
    clusters = cluster_hashes(rows, 2)
    assert [(x.cluster_id, x.photo_ids) for x in clusters] == [
        (f"near-{str(c)[:8]}", [c, d, e]),
        (f"near-{str(a)[:8]}", [a, b]),
    ]


def photo_rows(files: dict[str, bytes]) -> tuple[list[tuple[UUID, int]], dict[UUID, str]]:
    """(id, dhash) rows as the dedupe phase reads them, and each id's file name."""
    rows, names = [], {}
    for i, (name, data) in enumerate(files.items()):
        photo_id = UUID(int=i + 1)
        rows.append((photo_id, dhash64(decode_image(data, max_pixels=10**8).image)))
        names[photo_id] = name
    return rows, names


@pytest.mark.parametrize("distance", [0, 6, 10])
def test_flat_photos_of_different_scenes_are_not_near_duplicates(distance):
    """A black frame, a white wall, a lens-cap shot, a blank slide...: different bytes, dHash ~0."""
    rows, names = photo_rows(flat_photos())
    assert [sorted(names[i] for i in c.photo_ids) for c in cluster_hashes(rows, distance)] == []


def reencoded(data: bytes, quality: int, scale: float = 1.0) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    if scale != 1.0:
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC
        )
    return jpeg(image, quality)


def test_real_near_duplicates_still_pair_beside_flat_photos():
    """Re-encoded and downsized copies of real photos stay near duplicates at the default distance."""
    files = dict(flat_photos())
    scenes = ("astronaut", "coffee", "chelsea", "t1", "rocket")
    for scene in scenes:
        original = jpeg(real_image(scene), 92)
        files[f"{scene}.jpg"] = original
        files[f"{scene}-q60.jpg"] = reencoded(original, 60)
        files[f"{scene}-half.jpg"] = reencoded(original, 75, 0.5)
    rows, names = photo_rows(files)
    clusters = cluster_hashes(rows, 6)
    assert sorted(sorted(names[i] for i in c.photo_ids) for c in clusters) == sorted(
        sorted([f"{s}.jpg", f"{s}-q60.jpg", f"{s}-half.jpg"]) for s in scenes
    )


def test_uninformative_hashes_are_flat_or_one_row_repeated():
    from eventlens.dedupe.rule import MIN_SET_BITS, informative

    rng = np.random.default_rng(3)
    vignette = 0xF0F0F0F0F0F0F0F0  # brighter in the middle of every row: lens falloff, not a scene
    few = flip(0, list(range(0, 64, 9)))  # 8 bits: a dim scene with a few edges
    cases = {
        "flat": (0, False),
        "all ones (a sideways gradient, a lit page)": (-1, False),
        f"{MIN_SET_BITS - 1} bits set": (flip(0, list(range(MIN_SET_BITS - 1))), False),
        f"{MIN_SET_BITS - 1} bits unset": (flip(2**64 - 1, list(range(MIN_SET_BITS - 1))), False),
        "one row repeated": (vignette, False),
        "one row repeated, 2 bits off": (flip(vignette, [3, 42]), False),
        f"{MIN_SET_BITS} bits set on different rows": (few, True),
        "a real photo's": (photo_rows({"t1.jpg": jpeg(real_image("t1"))})[0][0][1], True),
        "random": (int(rng.integers(0, 2**64, dtype=np.uint64)), True),
    }
    values = np.array([v % 2**64 for v, _ in cases.values()], np.uint64).view(np.int64)
    assert dict(zip(cases, informative(values).tolist(), strict=True)) == {
        k: ok for k, (_, ok) in cases.items()
    }
