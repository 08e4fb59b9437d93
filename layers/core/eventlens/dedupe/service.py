"""Duplicates: the dedupe phase stores each photo's cluster; organizers review clusters.

Both use `rule.cluster_hashes`, so a cluster has the same id and duplicate_kind whether it was stored by the
phase or recomputed at another `near_duplicate_distance`. Nothing is deleted or hidden here.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from eventlens.db.photos import PhotoRow
from eventlens.dedupe import repo
from eventlens.dedupe.rule import cluster_hashes
from eventlens.dedupe.views import DuplicateCluster, DuplicateList
from eventlens.media.views import photo_view
from eventlens.pipeline.context import PhaseContext
from eventlens.scope import Scope


def run_phase(ctx: PhaseContext) -> tuple[int, int, bool]:
    """The dedupe phase: cluster every photo of the event at its distance, write what changed."""
    distance = ctx.event.settings.near_duplicate_distance
    with ctx.scope.transaction() as tx:
        rows = repo.hashes(tx)
        assigned: dict[UUID, tuple[str | None, str | None]] = {pid: (None, None) for pid, _, _ in rows}
        for cluster in cluster_hashes(rows, distance):
            for pid in cluster.photo_ids:
                assigned[pid] = (cluster.cluster_id, cluster.duplicate_kind)
        stored = repo.stored_assignments(tx)
        changed = [(pid, *value) for pid, value in assigned.items() if stored.get(pid) != value]
        repo.set_duplicates(tx, changed)
    ctx.item_done()
    return len(rows), 0, True


def duplicate_clusters(scope: Scope, near_duplicate_distance: int | None = None) -> DuplicateList:
    """The event's clusters: as stored at the event's distance, recomputed at any other."""
    stored_distance = scope.tenant().settings.near_duplicate_distance
    with scope.transaction() as tx:
        if near_duplicate_distance is None or near_duplicate_distance == stored_distance:
            grouped: dict[str, list[PhotoRow]] = defaultdict(list)
            for row in repo.stored_clusters(tx):
                assert row.duplicate_cluster is not None
                grouped[row.duplicate_cluster].append(row)
            clusters = [
                DuplicateCluster(
                    cluster_id=cluster_id,
                    duplicate_kind="exact" if group[0].duplicate_kind == "exact" else "near",
                    photos=[photo_view(r) for r in group],
                )
                for cluster_id, group in grouped.items()
                if len(group) > 1
            ]
            return DuplicateList(clusters=_ordered(clusters))
        found = cluster_hashes(repo.hashes(tx), max(0, min(near_duplicate_distance, 32)))
        by_id = repo.photos_by_id(tx, [i for c in found for i in c.photo_ids])
    return DuplicateList(
        clusters=[
            DuplicateCluster(
                cluster_id=c.cluster_id,
                duplicate_kind=c.duplicate_kind,
                photos=[
                    photo_view(r)
                    for r in sorted(
                        (by_id[i] for i in c.photo_ids if i in by_id), key=lambda r: (r.filename, str(r.id))
                    )
                ],
            )
            for c in found
        ]
    )


def _ordered(clusters: list[DuplicateCluster]) -> list[DuplicateCluster]:
    """Exact copies first, then the largest clusters (the order `cluster_hashes` returns)."""
    return sorted(clusters, key=lambda c: (c.duplicate_kind != "exact", -len(c.photos), c.cluster_id))
