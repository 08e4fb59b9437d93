"""Album and subject routes (issue 15), served by the gallery function: reading follows the gallery
(public event: anyone), acting needs a signed-in person whose role may take the route's action
(access/rights.py; on a public event a signed-in person without a grant is a VIEWER); the album's
own rules (owner, contribution policy, bans) are the service's."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from eventlens.access.rights import Action
from eventlens.albums import links, participants
from eventlens.albums import service as albums
from eventlens.albums.views import (
    Album,
    AlbumCreate,
    AlbumItem,
    AlbumLink,
    AlbumLinkCreate,
    AlbumLinkList,
    AlbumList,
    AlbumPage,
    AlbumPatch,
    AlbumSort,
    AlbumUploadComplete,
    AlbumUploadRequest,
    AlbumUploadTicket,
    Ban,
    BanList,
    BanRequest,
    Contributor,
    ContributorList,
    ContributorRequest,
    Flag,
    FlagList,
    FlagRequest,
    FlagResolution,
    GuestAlbum,
    ItemDecision,
    MoreLikeThis,
    MultipartAbort,
    MultipartComplete,
    MultipartResume,
    MultipartTicket,
    RatingRequest,
    ReviewQueue,
    SaveRequest,
    SubjectPage,
    TagList,
    TagRequest,
)
from eventlens.api.params import Slug
from eventlens.auth import service as auth
from eventlens.errors import DomainError
from eventlens.events import service as events
from eventlens.scope import Scope
from eventlens.subjects import service as subjects
from eventlens.subjects.views import Subject, SubjectCreate, SubjectList, SubjectMerge, SubjectRename

router = Router()

SECURITY: list[dict[str, list[str]]] = [{"organizer": []}]


def _acting(slug: str, action: Action) -> Scope:
    request: APIGatewayProxyEventV2 = router.current_event  # type: ignore[assignment]
    who = auth.caller(request)
    return participants.acting(who, events.get_event(slug), action).coming_from(
        request.request_context.http.source_ip
    )


def _reading(slug: str) -> Scope:
    who = auth.optional_caller(router.current_event)  # type: ignore[arg-type]
    return participants.reading(who, events.get_event(slug))


# -- albums ------------------------------------------------------------------------------------------


@router.get(
    "/api/events/<slug>/albums", summary="The event's albums, by Bayesian score, rating count or date"
)
def list_albums(
    slug: Slug, sort: Annotated[AlbumSort, Query()] = "score", limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> AlbumList:
    return albums.list_albums(_reading(slug), sort, limit)


@router.post("/api/events/<slug>/albums", summary="Create an album", security=SECURITY)
def create_album(slug: Slug, body: AlbumCreate) -> Response[Album]:
    return Response(201, "application/json", albums.create_album(_acting(slug, "album.create"), body))


@router.get("/api/events/<slug>/albums/<album_id>", summary="An album and the items the caller may see")
def get_album(slug: Slug, album_id: UUID) -> AlbumPage:
    return albums.get_album_page(_reading(slug), album_id)


@router.patch(
    "/api/events/<slug>/albums/<album_id>",
    summary="Change an album (its owner, or album.manage)",
    security=SECURITY,
)
def update_album(slug: Slug, album_id: UUID, body: AlbumPatch) -> Album:
    return albums.update_album(_acting(slug, "gallery.view"), album_id, body)


@router.delete(
    "/api/events/<slug>/albums/<album_id>",
    summary="Delete an album (its owner, or album.manage)",
    security=SECURITY,
)
def delete_album(slug: Slug, album_id: UUID) -> Response[str]:
    albums.delete_album(_acting(slug, "gallery.view"), album_id)
    return Response(204, None, "")


@router.get(
    "/api/events/<slug>/albums/<album_id>/contributors", summary="An album's contributors", security=SECURITY
)
def list_contributors(slug: Slug, album_id: UUID) -> ContributorList:
    return albums.list_contributors(_acting(slug, "gallery.view"), album_id)


@router.post(
    "/api/events/<slug>/albums/<album_id>/contributors",
    summary="Invite a contributor (its owner, or album.manage)",
    security=SECURITY,
)
def add_contributor(slug: Slug, album_id: UUID, body: ContributorRequest) -> Response[Contributor]:
    found = albums.add_contributor(_acting(slug, "gallery.view"), album_id, body.email)
    return Response(201, "application/json", found)


@router.delete(
    "/api/events/<slug>/albums/<album_id>/contributors/<person_id>",
    summary="Remove a contributor (its owner, or album.manage)",
    security=SECURITY,
)
def remove_contributor(slug: Slug, album_id: UUID, person_id: UUID) -> Response[str]:
    albums.remove_contributor(_acting(slug, "gallery.view"), album_id, person_id)
    return Response(204, None, "")


@router.put(
    "/api/events/<slug>/albums/<album_id>/rating",
    summary="Rate an album 1-5 (again: changes it)",
    security=SECURITY,
)
def rate(slug: Slug, album_id: UUID, body: RatingRequest) -> Album:
    return albums.rate(_acting(slug, "album.rate"), album_id, body.stars)


@router.post(
    "/api/events/<slug>/albums/<album_id>/flags",
    summary="Flag an album or one of its items",
    security=SECURITY,
)
def flag(slug: Slug, album_id: UUID, body: FlagRequest) -> Response[Flag]:
    found = albums.flag(_acting(slug, "album.flag"), album_id, body.reason, body.item_id)
    return Response(201, "application/json", found)


@router.post(
    "/api/events/<slug>/albums/<album_id>/items",
    summary="Save a gallery photo or another album's item here (a reference: no bytes copied)",
    security=SECURITY,
)
def save_item(slug: Slug, album_id: UUID, body: SaveRequest) -> Response[AlbumItem]:
    item = albums.save_to_album(_acting(slug, "album.contribute"), album_id, body.photo_id, body.item_id)
    return Response(201, "application/json", item)


@router.delete(
    "/api/events/<slug>/albums/<album_id>/items/<item_id>",
    summary="Remove an item (its contributor, the album's owner, album.manage or album.moderate)",
    security=SECURITY,
)
def delete_item(slug: Slug, album_id: UUID, item_id: UUID) -> Response[str]:
    albums.delete_item(_acting(slug, "gallery.view"), album_id, item_id)
    return Response(204, None, "")


@router.get(
    "/api/events/<slug>/albums/<album_id>/items/<item_id>/similar",
    summary="More like this item: the event's album items and gallery photos nearest it by description",
)
def more_like_this(
    slug: Slug, album_id: UUID, item_id: UUID, limit: Annotated[int, Query(ge=1, le=50)] = 12
) -> MoreLikeThis:
    return albums.more_like_this(_reading(slug), album_id, item_id, limit)


@router.post(
    "/api/events/<slug>/albums/<album_id>/items/<item_id>/tags",
    summary="Tag an item (who may contribute to the album; never a banned person)",
    security=SECURITY,
)
def tag_item(slug: Slug, album_id: UUID, item_id: UUID, body: TagRequest) -> Response[TagList]:
    tags = albums.tag_item(_acting(slug, "album.contribute"), album_id, item_id, body.tag)
    return Response(201, "application/json", TagList(tags=tags))


@router.delete(
    "/api/events/<slug>/albums/<album_id>/items/<item_id>/tags/<tag>",
    summary="Remove a tag (its tagger, or album.moderate)",
    security=SECURITY,
)
def untag_item(slug: Slug, album_id: UUID, item_id: UUID, tag: str) -> Response[str]:
    albums.untag_item(_acting(slug, "album.contribute"), album_id, item_id, tag)
    return Response(204, None, "")


@router.post(
    "/api/events/<slug>/albums/<album_id>/uploads",
    summary="A presigned PUT for one photo into the album (as its contribution policy allows)",
    security=SECURITY,
)
def upload_ticket(slug: Slug, album_id: UUID, body: AlbumUploadRequest) -> AlbumUploadTicket:
    scope = _acting(slug, "album.contribute")
    return albums.upload_ticket(scope, album_id, body.filename, body.content_type, body.size)


@router.post(
    "/api/events/<slug>/albums/<album_id>/uploads/complete",
    summary="The uploaded photo through the moderation gate: a pending item (or rejected: an exact copy)",
    security=SECURITY,
)
def complete_upload(slug: Slug, album_id: UUID, body: AlbumUploadComplete) -> Response[AlbumItem]:
    item = albums.complete_upload(_acting(slug, "album.contribute"), album_id, body.key)
    return Response(201, "application/json", item)


@router.post(
    "/api/events/<slug>/albums/<album_id>/uploads/multipart",
    summary="A resumable upload of a large photo: a presigned PUT per part (S3's multipart protocol)",
    security=SECURITY,
)
def start_multipart(slug: Slug, album_id: UUID, body: AlbumUploadRequest) -> MultipartTicket:
    scope = _acting(slug, "album.contribute")
    return albums.start_multipart(scope, album_id, body.filename, body.content_type, body.size)


@router.post(
    "/api/events/<slug>/albums/<album_id>/uploads/multipart/resume",
    summary="The parts of a resumable upload already stored, and fresh URLs for the others",
    security=SECURITY,
)
def resume_multipart(slug: Slug, album_id: UUID, body: MultipartResume) -> MultipartTicket:
    scope = _acting(slug, "album.contribute")
    return albums.resume_multipart(scope, album_id, body.key, body.upload_id, body.size)


@router.post(
    "/api/events/<slug>/albums/<album_id>/uploads/multipart/complete",
    summary="Join a resumable upload's parts; the photo then passes the moderation gate",
    security=SECURITY,
)
def complete_multipart(slug: Slug, album_id: UUID, body: MultipartComplete) -> Response[AlbumItem]:
    scope = _acting(slug, "album.contribute")
    item = albums.complete_multipart(scope, album_id, body.key, body.upload_id, body.parts)
    return Response(201, "application/json", item)


@router.post(
    "/api/events/<slug>/albums/<album_id>/uploads/multipart/abort",
    summary="Drop a resumable upload and its parts",
    security=SECURITY,
)
def abort_multipart(slug: Slug, album_id: UUID, body: MultipartAbort) -> Response[str]:
    albums.abort_multipart(_acting(slug, "album.contribute"), album_id, body.key, body.upload_id)
    return Response(204, None, "")


# -- guest links -------------------------------------------------------------------------------------

LINK_PASSWORD_HEADER = "x-link-password"  # noqa: S105 - a header's name


def _guest(token: str) -> links.Guest:
    headers = router.current_event.headers or {}
    password = next((v for k, v in headers.items() if k.lower() == LINK_PASSWORD_HEADER), None)
    return links.open_link(token, password)


@router.post(
    "/api/events/<slug>/albums/<album_id>/links",
    summary="A file-drop, guest-upload or view link (its secret shown once), optional password and expiry",
    security=SECURITY,
)
def create_link(slug: Slug, album_id: UUID, body: AlbumLinkCreate) -> Response[AlbumLink]:
    made = links.create_link(_acting(slug, "gallery.view"), album_id, body)
    return Response(201, "application/json", made)


@router.get("/api/events/<slug>/albums/<album_id>/links", summary="An album's links", security=SECURITY)
def list_links(slug: Slug, album_id: UUID) -> AlbumLinkList:
    return links.list_links(_acting(slug, "gallery.view"), album_id)


@router.delete(
    "/api/events/<slug>/albums/<album_id>/links/<link_id>", summary="Revoke a link", security=SECURITY
)
def revoke_link(slug: Slug, album_id: UUID, link_id: UUID) -> Response[str]:
    links.revoke_link(_acting(slug, "gallery.view"), album_id, link_id)
    return Response(204, None, "")


@router.get(
    "/api/album-links/<token>",
    summary="What a guest link opens (password in X-Link-Password): the album, or only its title for a file drop",
)
def guest_album(token: str) -> GuestAlbum:
    return links.guest_album(_guest(token))


@router.post("/api/album-links/<token>/uploads", summary="A presigned PUT for a guest's photo")
def guest_upload_ticket(token: str, body: AlbumUploadRequest) -> AlbumUploadTicket:
    guest = _guest(token)
    links.require_upload(guest)
    return albums.upload_ticket(
        guest.scope, guest.album_id, body.filename, body.content_type, body.size, guest=True
    )


@router.post(
    "/api/album-links/<token>/uploads/complete",
    summary="A guest's uploaded photo through the moderation gate: a pending item",
)
def guest_complete_upload(token: str, body: AlbumUploadComplete) -> Response[AlbumItem]:
    guest = _guest(token)
    links.require_upload(guest)
    item = albums.complete_upload(guest.scope, guest.album_id, body.key, guest=True)
    return Response(201, "application/json", item)


@router.post(
    "/api/album-links/<token>/uploads/multipart",
    summary="A resumable upload of a guest's large photo: a presigned PUT per part",
)
def guest_start_multipart(token: str, body: AlbumUploadRequest) -> MultipartTicket:
    guest = _guest(token)
    links.require_upload(guest)
    return albums.start_multipart(
        guest.scope, guest.album_id, body.filename, body.content_type, body.size, guest=True
    )


@router.post(
    "/api/album-links/<token>/uploads/multipart/resume",
    summary="The parts of a guest's resumable upload already stored, and fresh URLs for the others",
)
def guest_resume_multipart(token: str, body: MultipartResume) -> MultipartTicket:
    guest = _guest(token)
    links.require_upload(guest)
    return albums.resume_multipart(
        guest.scope, guest.album_id, body.key, body.upload_id, body.size, guest=True
    )


@router.post(
    "/api/album-links/<token>/uploads/multipart/complete",
    summary="Join a guest's resumable upload; the photo then passes the moderation gate",
)
def guest_complete_multipart(token: str, body: MultipartComplete) -> Response[AlbumItem]:
    guest = _guest(token)
    links.require_upload(guest)
    item = albums.complete_multipart(
        guest.scope, guest.album_id, body.key, body.upload_id, body.parts, guest=True
    )
    return Response(201, "application/json", item)


@router.post("/api/album-links/<token>/uploads/multipart/abort", summary="Drop a guest's resumable upload")
def guest_abort_multipart(token: str, body: MultipartAbort) -> Response[str]:
    guest = _guest(token)
    links.require_upload(guest)
    albums.abort_multipart(guest.scope, guest.album_id, body.key, body.upload_id, guest=True)
    return Response(204, None, "")


# -- moderation --------------------------------------------------------------------------------------


@router.get(
    "/api/events/<slug>/album-review", summary="Album items pending or held, oldest first", security=SECURITY
)
def review_queue(slug: Slug) -> ReviewQueue:
    return albums.review_queue(_acting(slug, "album.moderate"))


@router.patch(
    "/api/events/<slug>/album-items/<item_id>", summary="Approve or reject an album item", security=SECURITY
)
def decide_item(slug: Slug, item_id: UUID, body: ItemDecision) -> AlbumItem:
    return albums.decide_item(_acting(slug, "album.moderate"), item_id, body.status, body.reason)


@router.get("/api/events/<slug>/album-flags", summary="Open flags on the event's albums", security=SECURITY)
def open_flags(slug: Slug) -> FlagList:
    return albums.open_flags(_acting(slug, "album.moderate"))


@router.patch(
    "/api/events/<slug>/album-flags/<flag_id>", summary="Uphold or dismiss a flag", security=SECURITY
)
def resolve_flag(slug: Slug, flag_id: UUID, body: FlagResolution) -> Flag:
    return albums.resolve_flag(_acting(slug, "album.moderate"), flag_id, body.resolution)


@router.get(
    "/api/events/<slug>/album-bans", summary="People banned from the organization's albums", security=SECURITY
)
def list_bans(slug: Slug) -> BanList:
    return albums.list_bans(_acting(slug, "album.moderate"))


@router.post(
    "/api/events/<slug>/album-bans", summary="Ban a person from the organization's albums", security=SECURITY
)
def ban(slug: Slug, body: BanRequest) -> Response[Ban]:
    return Response(
        201, "application/json", albums.ban(_acting(slug, "album.moderate"), body.email, body.reason)
    )


@router.delete("/api/events/<slug>/album-bans/<person_id>", summary="Lift a ban", security=SECURITY)
def unban(slug: Slug, person_id: UUID) -> Response[str]:
    albums.unban(_acting(slug, "album.moderate"), person_id)
    return Response(204, None, "")


# -- subjects ----------------------------------------------------------------------------------------


@router.get("/api/events/<slug>/subjects", summary="The organization's subjects")
def list_subjects(slug: Slug) -> SubjectList:
    return subjects.list_subjects(_reading(slug))


@router.post("/api/events/<slug>/subjects", summary="Create a subject", security=SECURITY)
def create_subject(slug: Slug, body: SubjectCreate) -> Response[Subject]:
    made = subjects.create_subject(_acting(slug, "subject.manage"), body.kind, body.name)
    return Response(201, "application/json", made)


@router.patch("/api/events/<slug>/subjects/<subject_id>", summary="Rename a subject", security=SECURITY)
def rename_subject(slug: Slug, subject_id: UUID, body: SubjectRename) -> Subject:
    return subjects.rename_subject(_acting(slug, "subject.manage"), subject_id, body.name)


@router.post(
    "/api/events/<slug>/subjects/<subject_id>/merge",
    summary="Merge a subject into another (its album links move)",
    security=SECURITY,
)
def merge_subject(slug: Slug, subject_id: UUID, body: SubjectMerge) -> Subject:
    return subjects.merge_subjects(_acting(slug, "subject.manage"), subject_id, body.into)


@router.get(
    "/api/events/<slug>/subjects/<subject_id>",
    summary="A subject's albums and photos across the organization's events the caller may read",
)
def subject_page(slug: Slug, subject_id: UUID) -> SubjectPage:
    who = auth.optional_caller(router.current_event)  # type: ignore[arg-type]
    scope = participants.reading(who, events.get_event(slug))
    readable: list[Scope] = []
    for event_id in subjects.linked_event_ids(scope, subject_id):
        try:
            readable.append(participants.reading(who, events.event_by_id(event_id)))
        except DomainError:
            continue  # a private event the caller has no role in
    return albums.subject_page(scope, subject_id, readable)
