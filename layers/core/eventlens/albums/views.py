"""The JSON contract of albums: albums, items, ratings, flags, bans, uploads and the review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, model_validator

from eventlens.media.views import Photo
from eventlens.subjects.views import Subject
from eventlens.types import Model

ContributionPolicy = Literal["CLOSED", "INVITE_ONLY", "OPEN"]
ItemStatus = Literal["pending", "approved", "rejected"]
AlbumSort = Literal["score", "count", "recent"]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=5000)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class Album(Model):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    event_id: UUID
    owner_id: UUID | None
    title: str
    description: str
    cover_item_id: UUID | None
    cover_url: str | None = None
    contribution_policy: ContributionPolicy
    rating_count: int
    rating_sum: int
    rating_average: float | None = Field(description="rating_sum / rating_count; null before any rating")
    rating_score: float = Field(description="Bayesian average: (rating_sum + 5·3) / (rating_count + 5)")
    flag_count: int
    held: bool
    created_at: datetime
    subjects: list[Subject] = Field(default_factory=list)
    linked_event_ids: list[UUID] = Field(default_factory=list)
    my_rating: int | None = None


class AlbumList(Model):
    albums: list[Album]


class AlbumItem(Model):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    album_id: UUID
    object_id: UUID
    photo_id: UUID | None
    contributor_id: UUID | None
    status: ItemStatus
    reason: str = Field(description="Why it is pending or was rejected (the contributor reads it)")
    nsfw_score: float | None
    quality_score: float | None
    near_duplicate_of: UUID | None
    flag_count: int
    held: bool
    created_at: datetime
    url: str | None = None
    tags: list[str] = Field(default_factory=list, description="What contributors tagged it with")


Tag = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^/]*\S[^/]*$")]


class TagRequest(Model):
    tag: Tag


class TagList(Model):
    tags: list[str]


class MoreLikeThis(Model):
    """An item's nearest neighbours by description embedding: items of the event's albums, then
    the event's gallery photos."""

    items: list[AlbumItem]
    photos: list[Photo]


class AlbumPage(Model):
    album: Album
    items: list[AlbumItem]


class ReviewQueue(Model):
    items: list[AlbumItem]


class AlbumCreate(Model):
    title: Title
    description: Description = ""
    contribution_policy: ContributionPolicy = "INVITE_ONLY"
    subject_ids: Annotated[list[UUID], Field(max_length=50)] = Field(default_factory=list)
    linked_event_ids: Annotated[list[UUID], Field(max_length=50)] = Field(default_factory=list)


class AlbumPatch(Model):
    title: Title | None = None
    description: Description | None = None
    contribution_policy: ContributionPolicy | None = None
    cover_item_id: UUID | None = None
    subject_ids: Annotated[list[UUID], Field(max_length=50)] | None = None


class ContributorRequest(Model):
    email: Annotated[str, Field(min_length=3, max_length=254)]


class Contributor(Model):
    person_id: UUID
    email: str | None = None
    added_at: datetime


class ContributorList(Model):
    contributors: list[Contributor]


class RatingRequest(Model):
    stars: Annotated[int, Field(ge=1, le=5)]


class FlagRequest(Model):
    reason: Reason
    item_id: UUID | None = None


class Flag(Model):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    album_id: UUID
    item_id: UUID | None
    person_id: UUID
    reason: str
    created_at: datetime
    resolved_at: datetime | None
    resolution: Literal["upheld", "dismissed"] | None
    album_title: str | None = Field(default=None, description="In the moderators' list of open flags")
    item_url: str | None = Field(default=None, description="A flagged item's media URL, for moderators")


class FlagList(Model):
    flags: list[Flag]


class FlagResolution(Model):
    resolution: Literal["upheld", "dismissed"]


class BanRequest(Model):
    email: Annotated[str, Field(min_length=3, max_length=254)]
    reason: Annotated[str, Field(max_length=500)] = ""


class Ban(Model):
    model_config = ConfigDict(from_attributes=True)

    person_id: UUID
    email: str | None = None
    reason: str
    banned_at: datetime


class BanList(Model):
    bans: list[Ban]


class SaveRequest(Model):
    """Save a gallery photo, or another album's item, into this album (a reference, no copy)."""

    photo_id: UUID | None = None
    item_id: UUID | None = None

    @model_validator(mode="after")
    def _one(self) -> SaveRequest:
        if (self.photo_id is None) == (self.item_id is None):
            raise ValueError("name either photo_id or item_id")
        return self


class ItemDecision(Model):
    status: Literal["approved", "rejected"]
    reason: Annotated[str, Field(max_length=500)] = ""


class AlbumUploadRequest(Model):
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(min_length=3, max_length=100)]
    size: Annotated[int, Field(gt=0)]


class AlbumUploadTicket(Model):
    upload_url: str
    headers: dict[str, str]
    key: str


UploadId = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z0-9._~-]+$")]


class UploadPart(Model):
    number: Annotated[int, Field(ge=1, le=10_000)]
    etag: Annotated[str, Field(min_length=1, max_length=200)]
    size: int = 0


class PartUrl(Model):
    number: int
    url: str


class MultipartTicket(Model):
    """A resumable upload: PUT each part's bytes (part_size each, the last one shorter) to its URL,
    keep each answer's ETag, then complete with them. `done` lists the parts already stored (a
    resumed upload sends only the others: `parts` holds fresh URLs for those)."""

    key: str
    upload_id: str
    part_size: int
    parts: list[PartUrl]
    done: list[UploadPart] = Field(default_factory=list)


class MultipartResume(Model):
    key: Annotated[str, Field(min_length=1, max_length=1024)]
    upload_id: UploadId
    size: Annotated[int, Field(gt=0)]


class MultipartComplete(Model):
    key: Annotated[str, Field(min_length=1, max_length=1024)]
    upload_id: UploadId
    parts: Annotated[list[UploadPart], Field(min_length=1, max_length=10_000)]


class MultipartAbort(Model):
    key: Annotated[str, Field(min_length=1, max_length=1024)]
    upload_id: UploadId


class AlbumUploadComplete(Model):
    key: Annotated[str, Field(min_length=1, max_length=1024)]


class SubjectPage(Model):
    subject: Subject
    albums: list[Album]
    items: list[AlbumItem]


LinkKind = Literal["file_drop", "guest_upload", "view"]


class AlbumLinkCreate(Model):
    kind: LinkKind
    password: Annotated[str, Field(min_length=8, max_length=512)] | None = None
    expires_in_hours: Annotated[int, Field(ge=1, le=24 * 365)] | None = None


class AlbumLink(Model):
    id: UUID
    album_id: UUID
    kind: LinkKind
    has_password: bool
    expires_at: datetime | None
    created_at: datetime
    revoked_at: datetime | None
    token: str | None = Field(default=None, description="The link's secret: shown once, when it is made")


class AlbumLinkList(Model):
    links: list[AlbumLink]


class GuestAlbum(Model):
    """What a link's holder sees: the album (and its approved items, unless the link is a file drop)."""

    kind: LinkKind
    title: str
    description: str
    items: list[AlbumItem]
