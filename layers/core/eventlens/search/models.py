"""Response models and domain errors of search, find-me, similar photos and duplicates.

They are the JSON contract of the API and the CLI (`--json`): one name per concept, the
photo always as `eventlens.photos.Photo`. Errors are exceptions the API maps to statuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from eventlens.domain import Model
from eventlens.photos import Photo

Modality = Literal["fulltext", "trigram", "semantic"]


class SearchResult(Model):
    photo: Photo
    score: float
    modalities: list[Modality]


class SearchResponse(Model):
    results: list[SearchResult]
    total: int = Field(description="Results above the relevance cut-off, all pages together")
    modalities: dict[str, int] = Field(description="How many results each modality matched")
    next_cursor: str | None = None


class Match(Model):
    photo: Photo
    confidence: float = Field(ge=0, le=100)


class Recommendation(Model):
    photo: Photo
    reason: str


class MatchResponse(Model):
    matches: list[Match]
    recommendations: list[Recommendation]
    message: str


class DuplicateCluster(Model):
    cluster_id: str
    tier: Literal["exact", "near"]
    photos: list[Photo]


class HotPhoto(Model):
    photo: Photo
    matches: int = Field(description="Find-me sessions that returned this photo")


class MatchActivity(Model):
    at: datetime
    tier: str
    match_count: int
    top_confidence: float | None
    query_text: str | None


class MatchAnalytics(Model):
    sessions: int
    distinct_searchers: int = Field(description="Sessions grouped by face: one per person searching")
    hot_photos: list[HotPhoto]
    recent: list[MatchActivity]


class SearchError(Exception):
    """Base of the errors a caller turns into a 4xx response."""


class UnreadableImage(SearchError):
    pass


class SelfieTooLarge(SearchError):
    pass


class NoFaceFound(SearchError):
    pass


class SeveralFaces(SearchError):
    pass


class FaceMatchingDisabled(SearchError):
    pass


class PhotoNotFound(SearchError):
    photo_id: UUID | None = None
