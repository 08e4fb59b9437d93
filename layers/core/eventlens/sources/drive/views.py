"""The JSON contract of a Drive source: where it points and what a sync did."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from eventlens.types import Model


class DriveSourceView(Model):
    folder_id: str
    credentials: str = Field(
        description="Where the credentials are read: a file path or a Secrets Manager ARN"
    )
    synced_at: datetime | None
    error: str | None = Field(description="Why the last sync could not reach Drive (revoked access, ...)")
    incremental: bool = Field(description="The first full listing is done: syncs follow the Changes API")


class DriveSyncReport(Model):
    """One sync of a Drive folder. Every media file of the folder is counted once (`added`,
    `updated`, `moved`, `unchanged`, or in `skipped`/`ignored`/`errors`); `removed` counts files
    gone from the folder. `error` is set, and nothing was changed, when Drive refused access."""

    files: int = Field(default=0, description="Photos and videos in the folder and its subfolders")
    added: int = 0
    updated: int = Field(default=0, description="Content changed in Drive: every AI result recomputed")
    moved: int = Field(default=0, description="Renamed or moved in Drive: the photo and its AI data kept")
    removed: int = 0
    unchanged: int = 0
    skipped: list[str] = Field(default_factory=list, description="Files gone before they could be fetched")
    ignored: list[str] = Field(
        default_factory=list, description="Files that are not photos or videos we read"
    )
    errors: list[str] = Field(default_factory=list, description="Files Drive kept failing to send")
    error: str | None = None
    busy: bool = Field(
        default=False, description="Another sync of this folder was running: this one did nothing"
    )
    done: bool = True

    @property
    def processed(self) -> int:
        return self.added + self.updated + self.moved + self.removed
