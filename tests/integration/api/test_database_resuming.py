"""A database that is resuming (Aurora paused at 0 ACU takes ~15 s) answers the API's callers 503
with Retry-After, never a 500, and the same request succeeds once it is back.

The database is the real PostgreSQL behind a TCP proxy written here, which first refuses
connections (closes them at once) or holds them unanswered (as a resuming Aurora does), then
forwards them: the application connects through it as `eventlens_app`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

Mode = Literal["refuse", "hold", "open"]


class GatedProxy:
    """127.0.0.1:<port> to PostgreSQL (a TCP address or a unix socket), gated by `mode`."""

    def __init__(self, upstream: tuple[str, int] | str) -> None:
        self.upstream = upstream
        self.mode: Mode = "open"
        self.opened = threading.Event()
        self.opened.set()
        self.attempts = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def set(self, mode: Mode) -> None:
        self.mode = mode
        if mode == "open":
            self.opened.set()
        else:
            self.opened.clear()

    def close(self) -> None:
        self._stop.set()
        self.opened.set()
        self._thread.join(5)
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.attempts += 1
            if self.mode == "refuse":
                client.close()
                continue
            threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        self.opened.wait()  # held: the client waits for the server to come up
        if self._stop.is_set():
            client.close()
            return
        if isinstance(self.upstream, str):
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(self.upstream)
        else:
            server = socket.create_connection(self.upstream)
        for source, sink in ((client, server), (server, client)):
            threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _upstream(owner_url: str) -> tuple[tuple[str, int] | str, dict[str, str]]:
    params = conninfo_to_dict(owner_url)
    host, port = str(params.get("host") or "localhost"), int(params.get("port") or 5432)
    if host.startswith("/"):
        return str(Path(host) / f".s.PGSQL.{port}"), params
    return (host, port), params


@pytest.fixture
def proxy(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GatedProxy]:
    """The application's connection goes through a gated proxy; a short wait keeps the test quick."""
    from eventlens.config import reset_settings
    from eventlens.db import APP_ROLE, close_pool

    upstream, params = _upstream(db)
    gate = GatedProxy(upstream)
    app = {k: v for k, v in params.items() if k not in ("host", "port", "user", "password")}
    url = make_conninfo("", **app, host="127.0.0.1", port=gate.port, user=APP_ROLE)
    monkeypatch.setenv("EVENTLENS_APP_DATABASE_URL", url)
    monkeypatch.setenv("EVENTLENS_DB_CONNECT_WAIT_S", "1.5")
    close_pool()
    reset_settings()
    yield gate
    close_pool()
    gate.close()


def _health(api) -> tuple[int, dict]:
    """The raw reply (headers too) of GET /api/health, as API Gateway would get it."""
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler, route_group

    group = route_group("/api/health")
    event = http_api_event("GET", "/api/health", {"host": "test"}, b"", "127.0.0.1", None)
    reply = lambda_handler(group)(event, LambdaContext(group, "req-1", deadline_ms=2**62))
    return reply["statusCode"], reply


@pytest.mark.parametrize("mode", ["refuse", "hold"])
def test_a_resuming_database_answers_503_with_retry_after_then_serves_the_same_request(
    api, make_event, proxy: GatedProxy, mode: Mode
) -> None:
    """Given a database that refuses (or holds) new connections, when a visitor opens an event, then
    the API answers 503 with Retry-After within the connect wait (not a 500, not a hang); once the
    database is up, the same request answers 200 with the event."""
    from eventlens.db import close_pool

    make_event("gala")
    close_pool()  # the Lambda's connections are gone (the database paused and closed them)
    proxy.set(mode)

    started = time.monotonic()
    status, body = api("GET", "/api/events/gala")
    waited = time.monotonic() - started
    assert status == 503, body
    assert "starting up" in body["message"]
    assert waited < 10
    status, reply = _health(api)
    assert status == 503
    assert int(reply["headers"]["Retry-After"]) >= 5
    assert proxy.attempts >= 1

    proxy.set("open")
    deadline = time.monotonic() + 20
    status, body = api("GET", "/api/events/gala")
    while status == 503 and time.monotonic() < deadline:  # the pool's reconnect backs off
        time.sleep(0.5)
        status, body = api("GET", "/api/events/gala")
    assert status == 200, body
    assert body["slug"] == "gala"
    assert _health(api)[0] == 200
