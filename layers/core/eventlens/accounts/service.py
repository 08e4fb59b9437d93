"""Accounts: sign up, verify, sign in (password or mailed link), refresh, reset, sign out everywhere.

Embedded, this is the identity provider (scrypt passwords, one-time links mailed through
`eventlens.mail`). On AWS, Cognito is: its verified claims reach `profile_for_claims`, which finds
the person by the provider's subject first, then by a verified email, and makes one otherwise.
Either way a session is ours: a short-lived signed access token naming the person, and a refresh
token (only its hash is stored) that is replaced at each use.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Literal
from uuid import UUID

from eventlens.accounts import repo
from eventlens.accounts.repo import LinkPurpose
from eventlens.accounts.views import Person, Session
from eventlens.audit import service as audit
from eventlens.auth import service as sign_ins
from eventlens.auth.passwords import hash_password, verify_password
from eventlens.auth.tokens import issue_person_token
from eventlens.config import settings
from eventlens.db import Tx
from eventlens.errors import InvalidEmail, LinkInvalid, LoginFailed, NotSignedIn
from eventlens.scope import Scope

ACCESS_TTL_S = 15 * 60
REFRESH_TTL_S = 30 * 24 * 3600
LINK_TTL_S: dict[LinkPurpose, int] = {
    "magic_link": 15 * 60,
    "verify_email": 7 * 24 * 3600,
    "reset_password": 3600,
}
FREE_FAILURES = 5

_DUMMY_HASH = hash_password("not-a-password-of-anyone")
"""Checked against when no account exists, so a wrong email costs what a wrong password does."""


def normalize_email(email: str) -> str:
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        raise InvalidEmail(f"{email!r} is not an email address")
    return f"{local}@{domain.lower()}"


def secret_hash(token: str) -> bytes:
    """What is stored of a mailed link's or a refresh token's secret."""
    return hashlib.sha256(token.encode()).digest()


def sign_up(email: str, password: str, display_name: str = "", link_base: str = "") -> Person:
    """A new account with a password; a verification link is mailed. Signing in does not wait for
    it (an invitation still goes only to the address it names)."""
    email = normalize_email(email)
    hashed = hash_password(password)
    with Scope.system().transaction() as tx:
        person = repo.create_person(tx, email, display_name.strip()[:200], hashed, None, verified=False)
        token = _link(tx, person.id, "verify_email")
        audit.record(tx, "account_create", email, person_id=str(person.id))
    _mail("verify_email", email, f"{link_base}/account/verify#token={token}", LINK_TTL_S["verify_email"])
    return person


def create_person(email: str, display_name: str = "", password: str | None = None) -> Person:
    """An account made by the operator (the command line): verified, with or without a password."""
    email = normalize_email(email)
    hashed = hash_password(password) if password else None
    with Scope.system().transaction() as tx:
        person = repo.create_person(tx, email, display_name.strip()[:200], hashed, None, verified=True)
        audit.record(tx, "account_create", email, person_id=str(person.id), by="operator")
    return person


def verify_email(token: str) -> Person:
    with Scope.system().transaction() as tx:
        person_id = _use_link(tx, token, "verify_email")
        repo.mark_verified(tx, person_id)
        person = repo.by_id(tx, person_id)
    assert person is not None
    return person


def sign_in(email: str, password: str, client: str = "unknown") -> Session:
    """A session for the account's password; the same refusal for an unknown address and a wrong
    password, with the same back-off as the event password (per client and per account)."""
    email = normalize_email(email)
    key = f"account:{email.lower()}"
    sign_ins.throttle(key, client, FREE_FAILURES, FREE_FAILURES * 10)
    with Scope.system().transaction() as tx:
        person = repo.by_email(tx, email)
        stored = repo.password_hash(tx, person.id) if person else None
    if person is None or not verify_password(password, stored or _DUMMY_HASH) or stored is None:
        audit.record_alone(
            Scope.system().coming_from(client), "sign_in", email, outcome="refused", reason="LoginFailed"
        )
        raise LoginFailed("wrong email or password")
    sign_ins.succeeded(key, client)
    with Scope.system().coming_from(client).transaction() as tx:
        audit.record(tx, "sign_in", email, person_id=str(person.id), method="password")
        return _session(tx, person)


def request_link(email: str, purpose: Literal["magic_link", "reset_password"], link_base: str = "") -> None:
    """Mail a sign-in or reset link if the account exists; the reply is the same either way."""
    email = normalize_email(email)
    with Scope.system().transaction() as tx:
        person = repo.by_email(tx, email)
        token = _link(tx, person.id, purpose) if person else None
    if person is not None and token is not None:
        path = "/account/magic" if purpose == "magic_link" else "/account/reset"
        _mail(purpose, person.email, f"{link_base}{path}#token={token}", LINK_TTL_S[purpose])


def sign_in_with_link(token: str, client: str = "unknown") -> Session:
    """A session for a mailed sign-in link (once, within 15 minutes); it also verifies the address."""
    with Scope.system().coming_from(client).transaction() as tx:
        person_id = _use_link(tx, token, "magic_link")
        repo.mark_verified(tx, person_id)
        person = repo.by_id(tx, person_id)
        assert person is not None
        audit.record(tx, "sign_in", person.email, person_id=str(person.id), method="magic_link")
        return _session(tx, person)


def reset_password(token: str, new_password: str, client: str = "unknown") -> Session:
    """A new password from a mailed reset link: every other session ends."""
    hashed = hash_password(new_password)
    with Scope.system().coming_from(client).transaction() as tx:
        person_id = _use_link(tx, token, "reset_password")
        repo.set_password_hash(tx, person_id, hashed)
        repo.mark_verified(tx, person_id)
        repo.sign_out_everywhere(tx, person_id)
        person = repo.by_id(tx, person_id)
        assert person is not None
        audit.record(tx, "password_change", person.email, person_id=str(person.id), method="reset_link")
    time.sleep(0.002)  # the new session's token is issued after the revocation instant
    with Scope.system().coming_from(client).transaction() as tx:
        return _session(tx, person)


def change_password(person_id: UUID, current: str, new_password: str, client: str = "unknown") -> Session:
    with Scope.system().transaction() as tx:
        stored = repo.password_hash(tx, person_id)
    if not verify_password(current, stored):
        raise LoginFailed("the current password is wrong")
    hashed = hash_password(new_password)
    with Scope.system().coming_from(client).transaction() as tx:
        repo.set_password_hash(tx, person_id, hashed)
        repo.sign_out_everywhere(tx, person_id)
        person = repo.by_id(tx, person_id)
        assert person is not None
        audit.record(tx, "password_change", person.email, person_id=str(person_id), method="password")
    time.sleep(0.002)
    with Scope.system().coming_from(client).transaction() as tx:
        return _session(tx, person)


def refresh(refresh_token: str) -> Session:
    """A new session for a refresh token, which is used up. A token used twice means a copy was
    stolen: every session of the person ends."""
    with Scope.system().transaction() as tx:
        person_id, outcome = repo.take_session(tx, secret_hash(refresh_token))
        person = repo.by_id(tx, person_id) if person_id is not None else None
        if outcome == "ok" and person is not None:
            return _session(tx, person)
        if outcome == "replayed" and person is not None:
            repo.sign_out_everywhere(tx, person.id)
            audit.record(
                tx, "sign_out_everywhere", person.email, person_id=str(person.id), reason="refresh_replayed"
            )
    raise NotSignedIn("This session has ended: sign in again")


def sign_out_everywhere(person_id: UUID, client: str = "unknown") -> None:
    with Scope.system().coming_from(client).transaction() as tx:
        repo.sign_out_everywhere(tx, person_id)
        person = repo.by_id(tx, person_id)
        audit.record(
            tx, "sign_out_everywhere", person.email if person else str(person_id), person_id=str(person_id)
        )


def mark_verified(person_id: UUID) -> None:
    with Scope.system().transaction() as tx:
        repo.mark_verified(tx, person_id)


def signed_in_person(person_id: UUID, issued_at: float | None) -> Person:
    """The person a token names, if that token is still good: the account exists and the token
    was issued after its last "sign out everywhere" (or password change)."""
    person = get_person(person_id)
    revoked = person.sessions_valid_after
    if revoked is not None and (issued_at is None or issued_at < revoked.timestamp()):
        raise NotSignedIn(
            "You were signed out (the password changed, or someone signed out everywhere): sign in again"
        )
    return person


def get_person(person_id: UUID) -> Person:
    with Scope.system().transaction() as tx:
        person = repo.by_id(tx, person_id)
    if person is None:
        raise NotSignedIn("This account no longer exists")
    return person


def find_person(email: str) -> Person | None:
    with Scope.system().transaction() as tx:
        return repo.by_email(tx, normalize_email(email))


def emails(person_ids: list[UUID]) -> dict[UUID, str]:
    """Each known person's email, by id (the people a moderator's lists name)."""
    if not person_ids:
        return {}
    with Scope.system().transaction() as tx:
        return repo.emails(tx, person_ids)


def list_people() -> list[Person]:
    with Scope.system().transaction() as tx:
        return repo.all_people(tx)


def profile_for_claims(subject: str, email: str | None, email_verified: bool) -> Person:
    """The identity provider's user's profile, made just in time: by its subject first; else by
    its email, if the provider verified it (the profile is linked to the subject from then on);
    else a new profile. An unverified address never lands on someone else's profile."""
    with Scope.system().transaction() as tx:
        person = repo.by_subject(tx, subject)
        if person is not None:
            return person
        if email and email_verified:
            person = repo.by_email(tx, normalize_email(email))
            if person is not None and person.idp_subject is None:
                repo.link_subject(tx, person.id, subject)
                audit.record(tx, "account_link", person.email, person_id=str(person.id))
                return person.model_copy(update={"idp_subject": subject})
        address = normalize_email(email) if email else f"{subject}@users.invalid"
        if person is not None or repo.by_email(tx, address) is not None:
            address = f"{subject}@users.invalid"  # the address is someone else's, unverified here
        person = repo.create_person(tx, address, "", None, subject, verified=bool(email and email_verified))
        audit.record(tx, "account_create", person.email, person_id=str(person.id), by="identity_provider")
        return person


def _session(tx: Tx, person: Person) -> Session:
    refresh_token = secrets.token_urlsafe(32)
    repo.create_session(tx, person.id, secret_hash(refresh_token), REFRESH_TTL_S)
    access, expires = issue_person_token(person.id, settings().token_secret, ACCESS_TTL_S)
    return Session(
        access_token=access,
        expires_at=expires,
        refresh_token=refresh_token,
        refresh_expires_at=int(time.time()) + REFRESH_TTL_S,
        person=person,
    )


def _link(tx: Tx, person_id: UUID, purpose: LinkPurpose) -> str:
    token = secrets.token_urlsafe(32)
    repo.create_link(tx, secret_hash(token), person_id, purpose, LINK_TTL_S[purpose])
    return token


_WHY = {
    "unknown": "This link is not valid: ask for a new one",
    "used": "This link was already used: ask for a new one",
    "expired": "This link has expired: ask for a new one",
}


def _use_link(tx: Tx, token: str, purpose: LinkPurpose) -> UUID:
    person_id, outcome = repo.use_link(tx, secret_hash(token), purpose)
    if person_id is None:
        raise LinkInvalid(_WHY[outcome])
    return person_id


def _mail(kind: str, to: str, link: str, ttl_s: int) -> None:
    from eventlens.accounts.mailer import deliver

    deliver(kind, to, link, ttl_s)
