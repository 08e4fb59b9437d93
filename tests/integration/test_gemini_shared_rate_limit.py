"""The Gemini rate limit shared by every worker (migration 0017), with real concurrent workers:
threads, each with its own connection as the application role, against the real database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import psycopg
import pytest
from psycopg.rows import dict_row
from skimage import data as skdata

from tests.fakes.gemini_server import API_KEY, FakeGeminiServer, error_reply, text_reply

REPLY = '{"visible_text": "", "people_descriptions": "", "scene_description": "Stage", "face_count": 0}'


@pytest.fixture
def connect(db: str) -> Iterator[Callable[[], Callable[[], AbstractContextManager[Any]]]]:
    """Each call opens one more connection as eventlens_app and returns its transaction factory."""
    from eventlens.db import app_database_url

    opened: list[psycopg.Connection[Any]] = []

    def make() -> Callable[[], AbstractContextManager[Any]]:
        conn = psycopg.connect(app_database_url(), row_factory=dict_row)
        opened.append(conn)

        @contextmanager
        def transaction() -> Iterator[Any]:
            with conn.transaction():
                yield conn

        return transaction

    yield make
    for conn in opened:
        conn.close()


def run_workers(count: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            work(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_workers_together_never_start_more_than_the_limit_in_any_window(connect: Any) -> None:
    from eventlens.ml.ratelimit.service import SharedRateLimiter

    limit, window, workers, run_s = 4, 0.5, 6, 2.0
    limiters = [
        SharedRateLimiter("gemini:test-window", limit, window, transaction=connect()) for _ in range(workers)
    ]
    starts: list[datetime] = []
    per_worker = [0] * workers
    lock = threading.Lock()
    stop = time.monotonic() + run_s

    def work(index: int) -> None:
        limiter = limiters[index]
        while time.monotonic() < stop:
            limiter.acquire()
            assert limiter.last is not None
            assert limiter.last.started_at is not None
            with lock:
                starts.append(limiter.last.started_at)
                per_worker[index] += 1

    run_workers(workers, work)
    starts.sort()
    # Any limit+1 consecutive starts span at least a window (the database's clock took them all).
    spans = [starts[i + limit] - starts[i] for i in range(len(starts) - limit)]
    assert min(spans) >= timedelta(seconds=window)
    # ... and they were kept busy, not starved: about `limit` starts per window, from every worker.
    span = (starts[-1] - starts[0]).total_seconds()
    assert limit * run_s / window - limit <= len(starts) <= limit * (span / window + 1)
    assert all(taken > 0 for taken in per_worker)


def test_a_429_seen_by_one_worker_holds_back_the_others_until_its_retry_after(connect: Any) -> None:
    from eventlens.ml.describe import DescribeContext
    from eventlens.ml.gemini import GeminiDescriber
    from eventlens.ml.ratelimit.service import SharedRateLimiter
    from eventlens.resilience import RetryPolicy

    photo = np.asarray(skdata.astronaut())
    context = DescribeContext(filename="a.jpg", folder="", taken_at=None, face_count=0)
    retry = RetryPolicy(base_s=0.05, cap_s=0.2, max_attempts=3)
    with FakeGeminiServer() as fake:
        fake.script_generate(
            error_reply(429, "Resource has been exhausted", retry_after="2"),
            text_reply(REPLY),
            text_reply(REPLY),
        )
        first, second = (
            GeminiDescriber(
                API_KEY,
                base_url=fake.base_url,
                retry=retry,
                limiter=SharedRateLimiter("gemini:test-429", 100, 60.0, transaction=connect()),
            )
            for _ in range(2)
        )
        throttled = threading.Thread(target=first.describe, args=(photo, context))
        throttled.start()
        while not fake.calls("generateContent"):
            time.sleep(0.01)
        rejected_at = fake.calls("generateContent")[0].at
        time.sleep(0.2)  # the 429's hold is recorded by now
        started = time.monotonic()
        assert second.describe(photo, context).scene_description == "Stage"
        waited = time.monotonic() - started
        throttled.join(timeout=30)
        calls = fake.calls("generateContent")
    assert len(calls) == 3
    # The second worker never got the 429, yet neither it nor the retry went before Retry-After.
    assert all(call.at - rejected_at >= 1.9 for call in calls[1:])
    assert waited >= 1.5


def test_the_configured_limiter_is_shared_per_model_at_the_project_rpm(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventlens.config import reset_settings
    from eventlens.ml._config import gemini_limiter
    from eventlens.ml.ratelimit.service import SharedRateLimiter

    monkeypatch.setenv("EVENTLENS_GEMINI_RPM", "2000")
    monkeypatch.setenv("EVENTLENS_GEMINI_LIMITER", "database")
    reset_settings()
    limiter = gemini_limiter("gemini-2.5-flash")
    assert isinstance(limiter, SharedRateLimiter)
    assert (limiter.bucket, limiter.max_calls, limiter.per_seconds) == ("gemini:gemini-2.5-flash", 2000, 60.0)
    assert limiter.try_acquire() == 0.0  # through the pool, as the application role
    monkeypatch.setenv("EVENTLENS_GEMINI_LIMITER", "process")
    reset_settings()
    assert gemini_limiter("gemini-2.5-flash") is None
    reset_settings()
