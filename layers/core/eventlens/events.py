"""Event management: create, look up, log in, change settings."""

from __future__ import annotations

from typing import Any

from eventlens.auth.passwords import hash_password, verify_password
from eventlens.auth.tokens import issue_token, principal_from_claims
from eventlens.config import settings
from eventlens.db import events_repo, scoped
from eventlens.domain import SLUG, Event, EventSettings


class LoginFailed(Exception):
    pass


class LoginChallenge(LoginFailed):
    """The password was right, but Cognito wants another step the dashboard cannot take."""


class UsernameRequired(ValueError):
    pass


class NotOrganizer(Exception):
    """Signed in, but not in the group `event:<slug>` nor `admins`."""


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


def create_event(slug: str, name: str, password: str | None = None, **event_settings: Any) -> Event:
    if not SLUG.match(slug):
        raise ValueError(f"{slug!r} is not a valid slug: use lowercase letters, digits and dashes (max 63)")
    if not name.strip() or len(name) > 200:
        raise ValueError("the event name must be 1 to 200 characters")
    password_hash = hash_password(password) if password else None
    with scoped(None) as conn:
        return events_repo.create_event(
            conn, slug, name, password_hash, EventSettings.model_validate(event_settings)
        )


def get_event(slug: str) -> Event:
    with scoped(None) as conn:
        return events_repo.get_event(conn, slug)


def list_events() -> list[Event]:
    with scoped(None) as conn:
        return events_repo.list_events(conn)


def login(slug: str, password: str, username: str | None = None) -> tuple[str, int]:
    """A token the admin routes accept, and when it expires, for the event's organizer.

    Embedded: the event's own password, answered with our signed token (LoginFailed, same error for
    every cause). AWS (`cognito_client_id` set): the organizer's user-pool account, answered with
    Cognito's ID token, which the HTTP API's authorizer verifies.
    """
    cfg = settings()
    if cfg.cognito_client_id:
        return _cognito_login(slug, username, password, cfg.cognito_client_id)
    with scoped(None) as conn:
        try:
            stored = events_repo.get_password_hash(conn, slug)
        except events_repo.EventNotFound:
            stored = None
    if not verify_password(password, stored):
        raise LoginFailed("wrong event or password")
    return issue_token(slug, cfg.token_secret, cfg.token_ttl_s)


def _cognito_login(slug: str, username: str | None, password: str, client_id: str) -> tuple[str, int]:
    from eventlens.auth import cognito

    if not username or not username.strip():
        raise UsernameRequired("username is required: sign in with your organizer account's email")
    event = get_event(slug)
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
    if not principal_from_claims(signed_in.claims).organizes(event.slug):
        raise NotOrganizer(
            f"You do not organize the event {event.slug!r}: an admin must add you to the group"
            f" event:{event.slug}"
        )
    return signed_in.token, signed_in.expires_at


def update_event(
    event: Event, name: str | None = None, settings_patch: dict[str, Any] | None = None
) -> Event:
    merged = None
    if settings_patch:
        current = event.settings.model_dump()
        for key, value in settings_patch.items():
            if isinstance(value, dict) and isinstance(current.get(key), dict):
                current[key] = {**current[key], **value}
            else:
                current[key] = value
        merged = EventSettings.model_validate(current)
    with scoped(event.id) as conn:
        return events_repo.update_event(conn, event.id, name, merged)


def set_password(event: Event, password: str) -> None:
    with scoped(event.id) as conn:
        events_repo.set_password_hash(conn, event.id, hash_password(password))
