"""Duplicates: the dedupe phase stores each photo's near-duplicate cluster; organizers review
clusters, and see which files held the same bytes as a photo (its exact copies).

Both use `rule.cluster_hashes`, so a cluster has the same id whether it was stored by the phase
or recomputed at another `near_duplicate_distance`. Nothing is deleted or hidden here. Files with
equal bytes are one photo already (`sources.registry`); they are listed, not clustered.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final
from uuid import UUID

from eventlens.db.photos import PhotoRow
from eventlens.dedupe import repo
from eventlens.dedupe.rule import cluster_hashes
from eventlens.dedupe.views import DuplicateCluster, DuplicateList, ExactCopies
from eventlens.media.views import photo_view
from eventlens.pipeline.context import PhaseContext
from eventlens.scope import Scope

NEAR: Final = "near"
"""The one duplicate_kind a cluster has (exact copies are one photo since migration 0011)."""


def run_phase(ctx: PhaseContext) -> tuple[int, int, bool]:
    """The dedupe phase: cluster every photo of the event at its distance, write what changed."""
    distance = ctx.event.settings.near_duplicate_distance
    with ctx.scope.transaction() as tx:
        rows = repo.dhashes(tx)
        assigned: dict[UUID, tuple[str | None, str | None]] = {pid: (None, None) for pid, _ in rows}
        for cluster in cluster_hashes(rows, distance):
            for pid in cluster.photo_ids:
                assigned[pid] = (cluster.cluster_id, NEAR)
        stored = repo.stored_assignments(tx)
        changed = [(pid, *value) for pid, value in assigned.items() if stored.get(pid) != value]
        repo.set_duplicates(tx, changed)
    ctx.item_done()
    return len(rows), 0, True


def duplicate_clusters(scope: Scope, near_duplicate_distance: int | None = None) -> DuplicateList:
    """The event's clusters, as stored at the event's distance or recomputed at any other, and its
    exact copies."""
    from eventlens.sources.service import aliases_by_photo

    stored_distance = scope.tenant().settings.near_duplicate_distance
    aliases = aliases_by_photo(scope)
    with scope.transaction() as tx:
        by_id = repo.photos_by_id(tx, list(aliases))
        if near_duplicate_distance is None or near_duplicate_distance == stored_distance:
            grouped: dict[str, list[PhotoRow]] = defaultdict(list)
            for row in repo.stored_clusters(tx):
                assert row.duplicate_cluster is not None
                grouped[row.duplicate_cluster].append(row)
            clusters = [
                DuplicateCluster(cluster_id=cluster_id, photos=[photo_view(r) for r in group])
                for cluster_id, group in grouped.items()
                if len(group) > 1
            ]
        else:
            found = cluster_hashes(repo.dhashes(tx), max(0, min(near_duplicate_distance, 32)))
            members = repo.photos_by_id(tx, [i for c in found for i in c.photo_ids])
            clusters = [
                DuplicateCluster(
                    cluster_id=c.cluster_id,
                    photos=[
                        photo_view(r)
                        for r in sorted(
                            (members[i] for i in c.photo_ids if i in members),
                            key=lambda r: (r.filename, str(r.id)),
                        )
                    ],
                )
                for c in found
            ]
    copies = [
        ExactCopies(photo=photo_view(by_id[pid]), aliases=keys)
        for pid, keys in aliases.items()
        if pid in by_id
    ]
    return DuplicateList(
        clusters=sorted(clusters, key=lambda c: (-len(c.photos), c.cluster_id)),
        exact_copies=sorted(copies, key=lambda c: (c.photo.filename, str(c.photo.id))),
    )
