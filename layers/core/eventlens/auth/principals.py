"""Who is calling: a bearer token read once, claims turned into a `Principal`, from either runtime.

On AWS the HTTP API's Cognito authorizer verified the token and passes its claims; embedded, the
dev server's authorizer and the API verify our own HS256 token. Both end in the same Principal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eventlens.errors import NotSignedIn


@dataclass(frozen=True)
class Principal:
    subject: str
    events: frozenset[str]  # slugs this principal organizes; "*" for every event
    issued_at: float | None = None
    """When its token was issued (seconds since the epoch): older than a revocation is refused."""

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
    return Principal(subject=str(claims.get("sub", "")), events=frozenset(events), issued_at=_seconds(claims))


def _seconds(claims: Mapping[str, object]) -> float | None:
    """`iat` as a number (the HTTP API authorizer passes every claim as a string)."""
    try:
        return float(str(claims["iat"]))
    except (KeyError, ValueError):
        return None
