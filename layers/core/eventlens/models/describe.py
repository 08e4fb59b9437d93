"""What a describer returns for one photo, and what it may know about the photo beforehand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Description:
    visible_text: str
    people_descriptions: str
    scene_description: str
    face_count: int | None


@dataclass(frozen=True)
class DescribeContext:
    filename: str
    folder: str
    taken_at: datetime | None = None
    face_count: int | None = None
    exif: dict = field(default_factory=dict)
