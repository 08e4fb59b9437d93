"""Moderation: organizers hide and unhide photos and review the ones the NSFW score flagged.

A photo is *flagged* when its `nsfw_score` reaches the event's `nsfw_threshold`; hiding is
reversible by design and nothing is deleted here.
"""

from __future__ import annotations

from uuid import UUID

from eventlens.errors import PhotoNotFound
from eventlens.media.views import Photo, photo_view
from eventlens.moderation import repo
from eventlens.scope import Scope


def set_hidden(scope: Scope, photo_id: UUID, hidden: bool) -> Photo:
    with scope.transaction() as tx:
        row = repo.set_hidden(tx, photo_id, hidden)
    if row is None:
        raise PhotoNotFound(f"no photo {photo_id}")
    return photo_view(row)


def flagged_photos(scope: Scope) -> list[Photo]:
    with scope.transaction() as tx:
        rows = repo.flagged(tx, scope.tenant().settings.nsfw_threshold)
    return [photo_view(r) for r in rows]
