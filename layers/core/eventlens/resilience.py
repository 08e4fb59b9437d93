"""Retry, rate-limit and time-budget helpers for calls that leave the process.

External services (Gemini, Google Drive) fail transiently and meter callers; a Lambda is
killed at its timeout. These helpers keep a phase polite and inside its budget: back off
with jitter, wait as long as the server asks (``Retry-After``), never hammer a permanent
error, and stop before the clock runs out. Clock, sleep and randomness are injectable so
tests are instant and exact.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

T = TypeVar("T")

RETRYABLE_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503})


class HttpError(Exception):
    """An HTTP failure any caller can raise so ``call_with_retry`` can classify it."""

    def __init__(self, status: int, message: str = "", retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status}: {message}" if message else f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Failure:
    """What the retry loop needs to know about an exception: its status and Retry-After."""

    status: int
    retry_after: str | None = None


def classify_http_error(exc: BaseException) -> Failure | None:
    """Default classifier: understands ``HttpError``; anything else is not retried."""
    if isinstance(exc, HttpError):
        return Failure(exc.status, exc.retry_after)
    return None


def retry_after_header(headers: Mapping[str, str] | None) -> str | None:
    """Read ``Retry-After`` case-insensitively from a header mapping (httpx/requests/dict)."""
    if not headers:
        return None
    getter = getattr(headers, "get", None)
    if getter is not None:
        value = getter("retry-after") or getter("Retry-After")
        if value:
            return str(value)
    for key, value in headers.items():
        if key.lower() == "retry-after":
            return str(value)
    return None


def parse_retry_after(value: str | None, now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), else None.

    Fractional seconds are accepted though RFC 9110 says integers: some proxies send them.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now() if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff ``base_s * 2**retry`` capped at ``cap_s``, jittered by ±``jitter``.

    ``max_retry_after_s`` bounds how long a server may make us wait: a longer ask is treated
    as a failure now, so a Lambda does not sleep away its budget (the phase resumes later).
    """

    base_s: float = 1.0
    cap_s: float = 30.0
    max_attempts: int = 5
    jitter: float = 0.25
    max_retry_after_s: float = 120.0
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def backoff_s(self, retry: int, rand: Callable[[], float] = random.random) -> float:
        """Delay before retry number ``retry`` (0 for the first retry); ``rand`` gives [0, 1)."""
        raw = min(self.cap_s, self.base_s * (2.0**retry))
        return raw * (1.0 + self.jitter * (2.0 * rand() - 1.0))


class OutOfTime(RuntimeError):
    """A retry the server asked for would end after the caller's deadline: the work is not failed,
    it is left for the next batch (a phase puts the photo back, never marks it an error)."""


class Deadline(Protocol):
    """Anything that can say how much time is left (``WallClockGuard`` does)."""

    def remaining_ms(self) -> float: ...


def call_with_retry(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy | None = None,
    classify: Callable[[BaseException], Failure | None] = classify_http_error,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
    now: Callable[[], datetime] | None = None,
    deadline: Deadline | None = None,
    before_attempt: Callable[[], object] | None = None,
) -> T:
    """Call ``fn`` until it succeeds, retrying only retryable HTTP statuses.

    A non-retryable or unclassified exception propagates at once; after the last attempt
    (or when the wait would overrun ``deadline``) the last exception propagates with a note
    saying how many attempts were made. ``before_attempt`` runs before every attempt — the
    place for a rate limiter's ``acquire``.
    """
    policy = policy or RetryPolicy()
    attempt = 0
    while True:
        attempt += 1
        if before_attempt is not None:
            before_attempt()
        try:
            return fn()
        except Exception as exc:
            failure = classify(exc)
            if failure is None or failure.status not in policy.retry_statuses:
                raise
            wait = _wait_before_retry(policy, failure, attempt, rand, now)
            if wait is None or attempt >= policy.max_attempts:
                exc.add_note(f"gave up after {attempt} attempt(s)")
                raise
            if deadline is not None and wait * 1000.0 >= deadline.remaining_ms():
                raise OutOfTime(
                    f"gave up after {attempt} attempt(s): a {wait:.1f}s wait passes the deadline"
                ) from exc
            sleep(wait)


def _wait_before_retry(
    policy: RetryPolicy,
    failure: Failure,
    attempt: int,
    rand: Callable[[], float],
    now: Callable[[], datetime] | None,
) -> float | None:
    """The server's ``Retry-After`` wins over our backoff; None when it asks for too long."""
    asked = parse_retry_after(failure.retry_after, now)
    if asked is None:
        return policy.backoff_s(attempt - 1, rand)
    if asked > policy.max_retry_after_s:
        return None
    return asked


class RateLimiter:
    """Thread-safe sliding-window limiter: at most ``max_calls`` starts in any ``per_seconds``.

    A sliding window (not a token bucket) matches how Gemini meters requests per minute, so a
    burst after a quiet minute cannot exceed the quota either.
    """

    def __init__(
        self,
        max_calls: int,
        per_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_calls < 1 or per_seconds <= 0:
            raise ValueError("max_calls must be >= 1 and per_seconds > 0")
        self.max_calls = max_calls
        self.per_seconds = per_seconds
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take a slot if one is free (returns 0.0), else return the seconds until one frees."""
        with self._lock:
            now = self._clock()
            while self._starts and self._starts[0] <= now - self.per_seconds:
                self._starts.popleft()
            if len(self._starts) < self.max_calls:
                self._starts.append(now)
                return 0.0
            return self._starts[0] + self.per_seconds - now

    def acquire(self, deadline: Deadline | None = None) -> float:
        """Block until a slot is free and take it; returns the seconds spent waiting. A wait that
        would pass `deadline` raises ``OutOfTime`` instead (the work waits for the next batch)."""
        waited = 0.0
        while (wait := self.try_acquire()) > 0:
            if deadline is not None and wait * 1000.0 >= deadline.remaining_ms():
                raise OutOfTime(f"the rate limiter asks for {wait:.1f}s, past the deadline")
            self._sleep(wait)
            waited += wait
        return waited

    def hold_off(self, seconds: float) -> None:
        """A server answered 429 asking for `seconds`. One process's limiter leaves that wait to the
        retry of the call that got it; a limiter shared between processes holds everyone back."""


class LambdaTimeLeft(Protocol):
    """The one part of a Lambda context the guard needs."""

    def get_remaining_time_in_millis(self) -> int: ...


class WallClockGuard:
    """A phase's time budget on a monotonic clock, so work stops before the Lambda timeout."""

    def __init__(self, budget_ms: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget_ms = budget_ms
        self._clock = clock
        self._started = clock()

    @classmethod
    def for_lambda(
        cls,
        context: LambdaTimeLeft,
        margin_ms: float = 50_000,
        *,
        minimum_ms: float = 5_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> WallClockGuard:
        """Budget = the Lambda's remaining time minus ``margin_ms`` (the last batch's writes and the
        reply), never under ``minimum_ms`` so a late start still makes progress."""
        remaining = float(context.get_remaining_time_in_millis())
        return cls(max(minimum_ms, remaining - margin_ms), clock=clock)

    def elapsed_ms(self) -> float:
        return (self._clock() - self._started) * 1000.0

    def remaining_ms(self) -> float:
        return max(0.0, self.budget_ms - self.elapsed_ms())

    def expired(self, reserve_ms: float = 0.0) -> bool:
        """True once less than ``reserve_ms`` is left — reserve what the next item needs."""
        return self.remaining_ms() <= reserve_ms
