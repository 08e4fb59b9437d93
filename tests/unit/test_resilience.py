"""Backoff, Retry-After, rate limiting and the wall-clock guard, on a fake clock."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from eventlens.resilience import (
    HttpError,
    OutOfTime,
    RateLimiter,
    RetryPolicy,
    WallClockGuard,
    call_with_retry,
    parse_retry_after,
    retry_after_header,
)

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class Flaky:
    """Raises the given errors in order, then returns "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_backoff_doubles_from_base_until_the_cap() -> None:
    policy = RetryPolicy(base_s=0.5, cap_s=3.0, jitter=0.25)
    assert [policy.backoff_s(n, rand=lambda: 0.5) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_backoff_jitter_stays_within_a_quarter_either_way() -> None:
    policy = RetryPolicy(base_s=2.0, cap_s=30.0, jitter=0.25)
    assert policy.backoff_s(1, rand=lambda: 0.0) == pytest.approx(3.0)
    assert policy.backoff_s(1, rand=lambda: 0.999999) == pytest.approx(5.0, abs=1e-5)
    delays = {policy.backoff_s(1) for _ in range(200)}
    assert all(3.0 <= d <= 5.0 for d in delays)
    assert len(delays) > 100


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_retryable_status_is_retried_with_backoff_then_succeeds(status: int) -> None:
    clock = FakeClock()
    fn = Flaky(HttpError(status), HttpError(status))
    result = call_with_retry(fn, policy=RetryPolicy(base_s=1.0), sleep=clock.sleep, rand=lambda: 0.5)
    assert result == "ok"
    assert fn.calls == 3
    assert clock.sleeps == [1.0, 2.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 408, 501, 504])
def test_other_statuses_raise_at_once_without_sleeping(status: int) -> None:
    clock = FakeClock()
    fn = Flaky(HttpError(status, "nope"))
    with pytest.raises(HttpError, match=f"HTTP {status}: nope"):
        call_with_retry(fn, sleep=clock.sleep)
    assert fn.calls == 1
    assert clock.sleeps == []


def test_unclassified_exception_is_never_retried() -> None:
    fn = Flaky(ValueError("bad input"))
    with pytest.raises(ValueError, match="bad input"):
        call_with_retry(fn, sleep=FakeClock().sleep)
    assert fn.calls == 1


def test_gives_up_after_max_attempts_and_says_so() -> None:
    clock = FakeClock()
    fn = Flaky(*(HttpError(503) for _ in range(10)))
    with pytest.raises(HttpError) as info:
        call_with_retry(
            fn, policy=RetryPolicy(max_attempts=3, base_s=1.0), sleep=clock.sleep, rand=lambda: 0.5
        )
    assert fn.calls == 3
    assert clock.sleeps == [1.0, 2.0]
    assert "gave up after 3 attempt(s)" in info.value.__notes__[0]


def test_retry_after_seconds_replaces_the_backoff() -> None:
    clock = FakeClock()
    fn = Flaky(HttpError(429, retry_after="7"))
    call_with_retry(fn, policy=RetryPolicy(base_s=0.1), sleep=clock.sleep, rand=lambda: 0.5)
    assert clock.sleeps == [7.0]


def test_retry_after_http_date_waits_until_that_moment() -> None:
    clock = FakeClock()
    header = "Sun, 01 Jun 2025 12:00:12 GMT"
    fn = Flaky(HttpError(503, retry_after=header))
    call_with_retry(fn, sleep=clock.sleep, now=lambda: NOW)
    assert clock.sleeps == [12.0]


def test_retry_after_longer_than_allowed_gives_up_instead_of_sleeping() -> None:
    clock = FakeClock()
    fn = Flaky(HttpError(429, retry_after="3600"))
    with pytest.raises(HttpError):
        call_with_retry(fn, policy=RetryPolicy(max_retry_after_s=60), sleep=clock.sleep)
    assert fn.calls == 1
    assert clock.sleeps == []


def test_wait_that_would_pass_the_deadline_gives_up() -> None:
    clock = FakeClock()
    guard = WallClockGuard(5_000, clock=clock)
    fn = Flaky(HttpError(429, retry_after="10"))
    with pytest.raises(OutOfTime, match="passes the deadline") as info:
        call_with_retry(fn, sleep=clock.sleep, deadline=guard)
    assert clock.sleeps == []
    assert isinstance(info.value.__cause__, HttpError)


def test_before_attempt_runs_before_every_attempt() -> None:
    seen: list[int] = []
    fn = Flaky(HttpError(500), HttpError(500))
    call_with_retry(fn, sleep=FakeClock().sleep, before_attempt=lambda: seen.append(fn.calls))
    assert seen == [0, 1, 2]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 0 ", 0.0),
        ("0.25", 0.25),
        ("-3", 0.0),
        ("Sun, 01 Jun 2025 12:01:00 GMT", 60.0),
        ("Sun, 01 Jun 2025 11:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after_reads_seconds_and_http_dates(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=lambda: NOW) == expected


def test_retry_after_header_is_found_whatever_its_case() -> None:
    assert retry_after_header({"RETRY-AFTER": "3"}) == "3"
    assert retry_after_header({"content-type": "x"}) is None
    assert retry_after_header(None) is None


def test_rate_limiter_lets_a_burst_through_then_waits_for_the_oldest_slot() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 60.0, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.t += 10
    assert limiter.acquire() == pytest.approx(50.0)
    assert clock.t == pytest.approx(1060.0)


def test_rate_limiter_window_slides_rather_than_resetting() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 10.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.t += 6
    limiter.acquire()
    clock.t += 5  # the first call left the window, the second has not
    assert limiter.try_acquire() == 0.0
    assert limiter.try_acquire() == pytest.approx(5.0)


def test_rate_limiter_never_exceeds_its_quota_across_threads() -> None:
    # Each slot's own time: the clock a thread read last inside the limiter is when its slot was
    # taken (a time read after `acquire` returns would include any delay before the thread ran on).
    read: dict[int, float] = {}

    def clock() -> float:
        read[threading.get_ident()] = now = time.monotonic()
        return now

    limiter = RateLimiter(5, 0.2, clock=clock)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            limiter.acquire()
            with lock:
                starts.append(read[threading.get_ident()])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert len(starts) == 12
    for i in range(len(starts) - 5):
        assert starts[i + 5] - starts[i] >= 0.2 - 1e-9


def test_rate_limiter_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="max_calls"):
        RateLimiter(0, 1.0)


def test_guard_counts_down_and_expires_with_a_reserve() -> None:
    clock = FakeClock()
    guard = WallClockGuard(10_000, clock=clock)
    assert guard.remaining_ms() == 10_000
    clock.t += 7.5
    assert guard.remaining_ms() == pytest.approx(2_500)
    assert not guard.expired()
    assert guard.expired(reserve_ms=3_000)
    clock.t += 5
    assert guard.remaining_ms() == 0
    assert guard.expired()


def test_guard_for_lambda_keeps_a_margin_before_the_timeout() -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 900_000

    clock = FakeClock()
    guard = WallClockGuard.for_lambda(Context(), margin_ms=50_000, clock=clock)
    assert guard.remaining_ms() == 850_000
    late = WallClockGuard.for_lambda(Context(), margin_ms=1_000_000, minimum_ms=5_000, clock=FakeClock())
    assert late.remaining_ms() == 5_000  # a late start still gets a minimum slice, never a negative one


def test_http_date_in_the_past_means_retry_now() -> None:
    past = (NOW - timedelta(minutes=5)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(past, now=lambda: NOW) == 0.0


def test_a_limiter_wait_past_the_deadline_raises_out_of_time_instead_of_sleeping() -> None:
    from eventlens.resilience import OutOfTime, RateLimiter, WallClockGuard

    slept: list[float] = []
    limiter = RateLimiter(1, 30.0, clock=lambda: 100.0, sleep=slept.append)
    assert limiter.acquire() == 0.0
    with pytest.raises(OutOfTime):
        limiter.acquire(WallClockGuard(5_000, clock=lambda: 100.0))
    assert slept == []  # a 30 s wait with 5 s left is not slept
