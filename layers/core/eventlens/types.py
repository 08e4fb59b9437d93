"""Shared types: the model base, the event and its settings, and the patterns they validate with.

One pattern per concept: the slug pattern here is the one the API's path parameters, the dev
server's upload route and the database's CHECK constraint use (a test holds them equal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
"""An event's slug: lowercase letters, digits and dashes, at most 63 characters."""
SLUG = re.compile(SLUG_PATTERN)

HEX_COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"
HexColour = Annotated[str, Field(pattern=HEX_COLOUR_PATTERN)]

Kind = Literal["photo", "video"]
Review = Literal["not_needed", "pending", "approved", "rejected"]
"""A photo's review: held (pending) when its nsfw_score reaches the event's nsfw_threshold."""
Decision = Literal["approved", "rejected"]
"""What an organizer decides about a photo held for review."""
"""What a media item is: the `kind` column, the `kind` field and filter."""


class Model(BaseModel):
    """Base of every EventLens model: its validator is built on first use, not at import, so a
    Lambda pays at cold start only for the models its request touches (~40 ms less import)."""

    model_config = ConfigDict(defer_build=True)


class Theme(Model):
    primary: HexColour = "#5b5bd6"
    accent: HexColour = "#f5a524"
    background: HexColour = "#0f1115"
    text: HexColour = "#f2f3f5"


class EventSettings(Model):
    theme: Theme = Field(default_factory=Theme)
    face_matching: bool = True
    face_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Find-me similarity bar; unset: the face model's calibrated one"
    )
    near_duplicate_distance: int = Field(
        default=6, ge=0, le=32, description="Largest dHash Hamming distance between near duplicates"
    )
    nsfw_threshold: float = Field(
        default=0.8, ge=0, le=1, description="nsfw_score at or above which a photo is flagged for review"
    )
    consent_text: str | None = Field(
        default=None,
        max_length=4000,
        description="What an attendee agrees to before the first selfie search; unset: the standard text",
    )
    no_biometrics: bool = Field(
        default=False, description="No face embedding is ever computed or stored for this event"
    )
    face_retention_days: int = Field(
        default=30, ge=1, le=3650, description="Face data is purged this many days after the event ends"
    )
    ends_on: date | None = Field(
        default=None, description="The day the event ends; unset: the day its last photo arrived"
    )
    blur_forgotten_faces: bool = Field(
        default=False,
        description="Blur a forgotten person's face in the thumbnails and previews (never in the original)",
    )


class Event(Model):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    slug: str
    name: str
    settings: EventSettings = Field(default_factory=EventSettings)
    created_at: datetime | None = None
    sessions_valid_after: datetime | None = None
    """Organizer tokens issued before this are refused (a password change, "sign out everywhere")."""
    organization_id: UUID | None = None
    visibility: Literal["public", "private"] = "public"
    """A private event's gallery is seen only by those whose role may view it (access.rights)."""
    grants_version: int = 0
    """Its organization's grants version when read: a cached role older than it is stale."""

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("slug must be lowercase letters, digits and dashes (max 63)")
        return value


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The seed's cheap duplicate key of a video (with its size in bytes): equal fingerprints make
    candidates, the content hash decides. Width and height are upright, as analyze stores them."""

    duration_s: float
    width: int
    height: int
