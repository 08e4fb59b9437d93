"""SQL for subjects, under the policies of migration 0018 (the organization in scope)."""

from __future__ import annotations

from uuid import UUID

import psycopg

from eventlens.db import Tx
from eventlens.errors import SubjectExists
from eventlens.subjects.views import Subject

_COLUMNS = "s.id, s.kind, s.name, s.created_at"


def list_subjects(tx: Tx) -> list[Subject]:
    rows = tx.execute(
        "SELECT " + _COLUMNS + " FROM subjects s WHERE s.organization_id = current_organization_id()"
        " ORDER BY s.kind, lower(s.name)"
    ).fetchall()
    return [Subject.model_validate(r) for r in rows]


def get_subject(tx: Tx, subject_id: UUID) -> Subject | None:
    row = tx.execute(
        "SELECT "
        + _COLUMNS
        + " FROM subjects s WHERE s.organization_id = current_organization_id() AND s.id = %s",
        (subject_id,),
    ).fetchone()
    return None if row is None else Subject.model_validate(row)


def create_subject(tx: Tx, kind: str, name: str) -> Subject:
    try:
        with tx.transaction():
            row = tx.execute(
                "INSERT INTO subjects AS s (organization_id, kind, name) VALUES (current_organization_id(), %s, %s)"
                " RETURNING " + _COLUMNS,
                (kind, name),
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise SubjectExists(f"there is already a {kind} named {name!r}") from None
    assert row is not None
    return Subject.model_validate(row)


def rename_subject(tx: Tx, subject_id: UUID, name: str) -> Subject | None:
    try:
        with tx.transaction():
            row = tx.execute(
                "UPDATE subjects s SET name = %s WHERE s.organization_id = current_organization_id() AND s.id = %s"
                " RETURNING " + _COLUMNS,
                (name, subject_id),
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise SubjectExists(f"there is already a subject of that kind named {name!r}") from None
    return None if row is None else Subject.model_validate(row)


def merge_subjects(tx: Tx, source: UUID, target: UUID) -> int:
    """Move `source`'s album links to `target` (a link both had stays one), then remove `source`.
    How many links moved."""
    moved = tx.execute(
        "INSERT INTO album_subjects (album_id, event_id, subject_id)"
        " SELECT album_id, event_id, %s FROM album_subjects WHERE subject_id = %s ON CONFLICT DO NOTHING",
        (target, source),
    ).rowcount
    tx.execute(
        "DELETE FROM subjects WHERE organization_id = current_organization_id() AND id = %s", (source,)
    )
    return moved


def linked_event_ids(tx: Tx, subject_id: UUID) -> list[UUID]:
    """The events whose albums link to the subject (the operator reads them across events)."""
    rows = tx.execute(
        "SELECT DISTINCT event_id FROM album_subjects WHERE subject_id = %s", (subject_id,)
    ).fetchall()
    return [r["event_id"] for r in rows]
