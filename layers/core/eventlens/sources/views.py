"""The JSON contract of getting photos in: upload tickets, completed uploads, ingested objects."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from eventlens.types import Model


class UploadTicket(Model):
    upload_url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    key: str


class UploadCompleteResponse(Model):
    registered: int = Field(
        description="Uploaded files now known as photos (keys that are not media are not)"
    )
    run_id: UUID | None
    album_items: int = Field(default=0, description="Items added to the album the upload named")


class Ingested(Model):
    """One uploaded object, as the ingest Lambda records it (its idempotent result)."""

    key: str
    bucket: str | None
    size: int
    status: Literal["added", "updated", "alias", "unchanged", "ignored"] = Field(
        description='"alias": the bytes are another file\'s photo already; this key was recorded as its alias'
    )
    photo_id: UUID | None
    event_id: UUID | None
