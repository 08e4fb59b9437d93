"""SQL for registering objects as photos and keeping rows in step with their source.

One content is one photo per event (the unique `photos_one_per_content`, migration 0011): every
other object with the same bytes is an alias of that photo (`photo_aliases`). Inserts say
ON CONFLICT DO NOTHING, so concurrent writers of one content converge on one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import psycopg

from eventlens.db import Tx
from eventlens.types import Fingerprint


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A photo as its source knows it: where it lives and what its bytes were."""

    id: UUID
    source_key: str
    content_hash: str
    etag: str | None
    size_bytes: int
    thumbnails: dict[str, str]


@dataclass(frozen=True, slots=True)
class AliasRow:
    """Another object holding a photo's bytes: where it lives and the ETag it had when seen."""

    source_key: str
    photo_id: UUID
    etag: str | None


@dataclass(frozen=True, slots=True)
class Location:
    source_key: str
    filename: str
    folder: str


@dataclass(frozen=True, slots=True)
class Content:
    content_hash: str
    etag: str
    size_bytes: int
    mime: str | None
    kind: str
    fingerprint: Fingerprint | None = None
    """A video's duration and upright size (media.video.fingerprint): stored at registration, so
    the fingerprint index finds it before analyze runs; analyze writes the same values again."""


_COLUMNS = "id, source_key, content_hash, etag, size_bytes, thumbnails"


def source_rows(tx: Tx) -> list[SourceRow]:
    return [
        SourceRow(**r)
        for r in tx.execute(f"SELECT {_COLUMNS} FROM photos WHERE event_id = current_event_id()").fetchall()
    ]


def find_by_key(tx: Tx, key: str) -> SourceRow | None:
    row = tx.execute(
        f"SELECT {_COLUMNS} FROM photos WHERE event_id = current_event_id() AND source_key = %s", (key,)
    ).fetchone()
    return None if row is None else SourceRow(**row)


def find_by_hash(tx: Tx, content_hash: str) -> SourceRow | None:
    row = tx.execute(
        f"SELECT {_COLUMNS} FROM photos WHERE event_id = current_event_id() AND content_hash = %s",
        (content_hash,),
    ).fetchone()
    return None if row is None else SourceRow(**row)


def video_candidates(tx: Tx, size_bytes: int, print_: Fingerprint) -> list[SourceRow]:
    """Videos of the event with this fingerprint: duration (whole seconds), size, width, height,
    read through `photos_video_fingerprint` (migration 0020). Candidates only: the hash decides."""
    rows = tx.execute(
        f"SELECT {_COLUMNS} FROM photos WHERE event_id = current_event_id() AND kind = 'video'"
        " AND round(duration_s) = round(%s::double precision) AND size_bytes = %s AND width = %s AND height = %s",
        (print_.duration_s, size_bytes, print_.width, print_.height),
    ).fetchall()
    return [SourceRow(**r) for r in rows]


def hash_of_key(tx: Tx, key: str) -> str | None:
    """The content hash of the photo at `key` or of the photo `key` is an alias of; None when unknown."""
    row = tx.execute(
        "SELECT content_hash FROM photos WHERE event_id = current_event_id() AND source_key = %s"
        " UNION ALL SELECT p.content_hash FROM photo_aliases a JOIN photos p ON p.id = a.photo_id"
        " WHERE a.event_id = current_event_id() AND a.source_key = %s LIMIT 1",
        (key, key),
    ).fetchone()
    return None if row is None else str(row["content_hash"])


def aliases(tx: Tx) -> list[AliasRow]:
    rows = tx.execute(
        "SELECT source_key, photo_id, etag FROM photo_aliases WHERE event_id = current_event_id()"
    ).fetchall()
    return [AliasRow(**r) for r in rows]


def find_alias(tx: Tx, key: str) -> AliasRow | None:
    row = tx.execute(
        "SELECT source_key, photo_id, etag FROM photo_aliases WHERE event_id = current_event_id() AND source_key = %s",
        (key,),
    ).fetchone()
    return None if row is None else AliasRow(**row)


def aliases_of(tx: Tx, photo_id: UUID) -> list[AliasRow]:
    """The photo's aliases, by key (the first is the one a photo moves to when its file goes)."""
    rows = tx.execute(
        "SELECT source_key, photo_id, etag FROM photo_aliases WHERE event_id = current_event_id()"
        " AND photo_id = %s ORDER BY source_key",
        (photo_id,),
    ).fetchall()
    return [AliasRow(**r) for r in rows]


def add_alias(tx: Tx, key: str, photo_id: UUID, etag: str) -> None:
    tx.execute(
        "INSERT INTO photo_aliases (event_id, source_key, photo_id, etag) VALUES (current_event_id(), %s, %s, %s)"
        " ON CONFLICT (event_id, source_key) DO UPDATE SET photo_id = excluded.photo_id, etag = excluded.etag",
        (key, photo_id, etag),
    )


def set_alias_etag(tx: Tx, key: str, etag: str) -> None:
    tx.execute(
        "UPDATE photo_aliases SET etag = %s WHERE event_id = current_event_id() AND source_key = %s",
        (etag, key),
    )


def delete_aliases(tx: Tx, keys: Sequence[str]) -> int:
    return tx.execute(
        "DELETE FROM photo_aliases WHERE event_id = current_event_id() AND source_key = ANY(%s)",
        (list(keys),),
    ).rowcount


def _fingerprint(content: Content) -> tuple[int | None, int | None, float | None]:
    """(width, height, duration_s) of a video's fingerprint; NULLs for anything else."""
    fp = content.fingerprint
    return (None, None, None) if fp is None else (fp.width, fp.height, fp.duration_s)


def insert_photo(tx: Tx, location: Location, content: Content) -> UUID | None:
    """A new pending photo; None when a photo already has this key or these bytes (a concurrent
    worker's included: the insert waits for it and then does nothing)."""
    row = tx.execute(
        "INSERT INTO photos (event_id, source_key, filename, folder, content_hash, etag, size_bytes, mime, kind,"
        " width, height, duration_s)"
        " VALUES (current_event_id(), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING RETURNING id",
        (
            location.source_key,
            location.filename,
            location.folder,
            content.content_hash,
            content.etag,
            content.size_bytes,
            content.mime,
            content.kind,
            *_fingerprint(content),
        ),
    ).fetchone()
    return None if row is None else row["id"]


def replace_content(tx: Tx, photo_id: UUID, content: Content) -> bool:
    """The object under this key changed: new content, every derived field recomputed.

    False, and nothing changed, when another photo has these bytes (one content, one photo)."""
    try:
        with tx.transaction():  # a savepoint: the caller's transaction goes on after a conflict
            tx.execute(
                "UPDATE photos SET content_hash = %s, etag = %s, size_bytes = %s, mime = %s, kind = %s,"
                " width = %s, height = %s, duration_s = %s, has_audio = NULL, orientation = NULL,"
                " taken_at = NULL, exif = '{}', thumbnails = '{}', visible_text = '', people_descriptions = '',"
                " scene_description = '', face_count = NULL, dhash = NULL, nsfw_score = NULL, auto_tag = NULL,"
                " duplicate_cluster = NULL, duplicate_kind = NULL, embedding = NULL, embedding_model = NULL,"
                " analyze_status = 'pending', analyze_error = NULL, describe_status = 'pending',"
                " describe_error = NULL, embed_status = 'pending', embed_error = NULL, faces_status = 'pending',"
                " faces_error = NULL, updated_at = now() WHERE event_id = current_event_id() AND id = %s",
                (
                    content.content_hash,
                    content.etag,
                    content.size_bytes,
                    content.mime,
                    content.kind,
                    *_fingerprint(content),
                    photo_id,
                ),
            )
    except psycopg.errors.UniqueViolation:
        return False
    tx.execute("DELETE FROM face_embeddings WHERE photo_id = %s", (photo_id,))
    return True


REFOLDER_DESCRIPTION = (
    "CASE WHEN btrim(folder, '/') = '' OR btrim(folder, '/') = btrim(%s, '/') THEN scene_description"
    " ELSE replace(scene_description, ' in folder ''' || btrim(folder, '/') || '''',"
    " CASE WHEN btrim(%s, '/') = '' THEN '' ELSE ' in folder ''' || btrim(%s, '/') || '''' END) END"
)
"""SQL: the description of a photo moving to another folder (the new folder as its three
parameters), the describer's "in folder 'Old'" phrase made "in folder 'New'" (or dropped for the
top folder). Nothing is re-described: that would cost a model call and change the embedding a
move keeps. `folder` on the right of an UPDATE's SET is the old one."""


def move(tx: Tx, photo_id: UUID, source_key: str, location: Location, etag: str) -> bool:
    """Where the object lives changed (renamed, moved, or its file gone and an alias left), its
    content did not. Only if the photo is still at `source_key` (a concurrent sync may have moved
    it); an alias at the new key is the photo's own file now and is dropped."""
    moved = tx.execute(
        "UPDATE photos SET source_key = %s, filename = %s, folder = %s, etag = %s,"
        f" scene_description = {REFOLDER_DESCRIPTION}, updated_at = now()"
        " WHERE event_id = current_event_id() AND id = %s AND source_key = %s",
        (
            location.source_key,
            location.filename,
            location.folder,
            etag,
            *[location.folder] * 3,
            photo_id,
            source_key,
        ),
    ).rowcount
    delete_aliases(tx, [location.source_key])
    return moved == 1


def set_etag(tx: Tx, photo_id: UUID, etag: str) -> None:
    tx.execute(
        "UPDATE photos SET etag = %s, updated_at = now() WHERE event_id = current_event_id() AND id = %s",
        (etag, photo_id),
    )


def delete_photos(tx: Tx, ids: Sequence[UUID]) -> int:
    """Rows go with their faces and aliases (ON DELETE CASCADE)."""
    return tx.execute(
        "DELETE FROM photos WHERE event_id = current_event_id() AND id = ANY(%s)", (list(ids),)
    ).rowcount


def delete_vanished(tx: Tx, gone: Sequence[SourceRow]) -> list[SourceRow]:
    """Photos whose object is gone, each only if it still lives at the key seen gone and has no
    alias to move to (one recorded since it was seen); the rows deleted."""
    rows = tx.execute(
        "DELETE FROM photos p USING unnest(%s::uuid[], %s::text[]) AS gone(id, source_key)"
        " WHERE p.event_id = current_event_id() AND p.id = gone.id AND p.source_key = gone.source_key"
        " AND NOT EXISTS (SELECT 1 FROM photo_aliases a WHERE a.photo_id = p.id)"
        " RETURNING " + ", ".join("p." + c for c in _COLUMNS.split(", ")),
        ([r.id for r in gone], [r.source_key for r in gone]),
    ).fetchall()
    return [SourceRow(**r) for r in rows]


def record_deleted(tx: Tx, versions: dict[str, str]) -> None:
    """Remember source keys whose photo an organizer deleted, with the version each had
    (migration 0034), so a sync does not take them again while they are unchanged."""
    if not versions:
        return
    tx.execute(
        "INSERT INTO deleted_sources (event_id, source_key, version)"
        " SELECT current_event_id(), k, v FROM unnest(%s::text[], %s::text[]) AS d(k, v)"
        " ON CONFLICT (event_id, source_key) DO UPDATE SET version = EXCLUDED.version, deleted_at = now()",
        (list(versions), list(versions.values())),
    )


def deleted_versions(tx: Tx, prefix: str) -> dict[str, str]:
    """The deleted source keys under `prefix`, each with the version it had when deleted."""
    rows = tx.execute(
        "SELECT source_key, version FROM deleted_sources"
        " WHERE event_id = current_event_id() AND starts_with(source_key, %s)",
        (prefix,),
    ).fetchall()
    return {r["source_key"]: r["version"] for r in rows}
