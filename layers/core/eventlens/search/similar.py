"""More like this: photos near one photo by description meaning and by the people in it."""

from __future__ import annotations

from uuid import UUID

from eventlens.config import settings
from eventlens.db import scoped, search_repo
from eventlens.domain import Event
from eventlens.photos import Photo, photo_view
from eventlens.search.faces import face_threshold
from eventlens.search.models import PhotoNotFound


def similar_photos(event: Event, photo_id: UUID, limit: int = 24) -> list[Photo]:
    """Visible photos most like `photo_id`: description cosine plus a bonus per shared face."""
    cfg = settings()
    threshold = face_threshold(event, cfg.face_model)
    with scoped(event.id) as conn:
        if not search_repo.photo_exists(conn, photo_id):
            raise PhotoNotFound(f"no photo {photo_id} in this event")
        search_repo.tune_hnsw(conn)
        rows = search_repo.similar_photos(
            conn, photo_id, cfg.text_embedder, cfg.face_model, threshold, max(1, min(limit, 100))
        )
    return [photo_view(r) for r in rows]
