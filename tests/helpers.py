"""What tests need beyond fixtures: a transaction that reads everything of one event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from eventlens import db
from eventlens.db.photos import PHOTO_COLUMNS, PhotoRow
from eventlens.storage import blob_store
from psycopg.types.json import Jsonb


@contextmanager
def scoped(event_id: UUID | str | None) -> Iterator[db.Tx]:
    """A transaction as the operator (`system` actor) for `event_id`: tests inspect rows with it."""
    with db.transaction(None if event_id is None else UUID(str(event_id)), "system") as tx:
        yield tx


def stored_photo(
    event_id: UUID,
    name: str,
    original: bytes,
    mime: str = "image/jpeg",
    thumbnail: bytes | None = None,
    public: bool = True,
) -> PhotoRow:
    """A processed photo with its original (and a 320 px thumbnail) in the blob store: a public one,
    or (public=False) one held for review."""
    with scoped(event_id) as tx:
        slug = tx.execute("SELECT slug FROM events WHERE id = %s", (event_id,)).fetchone()["slug"]  # type: ignore[index]
        key = f"events/{slug}/originals/{name}"
        blob_store().put(key, original)
        thumbs = {}
        if thumbnail is not None:
            thumbs["320"] = f"events/{slug}/thumbs/{name}/320.jpg"
            blob_store().put(thumbs["320"], thumbnail)
        row = tx.execute(
            "INSERT INTO photos AS p (event_id, source_key, content_hash, filename, mime, thumbnails,"
            " analyze_status, review) VALUES (%s, %s, md5(%s), %s, %s, %s, 'completed', %s)"
            " RETURNING " + PHOTO_COLUMNS,
            (
                event_id,
                key,
                key,
                name.rsplit("/", 1)[-1],
                mime,
                Jsonb(thumbs),
                "not_needed" if public else "pending",
            ),
        ).fetchone()
    return PhotoRow.of(row)  # type: ignore[arg-type]


def stored_original(
    event_id: UUID, filename: str, original: bytes, folder: str = "", hidden: bool = False
) -> PhotoRow:
    """A processed photo in `folder` whose original (and its size) is in the blob store: what a
    ZIP download reads. Public unless `hidden`."""
    with scoped(event_id) as tx:
        slug = tx.execute("SELECT slug FROM events WHERE id = %s", (event_id,)).fetchone()["slug"]  # type: ignore[index]
        key = f"events/{slug}/originals/{folder + '/' if folder else ''}{filename}"
        blob_store().put(key, original)
        row = tx.execute(
            "INSERT INTO photos AS p (event_id, source_key, content_hash, size_bytes, filename, folder, mime,"
            " hidden, analyze_status) VALUES (%s, %s, md5(%s), %s, %s, %s, 'image/jpeg', %s, 'completed')"
            " RETURNING " + PHOTO_COLUMNS,
            (event_id, key, key, len(original), filename, folder, hidden),
        ).fetchone()
    return PhotoRow.of(row)  # type: ignore[arg-type]


@dataclass
class People:
    owner_conn: psycopg.Connection

    def organization(self, slug: str) -> UUID:
        row = self.owner_conn.execute(
            "INSERT INTO organizations (slug, name) VALUES (%s, %s) RETURNING id", (slug, slug.title())
        ).fetchone()
        assert row is not None
        return row[0]

    def person(self, email: str) -> UUID:
        row = self.owner_conn.execute(
            "INSERT INTO people (email, email_verified_at) VALUES (%s, now()) RETURNING id", (email,)
        ).fetchone()
        assert row is not None
        return row[0]

    def grant(
        self, person: UUID, role: str, organization: UUID | None = None, event: UUID | None = None
    ) -> None:
        self.owner_conn.execute(
            "INSERT INTO grants (person_id, role, organization_id, event_id) VALUES (%s, %s, %s, %s)",
            (person, role, organization, event),
        )

    def token(self, person: UUID) -> str:
        from eventlens.auth.tokens import issue_person_token
        from eventlens.config import settings

        return issue_person_token(person, settings().token_secret, 900)[0]

    def with_role(
        self, role: str | None, *, organization: UUID | None = None, event: UUID | None = None
    ) -> Any:
        """A new person holding `role` there (SUPER_ADMIN: the installation; None: nothing), and its token."""
        person = self.person(f"{(role or 'nobody').lower()}-{UUID(int=self._next()).hex[-8:]}@example.org")
        if role == "SUPER_ADMIN":
            self.grant(person, role)
        elif role is not None:
            self.grant(person, role, organization, event)
        return person, self.token(person)

    _counter: int = 0

    def _next(self) -> int:
        self._counter += 1
        return self._counter


class Ticks:
    """A clock that moves one second each time it is read: a WallClockGuard on it counts steps, not
    time, so a test of work that stops at its budget is the same on any machine."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now
