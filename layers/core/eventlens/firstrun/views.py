"""The JSON contract of the first-run wizard."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from eventlens.jobs.views import PipelineRun
from eventlens.types import Model, Theme


class SetupStatus(Model):
    needed: bool = Field(description="The installation has no event yet: the wizard is the way in")
    code_issued: bool = Field(description="`eventlens serve` printed a setup code that the wizard must send")
    sign_in: Literal["code", "admin"] = Field(
        default="code",
        description="code: the setup code makes the first organizer (embedded); admin: the"
        " installation's admin signs in and sets up any event (AWS: Cognito, group `admins`)",
    )


class SetupSource(Model):
    kind: Literal["folder", "s3", "drive", "none"] = "none"
    location: Annotated[str, Field(max_length=2048)] = Field(
        default="", description="folder: a path on this machine; s3: s3://bucket/prefix; drive: the folder id"
    )
    credentials: Annotated[str, Field(max_length=2048)] = Field(
        default="", description="drive: the service-account JSON file on this machine"
    )


class EventSetup(Model):
    """What the wizard sets up: the organization (made if new), the event, its source, look and
    find-me. An installation admin signed in on AWS sends only this (`POST /api/setup/event`)."""

    organization_slug: Annotated[str, Field(min_length=1, max_length=63)]
    organization_name: Annotated[str, Field(min_length=1, max_length=200)]
    event_slug: Annotated[str, Field(min_length=1, max_length=63)]
    event_name: Annotated[str, Field(min_length=1, max_length=200)]
    source: SetupSource = Field(default_factory=SetupSource)
    theme: Theme = Field(default_factory=Theme)
    face_matching: bool = True
    consent_text: Annotated[str, Field(max_length=4000)] | None = Field(
        default=None,
        description="What a visitor agrees to before find-me (kept where the event has the setting)",
    )
    visibility: Literal["public", "private"] = "public"


class SetupRequest(EventSetup):
    """The embedded first run: the setup code, and the organizer account it creates."""

    code: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="The setup code `eventlens serve` printed"
    )
    email: Annotated[str, Field(min_length=3, max_length=254)]
    password: Annotated[str, Field(min_length=10, max_length=200)]
    display_name: Annotated[str, Field(max_length=200)] = ""


class AdminSignIn(Model):
    username: Annotated[str, Field(min_length=3, max_length=254)] = Field(
        description="The installation admin's user-pool account (its email)"
    )
    password: Annotated[str, Field(min_length=1, max_length=256)]


class AdminToken(Model):
    token: str = Field(description="The ID token the HTTP API's authorizer accepts (send it as a bearer)")
    expires_at: int = Field(description="Seconds since the epoch")


class SetupResult(Model):
    event: str = Field(description="The new event's slug")
    organization: str
    email: str = Field(
        description="The organizer account: made SUPER_ADMIN of the installation, or the admin who set it up"
    )
    run: PipelineRun | None = Field(description="The first run, started; None without a source")
    consent_text_kept: bool = Field(
        description="The consent text was stored on the event (False: this installation has no such setting)"
    )
