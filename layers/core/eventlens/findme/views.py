"""The JSON contract of find me and its analytics (the API and `eventlens match --json`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from eventlens.media.views import Photo
from eventlens.types import Model

ConfidenceBand = Literal["high", "medium", "none"]
"""How sure a find-me session was of its best match (a session's `confidence_band`)."""


class FaceBox(Model):
    """Where a face is in a photo, as fractions of its width and height (the viewer outlines it)."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    w: float = Field(ge=0, le=1)
    h: float = Field(ge=0, le=1)


class Match(Model):
    photo: Photo
    confidence: float = Field(ge=0, le=100)
    face: FaceBox | None = Field(
        default=None, description="The face that matched the selfie (None when the photo's size is unknown)"
    )


class Recommendation(Model):
    photo: Photo
    reason: str


class CrewFace(Model):
    """Someone the searcher was photographed with, as a visitor sees them: a face in one of the
    searcher's own photos, never a name or an id."""

    shared_photos: int = Field(description="Photos the two of you are in")
    cover: Photo = Field(description="One of those photos")
    cover_bbox: tuple[float, float, float, float] = Field(
        description="Their face's box (x, y, w, h) in pixels of the original: the face crop"
    )


class CrewAlbum(Model):
    """The searcher's crew as an album: who they were photographed with, and the crew's group
    photos the searcher was not matched in (faceclusters.crews)."""

    photographed_with: list[CrewFace]
    photos: list[Photo] = Field(description="Group photos of your crew, best first")


class MatchResponse(Model):
    matches: list[Match]
    recommendations: list[Recommendation]
    message: str
    crew: CrewAlbum | None = Field(default=None, description="None: no crew found (or no match)")


class HotPhoto(Model):
    photo: Photo
    sessions: int = Field(description="Find-me sessions that returned this photo")


class MatchActivity(Model):
    at: datetime
    confidence_band: ConfidenceBand
    match_count: int
    top_confidence: float | None
    query_text: str | None


class MatchAnalytics(Model):
    sessions: int
    distinct_searchers: int = Field(
        description="Browser sessions that searched (a search sent without a session id counts as one); "
        "never derived from faces"
    )
    hot_photos: list[HotPhoto]
    recent: list[MatchActivity]


class FindMeActivity(Model):
    """What the public gallery's ticker and hot photos show: aggregates of find-me, nothing per search."""

    searches: int = Field(description="Find-me searches of this event so far")
    window_minutes: int = Field(description="The span of the two recent counts")
    recent_searches: int
    recent_found: int = Field(description="Recent searches that found at least one photo")
    hot_photos: list[HotPhoto] = Field(
        description="Public photos most often found, each by at least `min_sessions` searches (so none"
        " gives away a single search)"
    )
    min_sessions: int


class ConsentStatus(Model):
    consent_text: str
    consent_version: str = Field(description="SHA-256 of consent_text: send it back to agree to that text")
    consented: bool = Field(description="Whether this viewing session agreed to this text")


class ControlResult(Model):
    kind: Literal["hide", "forget"]
    faces: int = Field(description="Faces hidden or deleted")
    photos: int
    message: str


class PrivacyNotice(Model):
    event: str
    face_search: bool = Field(description="Whether find me by selfie works for this event now")
    no_biometrics: bool
    blur_forgotten_faces: bool = Field(description="Forget me blurs the face in thumbnails and previews")
    consent_text: str
    face_retention_days: int
    ends_on: date | None
    purge_on: date | None = Field(description="The day the event's face data is deleted (None: no photo yet)")
    purged_at: datetime | None = Field(description="When it was deleted, once it was")
    find_me_retention_minutes: int = Field(description="How long a selfie's template is kept for its session")
    paragraphs: list[str]
