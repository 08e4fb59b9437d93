"""The JSON contract of search (the API and `eventlens search --json`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from eventlens.media.views import Photo
from eventlens.types import Model

Modality = Literal["fulltext", "trigram", "semantic"]


REASONS: dict[str, str] = {
    "fulltext": "has your words",
    "trigram": "has a word spelt like yours",
    "semantic": "is about what you asked",
}
"""Why a photo came back, for an attendee: the strongest way it matched (words over spelling over
meaning). "full text", "trigram" and "semantic" are the engineers' names for the same three."""


class SearchResult(Model):
    photo: Photo
    score: float
    modalities: list[Modality]
    reason: str = Field(description="Why it matched, in an attendee's words ('has your words')")


class SearchResponse(Model):
    results: list[SearchResult]
    total: int = Field(description="Results above the relevance cut-off, all pages together")
    modalities: dict[str, int] = Field(description="How many results each modality matched")
    corrected_query: str | None = Field(
        default=None, description="Set when nothing matched the query as typed: the words searched instead"
    )
    summary: str = Field(
        default="", description="The result line: '3 photos for “cat”: 1 has your words, 2 are about it'"
    )
    next_cursor: str | None = None


def _strongest(modalities: list[str]) -> str:
    return next((m for m in REASONS if m in modalities), "semantic")


def reason(modalities: list[str]) -> str:
    return REASONS[_strongest(modalities)]


def summary(query: str, matched: list[list[str]], corrected: str | None = None) -> str:
    """ "3 photos for “cat” · 1 has your words, 2 are about what you asked", "No photos for “xyz”",
    or, after a correction, "2 photos for “DuckBot” (nothing for “dukbot”) · ..."."""
    shown = f"“{corrected}” (nothing for “{query}”)" if corrected else f"“{query}”"
    if not matched:
        return f"No photos for {shown}"
    counts = dict.fromkeys(REASONS, 0)
    for modalities in matched:
        counts[_strongest(modalities)] += 1
    noun = "photo" if len(matched) == 1 else "photos"
    parts = [_phrase(count, modality) for modality, count in counts.items() if count]
    return f"{len(matched)} {noun} for {shown} · {', '.join(parts)}"


_PLURAL = {
    "has your words": "have your words",
    "has a word spelt like yours": "have a word spelt like yours",
    "is about what you asked": "are about what you asked",
}


def _phrase(count: int, modality: str) -> str:
    text = REASONS[modality]
    return f"{count} {text if count == 1 else _PLURAL[text]}"
