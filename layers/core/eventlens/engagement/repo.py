"""SQL of engagement: the event tables (the triggers of migration 0020 keep the counters), the
public media gallery's pages, and the reconciliation of counters against the event tables."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from eventlens.db import Tx


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A media item as the public gallery and the player read it (never its embedding)."""

    id: UUID
    event_id: UUID
    kind: str
    filename: str
    original_filename: str
    folder: str
    auto_tag: str | None
    mime: str | None
    width: int | None
    height: int | None
    aspect: str | None
    duration_s: float | None
    has_audio: bool | None
    frame_rate: float | None
    video_codec: str | None
    audio_codec: str | None
    quality: str | None
    size_bytes: int
    is_valid: bool | None
    validated_at: datetime | None
    invalid_reason: str | None
    transcode_status: str
    playable_key: str | None
    thumbnails: dict[str, str]
    scene_description: str
    is_public: bool
    locked: bool
    locked_at: datetime | None
    locked_reason: str | None
    view_count: int
    upvote_count: int
    reaction_count: int
    comment_count: int
    finish_count: int
    watch_time_s: float
    created_at: datetime

    @classmethod
    def of(cls, record: dict[str, Any]) -> ItemRow:
        return cls(**{name: record[name] for name in _ITEM_FIELDS})


_ITEM_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ItemRow))
ITEM_COLUMNS = ", ".join(f"p.{name}" for name in _ITEM_FIELDS)

GALLERY_ORDER: dict[str, str] = {
    # sort -> ORDER BY, each the key of one partial index of migration 0020
    "recent": "p.created_at DESC, p.id DESC",
    "popular": "p.upvote_count DESC, p.created_at DESC, p.id DESC",
    "most_viewed": "p.view_count DESC, p.created_at DESC, p.id DESC",
    "trending": "trending_score(p.upvote_count, p.comment_count, p.reaction_count, p.view_count, p.created_at)"
    " DESC, p.id DESC",
    "top_rated": "wilson_lower_bound(p.upvote_count, p.view_count) DESC, p.created_at DESC, p.id DESC",
}


@dataclass(frozen=True)
class GalleryFilter:
    kind: str | None = None
    aspect: str | None = None
    tag: str | None = None
    folder: str | None = None
    q: str | None = None

    def where(self) -> tuple[sql.Composable, list[Any]]:
        # is_public and NOT locked spelled out: they select the partial indexes
        clauses: list[sql.Composable] = [
            sql.SQL("p.event_id = current_event_id() AND p.is_public AND NOT p.locked")
        ]
        params: list[Any] = []
        for column, value in (
            ("kind", self.kind),
            ("aspect", self.aspect),
            ("auto_tag", self.tag),
            ("folder", self.folder),
        ):
            if value is not None:
                clauses.append(sql.SQL("p.{} = %s").format(sql.Identifier(column)))
                params.append(value)
        if self.q:
            clauses.append(sql.SQL("p.search_tsv @@ websearch_to_tsquery('simple', %s)"))
            params.append(self.q)
        return sql.SQL(" AND ").join(clauses), params


def gallery_page(tx: Tx, filters: GalleryFilter, sort: str, limit: int, offset: int) -> list[ItemRow]:
    where, params = filters.where()
    query = sql.SQL(
        "SELECT "
        + ITEM_COLUMNS
        + " FROM photos p WHERE {} ORDER BY "
        + GALLERY_ORDER[sort]
        + " LIMIT %s OFFSET %s"
    ).format(where)
    return [ItemRow.of(r) for r in tx.execute(query, [*params, limit, offset]).fetchall()]


def count_gallery(tx: Tx, filters: GalleryFilter) -> int:
    """How many public, unlocked items match (one count over the gallery's partial indexes)."""
    where, params = filters.where()
    row = tx.execute(sql.SQL("SELECT count(*) AS n FROM photos p WHERE {}").format(where), params).fetchone()
    return int(row["n"]) if row else 0


def library_page(
    tx: Tx, valid: bool | None, codec: str | None, tag: str | None, limit: int, offset: int
) -> list[ItemRow]:
    """The event's videos as staff see them (hidden, held, locked, invalid ones too), newest first."""
    clauses = ["p.event_id = current_event_id()", "p.kind = 'video'"]
    params: list[Any] = []
    if valid is not None:
        clauses.append("p.is_valid IS NOT DISTINCT FROM %s")
        params.append(valid)
    if codec is not None:
        clauses.append("p.video_codec = %s")
        params.append(codec)
    if tag is not None:
        clauses.append("p.auto_tag = %s")
        params.append(tag)
    rows = tx.execute(
        "SELECT "
        + ITEM_COLUMNS
        + " FROM photos p WHERE "
        + " AND ".join(clauses)
        + " ORDER BY p.created_at DESC, p.id DESC LIMIT %s OFFSET %s",
        [*params, limit, offset],
    ).fetchall()
    return [ItemRow.of(r) for r in rows]


def gallery_page_counting(tx: Tx, filters: GalleryFilter, limit: int, offset: int) -> list[UUID]:
    """The `popular` page the obvious way, counting upvotes per item at read time (no counter):
    what benchmarks/engagement.py compares the denormalised page with."""
    where, params = filters.where()
    query = sql.SQL(
        "SELECT p.id FROM photos p LEFT JOIN (SELECT photo_id, count(*) AS n FROM media_upvotes"
        " WHERE event_id = current_event_id() GROUP BY photo_id) u ON u.photo_id = p.id WHERE {}"
        " ORDER BY coalesce(u.n, 0) DESC, p.created_at DESC, p.id DESC LIMIT %s OFFSET %s"
    ).format(where)
    return [r["id"] for r in tx.execute(query, [*params, limit, offset]).fetchall()]


def get_item(tx: Tx, photo_id: UUID, *, for_update: bool = False) -> ItemRow | None:
    """The item if this actor may see it; `for_update` locks its row (the lock route)."""
    row = tx.execute(
        "SELECT "
        + ITEM_COLUMNS
        + " FROM photos p WHERE p.event_id = current_event_id() AND p.id = %s"
        + (" FOR UPDATE" if for_update else ""),
        (photo_id,),
    ).fetchone()
    return None if row is None else ItemRow.of(row)


def set_lock(tx: Tx, photo_id: UUID, locked: bool, reason: str | None) -> None:
    tx.execute(
        "UPDATE photos SET locked = %s, locked_at = CASE WHEN %s THEN now() END, locked_reason = %s"
        " WHERE event_id = current_event_id() AND id = %s",
        (locked, locked, reason, photo_id),
    )


def counters(tx: Tx, photo_id: UUID) -> dict[str, Any]:
    row = tx.execute(
        "SELECT view_count, upvote_count, reaction_count, comment_count, finish_count, watch_time_s"
        " FROM photos WHERE event_id = current_event_id() AND id = %s",
        (photo_id,),
    ).fetchone()
    assert row is not None
    return dict(row)


# -- views, upvotes, watch time (per viewing session: the scope's subject) -------------------------


def insert_view(tx: Tx, photo_id: UUID) -> bool:
    """Record this session's view; False when it had one already (the key makes it once)."""
    row = tx.execute(
        "INSERT INTO media_views (event_id, photo_id, session_key) VALUES (current_event_id(), %s, current_subject())"
        " ON CONFLICT DO NOTHING RETURNING 1",
        (photo_id,),
    ).fetchone()
    return row is not None


def insert_upvote(tx: Tx, photo_id: UUID) -> bool:
    row = tx.execute(
        "INSERT INTO media_upvotes (event_id, photo_id, session_key)"
        " VALUES (current_event_id(), %s, current_subject()) ON CONFLICT DO NOTHING RETURNING 1",
        (photo_id,),
    ).fetchone()
    return row is not None


def delete_upvote(tx: Tx, photo_id: UUID) -> bool:
    row = tx.execute(
        "DELETE FROM media_upvotes WHERE event_id = current_event_id() AND photo_id = %s"
        " AND session_key = current_subject() RETURNING 1",
        (photo_id,),
    ).fetchone()
    return row is not None


def has_upvote(tx: Tx, photo_id: UUID) -> bool:
    row = tx.execute(
        "SELECT 1 FROM media_upvotes WHERE event_id = current_event_id() AND photo_id = %s"
        " AND session_key = current_subject()",
        (photo_id,),
    ).fetchone()
    return row is not None


def add_watch(tx: Tx, photo_id: UUID, seconds: float, finished: bool, cap_s: float) -> tuple[float, bool]:
    """Add `seconds` to this session's watch time, never past `cap_s`; a finish counts once.
    Returns the session's (watched_s, finished) after the change."""
    row = tx.execute(
        "INSERT INTO media_watch AS w (event_id, photo_id, session_key, watched_s, finished)"
        " VALUES (current_event_id(), %(id)s, current_subject(), least(%(s)s, %(cap)s), %(f)s)"
        " ON CONFLICT (photo_id, session_key) DO UPDATE SET"
        "   watched_s = least(w.watched_s + %(s)s, greatest(w.watched_s, %(cap)s)),"
        "   finished = w.finished OR %(f)s, updated_at = now()"
        " RETURNING watched_s, finished",
        {"id": photo_id, "s": seconds, "cap": cap_s, "f": finished},
    ).fetchone()
    assert row is not None
    return float(row["watched_s"]), bool(row["finished"])


# -- reactions -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReactionRow:
    id: int
    photo_id: UUID
    person_id: UUID
    reaction: str
    at_s: float
    created_at: datetime


def insert_reaction(tx: Tx, photo_id: UUID, person_id: UUID, reaction: str, at_s: float) -> ReactionRow:
    row = tx.execute(
        "INSERT INTO media_reactions (event_id, photo_id, person_id, reaction, at_s)"
        " VALUES (current_event_id(), %s, %s, %s, %s)"
        " RETURNING id, photo_id, person_id, reaction, at_s, created_at",
        (photo_id, person_id, reaction, at_s),
    ).fetchone()
    assert row is not None
    return ReactionRow(**row)


def count_recent_reactions(tx: Tx, person_id: UUID, within_s: int) -> int:
    row = tx.execute(
        "SELECT count(*) AS n FROM media_reactions WHERE event_id = current_event_id() AND person_id = %s"
        " AND created_at > now() - make_interval(secs => %s)",
        (person_id, within_s),
    ).fetchone()
    return int(row["n"]) if row else 0


def reactions_of_item(tx: Tx, photo_id: UUID, limit: int) -> list[ReactionRow]:
    rows = tx.execute(
        "SELECT id, photo_id, person_id, reaction, at_s, created_at FROM media_reactions"
        " WHERE event_id = current_event_id() AND photo_id = %s ORDER BY at_s, id LIMIT %s",
        (photo_id, limit),
    ).fetchall()
    return [ReactionRow(**r) for r in rows]


def reaction_bins(tx: Tx, photo_id: UUID, bin_s: float) -> list[tuple[int, str, int]]:
    """(bin, reaction, count) over the item's timeline: the player's heat-map."""
    rows = tx.execute(
        "SELECT floor(at_s / %s)::int AS bin, reaction, count(*) AS n FROM media_reactions"
        " WHERE event_id = current_event_id() AND photo_id = %s GROUP BY 1, 2 ORDER BY 1, 2",
        (bin_s, photo_id),
    ).fetchall()
    return [(int(r["bin"]), str(r["reaction"]), int(r["n"])) for r in rows]


def reactions_of_person(tx: Tx, person_id: UUID, limit: int) -> list[ReactionRow]:
    rows = tx.execute(
        "SELECT r.id, r.photo_id, r.person_id, r.reaction, r.at_s, r.created_at FROM media_reactions r"
        " JOIN photos p ON p.id = r.photo_id"
        " WHERE r.event_id = current_event_id() AND r.person_id = %s ORDER BY r.created_at DESC, r.id DESC LIMIT %s",
        (person_id, limit),
    ).fetchall()
    return [ReactionRow(**r) for r in rows]


# -- comments --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommentRow:
    id: UUID
    photo_id: UUID
    parent_id: UUID | None
    author_key: str
    author_name: str
    body: str
    status: str
    flag_count: int
    created_at: datetime


_COMMENT = (
    "c.id, c.photo_id, c.parent_id, c.author_key, c.author_name, c.body, c.status, c.flag_count, c.created_at"
)


def lock_author(tx: Tx, author_key: str) -> None:
    """Serialise one author's comments (the rate limit counts exactly, even for two at once)."""
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended('eventlens-comment:' || %s, 0))", (author_key,))


def count_recent_comments(tx: Tx, author_key: str, within_s: int) -> int:
    row = tx.execute(
        "SELECT count(*) AS n FROM media_comments WHERE event_id = current_event_id() AND author_key = %s"
        " AND created_at > now() - make_interval(secs => %s)",
        (author_key, within_s),
    ).fetchone()
    return int(row["n"]) if row else 0


def get_comment(tx: Tx, comment_id: UUID) -> CommentRow | None:
    row = tx.execute(
        "SELECT " + _COMMENT + " FROM media_comments c WHERE c.event_id = current_event_id() AND c.id = %s",
        (comment_id,),
    ).fetchone()
    return None if row is None else CommentRow(**row)


def insert_comment(
    tx: Tx,
    photo_id: UUID,
    parent_id: UUID | None,
    person_id: UUID | None,
    author_key: str,
    author_name: str,
    body: str,
) -> CommentRow:
    row = tx.execute(
        "INSERT INTO media_comments AS c (event_id, photo_id, parent_id, person_id, author_key, author_name, body)"
        " VALUES (current_event_id(), %s, %s, %s, %s, %s, %s) RETURNING " + _COMMENT,
        (photo_id, parent_id, person_id, author_key, author_name, body),
    ).fetchone()
    assert row is not None
    return CommentRow(**row)


def comments_of_item(tx: Tx, photo_id: UUID, limit: int) -> list[CommentRow]:
    """Visible comments (and this actor's own held ones), oldest first: row-level security decides."""
    rows = tx.execute(
        "SELECT "
        + _COMMENT
        + " FROM media_comments c WHERE c.event_id = current_event_id() AND c.photo_id = %s"
        " AND c.status <> 'removed' ORDER BY c.created_at, c.id LIMIT %s",
        (photo_id, limit),
    ).fetchall()
    return [CommentRow(**r) for r in rows]


def insert_flag(tx: Tx, comment_id: UUID) -> bool:
    row = tx.execute(
        "INSERT INTO media_comment_flags (event_id, comment_id, session_key)"
        " VALUES (current_event_id(), %s, current_subject()) ON CONFLICT DO NOTHING RETURNING 1",
        (comment_id,),
    ).fetchone()
    return row is not None


def held_comments(tx: Tx, limit: int) -> list[CommentRow]:
    rows = tx.execute(
        "SELECT "
        + _COMMENT
        + " FROM media_comments c WHERE c.event_id = current_event_id() AND c.status = 'held'"
        " ORDER BY c.created_at LIMIT %s",
        (limit,),
    ).fetchall()
    return [CommentRow(**r) for r in rows]


def set_comment_status(tx: Tx, comment_id: UUID, status: str) -> CommentRow | None:
    row = tx.execute(
        "UPDATE media_comments c SET status = %s WHERE c.event_id = current_event_id() AND c.id = %s"
        " RETURNING " + _COMMENT,
        (status, comment_id),
    ).fetchone()
    return None if row is None else CommentRow(**row)


# -- reconciliation --------------------------------------------------------------------------------

COUNTERS: tuple[str, ...] = (
    "view_count",
    "upvote_count",
    "reaction_count",
    "comment_count",
    "finish_count",
    "watch_time_s",
)

_RECOMPUTED = """
SELECT p.id,
  p.view_count, coalesce(v.n, 0) AS view_count_true,
  p.upvote_count, coalesce(u.n, 0) AS upvote_count_true,
  p.reaction_count, coalesce(r.n, 0) AS reaction_count_true,
  p.comment_count, coalesce(c.n, 0) AS comment_count_true,
  p.finish_count, coalesce(w.finished, 0) AS finish_count_true,
  p.watch_time_s, coalesce(w.watched, 0) AS watch_time_s_true
FROM photos p
LEFT JOIN (SELECT photo_id, count(*) AS n FROM media_views WHERE event_id = current_event_id() GROUP BY 1) v
  ON v.photo_id = p.id
LEFT JOIN (SELECT photo_id, count(*) AS n FROM media_upvotes WHERE event_id = current_event_id() GROUP BY 1) u
  ON u.photo_id = p.id
LEFT JOIN (SELECT photo_id, count(*) AS n FROM media_reactions WHERE event_id = current_event_id() GROUP BY 1) r
  ON r.photo_id = p.id
LEFT JOIN (SELECT photo_id, count(*) AS n FROM media_comments
           WHERE event_id = current_event_id() AND status = 'visible' GROUP BY 1) c
  ON c.photo_id = p.id
LEFT JOIN (SELECT photo_id, count(*) FILTER (WHERE finished) AS finished, sum(watched_s) AS watched
           FROM media_watch WHERE event_id = current_event_id() GROUP BY 1) w
  ON w.photo_id = p.id
WHERE p.event_id = current_event_id()
"""


def drifted(tx: Tx) -> list[tuple[UUID, str, float, float]]:
    """(item, counter, stored, recomputed) for every counter of the event that differs from its
    event table. Row locks on the items make a concurrent writer wait until the repair is in."""
    rows = tx.execute(_RECOMPUTED + " FOR UPDATE OF p").fetchall()
    out = []
    for r in rows:
        for name in COUNTERS:
            stored, true = float(r[name]), float(r[name + "_true"])
            if abs(stored - true) > (1e-6 if name == "watch_time_s" else 0):
                out.append((r["id"], name, stored, true))
    return out


def count_items(tx: Tx) -> int:
    row = tx.execute("SELECT count(*) AS n FROM photos WHERE event_id = current_event_id()").fetchone()
    return int(row["n"]) if row else 0


def repair(tx: Tx, photo_id: UUID, counter: str, value: float) -> None:
    assert counter in COUNTERS
    tx.execute(
        sql.SQL("UPDATE photos SET {} = %s WHERE event_id = current_event_id() AND id = %s").format(
            sql.Identifier(counter)
        ),
        (value, photo_id),
    )
