"""Signed, expiring organizer tokens (HS256 JWTs) for the embedded mode.

On AWS the HTTP API's Cognito authorizer verifies tokens instead. PyJWT (and the cryptography it
loads, ~80 ms) is imported on first use, so an API Lambda behind the authorizer never pays for
it at cold start.
"""

from __future__ import annotations

import time
from uuid import UUID

from eventlens.errors import NotSignedIn

ISSUER = "eventlens"
ALGORITHM = "HS256"


def issue_token(slug: str, secret: str, ttl_s: int, now: float | None = None) -> tuple[str, int]:
    """A signed token for the event's organizer and when it expires (`iat` keeps milliseconds)."""
    import jwt

    issued = round(now if now is not None else time.time(), 3)  # ms: a revocation may follow within a second
    expires = int(issued) + ttl_s
    claims = {"iss": ISSUER, "sub": f"organizer:{slug}", "event": slug, "iat": issued, "exp": expires}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def issue_person_token(person_id: UUID, secret: str, ttl_s: int, now: float | None = None) -> tuple[str, int]:
    """A signed access token naming a person (`pid`); what they may do comes from their grants."""
    import jwt

    issued = round(now if now is not None else time.time(), 3)
    expires = int(issued) + ttl_s
    claims = {
        "iss": ISSUER,
        "sub": f"person:{person_id}",
        "pid": str(person_id),
        "iat": issued,
        "exp": expires,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def issue_pass(person_id: UUID, slug: str, key: str, ttl_s: int, now: float | None = None) -> tuple[str, int]:
    """A gallery pass: a person's short-lived key to one private gallery's public routes.

    On AWS only the HTTP API's authorizer verifies Cognito tokens, and the gallery's routes have
    none (a public gallery needs no sign-in); a signed-in member trades their token for a pass on
    an authorized route, and the gallery function checks the pass itself, with no call to Cognito.
    """
    import jwt

    issued = round(now if now is not None else time.time(), 3)
    expires = int(issued) + ttl_s
    claims = {
        "iss": ISSUER,
        "sub": f"person:{person_id}",
        "pid": str(person_id),
        "gallery": slug,
        "iat": issued,
        "exp": expires,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM), expires


def is_pass(token: str) -> bool:
    """Whether the token says it is a gallery pass (only `verify_pass` decides whether it is one)."""
    import jwt

    try:
        return "gallery" in jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False


def verify_pass(token: str, key: str) -> dict[str, object]:
    """The claims of a gallery pass, or NotSignedIn (expired, forged, not a pass)."""
    claims = verify_token(token, key)
    if not isinstance(claims.get("gallery"), str) or not isinstance(claims.get("pid"), str):
        raise NotSignedIn("invalid token")
    return claims


def verify_token(token: str, secret: str) -> dict[str, object]:
    """The claims of one of our tokens, or NotSignedIn (expired, forged, another issuer)."""
    import jwt

    try:
        return dict(
            jwt.decode(
                token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "iat"]}
            )
        )
    except jwt.ExpiredSignatureError:
        raise NotSignedIn("the session has expired: log in again") from None
    except jwt.PyJWTError:
        raise NotSignedIn("invalid token") from None
