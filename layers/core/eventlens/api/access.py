"""Who is calling: the organizer principal of an admin request, from whichever runtime."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from eventlens.api.errors import Forbidden, Unauthorized
from eventlens.auth.tokens import InvalidToken, Principal, principal_from_claims, verify_token
from eventlens.config import settings
from eventlens.domain import Event
from eventlens.events import get_event


def principal(request: APIGatewayProxyEventV2) -> Principal:
    """Claims the HTTP API authorizer verified, else (embedded) our bearer token verified here."""
    claims = request.request_context.authorizer.jwt_claim if request.request_context.authorizer else None
    if claims:
        return principal_from_claims(dict(claims))
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Log in as the event's organizer (missing bearer token)")
    if settings().organizer_login == "cognito":
        # Only the HTTP API's authorizer vouches for Cognito tokens; we issue and verify none here.
        raise Unauthorized("Sign in with your organizer account (no verified Cognito claims)")
    try:
        return principal_from_claims(verify_token(token.strip(), settings().token_secret))
    except InvalidToken as error:
        raise Unauthorized(str(error)) from None


def require_organizer(request: APIGatewayProxyEventV2, slug: str) -> Event:
    who = principal(request)
    event = get_event(slug)
    if not who.organizes(event.slug):
        raise Forbidden(f"You do not organize the event {slug!r}")
    return event
