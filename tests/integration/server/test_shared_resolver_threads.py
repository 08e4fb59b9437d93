"""One resolver called from many threads at once answers each call for itself (the embedded
server's instances run one call at a time; tests and tools call a shared one)."""

from __future__ import annotations

import threading
from typing import Any

from eventlens.devserver import LambdaContext, http_api_event, lambda_handler


def test_one_resolver_called_from_many_threads_at_once_answers_every_call(db: str) -> None:
    handler = lambda_handler("api_gallery")
    failures: list[Any] = []
    barrier = threading.Barrier(24)

    def worker() -> None:
        barrier.wait()
        for _ in range(40):
            event = http_api_event("GET", "/api/reactions/config", {"host": "test"}, b"", "127.0.0.1", None)
            reply = handler(event, LambdaContext("api_gallery", "req-1", deadline_ms=2**62))
            if reply["statusCode"] != 200:
                failures.append(reply)

    threads = [threading.Thread(target=worker) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
