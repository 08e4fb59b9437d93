"""Engagement and the public media gallery: `router` acts as a visitor (a viewing session, or a
signed-in person for reactions), `admin_router` as an organizer (lock, comment moderation)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from eventlens.access import service as access
from eventlens.api.params import Slug, Text
from eventlens.api.requests import (
    CommentDecision,
    CommentRequest,
    CompilationRequest,
    LockRequest,
    ReactionRequest,
    SessionBody,
    ViewReport,
    WatchReport,
)
from eventlens.auth import service as auth
from eventlens.compilations import service as compilations
from eventlens.compilations.views import Compilation, CompilationList
from eventlens.engagement import service as engagement
from eventlens.engagement.views import (
    Aspect,
    Comment,
    CommentList,
    Flagged,
    GallerySort,
    MediaItem,
    MediaPage,
    Reaction,
    ReactionConfig,
    ReactionList,
    UpvoteState,
    ViewRecorded,
    WatchState,
    reaction_config,
)
from eventlens.events import service as events
from eventlens.findme.session import SESSION_HEADER, session_id
from eventlens.scope import Scope

router = Router()
admin_router = Router()

SECURITY: list[dict[str, list[str]]] = [{"organizer": []}]


def _request(on: Router) -> APIGatewayProxyEventV2:
    return on.current_event  # type: ignore[return-value]


def _visitor(slug: str) -> tuple[Scope, UUID | None]:
    """The gallery's scope (a private event needs a role that may view it) and the signed-in person, if any."""
    who = auth.optional_caller(_request(router))
    return access.gallery_scope(who, events.get_event(slug)), None if who is None else who.person_id


def _session(body_value: str | None = None) -> str | None:
    headers = _request(router).headers or {}
    header = next((v for k, v in headers.items() if k.lower() == SESSION_HEADER.lower()), None)
    return session_id(header, body_value)


@router.get("/api/reactions/config", summary="The reaction types: type, emoji, label (the one list)")
def reactions_config() -> ReactionConfig:
    return reaction_config(engagement.HEATMAP_BINS)


@router.get("/api/events/<slug>/media", summary="The public media gallery: sorted, filtered, paginated")
def media_gallery(
    slug: Slug,
    sort: Annotated[GallerySort, Query()] = "recent",
    aspect: Annotated[Aspect | None, Query()] = None,
    kind: Annotated[str | None, Query(pattern="^(photo|video)$")] = None,
    tag: Text = None,
    folder: Text = None,
    q: Text = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 24,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    count: Annotated[bool, Query()] = False,
) -> MediaPage:
    scope, _ = _visitor(slug)
    return engagement.gallery(
        scope, sort, limit, offset, kind=kind, aspect=aspect, tag=tag, folder=folder, q=q, count=count
    )


@router.get("/api/events/<slug>/media/<photo_id>", summary="One item with its counters (counts no view)")
def media_item(slug: Slug, photo_id: UUID) -> MediaItem:
    scope, _ = _visitor(slug)
    return engagement.get_item(scope, photo_id, _session())


@router.post(
    "/api/events/<slug>/media/<photo_id>/views",
    summary="Count this session's view (once; a video after its minimum watch time)",
)
def record_view(slug: Slug, photo_id: UUID, body: ViewReport) -> Response[ViewRecorded]:
    scope, _ = _visitor(slug)
    result = engagement.record_view(scope, photo_id, _session(body.session_id), body.watched_s)
    return Response(202, content_types.APPLICATION_JSON, result)


@router.post("/api/events/<slug>/media/<photo_id>/upvote", summary="Upvote as this session (idempotent)")
def upvote(slug: Slug, photo_id: UUID, body: SessionBody) -> UpvoteState:
    scope, _ = _visitor(slug)
    return engagement.upvote(scope, photo_id, _session(body.session_id))


@router.delete("/api/events/<slug>/media/<photo_id>/upvote", summary="Take this session's upvote back")
def remove_upvote(slug: Slug, photo_id: UUID) -> UpvoteState:
    scope, _ = _visitor(slug)
    return engagement.remove_upvote(scope, photo_id, _session())


@router.post(
    "/api/events/<slug>/media/<photo_id>/watch",
    summary="Report watch time and a finish (bounded per session)",
)
def watch(slug: Slug, photo_id: UUID, body: WatchReport) -> WatchState:
    scope, _ = _visitor(slug)
    return engagement.watch(scope, photo_id, _session(body.session_id), body.seconds, body.finished)


@router.get("/api/events/<slug>/media/<photo_id>/reactions", summary="An item's reactions and heat-map")
def item_reactions(slug: Slug, photo_id: UUID) -> ReactionList:
    scope, person = _visitor(slug)
    return engagement.item_reactions(scope, photo_id, person)


@router.post(
    "/api/events/<slug>/media/<photo_id>/reactions",
    summary="React at a moment of the video (signed in)",
)
def react(slug: Slug, photo_id: UUID, body: ReactionRequest) -> Response[Reaction]:
    scope, person = _visitor(slug)
    created = engagement.react(scope, photo_id, person, body.reaction, body.at_s)
    return Response(201, content_types.APPLICATION_JSON, created)


@router.get("/api/events/<slug>/my-reactions", summary="The signed-in person's reactions in the event")
def my_reactions(slug: Slug) -> ReactionList:
    scope, person = _visitor(slug)
    return engagement.person_reactions(scope, person)


@router.get(
    "/api/events/<slug>/media/<photo_id>/comments", summary="An item's comments (replies one level deep)"
)
def comments(slug: Slug, photo_id: UUID) -> CommentList:
    scope, person = _visitor(slug)
    return engagement.item_comments(scope, photo_id, person, _session())


@router.post(
    "/api/events/<slug>/media/<photo_id>/comments",
    summary="Comment, signed in or as this session (rate-limited)",
)
def add_comment(slug: Slug, photo_id: UUID, body: CommentRequest) -> Response[Comment]:
    scope, person = _visitor(slug)
    session = _session(body.session_id)
    created = engagement.add_comment(
        scope, photo_id, person, session, body.body, body.author_name, body.parent_id
    )
    return Response(201, content_types.APPLICATION_JSON, created)


@router.post("/api/events/<slug>/comments/<comment_id>/flag", summary="Flag a comment (once per session)")
def flag(slug: Slug, comment_id: UUID, body: SessionBody) -> Flagged:
    scope, _ = _visitor(slug)
    return engagement.flag_comment(scope, comment_id, _session(body.session_id))


def _acting(slug: str, action: str) -> Scope:
    request = _request(admin_router)
    who = auth.caller(request)
    origin = request.request_context.http.source_ip
    return access.authorize(who, events.get_event(slug), action).coming_from(origin)  # type: ignore[arg-type]


@admin_router.get(
    "/api/events/<slug>/admin/videos",
    summary="The video library: probe, validity, transcode state, counters (hidden and locked too)",
    security=SECURITY,
)
def video_library(
    slug: Slug,
    valid: Annotated[bool | None, Query()] = None,
    codec: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,32}$")] = None,
    tag: Text = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> MediaPage:
    return engagement.video_library(_acting(slug, "event.inspect"), valid, codec, tag, limit, offset)


@admin_router.post(
    "/api/events/<slug>/admin/media/<photo_id>/lock",
    summary="Lock an item: out of the public media gallery, history kept",
    security=SECURITY,
)
def lock(slug: Slug, photo_id: UUID, body: LockRequest) -> MediaItem:
    return engagement.set_lock(_acting(slug, "media.lock"), photo_id, True, body.reason)


@admin_router.delete(
    "/api/events/<slug>/admin/media/<photo_id>/lock", summary="Unlock an item", security=SECURITY
)
def unlock(slug: Slug, photo_id: UUID) -> MediaItem:
    return engagement.set_lock(_acting(slug, "media.lock"), photo_id, False, None)


@admin_router.get(
    "/api/events/<slug>/admin/comments", summary="Comments held for review (flagged)", security=SECURITY
)
def held_comments(slug: Slug) -> CommentList:
    return engagement.held_comments(_acting(slug, "comment.moderate"))


@admin_router.patch(
    "/api/events/<slug>/admin/comments/<comment_id>",
    summary="Show or remove a comment",
    security=SECURITY,
)
def moderate_comment(slug: Slug, comment_id: UUID, body: CommentDecision) -> Comment:
    return engagement.moderate_comment(_acting(slug, "comment.moderate"), comment_id, body.status)


@admin_router.post(
    "/api/events/<slug>/admin/compilations",
    summary="Make a highlight reel: clips in order, trimmed, after a title card (built in the background)",
    security=SECURITY,
)
def create_compilation(slug: Slug, body: CompilationRequest) -> Response[Compilation]:
    size = None if body.width is None or body.height is None else (body.width, body.height)
    created = compilations.create_compilation(
        _acting(slug, "compilation.create"),
        body.title,
        body.clips,
        title_card_s=body.title_card_s,
        fps=body.fps,
        size=size,
    )
    return Response(202, content_types.APPLICATION_JSON, created)


@admin_router.get(
    "/api/events/<slug>/admin/compilations",
    summary="The event's compilations, newest first",
    security=SECURITY,
)
def list_compilations(slug: Slug) -> CompilationList:
    return compilations.list_compilations(_acting(slug, "compilation.create"))


@admin_router.get(
    "/api/events/<slug>/admin/compilations/<compilation_id>",
    summary="One compilation: its recipe, its state, and its reel once ready",
    security=SECURITY,
)
def get_compilation(slug: Slug, compilation_id: UUID) -> Compilation:
    return compilations.get_compilation(_acting(slug, "compilation.create"), compilation_id)
