"""A visitor's find-me session: the only searches a new search may be compared with.

The gallery makes a random id per browser tab (`web/js/gallery/findme.js`, kept in
sessionStorage) and sends it with each selfie, as the `X-EventLens-Session` header or the
`session_id` field. The id is a bearer secret: whoever holds it is that tab. It is never stored;
the database keeps its `session_key` (SHA-256 of the event and the id), which the visitor's scope
carries as its subject and row-level security compares (migration 0007): a visitor reads only
the find-me sessions recorded under its own key, so a search is compared with the same tab's
earlier searches and nobody else's. No id, no key: nothing to compare with, and no face template
is kept at all.

Light on purpose: the match route imports this at cold start (hashlib and re only).
"""

from __future__ import annotations

import hashlib
import re

from eventlens.errors import BadRequest
from eventlens.scope import Scope
from eventlens.types import Event

SESSION_HEADER = "X-EventLens-Session"
SESSION_FIELD = "session_id"
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""16 to 64 URL-safe characters; the gallery sends 24 (18 random bytes, base64url)."""


def session_id(*candidates: object) -> str | None:
    """The first session id given (header first, then the form or JSON field), validated; None if none."""
    for value in candidates:
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not SESSION_ID.fullmatch(value):
            raise BadRequest(
                f"{SESSION_HEADER} (or {SESSION_FIELD}) must be 16 to 64 letters, digits, '-' or '_'"
            )
        return value
    return None


def session_key(event: Event, session: str) -> str:
    """What is stored and compared for `session` in `event`: never the id itself, and a different
    key in every event, so one tab's searches at two events cannot be linked."""
    return hashlib.sha256(f"{event.id}:{session}".encode()).hexdigest()


def find_me_scope(event: Event, session: str | None) -> Scope:
    """The visitor's scope for a find-me request: with the session's key as its subject, if any."""
    return Scope.visitor(event, subject=None if session is None else session_key(event, session))
