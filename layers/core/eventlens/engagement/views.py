"""The JSON of engagement and of the public media gallery: one name per concept, from the SQL
column (`upvote_count`) to the JSON key to the player's label."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from eventlens.config import settings
from eventlens.engagement.repo import CommentRow, ItemRow, ReactionRow
from eventlens.media.views import play_rendition
from eventlens.storage.capability import Audience, Capability, Rendition, expiry, sign
from eventlens.types import Model

GallerySort = Literal["recent", "popular", "most_viewed", "trending", "top_rated"]
Aspect = Literal["landscape", "portrait", "square"]
CommentStatus = Literal["visible", "held", "removed"]

# The one list of reaction types: the service validates against it, the config route serves it,
# the player builds its bar from that route (nothing else spells the types out).
REACTIONS: tuple[tuple[str, str, str], ...] = (
    # type, emoji, label
    ("like", "\N{THUMBS UP SIGN}", "Like"),
    ("love", "\N{HEAVY BLACK HEART}\N{VARIATION SELECTOR-16}", "Love"),
    ("laugh", "\N{FACE WITH TEARS OF JOY}", "Laugh"),
    ("wow", "\N{FACE WITH OPEN MOUTH}", "Wow"),
    ("sad", "\N{CRYING FACE}", "Sad"),
    ("angry", "\N{ANGRY FACE}", "Angry"),
)

REACTION_TYPES: tuple[str, ...] = tuple(kind for kind, _, _ in REACTIONS)
EMOJI: dict[str, str] = {kind: emoji for kind, emoji, _ in REACTIONS}


def format_time(seconds: float) -> str:
    """0:27, 1:30, 1:01:01: how a reaction's moment is shown."""
    total = int(seconds)
    h, m, s = total // 3600, (total % 3600) // 60, total % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Counters(Model):
    view_count: int
    upvote_count: int
    reaction_count: int
    comment_count: int
    finish_count: int
    watch_time_s: float


class MediaItem(Counters):
    id: UUID
    kind: Literal["photo", "video"]
    filename: str
    original_filename: str = Field(description="The name it was imported under, kept through renames")
    folder: str
    auto_tag: str | None
    width: int | None
    height: int | None
    aspect: Aspect | None
    duration_s: float | None
    has_audio: bool | None
    frame_rate: float | None
    video_codec: str | None
    audio_codec: str | None
    quality: str | None = Field(
        description="2160p, 1440p, 1080p, 720p, 480p, 360p or 240p (by the shorter side)"
    )
    size_bytes: int
    is_valid: bool | None
    validated_at: datetime | None
    invalid_reason: str | None
    transcode_status: str
    locked: bool
    locked_at: datetime | None
    locked_reason: str | None
    created_at: datetime
    thumbnail_url: str | None
    poster_url: str | None
    original_url: str = Field(description="The file as it was imported (the gallery's Download)")
    play_url: str | None = Field(
        description="What a browser plays: the transcoded MP4, or the original if it plays"
    )
    upvoted: bool | None = Field(
        default=None, description="Whether this viewing session upvoted it (with a session)"
    )


class Pagination(Model):
    limit: int
    offset: int
    has_more: bool


class MediaPage(Model):
    items: list[MediaItem]
    pagination: Pagination
    sort: GallerySort
    total: int | None = Field(
        default=None,
        description="How many items match, when asked for (`count=true`: the gallery's first page)",
    )


class ViewRecorded(Model):
    counted: bool = Field(
        description="False: this session's view was counted before, or it watched too little"
    )
    view_count: int
    min_watch_s: float = Field(description="How long a video must be watched before its view counts")


class UpvoteState(Model):
    upvoted: bool
    upvote_count: int


class WatchState(Model):
    watched_s: float = Field(description="This session's watch time of the item, capped")
    finished: bool
    cap_s: float
    watch_time_s: float
    finish_count: int


class ReactionType(Model):
    type: str
    emoji: str
    label: str


class ReactionConfig(Model):
    reactions: list[ReactionType]
    heatmap_bins: int


class Reaction(Model):
    id: int
    photo_id: UUID
    reaction: str
    emoji: str
    at_s: float
    formatted_time: str
    mine: bool
    created_at: datetime


class HeatBin(Model):
    start_s: float
    end_s: float
    total: int
    counts: dict[str, int]


class ReactionList(Model):
    reactions: list[Reaction]
    heatmap: list[HeatBin]


class Comment(Model):
    id: UUID
    photo_id: UUID
    parent_id: UUID | None
    author_name: str = Field(description="HTML-escaped")
    body: str = Field(description="HTML-escaped: safe to insert as markup")
    status: CommentStatus
    flag_count: int
    mine: bool
    created_at: datetime


class CommentList(Model):
    comments: list[Comment]


class Flagged(Model):
    flagged: bool = Field(description="False: this session had flagged it already")


class Drift(Model):
    photo_id: UUID
    counter: str
    stored: float
    recomputed: float


class Reconciliation(Model):
    event: str
    items_checked: int
    drift: list[Drift]
    repaired: bool


def reaction_config(bins: int) -> ReactionConfig:
    return ReactionConfig(
        reactions=[ReactionType(type=kind, emoji=emoji, label=label) for kind, emoji, label in REACTIONS],
        heatmap_bins=bins,
    )


def _url(row: ItemRow, rendition: Rendition) -> str:
    audience: Audience = "public" if row.is_public else "staff"
    capability = Capability(row.event_id, row.id, rendition, audience, expiry(audience))
    return f"{settings().media_base_url}/{sign(settings().media_key, capability)}"


def media_item(row: ItemRow, upvoted: bool | None = None) -> MediaItem:
    thumbs = row.thumbnails or {}
    play = play_rendition(row.kind, row.playable_key, row.transcode_status)
    return MediaItem(
        id=row.id,
        kind=row.kind,
        filename=row.filename,
        original_filename=row.original_filename,
        folder=row.folder,
        auto_tag=row.auto_tag,
        width=row.width,
        height=row.height,
        aspect=row.aspect,
        duration_s=row.duration_s,
        has_audio=row.has_audio,
        frame_rate=row.frame_rate,
        video_codec=row.video_codec,
        audio_codec=row.audio_codec,
        quality=row.quality,
        size_bytes=row.size_bytes,
        is_valid=row.is_valid,
        validated_at=row.validated_at,
        invalid_reason=row.invalid_reason,
        transcode_status=row.transcode_status,
        locked=row.locked,
        locked_at=row.locked_at,
        locked_reason=row.locked_reason,
        created_at=row.created_at,
        thumbnail_url=_url(row, "320") if "320" in thumbs else None,
        poster_url=_url(row, "1920") if "1920" in thumbs else (_url(row, "320") if "320" in thumbs else None),
        original_url=_url(row, "original"),
        play_url=None if play is None else _url(row, play),
        upvoted=upvoted,
        view_count=row.view_count,
        upvote_count=row.upvote_count,
        reaction_count=row.reaction_count,
        comment_count=row.comment_count,
        finish_count=row.finish_count,
        watch_time_s=row.watch_time_s,
    )


def reaction(row: ReactionRow, me: str | None) -> Reaction:
    return Reaction(
        id=row.id,
        photo_id=row.photo_id,
        reaction=row.reaction,
        emoji=EMOJI.get(row.reaction, ""),
        at_s=row.at_s,
        formatted_time=format_time(row.at_s),
        mine=me is not None and str(row.person_id) == me,
        created_at=row.created_at,
    )


def comment(row: CommentRow, me: str | None) -> Comment:
    return Comment(
        id=row.id,
        photo_id=row.photo_id,
        parent_id=row.parent_id,
        author_name=html.escape(row.author_name),
        body=html.escape(row.body),
        status=row.status,
        flag_count=row.flag_count,
        mine=me is not None and row.author_key == me,
        created_at=row.created_at,
    )
