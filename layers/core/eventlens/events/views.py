"""The event as the gallery and the dashboard read it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from eventlens.config import OrganizerLogin
from eventlens.types import EventSettings, Model


class EventView(Model):
    slug: str
    name: str
    settings: EventSettings
    photo_count: int
    folders: list[str]
    tags: list[str]
    visibility: Literal["public", "private"] = Field(
        default="public",
        description="private: only its members see the gallery (access/rights.py gallery.view).",
    )
    max_selfie_bytes: int = Field(
        default=8 * 1024 * 1024,
        description="The largest selfie find me takes (the page refuses larger ones itself).",
    )
    organizer_login: OrganizerLogin = Field(
        description='What the dashboard asks for: "password" (the event\'s) or "cognito" (username too).'
    )
