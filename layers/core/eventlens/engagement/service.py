"""Engagement rules, the same locally and on AWS (they live in the database and here, not in a
process): what counts as a view, an upvote, a reaction, a comment, watch time; the public media
gallery; locking; reconciling the counters.

A viewing session is the tab's random id (`X-EventLens-Session`, as find me), stored only as its
key; actions that need an account (reactions) act under the person's id. Either becomes the
visitor scope's subject, which row-level security compares on every write (migration 0020).
"""

from __future__ import annotations

import math
from dataclasses import replace
from uuid import UUID

from eventlens.audit import service as audit
from eventlens.db import Tx
from eventlens.engagement import repo
from eventlens.engagement.repo import GalleryFilter, ItemRow
from eventlens.engagement.views import (
    REACTION_TYPES,
    Comment,
    CommentList,
    Drift,
    Flagged,
    GallerySort,
    HeatBin,
    MediaItem,
    MediaPage,
    Pagination,
    Reaction,
    ReactionList,
    Reconciliation,
    UpvoteState,
    ViewRecorded,
    WatchState,
    comment,
    media_item,
    reaction,
)
from eventlens.errors import (
    CommentNotFound,
    InvalidReply,
    ItemLocked,
    NotAVideo,
    NotSignedIn,
    PhotoNotFound,
    ReactionOutOfRange,
    SessionRequired,
    TooManyComments,
    TooManyRequests,
    UnknownReaction,
)
from eventlens.findme.session import session_key
from eventlens.scope import Scope

VIEW_MIN_WATCH_S = 10.0
"""A video's view counts once its session watched this long (or the whole video, if shorter), as
PeerTube does; a photo's counts when it is opened. Once per session either way."""
WATCH_CAP_FACTOR = 2.0
"""A session's watch time of one video is capped at twice its duration: a looping tab adds nothing more."""
WATCH_REPORT_MAX_S = 60.0
"""One watch report adds at most this much (the player reports every 15 s)."""
COMMENT_MAX_CHARS = 1000
COMMENTS_PER_MINUTE = 5
"""Per author (person or session) and event."""
REACTIONS_PER_MINUTE = 60
HOLD_AFTER_FLAGS = 3
"""Flags (one per session) that hold a comment for review; migration 0020's trigger uses the same number."""
HEATMAP_BINS = 20


def session_scope(scope: Scope, session: str | None) -> Scope:
    """The visitor acting as one viewing session (SessionRequired without one)."""
    if session is None:
        raise SessionRequired("Send the tab's viewing session id (X-EventLens-Session or session_id)")
    return replace(scope, subject=session_key(scope.tenant(), session))


def person_scope(scope: Scope, person_id: UUID | None) -> Scope:
    """The visitor acting as a signed-in person (NotSignedIn without one)."""
    if person_id is None:
        raise NotSignedIn("Sign in to react")
    return replace(scope, subject=str(person_id))


def _item(tx: Tx, photo_id: UUID, *, open_only: bool) -> ItemRow:
    row = repo.get_item(tx, photo_id)
    if row is None:
        raise PhotoNotFound(f"no photo or video {photo_id}")
    if open_only and row.locked:
        raise ItemLocked(f"This item is locked{': ' + row.locked_reason if row.locked_reason else ''}")
    return row


# -- the public media gallery ----------------------------------------------------------------------


def gallery(
    scope: Scope,
    sort: GallerySort = "recent",
    limit: int = 24,
    offset: int = 0,
    *,
    kind: str | None = None,
    aspect: str | None = None,
    tag: str | None = None,
    folder: str | None = None,
    q: str | None = None,
    count: bool = False,
) -> MediaPage:
    """A page of public, unlocked items in `sort` order; one more row than asked says `has_more`
    (no count(*): the page costs the same at 100 items or 100,000). `count` adds the total, which
    the gallery asks for once, with its first page (its scrubber and "N photos" need it)."""
    filters = GalleryFilter(kind=kind, aspect=aspect, tag=tag, folder=folder, q=q or None)
    with scope.transaction() as tx:
        rows = repo.gallery_page(tx, filters, sort, limit + 1, offset)
        total = repo.count_gallery(tx, filters) if count else None
    return MediaPage(
        items=[media_item(r) for r in rows[:limit]],
        pagination=Pagination(limit=limit, offset=offset, has_more=len(rows) > limit),
        sort=sort,
        total=total,
    )


def video_library(
    scope: Scope, valid: bool | None, codec: str | None, tag: str | None, limit: int, offset: int
) -> MediaPage:
    """The dashboard's video library: every video of the event with its probe, validity and counters."""
    with scope.transaction() as tx:
        rows = repo.library_page(tx, valid, codec, tag, limit + 1, offset)
    return MediaPage(
        items=[media_item(r) for r in rows[:limit]],
        pagination=Pagination(limit=limit, offset=offset, has_more=len(rows) > limit),
        sort="recent",
    )


def get_item(scope: Scope, photo_id: UUID, session: str | None = None) -> MediaItem:
    """One item (a locked one too: it says so); with a session, whether that session upvoted it."""
    acting = scope if session is None else session_scope(scope, session)
    with acting.transaction() as tx:
        row = _item(tx, photo_id, open_only=False)
        upvoted = None if session is None else repo.has_upvote(tx, photo_id)
    return media_item(row, upvoted)


# -- views, upvotes, watch time --------------------------------------------------------------------


def min_watch_s(row: ItemRow) -> float:
    if row.kind != "video":
        return 0.0
    return min(VIEW_MIN_WATCH_S, row.duration_s or 0.0)


def record_view(scope: Scope, photo_id: UUID, session: str | None, watched_s: float) -> ViewRecorded:
    """Count this session's view of the item, once, if it watched long enough. The player sends it
    on its own (a beacon): reading the item never waits for this write."""
    acting = session_scope(scope, session)
    with acting.transaction() as tx:
        row = _item(tx, photo_id, open_only=True)
        needed = min_watch_s(row)
        counted = watched_s + 0.25 >= needed and repo.insert_view(tx, photo_id)
        count = repo.counters(tx, photo_id)["view_count"]
    return ViewRecorded(counted=counted, view_count=count, min_watch_s=needed)


def upvote(scope: Scope, photo_id: UUID, session: str | None) -> UpvoteState:
    """Idempotent: a second upvote of the same session changes nothing and returns the state."""
    acting = session_scope(scope, session)
    with acting.transaction() as tx:
        _item(tx, photo_id, open_only=True)
        repo.insert_upvote(tx, photo_id)
        count = repo.counters(tx, photo_id)["upvote_count"]
    return UpvoteState(upvoted=True, upvote_count=count)


def remove_upvote(scope: Scope, photo_id: UUID, session: str | None) -> UpvoteState:
    acting = session_scope(scope, session)
    with acting.transaction() as tx:
        _item(tx, photo_id, open_only=True)
        repo.delete_upvote(tx, photo_id)
        count = repo.counters(tx, photo_id)["upvote_count"]
    return UpvoteState(upvoted=False, upvote_count=count)


def watch(scope: Scope, photo_id: UUID, session: str | None, seconds: float, finished: bool) -> WatchState:
    """Add watch time (capped per session at WATCH_CAP_FACTOR × duration) and a finish (once per session)."""
    acting = session_scope(scope, session)
    with acting.transaction() as tx:
        row = _item(tx, photo_id, open_only=True)
        if row.kind != "video" or not row.duration_s:
            raise NotAVideo("Only a video has watch time")
        cap = WATCH_CAP_FACTOR * row.duration_s
        watched, done = repo.add_watch(tx, photo_id, min(seconds, WATCH_REPORT_MAX_S), finished, cap)
        totals = repo.counters(tx, photo_id)
    return WatchState(
        watched_s=watched,
        finished=done,
        cap_s=cap,
        watch_time_s=totals["watch_time_s"],
        finish_count=totals["finish_count"],
    )


# -- reactions -------------------------------------------------------------------------------------


def react(scope: Scope, photo_id: UUID, person_id: UUID | None, kind: str, at_s: float) -> Reaction:
    """A signed-in person's reaction at a moment of the video (0 for a photo)."""
    if kind not in REACTION_TYPES:
        raise UnknownReaction(f"Unknown reaction {kind[:40]!r}: one of {', '.join(REACTION_TYPES)}")
    acting = person_scope(scope, person_id)
    with acting.transaction() as tx:
        row = _item(tx, photo_id, open_only=True)
        end = row.duration_s if row.kind == "video" and row.duration_s else 0.0
        if not (0 <= at_s <= end) or not math.isfinite(at_s):
            raise ReactionOutOfRange(f"The moment {at_s:g} s is not within the item (0 to {end:g} s)")
        assert person_id is not None
        if repo.count_recent_reactions(tx, person_id, 60) >= REACTIONS_PER_MINUTE:
            raise TooManyRequests("Too many reactions in a minute: wait a little", retry_after_s=30)
        created = repo.insert_reaction(tx, photo_id, person_id, kind, at_s)
    return reaction(created, str(person_id))


def item_reactions(scope: Scope, photo_id: UUID, person_id: UUID | None, limit: int = 500) -> ReactionList:
    """The item's reactions in timeline order and its heat-map: HEATMAP_BINS equal slices of the video."""
    with scope.transaction() as tx:
        row = _item(tx, photo_id, open_only=False)
        rows = repo.reactions_of_item(tx, photo_id, limit)
        duration = row.duration_s if row.kind == "video" and row.duration_s else 0.0
        width = duration / HEATMAP_BINS if duration > 0 else 1.0
        bins = repo.reaction_bins(tx, photo_id, width)
    heat: dict[int, dict[str, int]] = {}
    for index, kind, n in bins:
        heat.setdefault(min(index, HEATMAP_BINS - 1), {}).setdefault(kind, 0)
        heat[min(index, HEATMAP_BINS - 1)][kind] += n
    count = HEATMAP_BINS if duration > 0 else 1
    me = None if person_id is None else str(person_id)
    return ReactionList(
        reactions=[reaction(r, me) for r in rows],
        heatmap=[
            HeatBin(
                start_s=i * width if duration > 0 else 0.0,
                end_s=(i + 1) * width if duration > 0 else 0.0,
                total=sum(heat.get(i, {}).values()),
                counts=heat.get(i, {}),
            )
            for i in range(count)
        ],
    )


def person_reactions(scope: Scope, person_id: UUID | None, limit: int = 200) -> ReactionList:
    acting = person_scope(scope, person_id)
    with acting.transaction() as tx:
        rows = repo.reactions_of_person(tx, person_id, limit)  # type: ignore[arg-type]
    return ReactionList(reactions=[reaction(r, str(person_id)) for r in rows], heatmap=[])


# -- comments --------------------------------------------------------------------------------------


def author_scope(scope: Scope, person_id: UUID | None, session: str | None) -> Scope:
    """A comment's author: the signed-in person, else the viewing session."""
    return person_scope(scope, person_id) if person_id is not None else session_scope(scope, session)


def add_comment(
    scope: Scope,
    photo_id: UUID,
    person_id: UUID | None,
    session: str | None,
    body: str,
    author_name: str,
    parent_id: UUID | None,
) -> Comment:
    """A comment or a reply to a top-level comment (one level), at most COMMENTS_PER_MINUTE a minute."""
    acting = author_scope(scope, person_id, session)
    key = acting.subject
    assert key is not None
    with acting.transaction() as tx:
        _item(tx, photo_id, open_only=True)
        if parent_id is not None:
            parent = repo.get_comment(tx, parent_id)
            if parent is None or parent.photo_id != photo_id:
                raise InvalidReply("Reply to a comment of this item")
            if parent.parent_id is not None:
                raise InvalidReply("Replies go one level deep: reply to the comment itself")
        repo.lock_author(tx, key)
        if repo.count_recent_comments(tx, key, 60) >= COMMENTS_PER_MINUTE:
            raise TooManyComments(
                f"At most {COMMENTS_PER_MINUTE} comments a minute: wait a little", retry_after_s=60
            )
        row = repo.insert_comment(tx, photo_id, parent_id, person_id, key, author_name.strip(), body.strip())
    return comment(row, key)


def item_comments(scope: Scope, photo_id: UUID, person_id: UUID | None, session: str | None) -> CommentList:
    acting = scope
    if person_id is not None or session is not None:
        acting = author_scope(scope, person_id, session)
    with acting.transaction() as tx:
        _item(tx, photo_id, open_only=False)
        rows = repo.comments_of_item(tx, photo_id, 500)
    return CommentList(comments=[comment(r, acting.subject) for r in rows])


def flag_comment(scope: Scope, comment_id: UUID, session: str | None) -> Flagged:
    """One flag per session; the HOLD_AFTER_FLAGS-th holds the comment for review (the trigger)."""
    acting = session_scope(scope, session)
    with acting.transaction() as tx:
        if repo.get_comment(tx, comment_id) is None:
            raise CommentNotFound(f"no comment {comment_id}")
        flagged = repo.insert_flag(tx, comment_id)
    return Flagged(flagged=flagged)


def held_comments(scope: Scope) -> CommentList:
    with scope.transaction() as tx:
        rows = repo.held_comments(tx, 500)
    return CommentList(comments=[comment(r, None) for r in rows])


def moderate_comment(scope: Scope, comment_id: UUID, status: str) -> Comment:
    """Show (visible) or remove a comment; an organizer's decision, audited."""
    with scope.transaction() as tx:
        row = repo.set_comment_status(tx, comment_id, status)
        if row is None:
            raise CommentNotFound(f"no comment {comment_id}")
        audit.record(tx, "comment_show" if status == "visible" else "comment_remove", str(comment_id))
    return comment(row, None)


# -- lock ------------------------------------------------------------------------------------------


def set_lock(scope: Scope, photo_id: UUID, locked: bool, reason: str | None) -> MediaItem:
    """Lock (out of the public gallery, no new engagement, history kept) or unlock an item."""
    with scope.transaction() as tx:
        if repo.get_item(tx, photo_id, for_update=True) is None:
            raise PhotoNotFound(f"no photo or video {photo_id}")
        repo.set_lock(tx, photo_id, locked, reason if locked else None)
        audit.record(tx, "media_lock" if locked else "media_unlock", str(photo_id), reason=reason)
        row = repo.get_item(tx, photo_id)
    assert row is not None
    return media_item(row)


# -- reconciliation --------------------------------------------------------------------------------


def reconcile(scope: Scope, repair: bool) -> Reconciliation:
    """Recompute every counter of the event from its event table; report the drift, and with
    `repair` set the counters to the recomputed values (in the same transaction, items locked)."""
    with scope.transaction() as tx:
        found = repo.drifted(tx)
        checked = repo.count_items(tx)
        if repair:
            for photo_id, counter, _, value in found:
                repo.repair(tx, photo_id, counter, value)
    return Reconciliation(
        event=scope.tenant().slug,
        items_checked=checked,
        drift=[Drift(photo_id=p, counter=c, stored=s, recomputed=r) for p, c, s, r in found],
        repaired=repair,
    )
