"""Path and query parameters shared by the routers (one definition each)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from eventlens.types import SLUG_PATTERN

Slug = Annotated[str, Path(pattern=SLUG_PATTERN)]
Kind = Annotated[str | None, Query(pattern="^(photo|video)$")]
Limit = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str | None, Query(max_length=200)]
Cursor = Annotated[str | None, Query(max_length=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
"""A position in the list (photos before it skipped): where a jump through a long gallery lands."""
