"""dedupe: exact duplicates by content hash, near duplicates by dHash Hamming distance.

Near-duplicate search must not compare all pairs (an event has tens of thousands of photos).
By the pigeonhole principle, two 64-bit hashes within distance d agree exactly on at least one
of d+1 disjoint bands of bits, so only photos sharing a band value are compared. Clusters are
stored for review; nothing is deleted or hidden here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from eventlens.db import pipeline_repo, scoped
from eventlens.pipeline.context import PhaseContext

PHASE = "dedupe"
_MASK64 = (1 << 64) - 1


def bands(distance: int) -> list[tuple[int, int]]:
    """d+1 disjoint (shift, width) bit ranges covering 64 bits."""
    count = min(64, distance + 1)
    widths = [64 // count + (1 if i < 64 % count else 0) for i in range(count)]
    out, shift = [], 0
    for width in widths:
        out.append((shift, width))
        shift += width
    return out


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & _MASK64).bit_count()


def near_pairs(hashes: Sequence[tuple[UUID, int]], distance: int) -> list[tuple[UUID, UUID]]:
    """Pairs within `distance`, comparing only photos that share a band (multi-index hashing)."""
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, (_, value) in enumerate(hashes):
        for band, (shift, width) in enumerate(bands(distance)):
            buckets[(band, ((value & _MASK64) >> shift) & ((1 << width) - 1))].append(index)
    seen: set[tuple[int, int]] = set()
    pairs = []
    for members in buckets.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if (a, b) not in seen:
                    seen.add((a, b))
                    if hamming(hashes[a][1], hashes[b][1]) <= distance:
                        pairs.append((hashes[a][0], hashes[b][0]))
    return pairs


class _Clusters:
    """Union-find over photo ids."""

    def __init__(self) -> None:
        self.parent: dict[UUID, UUID] = {}

    def find(self, x: UUID) -> UUID:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: UUID, b: UUID) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb, key=str)] = min(ra, rb, key=str)


def assign(rows: Sequence[dict], distance: int) -> dict[UUID, tuple[str | None, str | None]]:
    """photo id -> (cluster, tier) for every photo: tier 'exact' when its bytes repeat, else 'near'."""
    clusters = _Clusters()
    by_hash: dict[str, list[UUID]] = defaultdict(list)
    for row in rows:
        by_hash[row["content_hash"]].append(row["id"])
    exact = {pid for ids in by_hash.values() if len(ids) > 1 for pid in ids}
    for ids in by_hash.values():
        for other in ids[1:]:
            clusters.union(ids[0], other)
    hashed = [(row["id"], int(row["phash"])) for row in rows if row["phash"] is not None]
    for a, b in near_pairs(hashed, distance):
        clusters.union(a, b)
    members: dict[UUID, list[UUID]] = defaultdict(list)
    for row in rows:
        members[clusters.find(row["id"])].append(row["id"])
    out: dict[UUID, tuple[str | None, str | None]] = {}
    for root, ids in members.items():
        for pid in ids:
            out[pid] = (None, None) if len(ids) == 1 else (str(root), "exact" if pid in exact else "near")
    return out


def run(ctx: PhaseContext) -> tuple[int, int, bool]:
    with scoped(ctx.event.id) as conn:
        rows = pipeline_repo.dedupe_rows(conn, ctx.event.id)
        assigned = assign(rows, ctx.event.settings.near_duplicate_distance)
        changed = [
            (row["id"], *assigned[row["id"]])
            for row in rows
            if (row["duplicate_cluster"], row["duplicate_tier"]) != assigned[row["id"]]
        ]
        pipeline_repo.set_duplicates(conn, changed)
    ctx.item_done()
    return len(rows), 0, True
