"""Find me: a selfie in, the photos showing that person out, and what the event learns from it.

One request opens one transaction for its work: kNN, the optional text filter, suggestions and
the session record (the outcome, never the selfie). The face template (the selfie's embedding) is
kept only under the visitor's own find-me session key (`findme.session`), only for
`find_me_retention_minutes`, and is compared only with that session's earlier searches: no reply
says anything about anyone else's search (docs/security.md, "Faces and find me").
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import numpy as np

from eventlens.audit import service as audit
from eventlens.config import settings
from eventlens.db import Tx
from eventlens.db.photos import PhotoFilter, PhotoRow
from eventlens.db.vectors import tune_hnsw
from eventlens.faceclusters.service import SearcherCrew, searcher_crew
from eventlens.findme import repo
from eventlens.findme.recommendations import recommend
from eventlens.findme.selfie import decode_selfie, selfie_embedding
from eventlens.findme.thresholds import confidence, confidence_band, face_threshold
from eventlens.findme.views import (
    CrewAlbum,
    CrewFace,
    FaceBox,
    FindMeActivity,
    HotPhoto,
    Match,
    MatchActivity,
    MatchAnalytics,
    MatchResponse,
)
from eventlens.media.views import photo_view
from eventlens.scope import Scope
from eventlens.types import Event

log = logging.getLogger(__name__)

MATCH_K = 300
"""Nearest faces read per find-me; a person appears in fewer photos than this at any event we serve."""

CREW_ALBUM_MAX = 60
"""Group photos of the searcher's crew in the reply's crew album (the first 12 also suggested)."""

NEAR_MISS = 0.05
"""Faces this far under the threshold become "you might also appear in" suggestions."""

PURGE_INTERVAL_S = 300.0
"""How often the embedded server purges expired face templates (find me also purges its event's)."""

KEPT_PREFIX = "system/find-me-kept/"
"""One object per minute in which a find-me kept a face template (`<prefix>YYYYMMDDHHMM`): the
scheduled purge on AWS lists them (S3, not the database) and connects only while one is young
enough for its template to be kept, so an idle gallery's Aurora stays paused at 0 ACU."""
CLOCK_MARGIN = timedelta(minutes=2)
"""Room for the database's clock and the marker's name to disagree."""


def find_me(scope: Scope, image: bytes, query: str | None = None) -> MatchResponse:
    """Photos showing the selfie's face (optionally also matching `query`), with suggestions."""
    from eventlens.findme.control import require_face_search

    require_face_search(scope)
    model = settings().face_model
    embedding = selfie_embedding(decode_selfie(image), model)
    return match_embedding(scope, embedding, model, query)


def match_embedding(
    scope: Scope, embedding: np.ndarray, model: str, query: str | None = None
) -> MatchResponse:
    """Find-me from an embedding: kNN, threshold, dedupe per photo, session record, suggestions.

    Compared only with the same session's earlier searches (`scope.subject`, a visitor's session
    key); without a session nothing is compared and no face template is kept.
    """
    from eventlens.search.service import normalize, query_embedding

    event = scope.tenant()
    threshold = face_threshold(event, model)
    retention = settings().find_me_retention_minutes
    session = scope.subject if scope.actor == "visitor" else None
    kept_under = session if retention > 0 else None  # the key its template is kept under; None: not kept
    purge_expired_templates(event=event)
    text = normalize(query) if query else ""
    text_embedding = query_embedding(text) if text else None
    with scope.transaction() as tx:
        tune_hnsw(tx)
        found = repo.face_neighbours(tx, embedding, model, threshold - NEAR_MISS, MATCH_K)
        previous = repo.nearest_session(tx, embedding, model, kept_under, retention) if kept_under else None
        boxes = {n.photo.id: n.bbox for n in found}
        mine = [(n.photo, n.similarity) for n in found if n.similarity >= threshold]
        near = [n.photo for n in found if n.similarity < threshold]
        if text and mine:
            mine = _rank_by_text(tx, mine, text, text_embedding)
        top = max((s for _, s in mine), default=None)
        my_faces = (
            [f.id for f in repo.nearest_faces(tx, embedding, model, threshold, MATCH_K)] if mine else []
        )
        repo.record_session(
            tx,
            embedding if kept_under else None,
            model,
            session,
            confidence_band(top, threshold),
            [r.id for r, _ in mine],
            confidence(top, threshold) if top is not None else None,
            query,
        )
    if kept_under:
        mark_template_kept()
    crew = searcher_crew(event, my_faces, {r.id for r, _ in mine}, CREW_ALBUM_MAX) if my_faces else None
    recommendations = recommend([r for r, _ in mine], near, crew.photos if crew else [])
    matches = [
        Match(photo=photo_view(row), confidence=confidence(s, threshold), face=face_box(row, boxes[row.id]))
        for row, s in mine
    ]
    earlier = previous if previous is not None and previous.similarity >= threshold else None
    return MatchResponse(
        matches=matches,
        recommendations=recommendations,
        message=_message(matches, earlier, query),
        crew=crew_album(crew),
    )


def crew_album(crew: SearcherCrew | None) -> CrewAlbum | None:
    """ "You were photographed with…" and the crew's photos, as the gallery shows them."""
    if crew is None or not crew.mates:
        return None
    return CrewAlbum(
        photographed_with=[
            CrewFace(shared_photos=shared, cover=photo_view(row), cover_bbox=bbox)
            for shared, row, bbox in crew.mates
        ],
        photos=[photo_view(row) for row, _ in crew.photos],
    )


def purge_expired_templates(now: datetime | None = None, event: Event | None = None) -> int:
    """Forget (set to NULL) every find-me face template older than `find_me_retention_minutes`
    before `now` (default: the database's clock), in `event` or in every event; return how many.

    Runs as the `system` actor, one event per transaction (the policies allow it nothing else:
    it may only set `embedding` to NULL). Called at the start of each find-me for its event, by
    the embedded server every few minutes (`purge_periodically`) and on AWS by a scheduled Lambda.
    """
    from eventlens.events.service import list_events

    minutes = settings().find_me_retention_minutes
    forgotten = 0
    for each in [event] if event is not None else list_events():
        with Scope.system(each).transaction() as tx:
            purged = repo.forget_templates(tx, now, minutes)
            if purged:
                audit.record(
                    tx, "face_templates_purge", each.slug, templates=purged, retention_minutes=minutes
                )
            forgotten += purged
    return forgotten


def mark_template_kept(now: datetime | None = None) -> None:
    """Note that a template was kept this minute (after its row, so a purge that sees no marker
    has no template to miss)."""
    from eventlens.storage import blob_store

    minute = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M")
    blob_store().put(f"{KEPT_PREFIX}{minute}", b"", "application/octet-stream")


def purge_if_kept(now: datetime | None = None) -> int | None:
    """The scheduled purge (AWS): None, without touching the database, when no template can be
    kept; else `purge_expired_templates`, after which the markers of minutes whose templates are all
    past their retention (so purged by now) are deleted."""
    from eventlens.storage import blob_store

    store = blob_store()
    markers = [info.key for info in store.list(KEPT_PREFIX)]
    if not markers:
        return None
    now = now or datetime.now(UTC)
    forgotten = purge_expired_templates(now=now)
    cutoff = now - timedelta(minutes=settings().find_me_retention_minutes) - CLOCK_MARGIN
    for key in markers:
        try:
            minute = datetime.strptime(key.removeprefix(KEPT_PREFIX), "%Y%m%d%H%M").replace(tzinfo=UTC)
        except ValueError:
            continue
        if minute + timedelta(minutes=1) < cutoff:
            store.delete(key)
    return forgotten


def purge_periodically(stop: threading.Event, interval_s: float = PURGE_INTERVAL_S) -> None:
    """Purge expired templates now and every `interval_s` until `stop` is set (a daemon thread's
    target in the embedded server). A failed round is logged; the next one tries again."""
    from eventlens.findme.control import purge_face_data

    while True:
        try:
            forgotten = purge_expired_templates()
            if forgotten:
                log.info("find me: forgot %d face templates past their retention", forgotten)
        except Exception:
            log.exception("find me: purging expired face templates failed")
        try:
            purge_face_data()  # each event's face data, on its retention schedule (findme.control)
        except Exception:
            log.exception("retention: purging event face data failed")
        if stop.wait(interval_s):
            return


def face_box(row: PhotoRow, bbox: tuple[float, float, float, float]) -> FaceBox | None:
    """A face's pixel box as fractions of the photo, clipped to it (a detector's box may overhang)."""
    if not row.width or not row.height:
        return None
    x, y, w, h = bbox
    left, top = min(max(x / row.width, 0.0), 1.0), min(max(y / row.height, 0.0), 1.0)
    right, bottom = min(max((x + w) / row.width, 0.0), 1.0), min(max((y + h) / row.height, 0.0), 1.0)
    return FaceBox(x=left, y=top, w=right - left, h=bottom - top)


def _rank_by_text(
    tx: Tx, mine: list[tuple[PhotoRow, float]], text: str, embedding: np.ndarray | None
) -> list[tuple[PhotoRow, float]]:
    """My photos that also match `text`, best text match first (face similarity breaks ties)."""
    from eventlens.search.service import ranked_candidates

    by_id = {row.id: (row, s) for row, s in mine}
    ranked, _ = ranked_candidates(tx, text, PhotoFilter(), embedding, photo_ids=list(by_id))
    return [by_id[r.candidate.id] for r in ranked if r.candidate.id in by_id]


def _message(matches: list[Match], earlier: repo.PastSession | None, query: str | None) -> str:
    """What the visitor reads. `earlier`: this session's own earlier search of the same face, if any."""
    if matches:
        found = f"Found you in {len(matches)} photo{'s' if len(matches) != 1 else ''}"
        return found + (f" matching “{query.strip()}”." if query and query.strip() else ".")
    if query and query.strip():
        return f"No photos of you matching “{query.strip()}”. Try without the text."
    if earlier and earlier.match_count:
        n = earlier.match_count
        return (
            f"Your earlier selfie in this session found {n} photo{'s' if n != 1 else ''}; this one found none."
            " Try again with a brighter, front-facing selfie, without sunglasses."
        )
    if earlier:
        return "Your earlier selfie in this session found none either: new photos may still be processing."
    return "No photos matched. Try a well-lit, front-facing selfie without sunglasses or a hat."


ACTIVITY_WINDOW_MINUTES = 60
HOT_MIN_SESSIONS = 2
"""A photo is listed as hot to the public only once this many searches found it."""


def public_activity(scope: Scope, hot: int = 8) -> FindMeActivity:
    """The public ticker and hot photos: counts only (migration 0023), empty where face matching
    is off (nothing to show, and no hint that it ever ran)."""
    event = scope.tenant()
    if not event.settings.face_matching:
        return FindMeActivity(
            searches=0,
            window_minutes=ACTIVITY_WINDOW_MINUTES,
            recent_searches=0,
            recent_found=0,
            hot_photos=[],
            min_sessions=HOT_MIN_SESSIONS,
        )
    with scope.transaction() as tx:
        stats = repo.public_activity(tx, ACTIVITY_WINDOW_MINUTES, hot, HOT_MIN_SESSIONS)
    return FindMeActivity(
        searches=stats.searches,
        window_minutes=ACTIVITY_WINDOW_MINUTES,
        recent_searches=stats.recent_searches,
        recent_found=stats.recent_found,
        hot_photos=[HotPhoto(photo=photo_view(row), sessions=n) for row, n in stats.hot],
        min_sessions=HOT_MIN_SESSIONS,
    )


def match_analytics(scope: Scope, recent: int = 20, hot: int = 12) -> MatchAnalytics:
    """Find-me activity for organizers: searches, searchers, hot photos, latest searches.

    Read from outcomes only (counts, photo ids, session keys), never from face templates, so the
    numbers are the same before and after the purge.
    """
    with scope.transaction() as tx:
        stats = repo.session_stats(tx, recent, hot)
    return MatchAnalytics(
        sessions=stats.sessions,
        distinct_searchers=stats.searchers,
        hot_photos=[HotPhoto(photo=photo_view(row), sessions=n) for row, n in stats.hot],
        recent=[MatchActivity.model_validate(a, from_attributes=True) for a in stats.recent],
    )
