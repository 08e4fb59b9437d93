"""SQL for people in photos: the faces to cluster, the clusters, their photos."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from eventlens.db import Tx
from eventlens.db.photos import PHOTO_COLUMNS, PhotoRow

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class Faces:
    ids: list[int]
    photos: list[UUID]
    clusters: list[UUID | None]
    vectors: np.ndarray


@dataclass(frozen=True, slots=True)
class ClusterRow:
    id: UUID
    name: str | None
    hidden: bool
    faces: int
    photos: int
    cover: PhotoRow
    cover_bbox: tuple[float, float, float, float]


def lock(tx: Tx) -> None:
    """One clustering of an event at a time (two batches would each start the same new person)."""
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended('face_clusters:' || current_event_id(), 0))")


def faces(tx: Tx, model: str, clustered: bool) -> Faces:
    """The event's faces of `model` already in a cluster, or not yet, oldest first."""
    import numpy as np

    rows = tx.execute(
        "SELECT id, photo_id, face_cluster_id, embedding::real[] AS v FROM face_embeddings"
        " WHERE event_id = current_event_id() AND model = %s AND embedding IS NOT NULL"
        " AND (face_cluster_id IS NOT NULL) = %s ORDER BY id",
        (model, clustered),
    ).fetchall()
    vectors = np.array([r["v"] for r in rows], np.float32) if rows else np.empty((0, 0), np.float32)
    return Faces(
        [r["id"] for r in rows], [r["photo_id"] for r in rows], [r["face_cluster_id"] for r in rows], vectors
    )


def create_clusters(tx: Tx, count: int) -> list[UUID]:
    if count == 0:
        return []
    rows = tx.execute(
        "INSERT INTO face_clusters (event_id) SELECT current_event_id() FROM generate_series(1, %s) RETURNING id",
        (count,),
    ).fetchall()
    return [r["id"] for r in rows]


def set_clusters(tx: Tx, face_ids: Sequence[int], cluster_ids: Sequence[UUID]) -> None:
    tx.execute(
        "UPDATE face_embeddings f SET face_cluster_id = a.cluster FROM unnest(%s::bigint[], %s::uuid[]) a(face, cluster)"
        " WHERE f.id = a.face AND f.event_id = current_event_id()",
        (list(face_ids), list(cluster_ids)),
    )


def delete_empty(tx: Tx) -> int:
    return tx.execute(
        "DELETE FROM face_clusters c WHERE c.event_id = current_event_id()"
        " AND NOT EXISTS (SELECT 1 FROM face_embeddings f WHERE f.face_cluster_id = c.id)"
    ).rowcount


_CLUSTERS = (
    "WITH counted AS (SELECT f.face_cluster_id AS id, count(*) AS faces, count(DISTINCT f.photo_id) AS photos"
    "  FROM face_embeddings f WHERE f.event_id = current_event_id() AND f.face_cluster_id IS NOT NULL"
    "  AND NOT f.hidden GROUP BY f.face_cluster_id),"
    " cover AS (SELECT DISTINCT ON (f.face_cluster_id) f.face_cluster_id AS id, f.photo_id, f.bbox"
    "  FROM face_embeddings f JOIN photos p ON p.id = f.photo_id"
    "  WHERE f.event_id = current_event_id() AND f.face_cluster_id IS NOT NULL AND NOT f.hidden AND p.is_public"
    "  ORDER BY f.face_cluster_id, f.bbox[3] * f.bbox[4] * coalesce(f.det_score, 0) DESC, f.id)"
    " SELECT c.id AS cluster_id, c.name AS cluster_name, c.hidden AS cluster_hidden, counted.faces,"
    "  counted.photos, cover.bbox AS cover_bbox, " + PHOTO_COLUMNS + " FROM face_clusters c"
    " JOIN counted ON counted.id = c.id JOIN cover ON cover.id = c.id JOIN photos p ON p.id = cover.photo_id"
    " WHERE c.event_id = current_event_id()"
)


def _cluster(r: dict) -> ClusterRow:
    return ClusterRow(
        r["cluster_id"],
        r["cluster_name"],
        r["cluster_hidden"],
        int(r["faces"]),
        int(r["photos"]),
        PhotoRow.of(r),
        tuple(float(v) for v in r["cover_bbox"]),  # type: ignore[arg-type]
    )


def clusters(tx: Tx, min_faces: int, with_hidden: bool) -> list[ClusterRow]:
    """Clusters with at least `min_faces` faces nobody hid, most photographed first."""
    rows = tx.execute(
        _CLUSTERS + " AND counted.faces >= %s AND (%s OR NOT c.hidden)"
        " ORDER BY counted.photos DESC, c.name NULLS LAST, c.id",
        (min_faces, with_hidden),
    ).fetchall()
    return [_cluster(r) for r in rows]


def cluster(tx: Tx, cluster_id: UUID) -> ClusterRow | None:
    row = tx.execute(_CLUSTERS + " AND c.id = %s", (cluster_id,)).fetchone()
    return None if row is None else _cluster(row)


def exists(tx: Tx, cluster_id: UUID) -> bool:
    return (
        tx.execute(
            "SELECT 1 FROM face_clusters WHERE event_id = current_event_id() AND id = %s", (cluster_id,)
        ).fetchone()
        is not None
    )


def photos(tx: Tx, cluster_id: UUID) -> list[PhotoRow]:
    """The visible photos holding a face of the cluster (not a hidden one), oldest first."""
    rows = tx.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id() AND p.is_public"
        " AND EXISTS (SELECT 1 FROM face_embeddings f WHERE f.photo_id = p.id AND f.face_cluster_id = %s"
        "  AND NOT f.hidden) ORDER BY p.taken_at NULLS LAST, p.id",
        (cluster_id,),
    ).fetchall()
    return [PhotoRow.of(r) for r in rows]


def update(tx: Tx, cluster_id: UUID, name: str | None, hidden: bool | None) -> None:
    tx.execute(
        "UPDATE face_clusters SET name = CASE WHEN %(set_name)s THEN %(name)s ELSE name END,"
        " hidden = coalesce(%(hidden)s, hidden) WHERE event_id = current_event_id() AND id = %(id)s",
        {"set_name": name is not None, "name": name or None, "hidden": hidden, "id": cluster_id},
    )


def move_faces(tx: Tx, from_clusters: Sequence[UUID], to_cluster: UUID) -> int:
    return tx.execute(
        "UPDATE face_embeddings SET face_cluster_id = %s WHERE event_id = current_event_id()"
        " AND face_cluster_id = ANY(%s)",
        (to_cluster, list(from_clusters)),
    ).rowcount


def move_photo_faces(tx: Tx, cluster_id: UUID, photo_ids: Sequence[UUID], to_cluster: UUID) -> int:
    return tx.execute(
        "UPDATE face_embeddings SET face_cluster_id = %s WHERE event_id = current_event_id()"
        " AND face_cluster_id = %s AND photo_id = ANY(%s)",
        (to_cluster, cluster_id, list(photo_ids)),
    ).rowcount


def appearances(tx: Tx, min_faces: int) -> list[tuple[UUID, UUID]]:
    """(photo, person) for every visible photo and listed person in it (at least `min_faces`
    visible faces), once per pair: faces hidden by "hide me" and people hidden by an organizer
    are left out."""
    rows = tx.execute(
        "WITH shown AS (SELECT f.photo_id, f.face_cluster_id FROM face_embeddings f"
        "  JOIN photos p ON p.id = f.photo_id JOIN face_clusters c ON c.id = f.face_cluster_id"
        "  WHERE f.event_id = current_event_id() AND NOT f.hidden AND NOT c.hidden AND p.is_public),"
        " listed AS (SELECT face_cluster_id FROM shown GROUP BY face_cluster_id HAVING count(*) >= %s)"
        " SELECT DISTINCT shown.photo_id, shown.face_cluster_id FROM shown JOIN listed USING (face_cluster_id)",
        (min_faces,),
    ).fetchall()
    return [(r["photo_id"], r["face_cluster_id"]) for r in rows]


def clusters_of_faces(tx: Tx, face_ids: Sequence[int]) -> list[UUID]:
    """The people of these faces, the most frequent first."""
    rows = tx.execute(
        "SELECT face_cluster_id AS id, count(*) AS n FROM face_embeddings WHERE event_id = current_event_id()"
        " AND id = ANY(%s) AND face_cluster_id IS NOT NULL GROUP BY face_cluster_id ORDER BY n DESC, id",
        (list(face_ids),),
    ).fetchall()
    return [r["id"] for r in rows]


def names(tx: Tx, cluster_ids: Sequence[UUID]) -> dict[UUID, str | None]:
    rows = tx.execute(
        "SELECT id, name FROM face_clusters WHERE event_id = current_event_id() AND id = ANY(%s)",
        (list(cluster_ids),),
    ).fetchall()
    return {r["id"]: r["name"] for r in rows}


def photo_rows(tx: Tx, photo_ids: Sequence[UUID]) -> dict[UUID, PhotoRow]:
    rows = tx.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id() AND p.is_public"
        " AND p.id = ANY(%s)",
        (list(photo_ids),),
    ).fetchall()
    return {row.id: row for row in (PhotoRow.of(r) for r in rows)}


def current_event(tx: Tx) -> UUID:
    """The event the transaction acts for (the key of a per-event cache)."""
    return tx.execute("SELECT current_event_id() AS id").fetchone()["id"]  # type: ignore[index]


def face_boxes(
    tx: Tx, photo_people: Sequence[tuple[UUID, UUID]]
) -> dict[tuple[UUID, UUID], tuple[float, float, float, float]]:
    """The box of a person's visible face in a photo, per (photo, person): the largest if several."""
    if not photo_people:
        return {}
    rows = tx.execute(
        "SELECT DISTINCT ON (f.photo_id, f.face_cluster_id) f.photo_id, f.face_cluster_id, f.bbox"
        " FROM face_embeddings f JOIN unnest(%s::uuid[], %s::uuid[]) w(photo, person)"
        "  ON f.photo_id = w.photo AND f.face_cluster_id = w.person"
        " WHERE f.event_id = current_event_id() AND NOT f.hidden"
        " ORDER BY f.photo_id, f.face_cluster_id, f.bbox[3] * f.bbox[4] DESC, f.id",
        ([p for p, _ in photo_people], [c for _, c in photo_people]),
    ).fetchall()
    return {
        (r["photo_id"], r["face_cluster_id"]): tuple(float(v) for v in r["bbox"])  # type: ignore[misc]
        for r in rows
    }
