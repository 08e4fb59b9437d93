"""Request bodies of the HTTP API (responses are each package's views)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, model_validator

from eventlens.compilations.views import Clip
from eventlens.media.archives import ARCHIVE_MAX_PHOTOS
from eventlens.media.collage import COLLAGE_MAX_PHOTOS
from eventlens.pipeline.graph import RunPhase
from eventlens.types import HEX_COLOUR_PATTERN, Decision, EventSettings, Model, Theme

Colour = Annotated[str, Field(pattern=HEX_COLOUR_PATTERN)]


class LoginRequest(Model):
    password: Annotated[str, Field(min_length=1, max_length=512)]
    # Required when the event's organizer_login is "cognito" (the user-pool account's email).
    username: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class PhotoPatch(Model):
    hidden: bool | None = None
    review: Decision | None = None

    @model_validator(mode="after")
    def _something(self) -> PhotoPatch:
        if self.hidden is None and self.review is None:
            raise ValueError("say hidden, review or both")
        return self


class ThemePatch(Model):
    primary: Colour | None = None
    accent: Colour | None = None
    background: Colour | None = None
    text: Colour | None = None


class SettingsPatch(Model):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    theme: ThemePatch | Theme | None = None
    face_matching: bool | None = None
    face_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    nsfw_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    near_duplicate_distance: Annotated[int, Field(ge=0, le=32)] | None = None
    visibility: Literal["public", "private"] | None = None
    consent_text: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    no_biometrics: bool | None = None
    face_retention_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    ends_on: date | None = None
    blur_forgotten_faces: bool | None = None

    @model_validator(mode="after")
    def _null_clears_only_what_can_be_unset(self) -> SettingsPatch:
        """An omitted field keeps its setting; null sets it back to unset where unset means something
        (the model's calibrated threshold, the standard consent text, the last photo's day) and is
        refused elsewhere rather than silently ignored."""
        refused = sorted(
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name not in CLEARABLE_SETTINGS
        )
        if refused:
            raise ValueError(f"{', '.join(refused)} cannot be null: send a value, or leave it out to keep it")
        return self


CLEARABLE_SETTINGS = frozenset(
    name for name, field in EventSettings.model_fields.items() if field.default is None
)
"""The settings a PATCH may set to null: those whose unset state has a meaning of its own."""


class PipelineRunRequest(Model):
    phase: RunPhase = "full"


class JobPriority(Model):
    priority: Annotated[int, Field(ge=-100, le=100, description="Higher starts first among queued jobs")]


class UploadRequest(Model):
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(min_length=3, max_length=100)]
    size: Annotated[int, Field(gt=0)]


class UploadComplete(Model):
    keys: Annotated[list[str], Field(min_length=1, max_length=1000)]
    album_id: UUID | None = Field(default=None, description="Add the uploaded photos to this album too")


class DownloadRequest(Model):
    ids: Annotated[list[UUID], Field(min_length=1, max_length=ARCHIVE_MAX_PHOTOS)]


class CollageRequest(Model):
    ids: Annotated[list[UUID], Field(min_length=1, max_length=COLLAGE_MAX_PHOTOS)]


class MatchRequest(Model):
    image_base64: Annotated[str, Field(min_length=1)]
    q: Annotated[str, Field(max_length=200)] | None = None


class ConsentRequest(Model):
    consent_version: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    session_id: str | None = None


# -- accounts, members, organizations -------------------------------------------------------------

Email = Annotated[str, Field(min_length=3, max_length=254)]
Password = Annotated[str, Field(min_length=1, max_length=512)]
Token = Annotated[str, Field(min_length=16, max_length=256)]
RoleName = Annotated[str, Field(min_length=4, max_length=16)]


class SignUpRequest(Model):
    email: Email
    password: Password
    display_name: Annotated[str, Field(max_length=200)] = ""


class SignInRequest(Model):
    email: Email
    password: Password


class EmailRequest(Model):
    email: Email


class TokenRequest(Model):
    token: Token


class ResetRequest(Model):
    token: Token
    password: Password


class RefreshRequest(Model):
    refresh_token: Token


class PasswordChange(Model):
    current_password: Password
    new_password: Password


class GrantRequest(Model):
    email: Email
    role: RoleName


class RoleChange(Model):
    role: RoleName


class TransferRequest(Model):
    """To another organization (its slug), or to another owner (an account's email, made ADMIN)."""

    organization: Annotated[str, Field(min_length=1, max_length=63)] | None = None
    owner: Email | None = None

    @model_validator(mode="after")
    def _one(self) -> TransferRequest:
        if (self.organization is None) == (self.owner is None):
            raise ValueError("name either the organization or the owner to transfer the event to")
        return self


class OrganizationCreate(Model):
    slug: Annotated[str, Field(min_length=1, max_length=63)]
    name: Annotated[str, Field(min_length=1, max_length=200)]


class OrganizationPatch(Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]


class EventCreate(Model):
    slug: Annotated[str, Field(min_length=1, max_length=63)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    visibility: Literal["public", "private"] = "public"


# -- engagement (engagement/service.py) ---------------------------------------------------------

SessionField = Annotated[str, Field(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] | None


class ViewReport(Model):
    session_id: SessionField = None
    watched_s: Annotated[float, Field(ge=0, le=86400)] = 0


class SessionBody(Model):
    session_id: SessionField = None


class WatchReport(Model):
    session_id: SessionField = None
    seconds: Annotated[float, Field(ge=0, le=3600)]
    finished: bool = False


class ReactionRequest(Model):
    reaction: Annotated[str, Field(min_length=1, max_length=40)]
    at_s: Annotated[float, Field(allow_inf_nan=False)] = 0


class CommentRequest(Model):
    session_id: SessionField = None
    body: Annotated[str, Field(min_length=1, max_length=1000)]
    author_name: Annotated[str, Field(max_length=80)] = ""
    parent_id: UUID | None = None


class LockRequest(Model):
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class CommentDecision(Model):
    status: Literal["visible", "removed"]


class CompilationRequest(Model):
    """A highlight reel: the clips in order, each trimmed (compilations.service says the limits)."""

    title: Annotated[str, Field(min_length=1, max_length=120)]
    clips: Annotated[list[Clip], Field(min_length=1, max_length=20)]
    title_card_s: Annotated[float, Field(ge=0, le=10)] = 2.0
    fps: Literal[24, 25, 30] = 25
    width: Annotated[int, Field(ge=160, le=1920, multiple_of=2)] | None = None
    height: Annotated[int, Field(ge=160, le=1920, multiple_of=2)] | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> CompilationRequest:
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither (the first clip's size)")
        return self


class OrganizationEventCreate(EventCreate):
    """`POST /api/events`: an event, and the organization (its slug) it belongs to."""

    organization: Annotated[str, Field(min_length=1, max_length=63)]
