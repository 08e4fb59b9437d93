"""The JSON contract of duplicate clusters (the admin route and `eventlens duplicates --json`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from eventlens.media.views import Photo
from eventlens.types import Model


class DuplicateCluster(Model):
    cluster_id: str
    duplicate_kind: Literal["exact", "near"] = Field(
        description='"exact": every photo has the same bytes; else "near"'
    )
    photos: list[Photo]


class DuplicateList(Model):
    clusters: list[DuplicateCluster]
