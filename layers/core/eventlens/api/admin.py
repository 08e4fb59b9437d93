"""Organizer routes: pipeline, moderation, uploads, settings. Every one requires the organizer."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from eventlens import admin, events, gallery
from eventlens.api.access import require_organizer
from eventlens.api.models import (
    PhotoList,
    PhotoPatch,
    PipelineRunRequest,
    RetryResponse,
    SettingsPatch,
    UploadComplete,
    UploadCompleteResponse,
    UploadRequest,
    UploadTicket,
)
from eventlens.db.photos_repo import PhotoFilter, Sort
from eventlens.gallery import EventView, PhotoPage
from eventlens.photos import Photo
from eventlens.search.models import MatchAnalytics

router = Router()

Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
SECURITY: list[dict[str, list[str]]] = [{"organizer": []}]


def _organizer(slug: str) -> Any:
    return require_organizer(router.current_event, slug)  # type: ignore[arg-type]


@router.get(
    "/api/events/<slug>/admin/pipeline", summary="Counts by phase and status, recent runs", security=SECURITY
)
def pipeline_status(slug: Slug) -> admin.PipelineStatus:
    return admin.pipeline_status(_organizer(slug))


@router.post("/api/events/<slug>/admin/pipeline/runs", summary="Start a pipeline run", security=SECURITY)
def start_run(slug: Slug, body: PipelineRunRequest) -> Response[admin.PipelineRun]:
    return Response(202, "application/json", admin.start_run(_organizer(slug), body.phase))


@router.get("/api/events/<slug>/admin/pipeline/runs/<run_id>", summary="One run", security=SECURITY)
def get_run(slug: Slug, run_id: UUID) -> admin.PipelineRun:
    return admin.get_run(_organizer(slug), run_id)


@router.get("/api/events/<slug>/admin/errors", summary="Photos whose processing failed", security=SECURITY)
def list_errors(slug: Slug) -> admin.ErrorList:
    return admin.list_errors(_organizer(slug))


@router.post("/api/events/<slug>/admin/retry", summary="Re-queue failed photos", security=SECURITY)
def retry(slug: Slug) -> RetryResponse:
    return RetryResponse(requeued=admin.retry_errors(_organizer(slug)))


@router.get("/api/events/<slug>/admin/duplicates", summary="Duplicate clusters", security=SECURITY)
def duplicates(
    slug: Slug, threshold: Annotated[int | None, Query(ge=0, le=32)] = None
) -> admin.DuplicateList:
    return admin.duplicates(_organizer(slug), threshold)


@router.get("/api/events/<slug>/admin/flagged", summary="Photos flagged as unsafe", security=SECURITY)
def flagged(slug: Slug) -> PhotoList:
    return PhotoList(photos=gallery.flagged_photos(_organizer(slug)))


@router.get(
    "/api/events/<slug>/admin/photos", summary="A page of photos, hidden ones included", security=SECURITY
)
def list_photos(
    slug: Slug,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    folder: Annotated[str | None, Query(max_length=200)] = None,
    hidden: Annotated[bool | None, Query()] = None,
    sort: Annotated[Sort, Query()] = "taken_at",
) -> PhotoPage:
    filters = PhotoFilter(folder=folder, include_hidden=True, hidden=hidden)
    return gallery.list_photos(_organizer(slug), filters, sort, limit, cursor)


@router.get(
    "/api/events/<slug>/admin/photos/<photo_id>", summary="One photo, hidden or not", security=SECURITY
)
def get_photo(slug: Slug, photo_id: UUID) -> Photo:
    return gallery.get_photo(_organizer(slug), photo_id, include_hidden=True)


@router.patch(
    "/api/events/<slug>/admin/photos/<photo_id>", summary="Hide or unhide a photo", security=SECURITY
)
def patch_photo(slug: Slug, photo_id: UUID, body: PhotoPatch) -> Photo:
    return gallery.set_hidden(_organizer(slug), photo_id, body.hidden)


@router.patch("/api/events/<slug>/admin/settings", summary="Name, theme, face matching", security=SECURITY)
def patch_settings(slug: Slug, body: SettingsPatch) -> EventView:
    patch = body.model_dump(exclude_none=True, exclude={"name"})
    event = events.update_event(_organizer(slug), name=body.name, settings_patch=patch)
    return gallery.event_view(event)


@router.post("/api/events/<slug>/admin/uploads", summary="A URL to upload one file to", security=SECURITY)
def upload_ticket(slug: Slug, body: UploadRequest) -> UploadTicket:
    return admin.upload_ticket(_organizer(slug), body)


@router.post(
    "/api/events/<slug>/admin/uploads/complete",
    summary="Register uploaded files and process them",
    security=SECURITY,
)
def upload_complete(slug: Slug, body: UploadComplete) -> UploadCompleteResponse:
    return admin.complete_uploads(_organizer(slug), body.keys)


@router.get(
    "/api/events/<slug>/admin/analytics",
    summary="Find-me activity: sessions, distinct searchers, hot photos, recent searches",
    security=SECURITY,
)
def analytics(slug: Slug) -> MatchAnalytics:
    from eventlens.search.faces import match_analytics

    return match_analytics(_organizer(slug))
