"""The JSON contract of people in photos (the dashboard and `eventlens face-clusters`)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from eventlens.media.views import Photo
from eventlens.types import Model


class FaceCluster(Model):
    id: UUID
    name: str | None
    hidden: bool = Field(description="Hidden by an organizer: left out of people lists and crews")
    faces: int
    photos: int
    cover: Photo = Field(description="The photo holding the cluster's clearest face")
    cover_bbox: tuple[float, float, float, float] = Field(
        description="That face's box (x, y, w, h) in pixels of the original: the face crop"
    )


class FaceClusterList(Model):
    face_clusters: list[FaceCluster]
    min_faces: int = Field(description="Clusters with fewer faces are not listed")


class FaceClusterPhotos(Model):
    face_cluster: FaceCluster
    photos: list[Photo]


class FaceClusterPatch(Model):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    hidden: bool | None = None


class FaceClusterMerge(Model):
    face_clusters: Annotated[list[UUID], Field(min_length=1, max_length=100)] = Field(
        description="Clusters whose faces join this one (they are deleted)"
    )


class FaceClusterSplit(Model):
    photo_ids: Annotated[list[UUID], Field(min_length=1, max_length=1000)] = Field(
        description="This cluster's faces in these photos become a new cluster"
    )


class CrewMate(Model):
    face_cluster_id: UUID
    name: str | None
    weight: float = Field(description="Jaccard index of the two people's photos (0-1)")
    shared_photos: int
    same_crew: bool = Field(description="In the same Louvain community")


class PersonCrew(Model):
    face_cluster_id: UUID
    photographed_with: list[CrewMate]


class Crew(Model):
    members: list[UUID]
    names: list[str | None]


class CrewList(Model):
    crews: list[Crew]
    measure: str = Field(description="How co-appearances are weighted")
