"""SQL for albums, items, stored objects, ratings, flags and bans (migration 0018's policies).

Counters on a row (rating_count/rating_sum, flag_count, a stored object's ref_count) are never
written here: the triggers change them by delta in the same transaction.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg

from eventlens.albums.views import Album, AlbumItem, Ban, Contributor, Flag
from eventlens.db import Tx
from eventlens.db.vectors import MODEL_DIMS, vector_literal
from eventlens.errors import AlreadyFlagged
from eventlens.subjects.views import Subject
from eventlens.types import Model

ALBUM_COLUMNS = (
    "a.id, a.event_id, a.owner_id, a.title, a.description, a.cover_item_id, a.contribution_policy,"
    " a.rating_count, a.rating_sum, a.rating_sum::float8 / nullif(a.rating_count, 0) AS rating_average,"
    " a.rating_score, a.flag_count, a.held, a.created_at"
)
ITEM_COLUMNS = (
    "i.id, i.album_id, i.object_id, o.photo_id, i.contributor_id, i.status, i.reason, i.nsfw_score,"
    " i.quality_score, i.near_duplicate_of, i.flag_count, i.held, i.created_at"
)
ITEM_FROM = " FROM album_items i JOIN stored_objects o ON o.id = i.object_id"

ORDER = {
    "score": "a.rating_score DESC, a.rating_count DESC, a.id",
    "count": "a.rating_count DESC, a.rating_score DESC, a.id",
    "recent": "a.created_at DESC, a.id",
}


class ItemObject(Model):
    """What serving or comparing an item reads: its stored object and its hashes."""

    item_id: UUID
    album_id: UUID
    status: str
    held: bool
    key: str
    content_type: str
    sha256: bytes | None
    dhash: int | None


def list_albums(tx: Tx, sort: str, limit: int, album_ids: list[UUID] | None = None) -> list[Album]:
    where = " WHERE a.event_id = current_event_id()"
    params: list[Any] = []
    if album_ids is not None:
        where += " AND a.id = ANY(%s)"
        params.append(album_ids)
    rows = tx.execute(
        "SELECT " + ALBUM_COLUMNS + " FROM albums a" + where + " ORDER BY " + ORDER[sort] + " LIMIT %s",
        (*params, limit),
    ).fetchall()
    return [Album.model_validate(r) for r in rows]


def get_album(tx: Tx, album_id: UUID) -> Album | None:
    row = tx.execute(
        "SELECT " + ALBUM_COLUMNS + " FROM albums a WHERE a.event_id = current_event_id() AND a.id = %s",
        (album_id,),
    ).fetchone()
    return None if row is None else Album.model_validate(row)


def create_album(tx: Tx, title: str, description: str, policy: str, owner_id: UUID | None) -> Album:
    row = tx.execute(
        "INSERT INTO albums AS a (organization_id, event_id, owner_id, title, description, contribution_policy)"
        " VALUES (current_organization_id(), current_event_id(), %s, %s, %s, %s) RETURNING " + ALBUM_COLUMNS,
        (owner_id, title, description, policy),
    ).fetchone()
    assert row is not None
    return Album.model_validate(row)


def update_album(tx: Tx, album_id: UUID, changes: dict[str, Any]) -> Album | None:
    allowed = {"title", "description", "contribution_policy", "cover_item_id", "held"}
    names = [name for name in changes if name in allowed]
    sets = ", ".join(f"{name} = %s" for name in names) + (", " if names else "") + "updated_at = now()"
    row = tx.execute(
        "UPDATE albums a SET " + sets + " WHERE a.event_id = current_event_id() AND a.id = %s"
        " RETURNING " + ALBUM_COLUMNS,
        (*[changes[name] for name in names], album_id),
    ).fetchone()
    return None if row is None else Album.model_validate(row)


def delete_album(tx: Tx, album_id: UUID) -> bool:
    return (
        tx.execute("DELETE FROM albums WHERE event_id = current_event_id() AND id = %s", (album_id,)).rowcount
        == 1
    )


def set_subjects(tx: Tx, album_id: UUID, subject_ids: list[UUID]) -> None:
    tx.execute(
        "DELETE FROM album_subjects WHERE event_id = current_event_id() AND album_id = %s", (album_id,)
    )
    tx.execute(
        "INSERT INTO album_subjects (album_id, event_id, subject_id)"
        " SELECT %s, current_event_id(), s.id FROM subjects s"
        " WHERE s.organization_id = current_organization_id() AND s.id = ANY(%s)",
        (album_id, subject_ids),
    )


def set_linked_events(tx: Tx, album_id: UUID, event_ids: list[UUID]) -> int:
    """Links to other events of the album's organization (unknown ones are left out): how many."""
    tx.execute("DELETE FROM album_events WHERE event_id = current_event_id() AND album_id = %s", (album_id,))
    return tx.execute(
        "INSERT INTO album_events (album_id, event_id, linked_event_id)"
        " SELECT %s, current_event_id(), e.id FROM events e"
        " WHERE e.organization_id = current_organization_id() AND e.id = ANY(%s)",
        (album_id, event_ids),
    ).rowcount


def subjects_of(tx: Tx, album_ids: list[UUID]) -> dict[UUID, list[Subject]]:
    rows = tx.execute(
        "SELECT l.album_id, s.id, s.kind, s.name, s.created_at FROM album_subjects l"
        " JOIN subjects s ON s.id = l.subject_id WHERE l.event_id = current_event_id() AND l.album_id = ANY(%s)"
        " ORDER BY s.kind, lower(s.name)",
        (album_ids,),
    ).fetchall()
    found: dict[UUID, list[Subject]] = {}
    for r in rows:
        found.setdefault(r["album_id"], []).append(Subject.model_validate(r))
    return found


def linked_events_of(tx: Tx, album_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    rows = tx.execute(
        "SELECT album_id, linked_event_id FROM album_events WHERE event_id = current_event_id()"
        " AND album_id = ANY(%s) ORDER BY linked_event_id",
        (album_ids,),
    ).fetchall()
    found: dict[UUID, list[UUID]] = {}
    for r in rows:
        found.setdefault(r["album_id"], []).append(r["linked_event_id"])
    return found


def albums_of_subject(tx: Tx, subject_id: UUID) -> list[UUID]:
    rows = tx.execute(
        "SELECT album_id FROM album_subjects WHERE event_id = current_event_id() AND subject_id = %s",
        (subject_id,),
    ).fetchall()
    return [r["album_id"] for r in rows]


def first_items(tx: Tx, album_ids: list[UUID]) -> dict[UUID, UUID]:
    """Each album's oldest approved, unheld item: its cover when the owner chose none."""
    rows = tx.execute(
        "SELECT DISTINCT ON (album_id) album_id, id FROM album_items WHERE event_id = current_event_id()"
        " AND album_id = ANY(%s) AND status = 'approved' AND NOT held ORDER BY album_id, created_at, id",
        (album_ids,),
    ).fetchall()
    return {r["album_id"]: r["id"] for r in rows}


def my_ratings(tx: Tx, album_ids: list[UUID]) -> dict[UUID, int]:
    rows = tx.execute(
        "SELECT album_id, stars FROM album_ratings WHERE event_id = current_event_id()"
        " AND person_id = current_person_id() AND album_id = ANY(%s)",
        (album_ids,),
    ).fetchall()
    return {r["album_id"]: r["stars"] for r in rows}


# -- contributors and bans ---------------------------------------------------------------------------


def add_contributor(tx: Tx, album_id: UUID, person_id: UUID) -> None:
    tx.execute(
        "INSERT INTO album_contributors (album_id, event_id, person_id) VALUES (%s, current_event_id(), %s)"
        " ON CONFLICT DO NOTHING",
        (album_id, person_id),
    )


def remove_contributor(tx: Tx, album_id: UUID, person_id: UUID) -> bool:
    return (
        tx.execute(
            "DELETE FROM album_contributors WHERE event_id = current_event_id() AND album_id = %s"
            " AND person_id = %s",
            (album_id, person_id),
        ).rowcount
        == 1
    )


def contributors(tx: Tx, album_id: UUID) -> list[Contributor]:
    rows = tx.execute(
        "SELECT person_id, added_at FROM album_contributors WHERE event_id = current_event_id()"
        " AND album_id = %s ORDER BY added_at, person_id",
        (album_id,),
    ).fetchall()
    return [Contributor.model_validate(r) for r in rows]


def is_contributor(tx: Tx, album_id: UUID) -> bool:
    row = tx.execute(
        "SELECT EXISTS (SELECT 1 FROM album_contributors WHERE event_id = current_event_id()"
        " AND album_id = %s AND person_id = current_person_id()) AS yes",
        (album_id,),
    ).fetchone()
    return bool(row and row["yes"])


def acting_person_banned(tx: Tx) -> bool:
    row = tx.execute("SELECT acting_person_banned() AS banned").fetchone()
    return bool(row and row["banned"])


def ban(tx: Tx, person_id: UUID, reason: str) -> Ban:
    row = tx.execute(
        "INSERT INTO album_bans (organization_id, person_id, reason) VALUES (current_organization_id(), %s, %s)"
        " ON CONFLICT (organization_id, person_id) DO UPDATE SET reason = excluded.reason"
        " RETURNING person_id, reason, banned_at",
        (person_id, reason),
    ).fetchone()
    assert row is not None
    return Ban.model_validate(row)


def unban(tx: Tx, person_id: UUID) -> bool:
    return (
        tx.execute(
            "DELETE FROM album_bans WHERE organization_id = current_organization_id() AND person_id = %s",
            (person_id,),
        ).rowcount
        == 1
    )


def bans(tx: Tx) -> list[Ban]:
    rows = tx.execute(
        "SELECT person_id, reason, banned_at FROM album_bans WHERE organization_id = current_organization_id()"
        " ORDER BY banned_at DESC, person_id"
    ).fetchall()
    return [Ban.model_validate(r) for r in rows]


# -- ratings and flags -------------------------------------------------------------------------------


def rate(tx: Tx, album_id: UUID, stars: int) -> None:
    """The acting person's rating (a second one replaces the first); the roll-up follows by trigger."""
    tx.execute(
        "INSERT INTO album_ratings (album_id, event_id, person_id, stars)"
        " VALUES (%s, current_event_id(), current_person_id(), %s)"
        " ON CONFLICT (album_id, person_id) DO UPDATE SET stars = excluded.stars, rated_at = now()"
        " WHERE album_ratings.stars IS DISTINCT FROM excluded.stars",
        (album_id, stars),
    )


def flag(tx: Tx, album_id: UUID, item_id: UUID | None, reason: str) -> Flag:
    try:
        with tx.transaction():
            row = tx.execute(
                "INSERT INTO album_flags (album_id, event_id, item_id, person_id, reason)"
                " VALUES (%s, current_event_id(), %s, current_person_id(), %s)"
                " RETURNING id, album_id, item_id, person_id, reason, created_at, resolved_at, resolution",
                (album_id, item_id, reason),
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise AlreadyFlagged("You already flagged this; a moderator will look at it") from None
    assert row is not None
    return Flag.model_validate(row)


def open_flags(tx: Tx, limit: int = 500) -> list[Flag]:
    """Open flags, oldest first, with their album's title."""
    rows = tx.execute(
        "SELECT f.id, f.album_id, f.item_id, f.person_id, f.reason, f.created_at, f.resolved_at, f.resolution,"
        " a.title AS album_title FROM album_flags f JOIN albums a ON a.id = f.album_id"
        " WHERE f.event_id = current_event_id() AND f.resolved_at IS NULL ORDER BY f.created_at, f.id LIMIT %s",
        (limit,),
    ).fetchall()
    return [Flag.model_validate(r) for r in rows]


def resolve_flag(tx: Tx, flag_id: UUID, resolution: str) -> Flag | None:
    row = tx.execute(
        "UPDATE album_flags SET resolved_at = now(), resolution = %s"
        " WHERE event_id = current_event_id() AND id = %s"
        " RETURNING id, album_id, item_id, person_id, reason, created_at, resolved_at, resolution",
        (resolution, flag_id),
    ).fetchone()
    return None if row is None else Flag.model_validate(row)


def open_flags_on(tx: Tx, album_id: UUID, item_id: UUID | None) -> int:
    row = tx.execute(
        "SELECT count(*) AS n FROM album_flags WHERE event_id = current_event_id() AND album_id = %s"
        " AND item_id IS NOT DISTINCT FROM %s AND resolved_at IS NULL",
        (album_id, item_id),
    ).fetchone()
    return int(row["n"]) if row else 0


def set_item_held(tx: Tx, item_id: UUID, held: bool) -> None:
    tx.execute(
        "UPDATE album_items SET held = %s WHERE event_id = current_event_id() AND id = %s", (held, item_id)
    )


# -- stored objects and items ------------------------------------------------------------------------


def photo_object(tx: Tx, photo_id: UUID, key: str, content_type: str) -> UUID:
    """The stored object of a gallery photo's original (made on first save; never owned)."""
    tx.execute(
        "INSERT INTO stored_objects (organization_id, key, content_type, photo_id, owned)"
        " VALUES (current_organization_id(), %s, %s, %s, false) ON CONFLICT DO NOTHING",
        (key, content_type, photo_id),
    )
    row = tx.execute(
        "SELECT id FROM stored_objects WHERE organization_id = current_organization_id() AND photo_id = %s",
        (photo_id,),
    ).fetchone()
    assert row is not None
    return UUID(str(row["id"]))


def upload_object(tx: Tx, key: str, sha256: bytes, size_bytes: int, content_type: str) -> UUID:
    row = tx.execute(
        "INSERT INTO stored_objects (organization_id, key, sha256, size_bytes, content_type, owned)"
        " VALUES (current_organization_id(), %s, %s, %s, %s, true) RETURNING id",
        (key, sha256, size_bytes, content_type),
    ).fetchone()
    assert row is not None
    return UUID(str(row["id"]))


def insert_item(
    tx: Tx,
    album_id: UUID,
    object_id: UUID,
    *,
    status: str,
    reason: str = "",
    nsfw_score: float | None = None,
    quality_score: float | None = None,
    dhash: int | None = None,
    near_duplicate_of: UUID | None = None,
    embedding: Any = None,
    embedding_model: str | None = None,
) -> UUID:
    # The id is made here, not RETURNING: a guest adds an item it may not read back (pending).
    item_id = uuid4()
    tx.execute(
        "INSERT INTO album_items (id, album_id, event_id, object_id, contributor_id, status, reason, nsfw_score,"
        " quality_score, dhash, near_duplicate_of, embedding, embedding_model, decided_at)"
        " VALUES (%s, %s, current_event_id(), %s, current_person_id(), %s, %s, %s, %s, %s, %s, %s, %s,"
        "  CASE WHEN %s = 'pending' THEN NULL ELSE now() END)",
        (
            item_id,
            album_id,
            object_id,
            status,
            reason,
            nsfw_score,
            quality_score,
            dhash,
            near_duplicate_of,
            None if embedding is None else vector_literal(embedding),
            embedding_model,
            status,
        ),
    )
    return item_id


def get_item(tx: Tx, item_id: UUID) -> AlbumItem | None:
    row = tx.execute(
        "SELECT " + ITEM_COLUMNS + ITEM_FROM + " WHERE i.event_id = current_event_id() AND i.id = %s",
        (item_id,),
    ).fetchone()
    return None if row is None else AlbumItem.model_validate(row)


def items(tx: Tx, album_ids: list[UUID], limit: int = 500) -> list[AlbumItem]:
    rows = tx.execute(
        "SELECT "
        + ITEM_COLUMNS
        + ITEM_FROM
        + " WHERE i.event_id = current_event_id() AND i.album_id = ANY(%s)"
        " ORDER BY i.created_at, i.id LIMIT %s",
        (album_ids, limit),
    ).fetchall()
    return [AlbumItem.model_validate(r) for r in rows]


def item_object(tx: Tx, item_id: UUID) -> ItemObject | None:
    row = tx.execute(
        "SELECT i.id AS item_id, i.album_id, i.status, i.held, o.key, o.content_type, o.sha256, i.dhash"
        + ITEM_FROM
        + " WHERE i.event_id = current_event_id() AND i.id = %s",
        (item_id,),
    ).fetchone()
    return None if row is None else ItemObject.model_validate(row)


def album_objects(tx: Tx, album_id: UUID) -> list[ItemObject]:
    """Every item of the album that is not rejected, with its hashes (what a new upload meets)."""
    rows = tx.execute(
        "SELECT i.id AS item_id, i.album_id, i.status, i.held, o.key, o.content_type, o.sha256, i.dhash"
        + ITEM_FROM
        + " WHERE i.event_id = current_event_id() AND i.album_id = %s AND i.status <> 'rejected'"
        " ORDER BY i.created_at, i.id",
        (album_id,),
    ).fetchall()
    return [ItemObject.model_validate(r) for r in rows]


# -- tags ------------------------------------------------------------------------------------------


def add_tag(tx: Tx, item_id: UUID, tag: str) -> None:
    tx.execute(
        "INSERT INTO album_item_tags (item_id, event_id, tag, person_id)"
        " VALUES (%s, current_event_id(), %s, current_person_id()) ON CONFLICT DO NOTHING",
        (item_id, tag),
    )


def remove_tag(tx: Tx, item_id: UUID, tag: str) -> bool:
    return (
        tx.execute(
            "DELETE FROM album_item_tags WHERE event_id = current_event_id() AND item_id = %s AND tag = %s",
            (item_id, tag),
        ).rowcount
        == 1
    )


def tags_of(tx: Tx, item_ids: list[UUID]) -> dict[UUID, list[str]]:
    rows = tx.execute(
        "SELECT item_id, tag FROM album_item_tags WHERE event_id = current_event_id() AND item_id = ANY(%s)"
        " ORDER BY tag",
        (item_ids,),
    ).fetchall()
    found: dict[UUID, list[str]] = {}
    for r in rows:
        found.setdefault(r["item_id"], []).append(r["tag"])
    return found


# -- what items show: faces and description embeddings -----------------------------------------------


class ItemFace(Model):
    item_id: UUID
    box: list[float]
    """x, y, w, h as fractions of the image."""
    embedding: Any = None


def add_faces(tx: Tx, item_id: UUID, model: str, faces: list[tuple[tuple[float, ...], Any, bool]]) -> None:
    """An upload's faces (box, embedding, hidden): the operator writes them, face embeddings are
    biometric."""
    with tx.cursor() as cur:
        cur.executemany(
            "INSERT INTO album_item_faces (item_id, event_id, face_index, box, embedding, model, hidden)"
            " VALUES (%s, current_event_id(), %s, %s, %s, %s, %s)",
            [
                (item_id, i, list(box), None if vec is None else vector_literal(vec), model, hidden)
                for i, (box, vec, hidden) in enumerate(faces)
            ],
        )


def album_faces(tx: Tx, album_id: UUID, model: str) -> dict[UUID, list[Any]]:
    """Face embeddings of every item of the album not rejected, by item: an upload's own, a saved
    gallery photo's from the faces phase (neither hidden by "hide me"). Read as the operator."""
    rows = tx.execute(
        "SELECT f.item_id, f.embedding::text AS embedding FROM album_item_faces f JOIN album_items i ON i.id = f.item_id"
        " WHERE i.event_id = current_event_id() AND i.album_id = %(a)s AND i.status <> 'rejected'"
        "  AND f.model = %(m)s AND f.embedding IS NOT NULL AND NOT f.hidden"
        " UNION ALL"
        " SELECT i.id, e.embedding::text FROM album_items i JOIN stored_objects o ON o.id = i.object_id"
        "  JOIN face_embeddings e ON e.photo_id = o.photo_id"
        " WHERE i.event_id = current_event_id() AND i.album_id = %(a)s AND i.status <> 'rejected'"
        "  AND e.model = %(m)s AND e.embedding IS NOT NULL AND NOT e.hidden",
        {"a": album_id, "m": model},
    ).fetchall()
    import numpy as np  # only where faces are compared (the gallery handler imports no numpy)

    found: dict[UUID, list[Any]] = {}
    for r in rows:  # pgvector's text form is a JSON array
        found.setdefault(r["item_id"], []).append(np.asarray(json.loads(r["embedding"]), np.float32))
    return found


def face_boxes(tx: Tx, item_ids: list[UUID]) -> dict[UUID, list[list[float]]]:
    """Face boxes (fractions of the image) of items: an upload's own, a saved photo's from the
    faces phase (its pixels over the photo's size). Read as the operator."""
    rows = tx.execute(
        "SELECT f.item_id, f.box FROM album_item_faces f WHERE f.event_id = current_event_id()"
        " AND f.item_id = ANY(%(ids)s) AND NOT f.hidden"
        " UNION ALL"
        " SELECT i.id, ARRAY[e.bbox[1] / p.width, e.bbox[2] / p.height, e.bbox[3] / p.width, e.bbox[4] / p.height]"
        " FROM album_items i JOIN stored_objects o ON o.id = i.object_id JOIN photos p ON p.id = o.photo_id"
        " JOIN face_embeddings e ON e.photo_id = p.id"
        " WHERE i.event_id = current_event_id() AND i.id = ANY(%(ids)s) AND e.bbox IS NOT NULL AND NOT e.hidden"
        "  AND p.width > 0 AND p.height > 0",
        {"ids": item_ids},
    ).fetchall()
    found: dict[UUID, list[list[float]]] = {}
    for r in rows:
        found.setdefault(r["item_id"], []).append([float(v) for v in r["box"]])
    return found


def purge_face_embeddings(tx: Tx) -> int:
    """The event's face-data purge: upload face embeddings go, boxes (no template) stay."""
    return tx.execute(
        "UPDATE album_item_faces SET embedding = NULL WHERE event_id = current_event_id()"
        " AND embedding IS NOT NULL"
    ).rowcount


class AlbumFaceHit(Model):
    """An upload's face near a selfie (hide me, forget me): which, where and how close."""

    item_id: UUID
    face_index: int
    box: tuple[float, float, float, float]
    similarity: float
    sha256: bytes | None


def faces_near(tx: Tx, vector: Any, model: str, min_similarity: float, limit: int) -> list[AlbumFaceHit]:
    """The event's upload faces within `min_similarity` of `vector`, hidden ones included, nearest
    first (an event's uploads are few: no index). Read as the operator."""
    dim = MODEL_DIMS[model]
    rows = tx.execute(
        f"SELECT f.item_id, f.face_index, f.box, 1 - (f.embedding::vector({dim}) <=> %(v)s::vector({dim}))"
        " AS similarity, o.sha256 FROM album_item_faces f JOIN album_items i ON i.id = f.item_id"
        " JOIN stored_objects o ON o.id = i.object_id"
        " WHERE f.event_id = current_event_id() AND f.model = %(m)s AND f.embedding IS NOT NULL"
        f" AND f.embedding::vector({dim}) <=> %(v)s::vector({dim}) <= 1 - %(min)s"
        " ORDER BY 4 DESC, f.item_id, f.face_index LIMIT %(n)s",
        {"v": vector_literal(vector), "m": model, "min": min_similarity, "n": limit},
    ).fetchall()
    return [AlbumFaceHit.model_validate(r) for r in rows]


def record_face_opt_outs(tx: Tx, faces: list[AlbumFaceHit], kind: str, request_id: UUID) -> None:
    """The regions of `faces` per uploaded bytes, so the same photo uploaded again is treated the same."""
    with tx.cursor() as cur:
        cur.executemany(
            "INSERT INTO album_face_opt_outs (event_id, sha256, box, kind, request_id)"
            " VALUES (current_event_id(), %s, %s, %s, %s)",
            [(f.sha256, list(f.box), kind, request_id) for f in faces if f.sha256 is not None],
        )


def hide_faces(tx: Tx, faces: list[AlbumFaceHit]) -> int:
    return _faces_statement(tx, "UPDATE album_item_faces SET hidden = true", faces)


def delete_faces(tx: Tx, faces: list[AlbumFaceHit]) -> int:
    return _faces_statement(tx, "DELETE FROM album_item_faces", faces)


def _faces_statement(tx: Tx, head: str, faces: list[AlbumFaceHit]) -> int:
    return tx.execute(
        head + " WHERE event_id = current_event_id()"
        " AND (item_id, face_index) IN (SELECT * FROM unnest(%s::uuid[], %s::smallint[]))",
        ([f.item_id for f in faces], [f.face_index for f in faces]),
    ).rowcount


class FaceOptOut(Model):
    box: tuple[float, float, float, float]
    kind: str


def face_opt_outs(tx: Tx, sha256: bytes) -> list[FaceOptOut]:
    """The hidden and forgotten regions of these uploaded bytes (read as the operator)."""
    rows = tx.execute(
        "SELECT box, kind FROM album_face_opt_outs WHERE event_id = current_event_id() AND sha256 = %s",
        (sha256,),
    ).fetchall()
    return [FaceOptOut.model_validate(r) for r in rows]


class ItemVector(Model):
    vector: Any
    model: str


def item_vector(tx: Tx, item_id: UUID) -> ItemVector | None:
    """An item's description embedding: an upload's own, else its gallery photo's."""
    row = tx.execute(
        "SELECT coalesce(i.embedding, p.embedding)::text AS vector,"
        " CASE WHEN i.embedding IS NOT NULL THEN i.embedding_model ELSE p.embedding_model END AS model"
        + ITEM_FROM
        + " LEFT JOIN photos p ON p.id = o.photo_id WHERE i.event_id = current_event_id() AND i.id = %s",
        (item_id,),
    ).fetchone()
    if row is None or row["vector"] is None or row["model"] is None:
        return None
    import numpy as np  # only for "more like this" (the gallery handler imports no numpy)

    return ItemVector(vector=np.asarray(json.loads(row["vector"]), np.float32), model=row["model"])


def items_near(tx: Tx, vector: Any, model: str, exclude: UUID, limit: int) -> list[AlbumItem]:
    """Items of the event's albums the caller reads, nearest `vector` (each item's own embedding,
    else its gallery photo's, in `model`'s space)."""
    dim = MODEL_DIMS[model]
    rows = tx.execute(
        "SELECT " + ITEM_COLUMNS + ITEM_FROM + " LEFT JOIN photos p ON p.id = o.photo_id"
        " WHERE i.event_id = current_event_id() AND i.id <> %(x)s AND i.status = 'approved' AND NOT i.held"
        " AND CASE WHEN i.embedding IS NOT NULL THEN i.embedding_model ELSE p.embedding_model END = %(m)s"
        f" ORDER BY coalesce(i.embedding, p.embedding)::vector({dim}) <=> %(v)s::vector({dim}), i.id"
        " LIMIT %(n)s",
        {"x": exclude, "m": model, "v": vector_literal(vector), "n": limit},
    ).fetchall()
    return [AlbumItem.model_validate(r) for r in rows]


def decide_item(tx: Tx, item_id: UUID, status: str, reason: str) -> bool:
    return (
        tx.execute(
            "UPDATE album_items SET status = %s, reason = %s, decided_at = now(), held = false"
            " WHERE event_id = current_event_id() AND id = %s",
            (status, reason, item_id),
        ).rowcount
        == 1
    )


def delete_item(tx: Tx, item_id: UUID) -> bool:
    return (
        tx.execute(
            "DELETE FROM album_items WHERE event_id = current_event_id() AND id = %s", (item_id,)
        ).rowcount
        == 1
    )


def released_keys(tx: Tx) -> list[str]:
    """Keys of stored objects whose last reference this transaction removed (set by the trigger)."""
    row = tx.execute("SELECT current_setting('eventlens.released_keys', true) AS keys").fetchone()
    text = (row or {}).get("keys") or ""
    return [key for key in text.split("\n") if key]


def review_queue(tx: Tx, limit: int = 500) -> list[AlbumItem]:
    rows = tx.execute(
        "SELECT " + ITEM_COLUMNS + ITEM_FROM + " WHERE i.event_id = current_event_id()"
        " AND (i.status = 'pending' OR i.held) ORDER BY i.created_at, i.id LIMIT %s",
        (limit,),
    ).fetchall()
    return [AlbumItem.model_validate(r) for r in rows]


# -- guest links -------------------------------------------------------------------------------------


class LinkRow(Model):
    id: UUID
    album_id: UUID
    event_id: UUID
    kind: str
    password_hash: str | None
    expires_at: datetime | None
    created_at: datetime
    revoked_at: datetime | None


_LINK_COLUMNS = "id, album_id, event_id, kind, password_hash, expires_at, created_at, revoked_at"


def create_link(
    tx: Tx,
    album_id: UUID,
    kind: str,
    token_hash: bytes,
    password_hash: str | None,
    expires_at: datetime | None,
) -> LinkRow:
    row = tx.execute(
        "INSERT INTO album_links (album_id, event_id, kind, token_hash, password_hash, expires_at, created_by)"
        " VALUES (%s, current_event_id(), %s, %s, %s, %s, current_person_id()) RETURNING " + _LINK_COLUMNS,
        (album_id, kind, token_hash, password_hash, expires_at),
    ).fetchone()
    assert row is not None
    return LinkRow.model_validate(row)


def links(tx: Tx, album_id: UUID) -> list[LinkRow]:
    rows = tx.execute(
        "SELECT " + _LINK_COLUMNS + " FROM album_links WHERE event_id = current_event_id() AND album_id = %s"
        " ORDER BY created_at, id",
        (album_id,),
    ).fetchall()
    return [LinkRow.model_validate(r) for r in rows]


def revoke_link(tx: Tx, album_id: UUID, link_id: UUID) -> bool:
    return (
        tx.execute(
            "UPDATE album_links SET revoked_at = now() WHERE event_id = current_event_id() AND album_id = %s"
            " AND id = %s AND revoked_at IS NULL",
            (album_id, link_id),
        ).rowcount
        == 1
    )


def link_by_hash(tx: Tx, token_hash: bytes) -> LinkRow | None:
    """The operator's lookup of a presented secret (no event is known before it)."""
    row = tx.execute(
        "SELECT " + _LINK_COLUMNS + " FROM album_links WHERE token_hash = %s", (token_hash,)
    ).fetchone()
    return None if row is None else LinkRow.model_validate(row)
