"""The JSON contract of search (the API and `eventlens search --json`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from eventlens.media.views import Photo
from eventlens.types import Model

Modality = Literal["fulltext", "trigram", "semantic"]


class SearchResult(Model):
    photo: Photo
    score: float
    modalities: list[Modality]


class SearchResponse(Model):
    results: list[SearchResult]
    total: int = Field(description="Results above the relevance cut-off, all pages together")
    modalities: dict[str, int] = Field(description="How many results each modality matched")
    next_cursor: str | None = None
