"""Find me: a selfie in, the photos showing that person out, and what the event learns from it.

The selfie is decoded in memory under a byte cap and a pixel cap (a decompression bomb never
reaches the decoder), turned upright by its EXIF orientation, and dropped after embedding: only
the embedding and the outcome are kept, as a match session.
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from importlib import resources
from typing import Any
from uuid import UUID

import numpy as np

from eventlens.config import settings
from eventlens.db import scoped, search_repo
from eventlens.db.photos_repo import PhotoFilter
from eventlens.domain import Event
from eventlens.photos import photo_view
from eventlens.search.models import (
    FaceMatchingDisabled,
    Match,
    MatchActivity,
    MatchAnalytics,
    MatchResponse,
    NoFaceFound,
    SelfieTooLarge,
    SeveralFaces,
    UnreadableImage,
)

SELFIE_MAX_SIDE = 1920
"""Selfies are decoded at most this large (JPEG draft mode): the detector works at that size anyway."""

SELFIE_MAX_PIXELS = 50_000_000
"""Declared dimensions above this are refused before decoding (decompression-bomb guard)."""

SIMILAR_SIZE = 0.5
"""A second face whose area x score reaches this share of the best one makes the selfie ambiguous."""

MATCH_K = 300
"""Nearest faces read per find-me; a person appears in fewer photos than this at any event we serve."""

NEAR_MISS = 0.05
"""Faces this far under the threshold become "you might also appear in" suggestions."""

CONFIDENT_MARGIN = 0.3
"""Similarity this far above the threshold reads as 100 %; the threshold itself reads as 50 %."""


@lru_cache(maxsize=1)
def calibrated_thresholds() -> dict[str, Any]:
    """Thresholds measured by benchmarks/faces_quality.py, shipped next to this module."""
    try:
        return dict(json.loads((resources.files("eventlens.search") / "thresholds.json").read_text()))
    except (OSError, ValueError):
        return {}


def face_threshold(event: Event, model: str) -> float:
    """The event's override, else the calibrated value, else the model's published default."""
    if event.settings.face_threshold is not None:
        return event.settings.face_threshold
    calibrated = calibrated_thresholds().get(model)
    if isinstance(calibrated, dict) and "threshold" in calibrated:
        return float(calibrated["threshold"])
    from eventlens.models.faces import THRESHOLDS

    return THRESHOLDS[model]


def confidence(similarity: float, threshold: float) -> float:
    """Similarity as a percentage: 50 at the threshold, 100 at threshold + CONFIDENT_MARGIN."""
    value = 50.0 + 50.0 * (similarity - threshold) / CONFIDENT_MARGIN
    return round(min(100.0, max(0.0, value)), 1)


def tier(top_similarity: float | None, threshold: float) -> str:
    if top_similarity is None or top_similarity < threshold:
        return "none"
    return "high" if top_similarity >= threshold + CONFIDENT_MARGIN / 2 else "medium"


def decode_selfie(data: bytes, max_bytes: int | None = None) -> np.ndarray:
    """RGB uint8 array of an upright, at most SELFIE_MAX_SIDE image, or a domain error."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    limit = max_bytes if max_bytes is not None else settings().max_selfie_bytes
    if len(data) > limit:
        raise SelfieTooLarge(f"selfie is {len(data)} bytes; the limit is {limit}")
    if not data:
        raise UnreadableImage("empty image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > min(SELFIE_MAX_PIXELS, settings().max_image_pixels):
                raise SelfieTooLarge(f"selfie is {width}x{height} pixels; too large to decode safely")
            image.draft("RGB", (SELFIE_MAX_SIDE, SELFIE_MAX_SIDE))
            upright = ImageOps.exif_transpose(image) or image
            rgb = upright.convert("RGB")
            rgb.thumbnail((SELFIE_MAX_SIDE, SELFIE_MAX_SIDE))
            return np.asarray(rgb)
    except SelfieTooLarge:
        raise
    except Image.DecompressionBombError as exc:
        raise SelfieTooLarge("selfie has too many pixels to decode safely") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImage("the selfie could not be read as an image") from exc


def selfie_embedding(rgb: np.ndarray, model_name: str) -> np.ndarray:
    """Embedding of the selfie's face: largest x most confident, refusing ambiguous group shots."""
    from eventlens.models.faces import face_model

    faces = face_model(model_name).detect(rgb)
    if not faces:
        raise NoFaceFound("no face found in the selfie: try a well-lit, front-facing photo")
    weights = sorted(((f.bbox[2] * f.bbox[3] * f.score, i) for i, f in enumerate(faces)), reverse=True)
    if len(weights) > 1 and weights[1][0] >= SIMILAR_SIZE * weights[0][0]:
        raise SeveralFaces("several faces of similar size: crop the selfie to your own face")
    return np.asarray(faces[weights[0][1]].embedding, np.float32)


def find_me(event: Event, image: bytes, query: str | None = None) -> MatchResponse:
    """Photos showing the selfie's face (optionally also matching `query`), with suggestions."""
    if not event.settings.face_matching:
        raise FaceMatchingDisabled("face matching is turned off for this event")
    model = settings().face_model
    embedding = selfie_embedding(decode_selfie(image), model)
    return match_embedding(event, embedding, model, query)


def match_embedding(
    event: Event, embedding: np.ndarray, model: str, query: str | None = None
) -> MatchResponse:
    """Find-me from an embedding: kNN, threshold, dedupe per photo, session record, suggestions."""
    from eventlens.search.recommendations import recommend

    threshold = face_threshold(event, model)
    with scoped(event.id) as conn:
        search_repo.tune_hnsw(conn)
        rows = search_repo.face_neighbours(conn, embedding, model, threshold - NEAR_MISS, MATCH_K)
        previous = search_repo.nearest_session(conn, embedding, model)
    mine = [r for r in rows if r["similarity"] >= threshold]
    near = [r for r in rows if r["similarity"] < threshold]
    if query and query.strip() and mine:
        mine = _rank_by_text(event, mine, query)
    top = max((r["similarity"] for r in mine), default=None)
    matches = [Match(photo=photo_view(r), confidence=confidence(r["similarity"], threshold)) for r in mine]
    with scoped(event.id) as conn:
        search_repo.tune_hnsw(conn)
        recommendations = recommend(conn, embedding, model, threshold, mine, near)
        search_repo.record_session(
            conn,
            embedding,
            model,
            tier(top, threshold),
            [r["id"] for r in mine],
            confidence(top, threshold) if top is not None else None,
            query,
        )
    seen = previous if previous is not None and previous["similarity"] >= threshold else None
    return MatchResponse(
        matches=matches, recommendations=recommendations, message=_message(matches, seen, query)
    )


def _rank_by_text(event: Event, mine: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """My photos that also match `query`, best text match first (face similarity breaks ties)."""
    from eventlens.search.hybrid import ranked_candidates

    by_id = {r["id"]: r for r in mine}
    ranked, _ = ranked_candidates(event, query, PhotoFilter(), photo_ids=list(by_id))
    return [by_id[r.candidate.id] for r in ranked if r.candidate.id in by_id]


def _message(matches: list[Match], seen: dict[str, Any] | None, query: str | None) -> str:
    if matches:
        found = f"Found you in {len(matches)} photo{'s' if len(matches) != 1 else ''}"
        found += f" matching “{query.strip()}”." if query and query.strip() else "."
        return found + (" Welcome back: we've seen a similar face before." if seen else "")
    if seen and seen["match_count"]:
        return (
            f"We've seen a similar face before and it matched {seen['match_count']} photos; "
            "this selfie found none. Try again with a brighter, front-facing selfie, without sunglasses."
        )
    if seen:
        return "We've seen a similar face before, still with no photos: new photos may still be processing."
    if query and query.strip():
        return f"No photos of you matching “{query.strip()}”. Try without the text."
    return "No photos matched. Try a well-lit, front-facing selfie without sunglasses or a hat."


def match_analytics(event: Event, recent: int = 20, hot: int = 12) -> MatchAnalytics:
    """Find-me activity for organizers: sessions, distinct people searching, hot photos, latest searches."""
    model = settings().face_model
    threshold = face_threshold(event, model)
    with scoped(event.id) as conn:
        stats = search_repo.session_stats(conn, recent, hot)
        embeddings = search_repo.session_embeddings(conn, model)
    from eventlens.search.models import HotPhoto

    return MatchAnalytics(
        sessions=stats["sessions"],
        distinct_searchers=count_people(embeddings, threshold),
        hot_photos=[HotPhoto(photo=photo_view(r), matches=r["matches"]) for r in stats["hot"]],
        recent=[MatchActivity.model_validate(r) for r in stats["recent"]],
    )


def count_people(embeddings: np.ndarray, threshold: float) -> int:
    """Greedy leader clustering: a session joins the first earlier person it matches, else is a new one."""
    leaders: list[np.ndarray] = []
    for vector in embeddings:
        if not leaders or float(np.max(np.stack(leaders) @ vector)) < threshold:
            leaders.append(vector)
    return len(leaders)


def matched_photo_ids(response: MatchResponse) -> list[UUID]:
    return [m.photo.id for m in response.matches]
