"""SQL for people, their mailed links and their refresh sessions (the operator actor only)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import psycopg

from eventlens.accounts.views import Person
from eventlens.db import Tx
from eventlens.errors import AccountExists

LinkPurpose = Literal["magic_link", "verify_email", "reset_password"]

_PERSON = "id, email, display_name, email_verified_at, idp_subject, sessions_valid_after, created_at"


def create_person(
    tx: Tx, email: str, display_name: str, password_hash: str | None, idp_subject: str | None, verified: bool
) -> Person:
    try:
        row = tx.execute(
            "INSERT INTO people (email, display_name, password_hash, idp_subject, email_verified_at)"
            f" VALUES (%s, %s, %s, %s, CASE WHEN %s THEN now() END) RETURNING {_PERSON}",
            (email, display_name, password_hash, idp_subject, verified),
        ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise AccountExists(f"an account for {email} already exists: sign in instead") from None
    assert row is not None
    return Person.model_validate(row)


def by_email(tx: Tx, email: str) -> Person | None:
    row = tx.execute(f"SELECT {_PERSON} FROM people WHERE lower(email) = lower(%s)", (email,)).fetchone()
    return None if row is None else Person.model_validate(row)


def by_id(tx: Tx, person_id: UUID) -> Person | None:
    row = tx.execute(f"SELECT {_PERSON} FROM people WHERE id = %s", (person_id,)).fetchone()
    return None if row is None else Person.model_validate(row)


def emails(tx: Tx, person_ids: list[UUID]) -> dict[UUID, str]:
    rows = tx.execute("SELECT id, email FROM people WHERE id = ANY(%s)", (person_ids,)).fetchall()
    return {r["id"]: r["email"] for r in rows}


def by_subject(tx: Tx, subject: str) -> Person | None:
    row = tx.execute(f"SELECT {_PERSON} FROM people WHERE idp_subject = %s", (subject,)).fetchone()
    return None if row is None else Person.model_validate(row)


def all_people(tx: Tx) -> list[Person]:
    return [
        Person.model_validate(r) for r in tx.execute(f"SELECT {_PERSON} FROM people ORDER BY lower(email)")
    ]


def link_subject(tx: Tx, person_id: UUID, subject: str) -> None:
    tx.execute("UPDATE people SET idp_subject = %s WHERE id = %s", (subject, person_id))


def password_hash(tx: Tx, person_id: UUID) -> str | None:
    row = tx.execute("SELECT person_password_hash(%s) AS h", (person_id,)).fetchone()
    return None if row is None else row["h"]


def set_password_hash(tx: Tx, person_id: UUID, hashed: str) -> None:
    tx.execute("UPDATE people SET password_hash = %s WHERE id = %s", (hashed, person_id))


def mark_verified(tx: Tx, person_id: UUID) -> None:
    tx.execute(
        "UPDATE people SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = %s", (person_id,)
    )


def sign_out_everywhere(tx: Tx, person_id: UUID) -> None:
    """Tokens issued before now are refused; every refresh session ends."""
    tx.execute("UPDATE people SET sessions_valid_after = clock_timestamp() WHERE id = %s", (person_id,))
    tx.execute(
        "UPDATE person_sessions SET revoked_at = now() WHERE person_id = %s AND revoked_at IS NULL",
        (person_id,),
    )


def create_link(tx: Tx, token_hash: bytes, person_id: UUID, purpose: LinkPurpose, ttl_s: int) -> None:
    tx.execute(
        "INSERT INTO person_links (token_hash, person_id, purpose, expires_at)"
        " VALUES (%s, %s, %s, now() + make_interval(secs => %s))",
        (token_hash, person_id, purpose, ttl_s),
    )


def use_link(tx: Tx, token_hash: bytes, purpose: LinkPurpose) -> tuple[UUID | None, str]:
    """Mark the link used; (its person, "ok") or (None, why not: unknown, used, expired)."""
    row = tx.execute(
        "SELECT person_id, used_at IS NOT NULL AS used, expires_at <= now() AS expired"
        " FROM person_links WHERE token_hash = %s AND purpose = %s FOR UPDATE",
        (token_hash, purpose),
    ).fetchone()
    if row is None:
        return None, "unknown"
    if row["used"]:
        return None, "used"
    if row["expired"]:
        return None, "expired"
    tx.execute("UPDATE person_links SET used_at = now() WHERE token_hash = %s", (token_hash,))
    return row["person_id"], "ok"


def create_session(tx: Tx, person_id: UUID, token_hash: bytes, ttl_s: int) -> UUID:
    row = tx.execute(
        "INSERT INTO person_sessions (person_id, token_hash, expires_at)"
        " VALUES (%s, %s, now() + make_interval(secs => %s)) RETURNING id",
        (person_id, token_hash, ttl_s),
    ).fetchone()
    assert row is not None
    return row["id"]


def take_session(tx: Tx, token_hash: bytes) -> tuple[UUID | None, str]:
    """Replace the refresh session with this token: (its person, "ok"), or why not. A token
    presented after it was replaced is a stolen copy or a replay: (person, "replayed")."""
    row = tx.execute(
        "SELECT id, person_id, replaced_at IS NOT NULL AS replaced, revoked_at IS NOT NULL AS revoked,"
        " expires_at <= now() AS expired FROM person_sessions WHERE token_hash = %s FOR UPDATE",
        (token_hash,),
    ).fetchone()
    if row is None:
        return None, "unknown"
    if row["replaced"]:
        return row["person_id"], "replayed"
    if row["revoked"] or row["expired"]:
        return None, "ended"
    tx.execute("UPDATE person_sessions SET replaced_at = now() WHERE id = %s", (row["id"],))
    return row["person_id"], "ok"
