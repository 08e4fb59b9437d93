"""What tests need beyond fixtures: a transaction that reads everything of one event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from eventlens import db


@contextmanager
def scoped(event_id: UUID | str | None) -> Iterator[db.Tx]:
    """A transaction as the operator (`system` actor) for `event_id`: tests inspect rows with it."""
    with db.transaction(None if event_id is None else UUID(str(event_id)), "system") as tx:
        yield tx
