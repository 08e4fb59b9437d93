"""Subjects: create, rename, merge (audited), and the subject page across the organization's events.

A subject belongs to the organization, so one speaker is one subject across its events. Acting
happens through an event (the caller's role there); the page reads each event the caller may read,
each under that event's own scope, so row-level security still decides what is shown.
"""

from __future__ import annotations

from uuid import UUID

from eventlens.audit import service as audit
from eventlens.errors import SubjectNotFound
from eventlens.scope import Scope
from eventlens.subjects import repo
from eventlens.subjects.views import Subject, SubjectList


def list_subjects(scope: Scope) -> SubjectList:
    with scope.transaction() as tx:
        return SubjectList(subjects=repo.list_subjects(tx))


def get_subject(scope: Scope, subject_id: UUID) -> Subject:
    with scope.transaction() as tx:
        found = repo.get_subject(tx, subject_id)
    if found is None:
        raise SubjectNotFound(f"no subject {subject_id}")
    return found


def create_subject(scope: Scope, kind: str, name: str) -> Subject:
    with scope.transaction() as tx:
        subject = repo.create_subject(tx, kind, name.strip())
        audit.record(tx, "subject_create", str(subject.id), kind=kind, name=subject.name)
        return subject


def rename_subject(scope: Scope, subject_id: UUID, name: str) -> Subject:
    with scope.transaction() as tx:
        subject = repo.rename_subject(tx, subject_id, name.strip())
        if subject is None:
            raise SubjectNotFound(f"no subject {subject_id}")
        audit.record(tx, "subject_rename", str(subject_id), name=subject.name)
        return subject


def merge_subjects(scope: Scope, source: UUID, target: UUID) -> Subject:
    """`source` becomes `target`: its album links, across every event of the organization, move
    (the caller's right was checked for its event; the links of other events move as the operator,
    within the organization)."""
    if source == target:
        raise SubjectNotFound("a subject cannot be merged into itself")
    get_subject(scope, source)
    kept = get_subject(scope, target)
    org = Scope("system", None, scope.subject, scope.origin, organization=scope.organization_id)
    with org.transaction() as tx:
        moved = repo.merge_subjects(tx, source, target)
        audit.record(tx, "subject_merge", str(source), event_id=scope.event_id, into=str(target), links=moved)
    return kept


def linked_event_ids(scope: Scope, subject_id: UUID) -> list[UUID]:
    """The events whose albums link to the subject (ids only: each is then read in its own scope)."""
    get_subject(scope, subject_id)
    org = Scope("system", None, scope.subject, organization=scope.organization_id)
    with org.transaction() as tx:
        return repo.linked_event_ids(tx, subject_id)
