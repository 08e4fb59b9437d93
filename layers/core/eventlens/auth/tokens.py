"""Signed, expiring organizer tokens (HS256 JWTs) for the embedded mode.

On AWS the HTTP API's Cognito authorizer verifies tokens instead and passes their claims in
`requestContext.authorizer.jwt.claims`; both paths end in the same `Principal`. PyJWT (and the
cryptography it loads, ~80 ms) is imported on first use, so an API Lambda behind the authorizer
never pays for it at cold start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

ISSUER = "eventlens"
ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    subject: str
    events: frozenset[str]  # slugs this principal organizes; "*" for every event

    def organizes(self, slug: str) -> bool:
        return "*" in self.events or slug in self.events


def issue_token(slug: str, secret: str, ttl_s: int, now: float | None = None) -> tuple[str, int]:
    import jwt

    issued = int(now if now is not None else time.time())
    expires = issued + ttl_s
    claims = {"iss": ISSUER, "sub": f"organizer:{slug}", "event": slug, "iat": issued, "exp": expires}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def verify_token(token: str, secret: str) -> dict[str, object]:
    import jwt

    try:
        return dict(
            jwt.decode(
                token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "iat"]}
            )
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the session has expired: log in again") from None
    except jwt.PyJWTError:
        raise InvalidToken("invalid token") from None


def principal_from_claims(claims: dict[str, object]) -> Principal:
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
    return Principal(subject=str(claims.get("sub", "")), events=frozenset(events))
