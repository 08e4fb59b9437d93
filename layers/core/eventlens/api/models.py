"""Request and response bodies of the HTTP API (responses reuse the domain view models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from eventlens.domain import Model, Theme
from eventlens.photos import Photo

PhaseName = Literal["full", "sync", "scan", "analyze", "describe", "embed", "faces", "dedupe", "tag"]


class ErrorBody(Model):
    message: str


class Health(Model):
    status: Literal["ok"]
    database: Literal["ok"]


class LoginRequest(Model):
    password: Annotated[str, Field(min_length=1, max_length=512)]
    # Required when the event's organizer_login is "cognito" (the user-pool account's email).
    username: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class LoginResponse(Model):
    token: str = Field(description="Bearer token for the admin routes (Cognito's ID token on AWS).")
    expires_at: datetime


class PhotoPatch(Model):
    hidden: bool


class ThemePatch(Model):
    primary: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    accent: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    background: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    text: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class SettingsPatch(Model):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    theme: ThemePatch | Theme | None = None
    face_matching: bool | None = None
    nsfw_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    near_duplicate_distance: Annotated[int, Field(ge=0, le=32)] | None = None


class PipelineRunRequest(Model):
    phase: PhaseName = "full"


class RetryResponse(Model):
    requeued: int


class UploadRequest(Model):
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(min_length=3, max_length=100)]
    size: Annotated[int, Field(gt=0)]


class UploadTicket(Model):
    upload_url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    key: str


class UploadComplete(Model):
    keys: Annotated[list[str], Field(min_length=1, max_length=1000)]


class UploadCompleteResponse(Model):
    registered: int
    run_id: UUID | None


class DownloadRequest(Model):
    ids: Annotated[list[UUID], Field(min_length=1, max_length=500)]


class MatchRequest(Model):
    image_base64: Annotated[str, Field(min_length=1)]
    q: Annotated[str, Field(max_length=200)] | None = None


class PhotoList(Model):
    photos: list[Photo]
