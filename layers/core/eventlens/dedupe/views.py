"""The JSON contract of duplicates (the admin route and `eventlens duplicates --json`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from eventlens.media.views import Photo
from eventlens.types import Model


class DuplicateCluster(Model):
    cluster_id: str
    duplicate_kind: Literal["near"] = Field(
        default="near",
        description='"near": dHashes within near_duplicate_distance. Files with the same bytes are one'
        " photo (see exact_copies), never a cluster.",
    )
    photos: list[Photo]


class ExactCopies(Model):
    """One photo whose bytes arrived as more than one file: every file but the photo's own is an alias."""

    photo: Photo
    aliases: list[str] = Field(description="source keys of the other files with these bytes, in key order")


class DuplicateList(Model):
    clusters: list[DuplicateCluster]
    exact_copies: list[ExactCopies] = Field(
        default_factory=list, description="photos whose bytes were found under other files too, by file name"
    )
