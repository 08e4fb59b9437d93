"""The JSON contract of a live folder: where it is and what a sync saw."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from eventlens.types import Model


class LiveSourceView(Model):
    location: str = Field(description="An absolute folder path, or s3://bucket/prefix/")
    synced_at: datetime | None
    error: str | None = Field(description="Why the last sync could not list the folder")


class LiveSyncReport(Model):
    """One sync of a live folder, counted per file: every file still there is `added`,
    `renamed`, `moved`, `modified` or `unchanged` (or `ignored`, or in `errors`); `removed` counts
    files gone. `read` says how many files had to be read (the rest were known by their stamp)."""

    files: int = Field(default=0, description="Files in the folder and its subfolders")
    added: int = 0
    renamed: int = Field(default=0, description="Same folder, other name: the photo and its AI data kept")
    moved: int = Field(default=0, description="Into another folder: the photo and its AI data kept")
    modified: int = Field(default=0, description="New bytes under the same name: every AI result recomputed")
    removed: int = Field(default=0, description="Gone from the folder: out of the gallery")
    unchanged: int = 0
    ignored: list[str] = Field(default_factory=list, description="Files that are not photos or videos")
    errors: list[str] = Field(default_factory=list, description="Files that could not be read")
    read: int = Field(default=0, description="Files read and hashed (new or changed stamps)")
    error: str | None = Field(default=None, description="The folder could not be listed: nothing changed")
    busy: bool = Field(
        default=False, description="Another sync of this folder was running: this one did nothing"
    )
    done: bool = Field(
        default=True,
        description="False: the budget ran out (a listing of many pages, many new files); the next sync"
        " goes on where this one stopped",
    )

    @property
    def changed(self) -> int:
        return self.added + self.renamed + self.moved + self.modified + self.removed
