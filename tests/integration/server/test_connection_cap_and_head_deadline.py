"""`eventlens serve` holds a bounded number of connections, each a thread: one beyond the cap waits
briefly, then gets a 503 with Retry-After; and a request's line and headers must arrive within
HEAD_TIMEOUT_S of their first byte, so a client trickling them (slowloris) cannot keep a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from eventlens import devserver
from eventlens.devserver import HEAD_TIMEOUT_S, READ_TIMEOUT_S, make_server

HEALTH = b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
Address = tuple[str, int]


@pytest.fixture
def serve(db: str, make_event) -> Iterator[Callable[..., Address]]:
    servers = []
    make_event("demo")

    def start(max_connections: int | None = None) -> Address:
        httpd = make_server("127.0.0.1", 0, max_connections)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return "127.0.0.1", httpd.server_address[1]

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def read_reply(conn: socket.socket) -> bytes:
    """One response: its head, and its body by Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length and (chunk := conn.recv(65536)):
        body += chunk
    return head + b"\r\n\r\n" + body


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0


def held_connections(address: Address, count: int) -> list[socket.socket]:
    """`count` keep-alive connections, each answered once and then left idle (holding its slot)."""
    held = []
    for _ in range(count):
        conn = socket.create_connection(address, timeout=10)
        conn.sendall(HEALTH)
        assert status_of(read_reply(conn)) == 200
        held.append(conn)
    return held


def test_a_connection_beyond_the_cap_waits_briefly_then_gets_a_503_with_retry_after(
    serve, monkeypatch
) -> None:
    monkeypatch.setattr(devserver, "QUEUE_S", 0.5)
    address = serve(max_connections=2)
    held = held_connections(address, 2)
    try:
        started = time.monotonic()
        with socket.create_connection(address, timeout=10) as conn:
            conn.sendall(HEALTH)
            reply = read_reply(conn)
        took = time.monotonic() - started
    finally:
        for conn in held:
            conn.close()

    assert status_of(reply) == 503, reply
    assert b"Retry-After: 1\r\n" in reply
    assert b"Connection: close" in reply
    assert 0.4 < took < 3  # it waited QUEUE_S for a slot, then was answered at once


def test_a_waiting_connection_is_served_when_a_slot_frees_within_the_wait(serve, monkeypatch) -> None:
    monkeypatch.setattr(devserver, "QUEUE_S", 5.0)
    address = serve(max_connections=1)
    (held,) = held_connections(address, 1)
    threading.Timer(0.5, held.close).start()
    with socket.create_connection(address, timeout=10) as conn:
        conn.sendall(HEALTH)
        assert status_of(read_reply(conn)) == 200


def test_a_slot_is_free_again_once_its_connection_closes(serve, monkeypatch) -> None:
    monkeypatch.setattr(devserver, "QUEUE_S", 2.0)  # a slot not given back fails, not just slows
    address = serve(max_connections=2)
    for _ in range(5):  # more connections in turn than the cap: each one's slot comes back
        for conn in held_connections(address, 2):
            conn.close()
        time.sleep(0.1)
    reply = requests.get(f"http://{address[0]}:{address[1]}/api/health", timeout=10)
    assert reply.status_code == 200


def test_a_client_trickling_its_headers_one_byte_a_second_is_cut_off_at_the_head_deadline(
    serve, monkeypatch
) -> None:
    """Each byte arrives well within the idle timeout (READ_TIMEOUT_S), so only the head's own
    deadline (here 3 s) ends it: a 408, and the connection closed."""
    assert HEAD_TIMEOUT_S <= 10 < READ_TIMEOUT_S
    monkeypatch.setattr(devserver, "HEAD_TIMEOUT_S", 3.0)
    address = serve()
    head = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 60 + b"\r\n\r\n"
    reply, sent = b"", 0
    started = time.monotonic()
    with socket.create_connection(address, timeout=10) as conn:
        conn.settimeout(1.0)  # waiting for an answer paces the client at one byte a second
        for byte in head:
            try:
                conn.sendall(bytes([byte]))
                sent += 1
                reply += conn.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if reply:
                break
    took = time.monotonic() - started

    assert status_of(reply) == 408, reply
    assert b"Connection: close" in reply
    assert 2.5 < took < 6
    assert sent < len(head)  # cut off before the head was complete


def test_the_head_deadline_starts_at_the_first_byte_not_while_a_keep_alive_connection_idles(
    serve, monkeypatch
) -> None:
    monkeypatch.setattr(devserver, "HEAD_TIMEOUT_S", 1.0)
    address = serve()
    with socket.create_connection(address, timeout=10) as conn:
        conn.sendall(HEALTH)
        assert status_of(read_reply(conn)) == 200
        time.sleep(1.5)  # idle longer than the head deadline: still within the idle timeout
        conn.sendall(HEALTH[:10])
        time.sleep(0.3)  # a head in two pieces, within its deadline
        conn.sendall(HEALTH[10:])
        assert status_of(read_reply(conn)) == 200
