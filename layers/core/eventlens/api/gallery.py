"""Public gallery routes (plus the organizer login): every request acts as a visitor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from eventlens import db
from eventlens.access import service as access
from eventlens.access.views import GalleryPass
from eventlens.api.headers import MEDIA_HEADERS
from eventlens.api.params import Cursor, Kind, Limit, Offset, Slug, Text
from eventlens.api.requests import DownloadRequest, LoginRequest
from eventlens.auth import service as auth
from eventlens.auth.views import LoginResponse
from eventlens.db.photos import PhotoFilter, Sort
from eventlens.errors import MediaNotFound
from eventlens.events import service as events
from eventlens.events.views import EventView
from eventlens.findme.views import FindMeActivity, PrivacyNotice
from eventlens.media import archives
from eventlens.media import service as media
from eventlens.media.views import Archive, Photo, PhotoList, PhotoPage
from eventlens.scope import Scope
from eventlens.search.views import SearchResponse
from eventlens.storage import blob_store
from eventlens.types import Model

router = Router()

REDIRECT_TARGET_S = 900
"""How long the presigned URL a media capability redirects to works."""


class Health(Model):
    status: Literal["ok"]
    database: Literal["ok"]


def _visitor(slug: str) -> Scope:
    """Anyone, for a public event; for a private one, a signed-in role that may view its gallery."""
    who = auth.optional_caller(router.current_event)  # type: ignore[arg-type]
    return access.gallery_scope(who, events.get_event(slug))


@router.get("/api/health", summary="Liveness and database reachability")
def health() -> Health:
    db.ping()
    return Health(status="ok", database="ok")


@router.get("/api/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    from eventlens.api.app import openapi_json

    return Response(200, content_types.APPLICATION_JSON, openapi_json())


@router.get("/api/events/<slug>", summary="Event name, theme, folders and tags")
def get_event(slug: Slug) -> EventView:
    return events.event_view(_visitor(slug))


@router.post("/api/events/<slug>/pass", summary="A signed-in member's short-lived pass to the gallery")
def gallery_pass(slug: Slug) -> GalleryPass:
    who = auth.caller(router.current_event)  # type: ignore[arg-type]
    return access.gallery_pass(who, events.get_event(slug))


@router.get(
    "/api/events/<slug>/photos",
    summary="A page of visible photos: after `cursor`, or from position `offset` (a jump far into the list)",
)
def list_photos(
    slug: Slug,
    limit: Limit = 100,
    cursor: Cursor = None,
    offset: Offset = 0,
    folder: Text = None,
    tag: Text = None,
    kind: Kind = None,
    sort: Annotated[Sort, Query()] = "taken_at",
) -> PhotoPage:
    filters = PhotoFilter(folder=folder, tag=tag, kind=kind)
    return media.list_photos(_visitor(slug), filters, sort, limit, cursor, offset)


@router.get("/api/events/<slug>/photos/<photo_id>", summary="One photo")
def get_photo(slug: Slug, photo_id: UUID) -> Photo:
    return media.get_photo(_visitor(slug), photo_id)


@router.get("/api/events/<slug>/search", summary="Hybrid search: full text, typos, meaning")
def search(
    slug: Slug,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor = None,
    folder: Text = None,
    tag: Text = None,
    kind: Kind = None,
) -> SearchResponse:
    from eventlens.search.service import search_photos

    filters = PhotoFilter(folder=folder, tag=tag, kind=kind)
    return search_photos(_visitor(slug), q, filters, limit=limit, cursor=cursor)


@router.get("/api/events/<slug>/photos/<photo_id>/similar", summary="More like this photo")
def similar(slug: Slug, photo_id: UUID, limit: Annotated[int, Query(ge=1, le=100)] = 24) -> PhotoList:
    from eventlens.search.service import similar_photos

    return PhotoList(photos=similar_photos(_visitor(slug), photo_id, limit=limit))


@router.post(
    "/api/events/<slug>/download",
    summary="Start a ZIP of the selected originals: 202 with its id; follow it at .../archives/<id>",
    responses={413: {"description": "The selected originals add up to more than one download holds"}},
)
def download(slug: Slug, body: DownloadRequest) -> Response[Archive]:
    return Response(202, content_types.APPLICATION_JSON, archives.create_archive(_visitor(slug), body.ids))


@router.get(
    "/api/events/<slug>/archives/<archive_id>",
    summary="A ZIP download's progress, and its URL once ready (only with the id POST .../download gave)",
)
def archive(slug: Slug, archive_id: UUID) -> Archive:
    return archives.get_archive(archives.holder_scope(events.get_event(slug), archive_id), archive_id)


@router.get("/media/<token>", summary="A photo, video or ZIP by its capability URL", include_in_schema=False)
def media_file(token: str):
    """On AWS, CloudFront sends /media/* here: the grant is checked (signature, expiry, and whether
    its holder may still see the photo), then the browser is sent to a short-lived presigned URL on
    the bucket's own origin. `eventlens serve` answers /media itself, from the same grant."""
    grant = media.open_media(token)  # a rendition of a photo, or a ZIP archive
    target = blob_store().url_for_get(grant.key, grant.content_type, grant.download_name, REDIRECT_TARGET_S)
    if target is None:
        raise MediaNotFound("this installation serves media itself, at /media")
    # Cached by the browser for less than the target lives, and never by a shared cache: the
    # target carries this function's temporary credentials.
    cache = f"private, max-age={min(grant.max_age_s, REDIRECT_TARGET_S - 300)}"
    return Response(302, None, "", headers={"Location": target, "Cache-Control": cache, **MEDIA_HEADERS})


@router.post("/api/events/<slug>/login", summary="Organizer login: an expiring token for the admin routes")
def login(slug: Slug, body: LoginRequest) -> LoginResponse:
    client = router.current_event.request_context.http.source_ip  # type: ignore[attr-defined]
    token, expires = auth.login(slug, body.password, username=body.username, client=client or "unknown")
    return LoginResponse(token=token, expires_at=datetime.fromtimestamp(expires, UTC))


@router.get(
    "/api/events/<slug>/privacy",
    summary="What the event does with face data, why, for how long, and how to opt out",
)
def privacy(slug: Slug) -> PrivacyNotice:
    from eventlens.findme.control import privacy_notice

    return privacy_notice(_visitor(slug))


@router.get(
    "/api/events/<slug>/activity",
    summary="Find-me activity for the gallery's ticker and hot photos: counts only, nothing per search",
)
def activity(slug: Slug) -> FindMeActivity:
    from eventlens.findme.service import public_activity

    return public_activity(_visitor(slug))
