"""Duplicate clusters for organizers: exact copies by content hash, near copies by pHash distance.

The dedupe phase stores each photo's cluster at the event's `near_duplicate_distance`; asking
with another distance recomputes in memory with banded multi-index hashing (`banding`), never
an all-pairs comparison. `cluster_hashes` is the one clustering rule both paths share.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import numpy as np

from eventlens.db import scoped, search_repo
from eventlens.domain import Event
from eventlens.photos import photo_view
from eventlens.search.banding import components, near_pairs
from eventlens.search.models import DuplicateCluster

Tier = Literal["exact", "near"]


@dataclass(frozen=True)
class Cluster:
    cluster_id: str
    tier: Tier
    photo_ids: list[UUID]


def cluster_hashes(rows: Sequence[tuple[UUID, str, int | None]], distance: int) -> list[Cluster]:
    """Clusters of >= 2 photos among (id, content_hash, phash) rows; `exact` when all bytes are equal."""
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
    with_phash = np.array([i for i, row in enumerate(rows) if row[2] is not None], np.int64)
    if len(with_phash) > 1:
        phashes = np.array([rows[i][2] for i in with_phash], np.int64)
        pairs = near_pairs(phashes, distance)
        links.append(with_phash[pairs])
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
    return sorted(clusters, key=lambda c: (c.tier != "exact", -len(c.photo_ids), c.cluster_id))


def duplicate_clusters(event: Event, threshold: int | None = None) -> list[DuplicateCluster]:
    """The event's duplicate clusters: as stored at the event's distance, recomputed at any other."""
    stored_distance = event.settings.near_duplicate_distance
    with scoped(event.id) as conn:
        if threshold is None or threshold == stored_distance:
            rows = search_repo.stored_duplicates(conn)
            grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for row in rows:
                grouped[row["duplicate_cluster"]].append(row)
            return [
                DuplicateCluster(
                    cluster_id=cluster_id,
                    tier="exact" if all(r["duplicate_tier"] == "exact" for r in group) else "near",
                    photos=[photo_view(r) for r in group],
                )
                for cluster_id, group in grouped.items()
                if len(group) > 1
            ]
        clusters = cluster_hashes(search_repo.hashes(conn), max(0, min(threshold, 32)))
        by_id = search_repo.photos_by_id(conn, [i for c in clusters for i in c.photo_ids])
    return [
        DuplicateCluster(
            cluster_id=c.cluster_id,
            tier=c.tier,
            photos=[photo_view(by_id[i]) for i in c.photo_ids if i in by_id],
        )
        for c in clusters
    ]
