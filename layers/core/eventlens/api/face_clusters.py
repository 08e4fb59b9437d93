"""People in photos, for organizers (`face_clusters.manage`): list, a person's photos, name, hide,
merge, split. In the signed-in function, next to the rest of the dashboard."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from eventlens.access import service as access
from eventlens.api.params import Slug
from eventlens.auth import service as auth
from eventlens.events import service as events
from eventlens.faceclusters import service
from eventlens.faceclusters.views import (
    CrewList,
    FaceCluster,
    FaceClusterList,
    FaceClusterMerge,
    FaceClusterPatch,
    FaceClusterPhotos,
    FaceClusterSplit,
    PersonCrew,
)
from eventlens.scope import Scope

router = Router()

SECURITY: list[dict[str, list[str]]] = [{"organizer": []}]


def _acting(slug: str) -> Scope:
    request: APIGatewayProxyEventV2 = router.current_event  # type: ignore[assignment]
    who = auth.caller(request)
    origin = request.request_context.http.source_ip
    return access.authorize(who, events.get_event(slug), "face_clusters.manage").coming_from(origin)


@router.get(
    "/api/events/<slug>/admin/face-clusters",
    summary="People in the event's photos (face clusters), most photographed first",
    security=SECURITY,
)
def list_face_clusters(slug: Slug, hidden: Annotated[bool, Query()] = False) -> FaceClusterList:
    return service.list_clusters(_acting(slug), with_hidden=hidden)


@router.get(
    "/api/events/<slug>/admin/face-clusters/<cluster_id>/photos",
    summary="A person's photos",
    security=SECURITY,
)
def face_cluster_photos(slug: Slug, cluster_id: UUID) -> FaceClusterPhotos:
    return service.cluster_photos(_acting(slug), cluster_id)


@router.patch(
    "/api/events/<slug>/admin/face-clusters/<cluster_id>",
    summary="Name or hide a person",
    security=SECURITY,
)
def patch_face_cluster(slug: Slug, cluster_id: UUID, body: FaceClusterPatch) -> FaceCluster:
    return service.update_cluster(_acting(slug), cluster_id, body.name, body.hidden)


@router.post(
    "/api/events/<slug>/admin/face-clusters/<cluster_id>/merge",
    summary="Merge other people into this one (the same person, clustered apart)",
    security=SECURITY,
)
def merge_face_clusters(slug: Slug, cluster_id: UUID, body: FaceClusterMerge) -> FaceCluster:
    return service.merge_clusters(_acting(slug), cluster_id, list(body.face_clusters))


@router.post(
    "/api/events/<slug>/admin/face-clusters/<cluster_id>/split",
    summary="Split this person's faces in some photos off into a new person",
    security=SECURITY,
)
def split_face_cluster(slug: Slug, cluster_id: UUID, body: FaceClusterSplit) -> FaceCluster:
    return service.split_cluster(_acting(slug), cluster_id, list(body.photo_ids))


@router.get(
    "/api/events/<slug>/admin/face-clusters/<cluster_id>/crew",
    summary="Who a person was photographed with (own crew first, then by Jaccard weight)",
    security=SECURITY,
)
def face_cluster_crew(slug: Slug, cluster_id: UUID) -> PersonCrew:
    return service.person_crew(_acting(slug), cluster_id)


@router.get(
    "/api/events/<slug>/admin/crews",
    summary="The event's crews: communities of people photographed together (Louvain)",
    security=SECURITY,
)
def crews(slug: Slug) -> CrewList:
    return service.list_crews(_acting(slug))
