"""`SharedRateLimiter`: the RateLimiter interface over the database's window (migration 0017).

Each worker of a fan-out phase is its own Lambda with its own process, so an in-process limiter per
worker lets N workers send N times the quota. Here every take is one short transaction on the
bucket's row: all workers of the project (and the API's query embeddings) share one window per
model, and a 429 with Retry-After seen by any of them holds back every other until then.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from eventlens.db import Tx
from eventlens.ml.ratelimit import repo
from eventlens.ml.ratelimit.repo import Take
from eventlens.resilience import RateLimiter

MAX_HOLD_S = 60.0
"""The longest a 429 holds every worker back: a longer Retry-After fails the call that got it (the
retry policy's max_retry_after_s) and the others come back to ask within a minute."""


@contextmanager
def _system_transaction() -> Iterator[Tx]:
    from eventlens import db

    with db.transaction(None, "system") as tx:
        yield tx


class SharedRateLimiter(RateLimiter):
    """At most `max_calls` starts in any `per_seconds`, counted across every process using `bucket`."""

    def __init__(
        self,
        bucket: str,
        max_calls: int,
        per_seconds: float = 60.0,
        *,
        transaction: Callable[[], AbstractContextManager[Tx]] = _system_transaction,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(max_calls, per_seconds, sleep=sleep)
        self.bucket = bucket
        self._transaction = transaction
        self.last: Take | None = None
        """The last answer from the database (its clock's start time, for tests and logs)."""

    def try_acquire(self) -> float:
        with self._transaction() as tx:
            self.last = repo.take(tx, self.bucket, self.max_calls, self.per_seconds)
        return self.last.wait_s

    def hold_off(self, seconds: float) -> None:
        with self._transaction() as tx:
            repo.hold(tx, self.bucket, min(seconds, MAX_HOLD_S))
