"""A compilation as the API and the CLI show it: its recipe (clips, title card, frame) and its reel."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from eventlens.types import Model

CompilationStatus = Literal["pending", "building", "ready", "failed"]


class Clip(Model):
    """One clip of a reel: a video of the event from `in_s` to `out_s` (seconds from its start)."""

    photo_id: UUID
    in_s: float = Field(ge=0)
    out_s: float = Field(gt=0)


class Compilation(Model):
    compilation_id: UUID
    title: str
    status: CompilationStatus
    clips: list[Clip] = Field(description="In reel order")
    source_ids: list[UUID] = Field(description="The clips' items, in reel order")
    title_card_s: float
    fps: int
    width: int | None = Field(description="Null until built when none was asked for (the first clip's)")
    height: int | None
    duration_s: float = Field(description="The title card plus every clip's trim")
    photo_id: UUID | None = Field(description="The reel, a video of the library, once ready")
    player_url: str | None = Field(description="The player page of the reel, once ready")
    error: str | None
    created_at: datetime


class CompilationList(Model):
    compilations: list[Compilation]
