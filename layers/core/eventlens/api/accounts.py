"""Account routes (embedded sign-in): sign up, verify, sign in by password or mailed link, reset,
refresh. Public (no token needed); on AWS Cognito's hosted flows do this and these answer 404."""

from __future__ import annotations

from uuid import UUID

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from eventlens.accounts import service as accounts
from eventlens.accounts.views import Person, Session
from eventlens.api.links import link_base
from eventlens.api.requests import (
    EmailRequest,
    PasswordChange,
    RefreshRequest,
    ResetRequest,
    SignInRequest,
    SignUpRequest,
    TokenRequest,
)
from eventlens.auth import service as auth
from eventlens.config import settings
from eventlens.errors import NotFound, NotSignedIn
from eventlens.types import Model

router = Router()


class Sent(Model):
    sent: bool = True


def _embedded() -> None:
    if settings().organizer_login == "cognito":
        raise NotFound("Accounts are Cognito's on this installation: sign in through the user pool")


def _client() -> str:
    return router.current_event.request_context.http.source_ip  # type: ignore[attr-defined]


def _link_base() -> str:
    return link_base(router.current_event)  # type: ignore[arg-type]


@router.post("/api/account/sign-up", summary="Create an account; a verification link is mailed")
def sign_up(body: SignUpRequest) -> Response[Person]:
    _embedded()
    person = accounts.sign_up(body.email, body.password, body.display_name, _link_base())
    return Response(201, content_types.APPLICATION_JSON, person)


@router.post("/api/account/verify", summary="Confirm the address with the mailed link's token")
def verify(body: TokenRequest) -> Person:
    _embedded()
    return accounts.verify_email(body.token)


@router.post("/api/account/sign-in", summary="Sign in with email and password")
def sign_in(body: SignInRequest) -> Session:
    _embedded()
    return accounts.sign_in(body.email, body.password, _client())


@router.post(
    "/api/account/magic-link", summary="Mail a one-time sign-in link (the same reply for any address)"
)
def magic_link(body: EmailRequest) -> Response[Sent]:
    _embedded()
    accounts.request_link(body.email, "magic_link", _link_base())
    return Response(202, content_types.APPLICATION_JSON, Sent())


@router.post("/api/account/magic-link/sign-in", summary="Sign in with a mailed link's token (once)")
def magic_sign_in(body: TokenRequest) -> Session:
    _embedded()
    return accounts.sign_in_with_link(body.token, _client())


@router.post("/api/account/reset", summary="Mail a password reset link (the same reply for any address)")
def request_reset(body: EmailRequest) -> Response[Sent]:
    _embedded()
    accounts.request_link(body.email, "reset_password", _link_base())
    return Response(202, content_types.APPLICATION_JSON, Sent())


@router.post("/api/account/reset/confirm", summary="A new password from a reset link; other sessions end")
def reset(body: ResetRequest) -> Session:
    _embedded()
    return accounts.reset_password(body.token, body.password, _client())


@router.post("/api/account/refresh", summary="A new session for a refresh token (which is used up)")
def refresh(body: RefreshRequest) -> Session:
    _embedded()
    return accounts.refresh(body.refresh_token)


@router.post("/api/account/password", summary="Change the password (the current one too); other sessions end")
def change_password(body: PasswordChange) -> Session:
    _embedded()
    return accounts.change_password(_person_id(), body.current_password, body.new_password, _client())


@router.post("/api/account/sign-out-everywhere", summary="End every session of this account (this one too)")
def sign_out_everywhere() -> Response[str]:
    _embedded()
    accounts.sign_out_everywhere(_person_id(), _client())
    return Response(204, None, "")


def _person_id() -> UUID:
    who = auth.caller(router.current_event)  # type: ignore[arg-type]
    if who.person_id is None:
        raise NotSignedIn("Sign in with your account (the event password has none)")
    return accounts.signed_in_person(who.person_id, who.issued_at).id
