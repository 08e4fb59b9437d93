"""The JSON contract of the first-run wizard."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from eventlens.jobs.views import PipelineRun
from eventlens.types import Model, Theme


class SetupStatus(Model):
    needed: bool = Field(description="The installation has no event yet: the wizard is the way in")
    code_issued: bool = Field(description="`eventlens serve` printed a setup code that the wizard must send")


class SetupSource(Model):
    kind: Literal["folder", "s3", "drive", "none"] = "none"
    location: Annotated[str, Field(max_length=2048)] = Field(
        default="", description="folder: a path on this machine; s3: s3://bucket/prefix; drive: the folder id"
    )
    credentials: Annotated[str, Field(max_length=2048)] = Field(
        default="", description="drive: the service-account JSON file on this machine"
    )


class SetupRequest(Model):
    code: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="The setup code `eventlens serve` printed"
    )
    organization_slug: Annotated[str, Field(min_length=1, max_length=63)]
    organization_name: Annotated[str, Field(min_length=1, max_length=200)]
    event_slug: Annotated[str, Field(min_length=1, max_length=63)]
    event_name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(min_length=3, max_length=254)]
    password: Annotated[str, Field(min_length=10, max_length=200)]
    display_name: Annotated[str, Field(max_length=200)] = ""
    source: SetupSource = Field(default_factory=SetupSource)
    theme: Theme = Field(default_factory=Theme)
    face_matching: bool = True
    consent_text: Annotated[str, Field(max_length=4000)] | None = Field(
        default=None,
        description="What a visitor agrees to before find-me (kept where the event has the setting)",
    )
    visibility: Literal["public", "private"] = "public"


class SetupResult(Model):
    event: str = Field(description="The new event's slug")
    organization: str
    email: str = Field(description="The organizer account, SUPER_ADMIN of the installation")
    run: PipelineRun | None = Field(description="The first run, started; None without a source")
    consent_text_kept: bool = Field(
        description="The consent text was stored on the event (False: this installation has no such setting)"
    )
