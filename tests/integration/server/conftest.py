"""A running `eventlens serve` on the test database, with the events "demo" and "other"."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def served(db: str, make_event) -> Iterator[tuple[str, Any]]:
    """(the server's URL, the "demo" event)."""
    from eventlens.devserver import make_server

    event = make_event("demo")
    make_event("other")
    httpd = make_server("127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", event
    httpd.shutdown()
    httpd.server_close()
