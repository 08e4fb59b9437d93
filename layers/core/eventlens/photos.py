"""The photo as the gallery sees it: one view model, built from a row, with browser URLs."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from eventlens.domain import Kind, Model
from eventlens.storage import BlobStore, blob_store

PHOTO_COLUMNS = (
    "p.id, p.source_key, p.filename, p.folder, p.kind, p.mime, p.width, p.height, p.duration_s, p.taken_at, "
    "p.visible_text, p.people_descriptions, p.scene_description, p.face_count, p.auto_tag, p.hidden, "
    "p.nsfw_score, p.thumbnails, p.duplicate_cluster, p.duplicate_tier, p.created_at"
)
"""The columns every photo view needs (never the embedding): `SELECT {PHOTO_COLUMNS} FROM photos p`."""


class Photo(Model):
    id: UUID
    filename: str
    folder: str
    kind: Kind
    mime: str | None
    width: int | None
    height: int | None
    duration_s: float | None
    taken_at: datetime | None
    visible_text: str
    people_descriptions: str
    scene_description: str
    face_count: int | None
    auto_tag: str | None
    hidden: bool
    nsfw_score: float | None
    duplicate_cluster: str | None = None
    duplicate_tier: str | None = None
    thumbnail_url: str | None
    preview_url: str | None
    original_url: str
    alt: str


def alt_text(row: dict[str, Any]) -> str:
    parts = [row.get("scene_description") or "", row.get("people_descriptions") or ""]
    text = ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())
    if row.get("visible_text"):
        text = f"{text}. Text: {row['visible_text'][:120]}" if text else f"Text: {row['visible_text'][:120]}"
    return text or f"{'Video' if row.get('kind') == 'video' else 'Photo'} {row['filename']}"


def photo_view(row: dict[str, Any], store: BlobStore | None = None) -> Photo:
    store = store or blob_store()
    thumbs: dict[str, str] = row.get("thumbnails") or {}
    small = thumbs.get("320") or thumbs.get("640")
    large = thumbs.get("1920") or thumbs.get("640") or small
    return Photo(
        id=row["id"],
        filename=row["filename"],
        folder=row["folder"],
        kind=row["kind"],
        mime=row["mime"],
        width=row["width"],
        height=row["height"],
        duration_s=row["duration_s"],
        taken_at=row["taken_at"],
        visible_text=row["visible_text"],
        people_descriptions=row["people_descriptions"],
        scene_description=row["scene_description"],
        face_count=row["face_count"],
        auto_tag=row["auto_tag"],
        hidden=row["hidden"],
        nsfw_score=row["nsfw_score"],
        duplicate_cluster=row.get("duplicate_cluster"),
        duplicate_tier=row.get("duplicate_tier"),
        thumbnail_url=store.url_for_get(small) if small else None,
        preview_url=store.url_for_get(large) if large else None,
        original_url=store.url_for_get(row["source_key"]),
        alt=alt_text(row),
    )


def originals_prefix(slug: str) -> str:
    """Where an event's originals live in the blob store (and the S3 notification's filter)."""
    return f"events/{slug}/originals/"


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise ValueError("malformed cursor") from None
    if not isinstance(values, list):
        raise ValueError("malformed cursor")
    return values
