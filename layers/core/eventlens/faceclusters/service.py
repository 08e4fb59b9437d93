"""People in photos: faces clustered into people per event, and what organizers do with them.

Clustering is incremental (`cluster.assign`): the faces phase clusters the faces it just stored
against those already clustered, under a per-event lock, so photos arriving in batches cost a
batch each, never a re-clustering of the event (benchmarks/face_clusters.py). Organizers list
the people (a face crop, photo and face counts), name, merge, split and hide them; faces nobody
may be shown (hide me) are never listed or counted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast
from uuid import UUID

from eventlens.audit import service as audit
from eventlens.config import settings
from eventlens.db import Tx
from eventlens.db.photos import PhotoRow
from eventlens.errors import BadRequest, FaceClusterNotFound
from eventlens.faceclusters import repo
from eventlens.faceclusters.views import (
    Crew,
    CrewList,
    CrewMate,
    FaceCluster,
    FaceClusterList,
    FaceClusterPhotos,
    PersonCrew,
)
from eventlens.media.views import photo_view
from eventlens.scope import Scope
from eventlens.types import Event

if TYPE_CHECKING:
    import networkx as nx

CLUSTER_THRESHOLD = 0.45
"""SFace cosine similarity at which a face may join a neighbour's cluster: the middle of the range
(0.30-0.60) where pairwise precision and recall are both 1.000 on the 38 labelled faces of 13
people (benchmarks/face_clusters.py); at 0.25 precision falls to 0.70, at 0.65 recall to 0.97."""
MIN_FACES = 2
"""People with fewer faces are not listed: a single face is as often a passer-by or a poster."""


def assign_new_faces(scope: Scope) -> int:
    """Cluster the event's faces that have no cluster yet; how many were assigned. Idempotent, and
    two callers at once are serialised by the event's lock (neither starts a duplicate person)."""
    import numpy as np

    from eventlens.faceclusters.cluster import assign

    model = settings().face_model
    with scope.transaction() as tx:
        repo.lock(tx)
        new = repo.faces(tx, model, clustered=False)
        if not new.ids:
            return 0
        known = repo.faces(tx, model, clustered=True)
        index = {cid: i for i, cid in enumerate(dict.fromkeys(c for c in known.clusters if c is not None))}
        labels = assign(
            known.vectors if known.ids else np.empty((0, new.vectors.shape[1]), np.float32),
            [index[c] for c in known.clusters if c is not None],
            known.photos,
            new.vectors,
            new.photos,
            CLUSTER_THRESHOLD,
        )
        fresh = sorted({label for label in labels if label >= len(index)})
        created = dict(zip(fresh, repo.create_clusters(tx, len(fresh)), strict=True))
        ids = list(index)
        repo.set_clusters(
            tx, new.ids, [created[label] if label in created else ids[label] for label in labels]
        )
        return len(new.ids)


def _view(row: repo.ClusterRow) -> FaceCluster:
    return FaceCluster(
        id=row.id,
        name=row.name,
        hidden=row.hidden,
        faces=row.faces,
        photos=row.photos,
        cover=photo_view(row.cover),
        cover_bbox=row.cover_bbox,
    )


def list_clusters(scope: Scope, with_hidden: bool = False) -> FaceClusterList:
    with scope.transaction() as tx:
        rows = repo.clusters(tx, MIN_FACES, with_hidden)
    return FaceClusterList(face_clusters=[_view(r) for r in rows], min_faces=MIN_FACES)


def _get(scope: Scope, cluster_id: object) -> repo.ClusterRow:
    with scope.transaction() as tx:
        row = repo.cluster(tx, cluster_id)  # type: ignore[arg-type]
    if row is None:
        raise FaceClusterNotFound("There is no such person in this event's photos")
    return row


def cluster_photos(scope: Scope, cluster_id: object) -> FaceClusterPhotos:
    row = _get(scope, cluster_id)
    with scope.transaction() as tx:
        photos = repo.photos(tx, row.id)
    return FaceClusterPhotos(face_cluster=_view(row), photos=[photo_view(p) for p in photos])


def update_cluster(scope: Scope, cluster_id: object, name: str | None, hidden: bool | None) -> FaceCluster:
    """Name or hide (unhide) a person; audited."""
    row = _get(scope, cluster_id)
    with scope.transaction() as tx:
        repo.update(tx, row.id, name, hidden)
        audit.record(tx, "face_cluster_update", str(row.id), name=name, hidden=hidden)
    return _view(_get(scope, row.id))


def merge_clusters(scope: Scope, cluster_id: object, others: list[object]) -> FaceCluster:
    """The faces of `others` join `cluster_id`, the others are deleted; audited. Faces move as the
    system (no organizer writes faces), after the caller's right was checked."""
    row = _get(scope, cluster_id)
    if row.id in others:
        raise BadRequest("A person cannot be merged into itself")
    event = scope.tenant()
    with Scope.system(event).transaction() as tx:
        repo.lock(tx)
        missing = [o for o in others if not repo.exists(tx, o)]  # type: ignore[arg-type]
        if missing:
            raise FaceClusterNotFound(f"No such person in this event: {missing[0]}")
        moved = repo.move_faces(tx, others, row.id)  # type: ignore[arg-type]
        repo.delete_empty(tx)
        audit.record(tx, "face_cluster_merge", str(row.id), merged=[str(o) for o in others], faces=moved)
    return _view(_get(scope, row.id))


def split_cluster(scope: Scope, cluster_id: object, photo_ids: list[object]) -> FaceCluster:
    """This person's faces in `photo_ids` become a new person; audited."""
    row = _get(scope, cluster_id)
    event = scope.tenant()
    with Scope.system(event).transaction() as tx:
        repo.lock(tx)
        (new_id,) = repo.create_clusters(tx, 1)
        moved = repo.move_photo_faces(tx, row.id, photo_ids, new_id)  # type: ignore[arg-type]
        if moved == 0:
            raise BadRequest("None of these photos holds a face of this person")
        repo.delete_empty(tx)
        audit.record(tx, "face_cluster_split", str(row.id), into=str(new_id), faces=moved)
    with scope.transaction() as tx:
        created = repo.cluster(tx, new_id)
    if created is None:  # every moved face is hidden, or in a photo nobody may see
        raise FaceClusterNotFound("The split-off faces are not visible")
    return _view(created)


# -- crews -----------------------------------------------------------------------------------------

CREW_SIZE = 5
"""Suggestions per person ("you were photographed with..."), and the crew whose photos find me shows."""
MEASURE = "jaccard"


def _graph(tx: Tx) -> tuple[nx.Graph, list[set[Hashable]], list[tuple[UUID, UUID]]]:
    """The co-appearance graph and its crews (networkx is imported here, not at cold start).
    Built again only when the event's appearances changed (`_GRAPHS`)."""
    from eventlens.faceclusters.crews import communities
    from eventlens.faceclusters.crews import graph as crews_graph

    pairs = repo.appearances(tx, MIN_FACES)
    key = frozenset(pairs)
    event_id = _event_id(tx)
    with _GRAPHS_LOCK:
        cached = _GRAPHS.get(event_id)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2], pairs
    g = crews_graph(pairs, MEASURE)
    found = communities(g)
    with _GRAPHS_LOCK:
        _GRAPHS[event_id] = (key, g, found)
        _GRAPHS.move_to_end(event_id)
        while len(_GRAPHS) > GRAPH_CACHE_EVENTS:
            _GRAPHS.popitem(last=False)
    return g, found, pairs


GRAPH_CACHE_EVENTS = 16
"""Events whose crew graph a process keeps (a warm Lambda or the embedded server)."""
_GRAPHS: OrderedDict[UUID, tuple[frozenset[tuple[UUID, UUID]], nx.Graph, list[set[Hashable]]]] = OrderedDict()
"""Per event: the appearances a graph was built from, the graph and its Louvain crews. The
appearances (visible photo, listed person) are read every time, so a new face, a merge, a split,
a hidden face, person or photo is seen at once; the graph and Louvain, the costly part, are
built only when they differ (benchmarks/crews.py measures both)."""
_GRAPHS_LOCK = threading.Lock()


def _event_id(tx: Tx) -> UUID:
    return repo.current_event(tx)


def list_crews(scope: Scope) -> CrewList:
    """The event's crews: Louvain communities of the co-appearance graph, largest first."""
    with scope.transaction() as tx:
        _, found, _ = _graph(tx)
        names = repo.names(tx, [cast(UUID, p) for c in found for p in c])
    out = []
    for crew in found:
        members = sorted(
            (cast(UUID, p) for p in crew), key=lambda p: (names.get(p) is None, names.get(p) or "", str(p))
        )
        out.append(Crew(members=members, names=[names.get(m) for m in members]))
    return CrewList(crews=out, measure="Jaccard index of the photos two people appear in")


def person_crew(scope: Scope, cluster_id: object) -> PersonCrew:
    """Who a person was photographed with, own crew first, then by weight."""
    from eventlens.faceclusters.crews import suggest

    row = _get(scope, cluster_id)
    with scope.transaction() as tx:
        g, found, _ = _graph(tx)
        ranked = suggest(g, row.id, found, CREW_SIZE)
        names = repo.names(tx, [cast(UUID, s.person) for s in ranked])
    return PersonCrew(
        face_cluster_id=row.id,
        photographed_with=[
            CrewMate(
                face_cluster_id=cast(UUID, s.person),
                name=names.get(cast(UUID, s.person)),
                weight=round(s.weight, 4),
                shared_photos=s.shared,
                same_crew=s.same_crew,
            )
            for s in ranked
        ],
    )


@dataclass(frozen=True)
class SearcherCrew:
    """What find me shows of a searcher's crew: their top crew mates (with a face crop from a photo
    the searcher is in) and the crew's group photos."""

    mates: list[tuple[int, PhotoRow, tuple[float, float, float, float]]]
    """(shared photos, cover photo, the mate's face box in it), best mate first."""
    photos: list[tuple[PhotoRow, int]]
    """(group photo, crew mates in it), best first."""


def searcher_crew(event: Event, my_faces: list[int], mine: set[UUID], limit: int) -> SearcherCrew:
    """Find me's crew: the people the searcher is photographed with and the group photos (two faces
    or more: never a crew mate's solo portrait) of them not already theirs, best first (summed crew
    weight; each crew mate counted once per photo). Read as the system: the people and their names
    never reach the visitor, only faces in the searcher's own photos, and photos (visible ones)."""
    from eventlens.faceclusters.crews import suggest

    with Scope.system(event).transaction() as tx:
        me = repo.clusters_of_faces(tx, my_faces)
        if not me:
            return SearcherCrew([], [])
        g, found, pairs = _graph(tx)
        ranked = suggest(g, me[0], found, CREW_SIZE)
        weights = {s.person: s.weight for s in ranked}
        with_me = {photo for photo, person in pairs if person == me[0]}
        score: dict[UUID, float] = {}
        mates: dict[UUID, int] = {}
        covers: dict[Hashable, UUID] = {}
        for photo, person in sorted(pairs, key=lambda p: str(p[0])):
            if person not in weights:
                continue
            if photo in with_me:
                covers.setdefault(person, photo)
            if photo not in mine:
                score[photo] = score.get(photo, 0.0) + weights[person]
                mates[photo] = mates.get(photo, 0) + 1
        rows = repo.photo_rows(tx, [*score, *covers.values()])
        boxes = repo.face_boxes(
            tx, [(covers[s.person], cast(UUID, s.person)) for s in ranked if s.person in covers]
        )
    faces = [
        (s.shared, rows[covers[s.person]], boxes[(covers[s.person], cast(UUID, s.person))])
        for s in ranked
        if s.person in covers and covers[s.person] in rows and (covers[s.person], s.person) in boxes
    ]
    best = sorted(
        (p for p in score if p in rows and (rows[p].face_count or 0) >= 2),
        key=lambda p: (-score[p], -mates[p], str(p)),
    )
    return SearcherCrew(faces, [(rows[p], mates[p]) for p in best[:limit]])
