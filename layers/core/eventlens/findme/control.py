"""Consent and control over face data: what an attendee agrees to, "hide me", "forget me", the
event's retention purge, "no biometrics" and the privacy notice (docs/privacy.md).

Face data is biometric data (GDPR art. 9: explicit consent; BIPA: a published retention schedule
and destruction when the purpose ends). So a selfie search needs the viewing session's consent to
the event's text (recorded without any biometric data); an attendee who matched can hide their
face from everybody else's find-me, or have every face of theirs deleted; the regions they chose
are kept (never a template), so reprocessing the photos re-applies the choice; and the event's
face data is purged a stated number of days after it ends.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol, TypeVar
from uuid import UUID, uuid4

import numpy as np

from eventlens.audit import service as audit
from eventlens.config import settings
from eventlens.db import Tx
from eventlens.errors import AmbiguousMatch, ConsentRequired, FaceMatchingDisabled, NoMatchToControl
from eventlens.findme import repo
from eventlens.findme.repo import OptOutRegion
from eventlens.findme.selfie import decode_selfie, selfie_embedding
from eventlens.findme.thresholds import face_threshold
from eventlens.findme.views import ConsentStatus, ControlResult, PrivacyNotice
from eventlens.scope import Scope
from eventlens.types import Event

log = logging.getLogger(__name__)

DEFAULT_CONSENT_TEXT = (
    "To find your photos, this gallery computes a face template (a list of numbers describing your "
    "face) from your selfie and compares it with the faces in the event's photos. Your selfie is never "
    "stored. Faces in the event's photos are kept as templates until {purge}, then deleted. You can "
    "hide yourself from other people's searches or have your face data deleted at any time "
    '("hide me", "forget me"). Do you agree to this use of your face data?'
)

AMBIGUITY_MARGIN = 0.05
"""Two faces of one photo whose similarities to the selfie are this close cannot be told apart:
hide me / forget me refuses rather than act on someone else's face."""
CONTROL_K = 300
"""Nearest faces read for hide me / forget me (as find me's MATCH_K)."""
SAME_REGION_IOU = 0.5
"""A face detected on reprocessing that overlaps an opted-out region this much is that face."""

ControlKind = Literal["hide", "forget"]


class _Similar(Protocol):
    @property
    def similarity(self) -> float: ...


Hit = TypeVar("Hit", bound=_Similar)


def consent_text(event: Event) -> str:
    """The text an attendee agrees to: the organizer's, or the standard one with the purge date."""
    if event.settings.consent_text:
        return event.settings.consent_text
    return DEFAULT_CONSENT_TEXT.format(
        purge=f"{event.settings.face_retention_days} days after the event ends"
    )


def consent_version(text: str) -> str:
    """SHA-256 of the text: a consent holds for the text it was given to, so a changed text asks again."""
    return hashlib.sha256(text.encode()).hexdigest()


def consent_status(scope: Scope) -> ConsentStatus:
    """The event's consent text and whether this viewing session (`scope.subject`) agreed to it."""
    event = scope.tenant()
    text = consent_text(event)
    version = consent_version(text)
    given = False
    if scope.subject is not None:
        with scope.transaction() as tx:
            given = repo.has_consent(tx, scope.subject, version)
    return ConsentStatus(consent_text=text, consent_version=version, consented=given)


def give_consent(scope: Scope, version: str) -> ConsentStatus:
    """Record that this viewing session agreed to the text of `version`; a stale version asks again."""
    event = scope.tenant()
    text = consent_text(event)
    current = consent_version(text)
    if version != current:
        raise ConsentRequired("The consent text has changed: read it again", text, current)
    with scope.transaction() as tx:
        if scope.subject is None or not repo.has_consent(tx, scope.subject, current):
            repo.record_consent(tx, scope.subject, current)
    return ConsentStatus(consent_text=text, consent_version=current, consented=True)


def require_consent(scope: Scope, inline_version: str | None = None) -> None:
    """Refuse (428, with the text) a selfie search, hide me or forget me without consent: the
    session's recorded one, or `inline_version` sent with this very request (then recorded)."""
    require_face_search(scope)
    event = scope.tenant()
    text = consent_text(event)
    version = consent_version(text)
    if inline_version is not None and inline_version == version:
        with scope.transaction() as tx:
            if scope.subject is None or not repo.has_consent(tx, scope.subject, version):
                repo.record_consent(tx, scope.subject, version)
        return
    if scope.subject is not None:
        with scope.transaction() as tx:
            if repo.has_consent(tx, scope.subject, version):
                return
    raise ConsentRequired("Agree to the use of your face data before searching with a selfie", text, version)


def require_face_search(scope: Scope) -> None:
    """Refuse when the event does no face matching: turned off, no biometrics, or purged."""
    event = scope.tenant()
    if event.settings.no_biometrics:
        raise FaceMatchingDisabled("This event does not use face recognition (no biometrics)")
    if not event.settings.face_matching:
        raise FaceMatchingDisabled("face matching is turned off for this event")
    with scope.transaction() as tx:
        purged = repo.purged_at(tx)
    if purged is not None:
        raise FaceMatchingDisabled(
            f"Face search for this event ended on {purged.date().isoformat()}: its face data was deleted"
            " under the event's retention policy"
        )


# -- hide me, forget me ----------------------------------------------------------------------------


def control_me(scope: Scope, image: bytes, kind: ControlKind) -> ControlResult:
    """Hide (kind "hide") or forget (kind "forget") every face of the selfie's person in the event."""
    model = settings().face_model
    embedding = selfie_embedding(decode_selfie(image), model)
    return control_embedding(scope, embedding, model, kind)


def control_embedding(scope: Scope, embedding: np.ndarray, model: str, kind: ControlKind) -> ControlResult:
    """The faces at or above the event's threshold, one per photo; refused when a photo holds two
    faces too close to tell apart or none matches. Acts as the system for the visitor (the
    policies let no visitor write faces), records the regions and audits the request."""
    require_face_search(scope)
    event = scope.tenant()
    threshold = face_threshold(event, model)
    from eventlens.albums import service as albums

    with scope.transaction() as tx:
        near = repo.nearest_faces(tx, embedding, model, threshold - AMBIGUITY_MARGIN, CONTROL_K)
    faces = _best_per(near, threshold, lambda f: f.photo_id)
    uploads = _best_per(
        albums.faces_near(event, embedding, model, threshold - AMBIGUITY_MARGIN, CONTROL_K),
        threshold,
        lambda f: f.item_id,
    )
    if not faces and not uploads:
        raise NoMatchToControl(
            "Your selfie matches no face in this event's photos: there is nothing to " + kind
        )
    if faces:
        with Scope.system(event).transaction() as tx:
            faces = _with_their_person(faces, repo.same_person_faces(tx, [f.id for f in faces]))
    request = uuid4()
    with Scope.system(event).transaction() as tx:
        changed = 0
        if faces:
            repo.record_opt_outs(tx, faces, kind, request)
            ids = [f.id for f in faces]
            changed = repo.hide_faces(tx, ids) if kind == "hide" else repo.delete_faces(tx, ids)
        in_uploads = albums.control_faces(tx, uploads, kind, request) if uploads else 0
        templates = repo.forget_session_templates(tx, scope.subject) if scope.subject else 0
        audit.record(
            tx,
            f"face_{kind}",
            event.slug,
            request=str(request),
            faces=changed,
            photos=len({f.photo_id for f in faces}),
            album_faces=in_uploads,
            album_items=len(uploads),
            templates=templates,
        )
    changed += in_uploads
    photos = len({f.photo_id for f in faces}) + len(uploads)
    if kind == "forget" and event.settings.blur_forgotten_faces:
        blur_forgotten_faces(event, {f.photo_id for f in faces})
    verb = "hidden from other people's searches" if kind == "hide" else "deleted"
    return ControlResult(
        kind=kind,
        faces=changed,
        photos=photos,
        message=f"Your face in {photos} photo{'s' if photos != 1 else ''} was {verb}; "
        "it stays so when the photos are processed again.",
    )


def _best_per(near: list[Hit], threshold: float, image: Callable[[Hit], object]) -> list[Hit]:
    """The best face of each image (a photo, an album upload) at or above `threshold`;
    AmbiguousMatch when another face of that image is within AMBIGUITY_MARGIN of it."""
    by_photo: dict[object, list[Hit]] = {}
    for hit in near:
        by_photo.setdefault(image(hit), []).append(hit)
    chosen = []
    for hits in by_photo.values():
        hits.sort(key=lambda h: -h.similarity)
        best = hits[0]
        if best.similarity < threshold:
            continue
        if len(hits) > 1 and best.similarity - hits[1].similarity < AMBIGUITY_MARGIN:
            raise AmbiguousMatch(
                "Two faces in one photo look too much like your selfie to tell which is you: nothing was "
                "changed. Try again with a clearer, front-facing selfie, or ask the organizer."
            )
        chosen.append(best)
    return chosen


def _with_their_person(matched: list[repo.FaceHit], person: list[repo.FaceHit]) -> list[repo.FaceHit]:
    """The matched faces plus the rest of their person's faces (faceclusters), one per photo: a
    photo already holding a matched face keeps that one (a cluster never holds two faces of one
    photo, but a merge by hand may)."""
    have = {f.photo_id for f in matched}
    out = list(matched)
    for face in person:
        if face.photo_id not in have:
            have.add(face.photo_id)
            out.append(face)
    return out


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Treatment:
    """What the faces phase does with one detected face of a photo: keep, keep hidden, or drop."""

    keep: bool
    hidden: bool


def treatment(regions: list[OptOutRegion], bbox: tuple[float, float, float, float]) -> Treatment:
    """Forget wins over hide; a face overlapping no opted-out region is kept as it is."""
    kinds = {r.kind for r in regions if overlap(r.bbox, bbox) >= SAME_REGION_IOU}
    if "forget" in kinds:
        return Treatment(keep=False, hidden=False)
    return Treatment(keep=True, hidden="hide" in kinds)


def forgotten_regions(scope: Scope) -> dict[UUID, list[tuple[float, float, float, float]]]:
    """The event's forgotten regions per photo, read once by a faces phase run so that the face
    model never embeds a face detected in one (`forgotten_in`)."""
    with scope.transaction() as tx:
        return repo.forgotten_regions(tx)


def blur_forgotten_faces(event: Event, photo_ids: set[UUID] | None = None) -> int:
    """Blur every forgotten region in the public renditions of these photos (all: None), for an
    event with `blur_forgotten_faces`; audited (`face_blur`). How many renditions were rewritten."""
    from eventlens.media.blur import blur_renditions
    from eventlens.storage import blob_store

    scope = Scope.system(event)
    regions = forgotten_regions(scope)
    if photo_ids is not None:
        regions = {p: boxes for p, boxes in regions.items() if p in photo_ids}
    if not regions:
        return 0
    rewritten = blur_renditions(scope, blob_store(), regions)
    with scope.transaction() as tx:
        audit.record(tx, "face_blur", event.slug, photos=len(regions), renditions=rewritten)
    return rewritten


def forgotten_in(
    regions: list[tuple[float, float, float, float]], scale: float
) -> Callable[[tuple[float, float, float, float]], bool]:
    """The face model's `skip`: whether a box detected on an image `scale` times smaller than the
    original (boxes are stored in the original's pixels) lies in a forgotten region."""

    def skip(bbox: tuple[float, float, float, float]) -> bool:
        box = (bbox[0] * scale, bbox[1] * scale, bbox[2] * scale, bbox[3] * scale)
        return any(overlap(region, box) >= SAME_REGION_IOU for region in regions)

    return skip


def face_data_allowed(scope: Scope) -> bool:
    """Whether the faces phase may compute face embeddings for the event: not "no biometrics",
    not purged (the database refuses them too)."""
    event = scope.tenant()
    if event.settings.no_biometrics or not event.settings.face_matching:
        return False
    with scope.transaction() as tx:
        return not repo.face_data_refused(tx)


# -- retention -------------------------------------------------------------------------------------


def event_end(scope: Scope) -> date | None:
    """The organizer's `ends_on`, else the day the last photo arrived, else None (no photo yet)."""
    event = scope.tenant()
    if event.settings.ends_on is not None:
        return event.settings.ends_on
    with scope.transaction() as tx:
        last = repo.last_photo_at(tx)
    return None if last is None else last.astimezone(UTC).date()


def purge_due(scope: Scope) -> datetime | None:
    """When the event's face data is to be purged: the start of the day `face_retention_days` after its end."""
    end = event_end(scope)
    if end is None:
        return None
    day = end + timedelta(days=scope.tenant().settings.face_retention_days)
    return datetime.combine(day, time.min, tzinfo=UTC)


def purge_face_data(now: datetime | None = None, event: Event | None = None) -> dict[str, int]:
    """The scheduled retention job: for each event (or `event`) whose purge is due by `now` and not
    done, delete every face row and kept template, record the purge and audit it. Returns the
    number of face embeddings deleted per purged event slug."""
    from eventlens.albums import service as albums
    from eventlens.events.service import list_events

    now = now or datetime.now(UTC)
    purged: dict[str, int] = {}
    for each in [event] if event is not None else list_events():
        scope = Scope.system(each)
        due = purge_due(scope)
        if due is None or due > now:
            continue
        with scope.transaction() as tx:
            if repo.purged_at(tx) is not None:
                continue
            faces = repo.purge_faces(tx) + albums.purge_face_embeddings(tx)
            repo.record_purge(tx, faces)
            audit.record(
                tx,
                "face_data_purge",
                each.slug,
                faces=faces,
                retention_days=each.settings.face_retention_days,
                due=due.date().isoformat(),
            )
        purged[each.slug] = faces
        log.info("retention: purged %d face embeddings of %s", faces, each.slug)
        from eventlens.jobs.service import record_job

        record_job(
            scope, "purge", "completed", datetime.now(UTC), f"purged {faces} face embeddings (retention)"
        )
    return purged


def erase_for_no_biometrics(event: Event) -> int:
    """An event switched to "no biometrics": delete its face data now, album uploads' too (audited)."""
    from eventlens.albums import service as albums

    with Scope.system(event).transaction() as tx:
        faces = repo.purge_faces(tx) + albums.purge_face_embeddings(tx)
        audit.record(tx, "face_data_erase", event.slug, faces=faces, reason="no_biometrics")
    return faces


# -- the privacy notice ----------------------------------------------------------------------------


def privacy_notice(scope: Scope) -> PrivacyNotice:
    """What the event does with face data, why, for how long and how to opt out, from its settings."""
    event = scope.tenant()
    s = event.settings
    with scope.transaction() as tx:
        purged = repo.purged_at(tx)
    due = purge_due(scope)
    face_search = s.face_matching and not s.no_biometrics and purged is None
    until = (
        f"until {due.date().isoformat()} ({s.face_retention_days} days after the event ends)"
        if due is not None
        else f"until {s.face_retention_days} days after the event ends"
    )
    if s.no_biometrics:
        paragraphs = [
            "This event does not use face recognition: no face template is computed from its photos "
            "or from anyone's selfie."
        ]
    elif purged is not None:
        paragraphs = [
            f"Face search for this event ended on {purged.date().isoformat()}: every face template of its "
            "photos was deleted under its retention policy. The photos stay in the gallery."
        ]
    else:
        paragraphs = [
            "What is processed: the faces in the event's photos are turned into face templates (lists of "
            "numbers), so that attendees can find the photos they appear in with a selfie. A selfie is read "
            "in memory and never stored; its template is kept only for your own browser session, "
            f"at most {settings().find_me_retention_minutes} minutes.",
            "Why: to let you find your photos. Nothing is searched before you agree to the consent text.",
            f"How long: the face templates of this event's photos are kept {until}, then deleted by a "
            "scheduled job.",
            'How to opt out: after a selfie search, "hide me" removes your face from everybody else\'s '
            'searches; "forget me" deletes every face template of yours and keeps it from being computed '
            "again. Both hold when photos are processed again, and each is recorded in the event's audit log."
            + (
                " Forget me also blurs your face in the gallery's thumbnails and previews (the original "
                "files are not changed)."
                if s.blur_forgotten_faces
                else ""
            ),
        ]
        if not s.face_matching:
            paragraphs.insert(0, "Face search is currently turned off for this event.")
    return PrivacyNotice(
        event=event.slug,
        face_search=face_search,
        no_biometrics=s.no_biometrics,
        blur_forgotten_faces=s.blur_forgotten_faces,
        consent_text=consent_text(event),
        face_retention_days=s.face_retention_days,
        ends_on=s.ends_on,
        purge_on=None if due is None else due.date(),
        purged_at=purged,
        find_me_retention_minutes=settings().find_me_retention_minutes,
        paragraphs=paragraphs,
    )


def apply_opt_outs(
    tx: Tx, photo_id: UUID, faces: Sequence[tuple[Sequence[float], float, np.ndarray]]
) -> tuple[list[tuple[Sequence[float], float, np.ndarray]], list[bool]]:
    """The faces the faces phase may store for a photo and which of them are hidden: a face in a
    forgotten region is dropped (its template never reaches the database), one in a hidden region
    is kept hidden. In the caller's transaction (the phase's)."""
    regions = repo.opt_out_regions(tx, photo_id)
    if not regions:
        return list(faces), [False] * len(faces)
    kept, hidden = [], []
    for face in faces:
        bbox = tuple(float(v) for v in face[0])
        what = treatment(regions, bbox)  # type: ignore[arg-type]
        if what.keep:
            kept.append(face)
            hidden.append(what.hidden)
    return kept, hidden
