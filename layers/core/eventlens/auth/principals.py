"""Who is calling: a bearer token read once, claims turned into a `Principal`, from either runtime.

On AWS the HTTP API's Cognito authorizer verified the token and passes its claims; embedded, the
dev server's authorizer and the API verify our own HS256 token. Both end in the same Principal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from eventlens.errors import NotSignedIn


@dataclass(frozen=True)
class Principal:
    subject: str
    events: frozenset[str]
    """Slugs whose ADMIN this principal is by its token alone (the event password, a Cognito group
    `event:<slug>`); "*": SUPER_ADMIN (the Cognito group `admins`). Everything else comes from grants."""
    issued_at: float | None = None
    """When its token was issued (seconds since the epoch): older than a revocation is refused."""
    person_id: UUID | None = None
    """The person's profile (our own token names it; a Cognito login finds or makes it)."""
    email: str | None = None
    email_verified: bool = False
    identity_provider: bool = False
    """Claims an identity provider (Cognito) vouched for: the profile is found just in time."""
    gallery: str | None = None
    """A gallery pass opens this one event's gallery and nothing else."""

    def organizes(self, slug: str) -> bool:
        return "*" in self.events or slug in self.events


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of an `Authorization: Bearer <token>` header (any case), or NotSignedIn."""
    header = next((v for k, v in headers.items() if k.lower() == "authorization"), "") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn("Log in as the event's organizer (missing bearer token)")
    return token.strip()


def principal_from_claims(claims: Mapping[str, object]) -> Principal:
    """Our own token's claims, or a Cognito ID/access token's (groups `event:<slug>` / `admins`)."""
    events: set[str] = set()
    if isinstance(claims.get("event"), str):
        events.add(str(claims["event"]))
    raw = claims.get("cognito:groups") or []
    # the HTTP API authorizer flattens arrays to "[a b]"
    groups = raw.strip("[]").split() if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
    for group in groups:
        if group == "admins":
            events.add("*")
        elif str(group).startswith("event:"):
            events.add(str(group)[len("event:") :])
    person = claims.get("pid")
    from_provider = "cognito:username" in claims or "token_use" in claims
    return Principal(
        subject=str(claims.get("sub", "")),
        events=frozenset(events),
        issued_at=_seconds(claims),
        person_id=UUID(str(person)) if person else None,
        email=str(claims["email"]) if isinstance(claims.get("email"), str) else None,
        email_verified=str(claims.get("email_verified", "")).lower() == "true",
        identity_provider=from_provider,
        gallery=str(claims["gallery"]) if isinstance(claims.get("gallery"), str) else None,
    )


def _seconds(claims: Mapping[str, object]) -> float | None:
    """`iat` as a number (the HTTP API authorizer passes every claim as a string)."""
    try:
        return float(str(claims["iat"]))
    except (KeyError, ValueError):
        return None
