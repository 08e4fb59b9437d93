"""Signing in and checking who may act: the organizer's login, and the scope of an admin request."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from eventlens.audit import service as audit
from eventlens.auth import repo
from eventlens.auth.passwords import hash_password, verify_password
from eventlens.auth.principals import Principal, bearer_token, principal_from_claims
from eventlens.auth.tokens import is_pass, issue_token, verify_pass, verify_token
from eventlens.config import settings
from eventlens.errors import (
    LoginChallenge,
    LoginFailed,
    NotOrganizer,
    NotSignedIn,
    TooManySignIns,
    UsernameRequired,
)
from eventlens.scope import Scope
from eventlens.types import Event

# What the organizer (or an admin) should do about each step Cognito may ask for after the password.
_CHALLENGE_ADVICE = {
    "NEW_PASSWORD_REQUIRED": (
        "This account still has a temporary password. An admin must set a permanent one"
        " (aws cognito-idp admin-set-user-password --user-pool-id <pool> --username <email>"
        " --password <new password> --permanent), then sign in again."
    ),
    "SOFTWARE_TOKEN_MFA": (
        "This account uses an authenticator app (MFA), which the dashboard's sign-in does not support."
        " An admin can turn it off (aws cognito-idp admin-set-user-mfa-preference --user-pool-id <pool>"
        " --username <email> --software-token-mfa-settings Enabled=false,PreferredMfa=false)."
    ),
}


FREE_FAILURES_PER_CLIENT = 5
"""Failed sign-ins a client may make before each further one doubles its wait."""
FREE_FAILURES_PER_EVENT = 50
"""The same for the event as a whole (a guesser spread over many addresses)."""
MAX_WAIT_S = 900.0
QUIET_RESET_S = 900.0
"""A client that failed nothing for this long starts over."""


def login(slug: str, password: str, username: str | None = None, client: str = "unknown") -> tuple[str, int]:
    """A token the admin routes accept, and when it expires, for the event's organizer.

    Embedded: the event's own password, answered with our signed token (LoginFailed, same error for
    every cause). AWS (`cognito_client_id` set): the organizer's user-pool account, answered with
    Cognito's ID token, which the HTTP API's authorizer verifies. Every attempt, granted or refused,
    is one entry of the audit log (for the event, when it exists).
    """
    audited = _audit_scope(slug).coming_from(client)
    try:
        signed_in = _login(slug, password, username, client)
    except (LoginFailed, TooManySignIns, UsernameRequired, LoginChallenge, NotOrganizer) as refused:
        audit.record_alone(
            audited, "sign_in", slug, outcome="refused", reason=type(refused).__name__, username=username
        )
        raise
    with audited.transaction() as tx:
        repo.clear_failures(tx, slug, client)
        repo.forgive_attempt(tx, slug, "*")
        audit.record(tx, "sign_in", slug, username=username)
    return signed_in


INSTALLATION = "installation"
"""The throttle's and the audit log's key for the installation admin's sign-in (no event named)."""


def installation_login(username: str, password: str, client: str = "unknown") -> tuple[str, int]:
    """The ID token of the installation's admin (SUPER_ADMIN: Cognito group `admins`, or a grant),
    for the wizard on AWS, where no event exists yet to sign in to. Embedded installations have
    no user pool: their first organizer is made with the setup code (firstrun.service)."""
    audited = Scope.system().coming_from(client)
    try:
        signed_in = _installation_login(username, password, client)
    except (LoginFailed, TooManySignIns, LoginChallenge, NotOrganizer, NotSignedIn) as refused:
        audit.record_alone(
            audited,
            "sign_in",
            INSTALLATION,
            outcome="refused",
            reason=type(refused).__name__,
            username=username,
        )
        raise
    succeeded(INSTALLATION, client)
    audit.record_alone(audited, "sign_in", INSTALLATION, username=username)
    return signed_in


def _installation_login(username: str, password: str, client: str) -> tuple[str, int]:
    from eventlens.access.service import authorize_installation
    from eventlens.auth import cognito
    from eventlens.errors import NotAllowed

    client_id = settings().cognito_client_id
    if not client_id:
        raise NotSignedIn(
            "This installation has no user pool: set it up with the code `eventlens serve` prints"
        )
    _throttle(INSTALLATION, client)
    try:
        signed_in = cognito.sign_in(client_id, username.strip(), password)
    except cognito.InvalidCredentials:
        raise LoginFailed("wrong username or password") from None
    except cognito.ChallengeRequired as challenge:
        raise LoginChallenge(_CHALLENGE_ADVICE.get(challenge.name, challenge.name)) from None
    try:
        authorize_installation(_with_profile(principal_from_claims(signed_in.claims)))
    except NotAllowed:
        raise NotOrganizer(
            "Only the installation's admin sets up events here: an account in the user pool's group"
            " `admins` (aws cognito-idp admin-add-user-to-group --group-name admins)"
        ) from None
    return signed_in.token, signed_in.expires_at


def _audit_scope(slug: str) -> Scope:
    """The operator acting for the event a sign-in names, or for none (an unknown slug)."""
    from eventlens.errors import EventNotFound
    from eventlens.events.service import get_event

    try:
        return Scope.system(get_event(slug))
    except EventNotFound:
        return Scope.system()


def _login(slug: str, password: str, username: str | None, client: str) -> tuple[str, int]:
    _throttle(slug, client)
    cfg = settings()
    if cfg.cognito_client_id:
        from eventlens.events.service import get_event

        signed_in = _cognito_login(get_event(slug), username, password, cfg.cognito_client_id)
    else:
        with Scope.system().transaction() as tx:
            stored = repo.get_password_hash(tx, slug)
        if not verify_password(password, stored):
            raise LoginFailed("wrong event or password")
        signed_in = issue_token(slug, cfg.token_secret, cfg.token_ttl_s)
    return signed_in


def _throttle(slug: str, client: str) -> None:
    throttle(slug, client, FREE_FAILURES_PER_CLIENT, FREE_FAILURES_PER_EVENT)


def throttle(key: str, client: str, free_per_client: int, free_overall: int) -> None:
    """Count this attempt as a failure until it succeeds, or refuse it while the client (or
    everyone, for this event or account `key`) must wait; both counts are taken before the slow
    password check."""
    for who, free in ((client, free_per_client), ("*", free_overall)):
        with Scope.system().transaction() as tx:
            wait = repo.count_attempt(tx, key, who, free, MAX_WAIT_S, QUIET_RESET_S)
        if wait > 0:
            raise TooManySignIns(
                f"Too many failed sign-ins: try again in {math.ceil(wait)} seconds",
                retry_after_s=math.ceil(wait),
            )


def succeeded(key: str, client: str) -> None:
    """The attempt counted by `throttle` succeeded: the client starts over, the overall count forgives it."""
    with Scope.system().transaction() as tx:
        repo.clear_failures(tx, key, client)
        repo.forgive_attempt(tx, key, "*")


def _cognito_login(event: Event, username: str | None, password: str, client_id: str) -> tuple[str, int]:
    from eventlens.auth import cognito

    if not username or not username.strip():
        raise UsernameRequired("username is required: sign in with your organizer account's email")
    try:
        signed_in = cognito.sign_in(client_id, username.strip(), password)
    except cognito.InvalidCredentials:
        raise LoginFailed("wrong username or password") from None
    except cognito.ChallengeRequired as challenge:
        advice = _CHALLENGE_ADVICE.get(
            challenge.name,
            f"Cognito asks for {challenge.name}, which the dashboard's sign-in cannot answer."
            " An admin can check the account (aws cognito-idp admin-get-user).",
        )
        raise LoginChallenge(advice) from None
    _require_organizer(principal_from_claims(signed_in.claims), event)
    return signed_in.token, signed_in.expires_at


def principal(verified_claims: Mapping[str, object] | None, headers: Mapping[str, str]) -> Principal:
    """Claims the HTTP API authorizer verified (Cognito: the person's profile found or made just in
    time), else our own bearer token verified here (a gallery pass in either mode)."""
    if verified_claims:
        return _with_profile(principal_from_claims(verified_claims))
    token = bearer_token(headers)
    if is_pass(token):
        return principal_from_claims(verify_pass(token, settings().pass_key))
    if settings().organizer_login == "cognito":
        # Only the HTTP API's authorizer vouches for Cognito tokens; we issue and verify none here.
        raise NotSignedIn("Sign in with your organizer account (no verified Cognito claims)")
    return principal_from_claims(verify_token(token, settings().token_secret))


def caller(request: APIGatewayProxyEventV2) -> Principal:
    """Who sends this API request (NotSignedIn without a valid token)."""
    authorizer = request.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer else None
    return principal(dict(claims) if claims else None, request.headers)


def optional_caller(request: APIGatewayProxyEventV2) -> Principal | None:
    """Who sends this request, if it carries a token (a public gallery needs none)."""
    headers = request.headers or {}
    if not any(k.lower() == "authorization" for k in headers):
        authorizer = request.request_context.authorizer
        if not (authorizer and authorizer.jwt_claim):
            return None
    return caller(request)


def _with_profile(who: Principal) -> Principal:
    if not who.identity_provider or who.person_id is not None or not who.subject:
        return who
    from eventlens.accounts.service import profile_for_claims

    person = profile_for_claims(who.subject, who.email, who.email_verified)
    return replace(who, person_id=person.id)


def sign_out_everywhere(scope: Scope) -> None:
    """Refuse every token of the event's password (and its Cognito group) issued before now."""
    with scope.transaction() as tx:
        repo.revoke_sessions(tx, scope.tenant().id)
        audit.record(tx, "sign_out_everywhere", scope.tenant().slug)


def _require_organizer(who: Principal, event: Event) -> None:
    from eventlens.access.service import role_in_event

    if role_in_event(_with_profile(who), event) is None:
        raise NotOrganizer(
            f"You have no role in the event {event.slug!r}: an admin must invite you"
            f" (or add you to the group event:{event.slug})"
        )


def set_password(scope: Scope, password: str) -> None:
    """A new organizer password for the event in scope (embedded sign-in)."""
    with scope.transaction() as tx:
        repo.set_password_hash(tx, scope.tenant().id, hash_password(password))
        repo.revoke_sessions(tx, scope.tenant().id)
        audit.record(tx, "password_change", scope.tenant().slug)
