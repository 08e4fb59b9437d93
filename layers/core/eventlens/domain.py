"""Domain models shared by the API, the pipeline and the CLI (one name per concept)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"


class Model(BaseModel):
    """Base of every EventLens model: its validator is built on first use, not at import, so a
    Lambda pays at cold start only for the models its request touches (~40 ms less import)."""

    model_config = ConfigDict(defer_build=True)


class Theme(Model):
    primary: str = Field(default="#5b5bd6", pattern=HEX_COLOUR)
    accent: str = Field(default="#f5a524", pattern=HEX_COLOUR)
    background: str = Field(default="#0f1115", pattern=HEX_COLOUR)
    text: str = Field(default="#f2f3f5", pattern=HEX_COLOUR)


class EventSettings(Model):
    theme: Theme = Field(default_factory=Theme)
    face_matching: bool = True
    face_threshold: float | None = Field(default=None, ge=0, le=1, description="Overrides the model's")
    near_duplicate_distance: int = Field(default=6, ge=0, le=32)
    nsfw_threshold: float = Field(default=0.8, ge=0, le=1)


class Event(Model):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    slug: str
    name: str
    settings: EventSettings = Field(default_factory=EventSettings)
    created_at: datetime | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("slug must be lowercase letters, digits and dashes (max 63)")
        return value


PhaseStatus = Literal["pending", "processing", "completed", "error", "skipped"]
Kind = Literal["photo", "video"]
