"""`eventlens serve` refuses what API Gateway would, at once and with a clear 4xx (issue 11).

Raw sockets, because the failures were below HTTP clients: a Content-Length of `abc` dropped the
connection, `-1` hung it, a 500 MB Content-Length on a public route was waited for, an idle
client held its thread for ever, a body that is not UTF-8 or a name too long for the disk dropped
the connection without an answer.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from eventlens import devserver
from eventlens.devserver import ADMIN_MAX_BODY, PUBLIC_MAX_BODY, Handler, body_limit, make_server
from eventlens.events.service import get_event
from eventlens.media.views import media_url
from eventlens.storage import blob_store

from tests.helpers import stored_photo

JPEG = b"\xff\xd8\xff\xe0 a JPEG as far as sniffing goes"


@pytest.fixture
def server(db: str, make_event) -> Iterator[tuple[str, int]]:
    make_event("demo")
    httpd = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def exchange(address: tuple[str, int], data: bytes, wait_s: float = 5.0) -> tuple[bytes, float]:
    """Send `data`, read until the server closes (or `wait_s` passes): (what came back, seconds)."""
    started = time.monotonic()
    with socket.create_connection(address, timeout=wait_s) as conn:
        conn.sendall(data)
        reply = b""
        try:
            while chunk := conn.recv(65536):
                reply += chunk
        except TimeoutError:
            reply += b"<no close>"
        except ConnectionResetError:
            reply += b"<reset>"
    return reply, time.monotonic() - started


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0


def url(address: tuple[str, int]) -> str:
    return f"http://{address[0]}:{address[1]}"


def token(address: tuple[str, int]) -> str:
    reply = requests.post(
        f"{url(address)}/api/events/demo/login", json={"password": "password-demo"}, timeout=10
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["token"])


LOGIN = b"POST /api/events/demo/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


@pytest.mark.parametrize("value", [b"abc", b"-1", b"1e3", b" ", b"12, 13", b"\xd9\xa3"])
def test_a_content_length_that_is_not_a_number_is_a_400_at_once(server, value: bytes) -> None:
    reply, took = exchange(server, LOGIN + b"Content-Length: " + value + b"\r\n\r\n")
    assert status_of(reply) == 400, reply
    assert b"Content-Length must be one whole number" in reply
    assert b"Connection: close" in reply
    assert took < 2


def test_two_different_content_lengths_are_a_400(server) -> None:
    reply, _ = exchange(server, LOGIN + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}")
    assert status_of(reply) == 400


def test_a_chunked_body_is_a_411(server) -> None:
    reply, took = exchange(server, LOGIN + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
    assert status_of(reply) == 411
    assert took < 2


@pytest.mark.parametrize(
    ("request_line", "limit"),
    [
        (b"POST /api/events/demo/login", PUBLIC_MAX_BODY),
        (b"POST /api/events/demo/download", PUBLIC_MAX_BODY),
        (b"PATCH /api/events/demo/admin/settings", ADMIN_MAX_BODY),
        (b"POST /api/events/demo/match", None),
        (b"PUT /media/events/demo/originals/uploads/a.jpg", None),
        (b"GET /index.html", 0),
    ],
)
def test_a_body_over_the_routes_limit_is_a_413_before_a_byte_of_it_is_read(
    server, request_line: bytes, limit: int | None
) -> None:
    method, path = request_line.decode().split(" ")
    expected = body_limit(method, path)
    if limit is not None:
        assert expected == limit
    head = request_line + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    reply, took = exchange(server, head + f"Content-Length: {expected + 1}\r\n\r\n".encode())
    assert status_of(reply) == 413, reply
    assert b"Connection: close" in reply
    assert took < 2  # answered without waiting for the body


def test_limits_per_route_follow_the_settings(home, monkeypatch) -> None:
    from eventlens.config import reset_settings, settings

    monkeypatch.setenv("EVENTLENS_MAX_UPLOAD_BYTES", "1000")
    monkeypatch.setenv("EVENTLENS_MAX_SELFIE_BYTES", "3000")
    reset_settings()
    assert body_limit("PUT", "/media/events/demo/originals/a.jpg") == 1000
    assert body_limit("GET", "/media/events/demo/originals/a.jpg") == 0
    assert body_limit("POST", "/api/events/demo/match") == 4000 + 64 * 1024
    assert body_limit("POST", "/api/events/demo/login") == PUBLIC_MAX_BODY < 1024 * 1024
    assert settings().max_upload_bytes == 1000


def test_expect_100_continue_is_refused_before_the_client_sends_the_body(server) -> None:
    head = LOGIN + f"Content-Length: {PUBLIC_MAX_BODY + 1}\r\nExpect: 100-continue\r\n\r\n".encode()
    reply, _ = exchange(server, head)
    assert status_of(reply) == 413
    assert b"100 Continue" not in reply


def test_an_idle_connection_is_closed(server, monkeypatch) -> None:
    assert Handler.timeout is not None
    assert Handler.timeout <= 60  # a thread per connection is not held for ever
    monkeypatch.setattr(Handler, "timeout", 1)
    reply, took = exchange(server, b"", wait_s=10)
    assert reply == b""  # closed by the server, silently: no request was made
    assert took < 5


def test_a_stalled_body_is_a_408(server, monkeypatch) -> None:
    monkeypatch.setattr(Handler, "timeout", 1)
    monkeypatch.setattr(devserver, "MIN_BODY_RATE", 10**9)
    reply, took = exchange(server, LOGIN + b'Content-Length: 100\r\n\r\n{"pass', wait_s=10)
    assert status_of(reply) == 408, reply
    assert took < 5


def test_a_trickled_body_is_cut_off_at_its_deadline(server, monkeypatch) -> None:
    """Each byte within the idle timeout, but the whole body far slower than MIN_BODY_RATE."""
    monkeypatch.setattr(Handler, "timeout", 1)
    monkeypatch.setattr(devserver, "MIN_BODY_RATE", 10**9)
    started = time.monotonic()
    with socket.create_connection(server, timeout=10) as conn:
        conn.sendall(LOGIN + b"Content-Length: 100\r\n\r\n")
        reply = b""
        conn.settimeout(0.3)
        for _ in range(30):
            try:
                conn.sendall(b" ")
                reply += conn.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if reply:
                break
    assert status_of(reply) == 408, reply
    assert time.monotonic() - started < 4


def test_requests_on_one_connection_still_work(server) -> None:
    with requests.Session() as session:
        for _ in range(3):
            reply = session.get(f"{url(server)}/api/health", timeout=10)
            assert reply.status_code == 200


def test_a_body_that_is_not_utf8_is_answered_not_dropped(server) -> None:
    body = b'{"password": "\xff\xfe"}'
    reply, _ = exchange(
        server, LOGIN + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
    )
    assert status_of(reply) == 400, reply
    assert b"not UTF-8" in reply


@pytest.mark.parametrize(
    "path", ["/" + "a" * 300 + ".js", "/a%00b.js", "/media/events/demo/thumbs/" + "a" * 300 + ".jpg"]
)
def test_a_name_too_long_for_the_disk_or_with_a_nul_is_a_404(server, path: str) -> None:
    blob_store().put("events/demo/thumbs/x.jpg", b"x")  # the folder exists: the name reaches the disk
    assert requests.get(url(server) + path, timeout=10).status_code == 404


def test_an_upload_to_a_name_too_long_for_the_disk_is_a_400(server) -> None:
    blob_store().put("events/demo/originals/uploads/x.jpg", b"x")
    reply = requests.put(
        f"{url(server)}/media/events/demo/originals/uploads/{'a' * 300}.jpg",
        data=b"jpeg",
        headers={"Authorization": f"Bearer {token(server)}"},
        timeout=10,
    )
    assert reply.status_code == 400
    assert "255 bytes" in reply.json()["message"]


@pytest.mark.parametrize("name", ["a" * 244 + ".jpg", "写" * 92 + ".jpg", "写" * 255])
def test_an_upload_with_a_long_name_gets_a_ticket_that_works(server, name: str) -> None:
    headers = {"Authorization": f"Bearer {token(server)}"}
    ticket = requests.post(
        f"{url(server)}/api/events/demo/admin/uploads",
        json={"filename": name, "content_type": "image/jpeg", "size": 4},
        headers=headers,
        timeout=10,
    ).json()
    put = requests.put(url(server) + ticket["upload_url"], data=JPEG, headers=headers, timeout=10)
    assert put.status_code == 200, put.text
    assert blob_store().get(ticket["key"]) == JPEG


def test_a_large_file_to_a_slow_reader_is_not_cut_off_by_the_read_timeout(server, monkeypatch) -> None:
    """The socket timeout bounds each piece written, not the whole response: an 8 MB original read
    at about 5 MB/s takes longer than the (here 1 s) timeout and still arrives whole."""
    monkeypatch.setattr(Handler, "timeout", 1)
    blob = b"\xff\xd8\xff" + bytes(range(256)) * (8 * 4096)
    photo = stored_photo(get_event("demo").id, "big.jpg", blob)
    path = media_url(photo, "original").encode()
    received = b""
    with socket.create_connection(server, timeout=10) as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)
        conn.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        started = time.monotonic()
        while chunk := conn.recv(128 * 1024):
            received += chunk
            time.sleep(0.03)
    assert time.monotonic() - started > 1.2  # slower than the timeout, as intended
    assert received.endswith(blob)
