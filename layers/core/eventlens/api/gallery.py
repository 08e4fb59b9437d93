"""Public, read-only gallery routes (plus the organizer login)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from eventlens import events, gallery
from eventlens.api.models import DownloadRequest, Health, LoginRequest, LoginResponse, PhotoList
from eventlens.db import scoped
from eventlens.db.photos_repo import PhotoFilter, Sort
from eventlens.gallery import EventView, PhotoPage
from eventlens.photos import Photo
from eventlens.search.models import SearchResponse

router = Router()

Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Kind = Annotated[str | None, Query(pattern="^(photo|video)$")]
Limit = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/api/health", summary="Liveness and database reachability")
def health() -> Health:
    with scoped(None) as conn:
        conn.execute("SELECT 1")
    return Health(status="ok", database="ok")


@router.get("/api/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    from eventlens.api.app import openapi_json

    return Response(200, content_types.APPLICATION_JSON, openapi_json())


@router.get("/api/events/<slug>", summary="Event name, theme, folders and tags")
def get_event(slug: Slug) -> EventView:
    return gallery.event_view(events.get_event(slug))


@router.get("/api/events/<slug>/photos", summary="A page of visible photos")
def list_photos(
    slug: Slug,
    limit: Limit = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    folder: Text = None,
    tag: Text = None,
    kind: Kind = None,
    sort: Annotated[Sort, Query()] = "taken_at",
) -> PhotoPage:
    filters = PhotoFilter(folder=folder, tag=tag, kind=kind)
    return gallery.list_photos(events.get_event(slug), filters, sort, limit, cursor)


@router.get("/api/events/<slug>/photos/<photo_id>", summary="One photo")
def get_photo(slug: Slug, photo_id: UUID) -> Photo:
    return gallery.get_photo(events.get_event(slug), photo_id)


@router.get("/api/events/<slug>/search", summary="Hybrid search: full text, typos, meaning")
def search(
    slug: Slug,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    folder: Text = None,
    tag: Text = None,
    kind: Kind = None,
) -> SearchResponse:
    from eventlens.search.hybrid import search_photos

    filters = PhotoFilter(folder=folder, tag=tag, kind=kind)
    return search_photos(events.get_event(slug), q, filters, limit=limit, cursor=cursor)


@router.get("/api/events/<slug>/photos/<photo_id>/similar", summary="More like this photo")
def similar(slug: Slug, photo_id: UUID, limit: Annotated[int, Query(ge=1, le=100)] = 24) -> PhotoList:
    from eventlens.search.similar import similar_photos

    return PhotoList(photos=similar_photos(events.get_event(slug), photo_id, limit=limit))


@router.post(
    "/api/events/<slug>/download",
    summary="Selected originals as a ZIP",
    responses={200: {"description": "A ZIP of the originals", "content": {"application/zip": {}}}},
)
def download(slug: Slug, body: DownloadRequest):
    # No return annotation: response validation would serialize the ZIP's bytes as text.
    archive = gallery.zip_originals(events.get_event(slug), body.ids)
    return Response(
        200,
        "application/zip",
        archive,
        headers={"Content-Disposition": f'attachment; filename="{slug}-photos.zip"'},
    )


@router.post("/api/events/<slug>/login", summary="Organizer login: an expiring token for the admin routes")
def login(slug: Slug, body: LoginRequest) -> LoginResponse:
    token, expires = events.login(slug, body.password, username=body.username)
    return LoginResponse(token=token, expires_at=datetime.fromtimestamp(expires, UTC))
