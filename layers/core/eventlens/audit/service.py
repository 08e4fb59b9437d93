"""The audit log of sensitive actions.

A service records an entry inside the transaction of the action itself (`record(tx, ...)`), so
the entry exists exactly when the action happened; who, for which event, from where and when come
from the transaction (the database's trigger reads them), never from the caller. Entries are
append-only for the application and chained by hash; `verify` finds a changed or missing one.

Actions (one name each, snake_case): sign_in, sign_out_everywhere, password_change,
settings_change, photo_hide, photo_unhide, photo_approve, photo_reject, photo_delete, event_create,
event_delete, face_templates_purge, audit_export.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventlens.audit import repo
from eventlens.audit.views import AuditEntry, AuditPage, AuditVerification
from eventlens.db import Tx
from eventlens.scope import Scope


def record(
    tx: Tx,
    action: str,
    target: str | None = None,
    *,
    outcome: str = "ok",
    event_id: UUID | None = None,
    **detail: Any,
) -> int:
    """Append one entry in the caller's transaction; its sequence number. `event_id` names the
    event for an operator's transaction that has none in scope (creating one); otherwise ignored."""
    return repo.append(tx, action, target, outcome, detail, event_id)


def record_alone(
    scope: Scope, action: str, target: str | None = None, *, outcome: str = "ok", **detail: Any
) -> int:
    """Append one entry in a transaction of its own (an action that is refused has none to join)."""
    with scope.transaction() as tx:
        return record(tx, action, target, outcome=outcome, **detail)


def entries(
    scope: Scope, action: str | None = None, before_seq: int | None = None, limit: int = 100
) -> AuditPage:
    """Newest first: an organizer sees its event's entries, the operator all of them."""
    with scope.transaction() as tx:
        return AuditPage(entries=repo.entries(tx, action, before_seq, limit))


def export(scope: Scope) -> Iterator[AuditEntry]:
    """Every entry the scope may read, oldest first; the export itself is recorded."""
    record_alone(scope, "audit_export")
    with scope.transaction() as tx:
        yield from repo.all_entries(tx)


def verify(scope: Scope) -> AuditVerification:
    """Recompute every entry's hash and link (the operator only)."""
    with scope.transaction() as tx:
        count, problems = repo.verify(tx)
    return AuditVerification(entries=count, intact=not problems, problems=problems)
