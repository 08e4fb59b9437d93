"""SQL for the pipeline: claiming work per phase, and writing each phase's typed results.

Every photo carries a `<phase>_status` per photo phase. A phase claims rows that need it with
`FOR UPDATE SKIP LOCKED` and marks them `processing` (stamped by `updated_at`), so parallel
workers never take the same photo and a worker that died leaves rows another reclaims after
`LEASE`. The claimed ids come from `= ANY(ARRAY(...))`: a `LIMIT` inside `IN (subquery)` may be
re-run per row and claim far more than asked. A phase only takes rows whose prerequisite phase
completed; when that prerequisite fails, its dependents are `skipped` (and re-queued with it by
`retry_errors`). Every statement names `event_id = current_event_id()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from psycopg import sql
from psycopg.types.json import Jsonb

from eventlens.db import Tx
from eventlens.ml.describe import Description
from eventlens.pipeline.graph import LEASE, PHOTO_PHASES, dependents, prerequisite

if TYPE_CHECKING:
    import numpy as np

_MAX_ERROR = 1000


@dataclass(frozen=True, slots=True)
class ClaimedPhoto:
    """What a per-photo phase reads of the photo it claimed."""

    id: UUID
    source_key: str
    filename: str
    folder: str
    kind: str
    mime: str | None
    size_bytes: int
    taken_at: datetime | None
    exif: dict[str, Any]
    face_count: int | None
    thumbnails: dict[str, str]
    describe_status: str
    faces_status: str
    visible_text: str
    people_descriptions: str
    scene_description: str
    created_at: datetime


_CLAIM_COLUMNS = ", ".join(f.name for f in fields(ClaimedPhoto))


@dataclass(frozen=True, slots=True)
class Analysis:
    """What analyze stores for one photo (thumbnails are already in the blob store)."""

    width: int
    height: int
    orientation: int | None
    taken_at: datetime | None
    exif: dict[str, Any]
    thumbnails: dict[str, str]
    dhash: int
    nsfw_score: float | None
    duration_s: float | None = None
    has_audio: bool | None = None


def _status(phase: str) -> sql.Identifier:
    if phase not in PHOTO_PHASES:
        raise ValueError(f"not a per-photo phase: {phase!r}")
    return sql.Identifier(f"{phase}_status")


def _error(phase: str) -> sql.Identifier:
    _status(phase)
    return sql.Identifier(f"{phase}_error")


def _needs(phase: str, embed_model: str | None) -> tuple[sql.Composable, dict[str, Any]]:
    """Rows that still need `phase`: pending, abandoned mid-work, or (embed) in another model's space."""
    status = _status(phase)
    clause: sql.Composable = sql.SQL(
        "({s} = 'pending' OR ({s} = 'processing' AND updated_at < now() - %(lease)s))"
    ).format(s=status)
    params: dict[str, Any] = {"lease": LEASE}
    if phase == "embed" and embed_model is not None:
        clause = sql.SQL(
            "({c} OR ({s} = 'completed' AND embedding_model IS DISTINCT FROM %(model)s))"
        ).format(c=clause, s=status)
        params["model"] = embed_model
    prereq = prerequisite(phase)
    if prereq is not None:
        clause = sql.SQL("{c} AND {p} = 'completed'").format(c=clause, p=_status(prereq))
    return clause, params


def claim(tx: Tx, phase: str, limit: int, embed_model: str | None = None) -> list[ClaimedPhoto]:
    """Mark up to `limit` rows that need `phase` as processing and return them, oldest first."""
    needs, params = _needs(phase, embed_model)
    query = sql.SQL(
        "UPDATE photos SET {s} = 'processing', updated_at = now() WHERE id = ANY(ARRAY("
        " SELECT id FROM photos WHERE event_id = current_event_id() AND {needs}"
        " ORDER BY created_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)) RETURNING " + _CLAIM_COLUMNS
    ).format(s=_status(phase), needs=needs)
    rows = [ClaimedPhoto(**r) for r in tx.execute(query, {**params, "limit": limit}).fetchall()]
    return sorted(rows, key=lambda r: (r.created_at, str(r.id)))


def count_remaining(tx: Tx, phase: str, embed_model: str | None = None) -> int:
    """Rows that need `phase` or are being worked on by some worker right now."""
    needs, params = _needs(phase, embed_model)
    query = sql.SQL(
        "SELECT count(*) AS n FROM photos WHERE event_id = current_event_id() AND ({needs} OR {s} = 'processing')"
    )
    row = tx.execute(query.format(needs=needs, s=_status(phase)), params).fetchone()
    return int(row["n"]) if row else 0


def release(tx: Tx, phase: str, ids: Iterable[UUID]) -> None:
    """Hand claimed but unstarted rows back (the budget ran out before they were started)."""
    query = sql.SQL(
        "UPDATE photos SET {s} = 'pending' WHERE event_id = current_event_id() AND id = ANY(%s)"
        " AND {s} = 'processing'"
    )
    tx.execute(query.format(s=_status(phase)), (list(ids),))


def reset_processing(tx: Tx) -> int:
    """Every `processing` row back to pending: only for a runner that knows it is the only one."""
    total = 0
    for phase in PHOTO_PHASES:
        query = sql.SQL(
            "UPDATE photos SET {s} = 'pending' WHERE event_id = current_event_id() AND {s} = 'processing'"
        )
        total += tx.execute(query.format(s=_status(phase))).rowcount
    return total


def _complete(tx: Tx, photo_id: UUID, phase: str, values: dict[str, Any]) -> None:
    assignments: list[sql.Composable] = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k in values]
    assignments += [
        sql.SQL("{} = 'completed'").format(_status(phase)),
        sql.SQL("{} = NULL").format(_error(phase)),
        sql.SQL("updated_at = now()"),
    ]
    params = [Jsonb(v) if isinstance(v, dict) else v for v in values.values()]
    tx.execute(
        sql.SQL("UPDATE photos SET {} WHERE event_id = current_event_id() AND id = %s").format(
            sql.SQL(", ").join(assignments)
        ),
        [*params, photo_id],
    )


def complete_analyze(tx: Tx, photo_id: UUID, analysis: Analysis, nsfw_threshold: float) -> None:
    """Store the analysis; a photo scored at or above `nsfw_threshold` is held for review (pending),
    unless an organizer already decided about it."""
    values = {f.name: getattr(analysis, f.name) for f in fields(Analysis)}
    if values["duration_s"] is None and values["has_audio"] is None:
        del values["duration_s"], values["has_audio"]
    _complete(tx, photo_id, "analyze", values)
    tx.execute(
        "UPDATE photos SET review = CASE WHEN nsfw_score >= %s THEN 'pending' ELSE 'not_needed' END"
        " WHERE event_id = current_event_id() AND id = %s AND review IN ('not_needed', 'pending')",
        (nsfw_threshold, photo_id),
    )


def save_video(
    tx: Tx,
    photo_id: UUID,
    *,
    frame_rate: float | None,
    video_codec: str,
    audio_codec: str | None,
    quality: str,
    needs_transcode: bool,
) -> None:
    """A probed video: valid as of now, its library facts, and whether it waits for a transcode
    (a new probe of a file already transcoded keeps its rendition)."""
    tx.execute(
        "UPDATE photos SET frame_rate = %s, video_codec = %s, audio_codec = %s, quality = %s, is_valid = true,"
        " validated_at = now(), invalid_reason = NULL,"
        " transcode_status = CASE WHEN NOT %s THEN 'not_needed'"
        "   WHEN playable_key IS NOT NULL THEN 'completed' ELSE 'pending' END"
        " WHERE event_id = current_event_id() AND id = %s",
        (frame_rate, video_codec, audio_codec, quality, needs_transcode, photo_id),
    )


def mark_invalid_video(tx: Tx, photo_id: UUID, reason: str) -> None:
    tx.execute(
        "UPDATE photos SET is_valid = false, validated_at = now(), invalid_reason = %s"
        " WHERE event_id = current_event_id() AND id = %s AND kind = 'video'",
        (reason[:_MAX_ERROR], photo_id),
    )


def claim_transcodes(tx: Tx, limit: int) -> list[tuple[UUID, str, float | None]]:
    """(id, source key, duration) of up to `limit` videos waiting for a transcode, marked processing;
    one abandoned mid-work (past the lease) is taken again."""
    rows = tx.execute(
        "UPDATE photos SET transcode_status = 'processing', updated_at = now() WHERE id = ANY(ARRAY("
        " SELECT id FROM photos WHERE event_id = current_event_id() AND kind = 'video'"
        "  AND (transcode_status = 'pending' OR (transcode_status = 'processing' AND updated_at < now() - %s))"
        " ORDER BY created_at, id LIMIT %s FOR UPDATE SKIP LOCKED)) RETURNING id, source_key, duration_s",
        (LEASE, limit),
    ).fetchall()
    return [(r["id"], r["source_key"], r["duration_s"]) for r in rows]


def release_transcode(tx: Tx, photo_id: UUID) -> None:
    tx.execute(
        "UPDATE photos SET transcode_status = 'pending' WHERE event_id = current_event_id() AND id = %s"
        " AND transcode_status = 'processing'",
        (photo_id,),
    )


def claim_transcode(tx: Tx, photo_id: UUID) -> bool:
    """Take this video's pending transcode (False: not pending, or another worker has it)."""
    row = tx.execute(
        "UPDATE photos SET transcode_status = 'processing', updated_at = now() WHERE id = ANY(ARRAY("
        " SELECT id FROM photos WHERE event_id = current_event_id() AND id = %s AND transcode_status = 'pending'"
        " FOR UPDATE SKIP LOCKED)) RETURNING 1",
        (photo_id,),
    ).fetchone()
    return row is not None


def retry_transcodes(tx: Tx) -> int:
    return tx.execute(
        "UPDATE photos SET transcode_status = 'pending', transcode_error = NULL"
        " WHERE event_id = current_event_id() AND transcode_status = 'error'"
    ).rowcount


def count_transcodes(tx: Tx) -> int:
    row = tx.execute(
        "SELECT count(*) AS n FROM photos WHERE event_id = current_event_id() AND kind = 'video'"
        " AND transcode_status IN ('pending', 'processing')"
    ).fetchone()
    return int(row["n"]) if row else 0


def finish_transcode(tx: Tx, photo_id: UUID, playable_key: str | None, error: str | None) -> None:
    tx.execute(
        "UPDATE photos SET playable_key = coalesce(%s, playable_key),"
        " transcode_status = CASE WHEN %s::text IS NULL THEN 'completed' ELSE 'error' END, transcode_error = %s,"
        " updated_at = now() WHERE event_id = current_event_id() AND id = %s",
        (playable_key, error, None if error is None else error[:_MAX_ERROR], photo_id),
    )


def complete_describe(tx: Tx, photo_id: UUID, description: Description) -> None:
    """The describer's text; its face count only where faces has not counted (None: keep the column)."""
    values = {f.name: getattr(description, f.name) for f in fields(Description)}
    if values["face_count"] is None:
        del values["face_count"]
    _complete(tx, photo_id, "describe", values)


def complete_faces(
    tx: Tx,
    photo_id: UUID,
    model: str,
    faces: Sequence[tuple[Sequence[float], float, np.ndarray]],
    hidden: Sequence[bool] = (),
) -> None:
    """This photo's faces, replacing any earlier ones (a sentinel row when it has none), and its
    count; `hidden[i]` marks face i hidden ("hide me", re-applied)."""
    tx.execute("DELETE FROM face_embeddings WHERE photo_id = %s", (photo_id,))
    if not faces:
        tx.execute(
            "INSERT INTO face_embeddings (event_id, photo_id, face_index, model)"
            " VALUES (current_event_id(), %s, -1, %s)",
            (photo_id, model),
        )
    else:
        with tx.cursor() as cur:
            cur.executemany(
                "INSERT INTO face_embeddings (event_id, photo_id, face_index, model, bbox, det_score, embedding,"
                " hidden) VALUES (current_event_id(), %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        photo_id,
                        index,
                        model,
                        [float(v) for v in bbox],
                        float(score),
                        embedding,
                        index < len(hidden) and bool(hidden[index]),
                    )
                    for index, (bbox, score, embedding) in enumerate(faces)
                ],
            )
    _complete(tx, photo_id, "faces", {"face_count": len(faces)})


def complete_embed(tx: Tx, model: str, rows: Sequence[tuple[UUID, np.ndarray]]) -> None:
    with tx.cursor() as cur:
        cur.executemany(
            "UPDATE photos SET embedding = %s, embedding_model = %s, embed_status = 'completed', "
            "embed_error = NULL, updated_at = now() WHERE event_id = current_event_id() AND id = %s",
            [(vector, model, photo_id) for photo_id, vector in rows],
        )


def mark_error(tx: Tx, photo_id: UUID, phase: str, message: str) -> None:
    """The phase failed for this photo: keep the message; phases that need its output are skipped."""
    tx.execute(
        sql.SQL(
            "UPDATE photos SET {s} = 'error', {e} = %s, updated_at = now()"
            " WHERE event_id = current_event_id() AND id = %s"
        ).format(s=_status(phase), e=_error(phase)),
        (message[:_MAX_ERROR], photo_id),
    )
    for dependent in dependents(phase):
        tx.execute(
            sql.SQL(
                "UPDATE photos SET {s} = 'skipped' WHERE event_id = current_event_id() AND id = %s"
                " AND {s} IN ('pending', 'processing')"
            ).format(s=_status(dependent)),
            (photo_id,),
        )


def mark_skipped(tx: Tx, photo_id: UUID, phase: str) -> None:
    tx.execute(
        sql.SQL(
            "UPDATE photos SET {s} = 'skipped', {e} = NULL, updated_at = now()"
            " WHERE event_id = current_event_id() AND id = %s"
        ).format(s=_status(phase), e=_error(phase)),
        (photo_id,),
    )


def failed_items(tx: Tx) -> int:
    """Failed (photo, phase) items of the event in scope, as the error list shows them."""
    failed = sql.SQL(" + ").join(
        sql.SQL("count(*) FILTER (WHERE {s} = 'error')").format(s=_status(phase)) for phase in PHOTO_PHASES
    )
    row = tx.execute(
        sql.SQL("SELECT {f} AS n FROM photos WHERE event_id = current_event_id()").format(f=failed)
    ).fetchone()
    return int(row["n"]) if row else 0


def retry_errors(tx: Tx) -> dict[str, int]:
    """Failed phases back to pending, and the phases they had skipped with them: per phase, the
    rows put back (failed ones first), only phases that got some, in dependency order."""
    failed = {}
    for phase in PHOTO_PHASES:
        cur = tx.execute(
            sql.SQL(
                "UPDATE photos SET {s} = 'pending', {e} = NULL WHERE event_id = current_event_id() AND {s} = 'error'"
            ).format(s=_status(phase), e=_error(phase))
        )
        failed[phase] = cur.rowcount
    requeued = dict(failed)
    for phase in PHOTO_PHASES:  # in order: analyze re-queued un-skips describe, which un-skips embed
        prereq = prerequisite(phase)
        if prereq is not None:
            cur = tx.execute(
                sql.SQL(
                    "UPDATE photos SET {s} = 'pending' WHERE event_id = current_event_id()"
                    " AND {s} = 'skipped' AND {p} = 'pending'"
                ).format(s=_status(phase), p=_status(prereq))
            )
            requeued[phase] += cur.rowcount
    return {phase: n for phase, n in requeued.items() if n}


@dataclass(frozen=True, slots=True)
class TagInput:
    id: UUID
    filename: str
    folder: str
    visible_text: str
    people_descriptions: str
    scene_description: str
    face_count: int | None
    auto_tag: str | None


def tag_inputs(tx: Tx) -> list[TagInput]:
    """What the tag phase reads: every described photo of the event."""
    columns = ", ".join(f.name for f in fields(TagInput))
    rows = tx.execute(
        f"SELECT {columns} FROM photos WHERE event_id = current_event_id() AND describe_status = 'completed'"
    ).fetchall()
    return [TagInput(**r) for r in rows]


def set_tags(tx: Tx, rows: Sequence[tuple[UUID, str | None]]) -> None:
    with tx.cursor() as cur:
        cur.executemany(
            "UPDATE photos SET auto_tag = %s WHERE event_id = current_event_id() AND id = %s",
            [(tag, pid) for pid, tag in rows],
        )
