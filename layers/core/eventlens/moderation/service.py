"""Moderation: organizers hide photos and decide about the ones held for review.

A photo whose `nsfw_score` reaches the event's `nsfw_threshold` is held (`review` pending) when the
analyze phase scores it, and stays out of the public gallery until an organizer approves or
rejects it. Hiding is reversible by design; nothing is deleted here.
"""

from __future__ import annotations

from uuid import UUID

from eventlens.audit import service as audit
from eventlens.errors import PhotoNotFound
from eventlens.media.views import Photo, photo_view
from eventlens.moderation import repo
from eventlens.scope import Scope
from eventlens.types import Decision


def update_photo(
    scope: Scope, photo_id: UUID, hidden: bool | None = None, review: Decision | None = None
) -> Photo:
    """Hide or unhide a photo and/or record the organizer's review decision, in one transaction."""
    row = None
    with scope.transaction() as tx:
        if hidden is not None:
            row = repo.set_hidden(tx, photo_id, hidden)
            if row is not None:
                audit.record(tx, "photo_hide" if hidden else "photo_unhide", str(photo_id))
        if review is not None:
            row = repo.decide(tx, photo_id, review)
            if row is not None:
                audit.record(tx, "photo_approve" if review == "approved" else "photo_reject", str(photo_id))
    if row is None:
        raise PhotoNotFound(f"no photo {photo_id}")
    return photo_view(row)


def review_queue(scope: Scope) -> list[Photo]:
    """Photos held for review, highest nsfw_score first."""
    with scope.transaction() as tx:
        rows = repo.held(tx)
    return [photo_view(r) for r in rows]


def hold_for_review(scope: Scope) -> int:
    """After the event's nsfw_threshold changed: hold the undecided photos now at or above it and
    release the ones now below it; organizers' decisions stay. How many photos changed."""
    with scope.transaction() as tx:
        return repo.rescore(tx, scope.tenant().settings.nsfw_threshold)
