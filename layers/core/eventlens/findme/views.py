"""The JSON contract of find me and its analytics (the API and `eventlens match --json`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from eventlens.media.views import Photo
from eventlens.types import Model

ConfidenceBand = Literal["high", "medium", "none"]
"""How sure a find-me session was of its best match (a session's `confidence_band`)."""


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
