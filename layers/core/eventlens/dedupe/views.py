"""The JSON contract of duplicate clusters (the admin route and `eventlens duplicates --json`)."""

from __future__ import annotations

from typing import Literal

from eventlens.media.views import Photo
from eventlens.types import Model


class DuplicateCluster(Model):
    cluster_id: str
    kind: Literal["exact", "near"]
    photos: list[Photo]


class DuplicateList(Model):
    clusters: list[DuplicateCluster]
