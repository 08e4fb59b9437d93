"""Dashboard routes: pipeline, moderation, uploads, settings. Each names the action it takes
(access/rights.py) and acts only if the caller's role in the event may take it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from eventlens.access import members
from eventlens.access import service as access
from eventlens.access.rights import Action
from eventlens.access.views import InvitationList, InvitationRow, Member, MemberList
from eventlens.api.links import link_base
from eventlens.api.params import Cursor, Slug, Text
from eventlens.api.requests import (
    GrantRequest,
    JobPriority,
    PhotoPatch,
    PipelineRunRequest,
    RoleChange,
    SettingsPatch,
    TransferRequest,
    UploadComplete,
    UploadRequest,
)
from eventlens.audit import service as audit
from eventlens.audit.views import AuditPage
from eventlens.auth import service as auth
from eventlens.db.photos import PhotoFilter, Sort
from eventlens.dedupe.views import DuplicateList
from eventlens.events import service as events
from eventlens.events.views import EventView
from eventlens.findme.views import MatchAnalytics
from eventlens.jobs import service as jobs
from eventlens.jobs.views import ErrorList, Job, JobList, PipelineRun, PipelineStatus, RetryResponse
from eventlens.media import service as media
from eventlens.media.views import Photo, PhotoList, PhotoPage
from eventlens.moderation import service as moderation
from eventlens.orgs import service as orgs
from eventlens.scope import Scope
from eventlens.sources import service as sources
from eventlens.sources.views import UploadCompleteResponse, UploadTicket

router = Router()

SECURITY: list[dict[str, list[str]]] = [{"organizer": []}]


def _acting(slug: str, action: Action) -> Scope:
    """Who calls (verified claims, or our bearer token), and that their role in this event may
    take `action` (403 otherwise): the scope the service then acts in."""
    request: APIGatewayProxyEventV2 = router.current_event  # type: ignore[assignment]
    who = auth.caller(request)
    origin = request.request_context.http.source_ip
    return access.authorize(who, events.get_event(slug), action).coming_from(origin)


@router.get(
    "/api/events/<slug>/admin/pipeline", summary="Counts by phase and status, recent runs", security=SECURITY
)
def pipeline_status(slug: Slug) -> PipelineStatus:
    return jobs.pipeline_status(_acting(slug, "event.inspect"))


@router.post("/api/events/<slug>/admin/pipeline/runs", summary="Start a pipeline run", security=SECURITY)
def start_run(slug: Slug, body: PipelineRunRequest) -> Response[PipelineRun]:
    return Response(202, "application/json", jobs.start_run(_acting(slug, "pipeline.run"), body.phase))


@router.get("/api/events/<slug>/admin/pipeline/runs/<run_id>", summary="One run", security=SECURITY)
def get_run(slug: Slug, run_id: UUID) -> PipelineRun:
    return jobs.get_run(_acting(slug, "event.inspect"), run_id)


@router.get(
    "/api/events/<slug>/admin/jobs", summary="Jobs: queued in start order, then the rest", security=SECURITY
)
def list_jobs(slug: Slug) -> JobList:
    return jobs.list_jobs(_acting(slug, "event.inspect"))


@router.get("/api/events/<slug>/admin/jobs/<job_id>", summary="One job", security=SECURITY)
def get_job(slug: Slug, job_id: UUID) -> Job:
    return jobs.get_job(_acting(slug, "event.inspect"), job_id)


@router.post("/api/events/<slug>/admin/jobs/<job_id>/cancel", summary="Cancel a job", security=SECURITY)
def cancel_job(slug: Slug, job_id: UUID) -> Job:
    return jobs.cancel_job(_acting(slug, "pipeline.run"), job_id)


@router.post(
    "/api/events/<slug>/admin/jobs/<job_id>/retry", summary="Run a closed job again", security=SECURITY
)
def retry_job(slug: Slug, job_id: UUID) -> Response[Job]:
    return Response(202, "application/json", jobs.retry_job(_acting(slug, "pipeline.run"), job_id))


@router.patch("/api/events/<slug>/admin/jobs/<job_id>", summary="Re-prioritise a job", security=SECURITY)
def prioritise_job(slug: Slug, job_id: UUID, body: JobPriority) -> Job:
    return jobs.set_priority(_acting(slug, "pipeline.run"), job_id, body.priority)


@router.get("/api/events/<slug>/admin/errors", summary="Photos whose processing failed", security=SECURITY)
def list_errors(slug: Slug) -> ErrorList:
    return jobs.list_errors(_acting(slug, "event.inspect"))


@router.delete(
    "/api/events/<slug>/admin/errors/<photo_id>",
    summary="Delete a file whose processing failed: its photo and its stored objects",
    security=SECURITY,
)
def delete_failed(slug: Slug, photo_id: UUID) -> Response[str]:
    jobs.delete_failed_photo(_acting(slug, "photo.delete"), photo_id)
    return Response(204, None, "")


@router.post(
    "/api/events/<slug>/admin/retry", summary="Re-queue failed photos and start a run", security=SECURITY
)
def retry(slug: Slug) -> RetryResponse:
    return jobs.retry_errors(_acting(slug, "pipeline.run"))


@router.get("/api/events/<slug>/admin/duplicates", summary="Duplicate clusters", security=SECURITY)
def duplicates(
    slug: Slug, near_duplicate_distance: Annotated[int | None, Query(ge=0, le=32)] = None
) -> DuplicateList:
    from eventlens.dedupe.service import duplicate_clusters

    return duplicate_clusters(_acting(slug, "event.inspect"), near_duplicate_distance)


@router.get(
    "/api/events/<slug>/admin/flagged",
    summary="Photos held for review (nsfw_score at or above the event's nsfw_threshold), not yet decided",
    security=SECURITY,
)
def flagged(slug: Slug) -> PhotoList:
    return PhotoList(photos=moderation.review_queue(_acting(slug, "photo.moderate")))


@router.get(
    "/api/events/<slug>/admin/photos", summary="A page of photos, hidden ones included", security=SECURITY
)
def list_photos(
    slug: Slug,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
    folder: Text = None,
    hidden: Annotated[bool | None, Query()] = None,
    sort: Annotated[Sort, Query()] = "taken_at",
) -> PhotoPage:
    filters = PhotoFilter(folder=folder, include_hidden=True, hidden=hidden)
    return media.list_photos(_acting(slug, "event.inspect"), filters, sort, limit, cursor)


@router.get(
    "/api/events/<slug>/admin/photos/<photo_id>", summary="One photo, hidden or not", security=SECURITY
)
def get_photo(slug: Slug, photo_id: UUID) -> Photo:
    return media.get_photo(_acting(slug, "event.inspect"), photo_id)


@router.patch(
    "/api/events/<slug>/admin/photos/<photo_id>",
    summary="Hide or unhide a photo; approve or reject one held for review",
    security=SECURITY,
)
def patch_photo(slug: Slug, photo_id: UUID, body: PhotoPatch) -> Photo:
    return moderation.update_photo(
        _acting(slug, "photo.moderate"), photo_id, hidden=body.hidden, review=body.review
    )


@router.patch(
    "/api/events/<slug>/admin/settings", summary="Name, theme, face matching, thresholds", security=SECURITY
)
def patch_settings(slug: Slug, body: SettingsPatch) -> EventView:
    scope = _acting(slug, "event.settings")
    patch = body.model_dump(exclude_unset=True, exclude={"name", "visibility"})
    event = events.update_event(scope, name=body.name, settings_patch=patch, visibility=body.visibility)
    if body.nsfw_threshold is not None:
        moderation.hold_for_review(scope.at(event))
    return events.event_view(scope.at(event))


@router.post("/api/events/<slug>/admin/uploads", summary="A URL to upload one file to", security=SECURITY)
def upload_ticket(slug: Slug, body: UploadRequest) -> UploadTicket:
    return sources.upload_ticket(_acting(slug, "photo.upload"), body.filename, body.content_type, body.size)


@router.post(
    "/api/events/<slug>/admin/uploads/complete",
    summary="Register uploaded files and process them",
    security=SECURITY,
)
def upload_complete(slug: Slug, body: UploadComplete) -> UploadCompleteResponse:
    return sources.complete_uploads(_acting(slug, "photo.upload"), body.keys, body.album_id)


@router.post(
    "/api/events/<slug>/admin/sign-out-everywhere",
    summary="Revoke every organizer token of this event (this one too)",
    security=SECURITY,
)
def sign_out_everywhere(slug: Slug) -> Response[str]:
    auth.sign_out_everywhere(_acting(slug, "event.settings"))
    return Response(204, None, "")


@router.get(
    "/api/events/<slug>/admin/audit",
    summary="The event's audit log, newest first: sign-ins, moderation, settings, purges",
    security=SECURITY,
)
def audit_log(
    slug: Slug,
    action: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    return audit.entries(_acting(slug, "audit.read"), action, before, limit)


@router.get(
    "/api/events/<slug>/admin/analytics",
    summary="Find-me activity: sessions, distinct searchers, hot photos, recent searches",
    security=SECURITY,
)
def analytics(slug: Slug) -> MatchAnalytics:
    from eventlens.findme.service import match_analytics

    return match_analytics(_acting(slug, "findme.analytics"))


@router.get("/api/events/<slug>/admin/members", summary="The event's people and roles", security=SECURITY)
def list_members(slug: Slug) -> MemberList:
    return MemberList(members=members.list_members(_acting(slug, "members.view")))


@router.post(
    "/api/events/<slug>/admin/members", summary="Give an account a role in the event", security=SECURITY
)
def grant(slug: Slug, body: GrantRequest) -> Member:
    return members.grant(_acting(slug, "members.manage"), body.email, access.role_named(body.role))


@router.patch(
    "/api/events/<slug>/admin/members/<person_id>", summary="Change someone's role", security=SECURITY
)
def change_role(slug: Slug, person_id: UUID, body: RoleChange) -> Member:
    return members.change_role(_acting(slug, "members.manage"), person_id, access.role_named(body.role))


@router.delete(
    "/api/events/<slug>/admin/members/<person_id>", summary="Remove someone's role", security=SECURITY
)
def remove_member(slug: Slug, person_id: UUID) -> Response[str]:
    members.remove(_acting(slug, "members.manage"), person_id)
    return Response(204, None, "")


@router.get("/api/events/<slug>/admin/invitations", summary="Open invitations", security=SECURITY)
def list_invitations(slug: Slug) -> InvitationList:
    return InvitationList(invitations=members.list_invitations(_acting(slug, "members.manage")))


@router.post("/api/events/<slug>/admin/invitations", summary="Invite someone by email", security=SECURITY)
def invite(slug: Slug, body: GrantRequest) -> Response[InvitationRow]:
    scope = _acting(slug, "members.manage")
    request: APIGatewayProxyEventV2 = router.current_event  # type: ignore[assignment]
    inviter = auth.caller(request).email or ""
    invitation = members.invite(scope, body.email, access.role_named(body.role), link_base(request), inviter)
    return Response(201, "application/json", invitation)


@router.delete(
    "/api/events/<slug>/admin/invitations/<invitation_id>",
    summary="Withdraw an invitation",
    security=SECURITY,
)
def revoke_invitation(slug: Slug, invitation_id: UUID) -> Response[str]:
    members.revoke_invitation(_acting(slug, "members.manage"), invitation_id)
    return Response(204, None, "")


@router.post(
    "/api/events/<slug>/admin/transfer",
    summary="Move the event to another organization, or make another account its ADMIN",
    security=SECURITY,
)
def transfer(slug: Slug, body: TransferRequest) -> EventView:
    scope = _acting(slug, "event.transfer")
    if body.owner is not None:
        members.transfer_ownership(scope, body.owner)
        return events.event_view(scope)
    assert body.organization is not None
    request: APIGatewayProxyEventV2 = router.current_event  # type: ignore[assignment]
    target = orgs.get_organization(body.organization)
    access.authorize_organization(auth.caller(request), target, "org.create_event")
    moved = orgs.transfer_event(scope, target)
    return events.event_view(Scope.system(moved))


@router.delete(
    "/api/events/<slug>/admin/event", summary="Delete the event, its photos and data", security=SECURITY
)
def delete_event(slug: Slug) -> Response[str]:
    events.delete_event(slug, by=_acting(slug, "event.delete"))
    return Response(204, None, "")
