"""Issue 11: every reply of the three API functions carries `API_HEADERS`, whoever built it: a route,
our error handlers, or Powertools itself (its 404 for an unknown route, its 422 for a parameter that
fails validation). Each case goes through the real `lambda_handler` with an HTTP API v2.0 event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eventlens.api.headers import API_CACHE_CONTROL, API_HEADERS

SELFIE_FORM = "multipart/form-data; boundary=x"


def call(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None, token: str | None = None
) -> dict[str, Any]:
    """The handler's raw reply, headers and all (the `api` fixture keeps only the JSON)."""
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler, route_group

    all_headers = {
        "host": "test",
        **(headers or {}),
        **({"authorization": f"Bearer {token}"} if token else {}),
    }
    event = http_api_event(method, path, all_headers, body, "127.0.0.1", None)
    group = route_group(path.split("?")[0])
    return lambda_handler(group)(event, LambdaContext(group, "req-1", deadline_ms=2**62))


def assert_api_headers(reply: dict[str, Any]) -> None:
    headers = reply["headers"]
    for name, value in API_HEADERS.items():
        assert headers.get(name) == value, (reply["statusCode"], name, headers)
    lowered = [name.lower() for name in headers]
    assert len(lowered) == len(set(lowered)), headers  # no header twice under two spellings


@pytest.fixture
def token(seeded) -> str:
    reply = call(
        "POST",
        "/api/events/demo/login",
        json.dumps({"password": "password-demo"}).encode(),
        {"content-type": "application/json"},
    )
    assert reply["statusCode"] == 200, reply
    return str(json.loads(reply["body"])["token"])


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status"),
    [
        ("GET", "/api/health", b"", None, 200),
        ("GET", "/api/openapi.json", b"", None, 200),
        ("GET", "/api/events/demo", b"", None, 200),
        ("GET", "/api/events/demo/photos", b"", None, 200),
        ("GET", "/api/no-such-route", b"", None, 404),  # Powertools' not-found
        ("DELETE", "/api/events/demo", b"", None, 404),  # a known path, another method
        ("GET", "/api/events/nope", b"", None, 404),  # a DomainError
        ("GET", "/api/events/demo/search", b"", None, 422),  # Powertools' validation: q is missing
        ("GET", "/api/events/demo/photos?limit=abc", b"", None, 422),
        ("GET", "/api/events/demo/search?q=a%00b", b"", None, 400),  # our middleware
        ("POST", "/api/events/demo/login", b'{"password": "x"}', "text/plain", 415),
        ("POST", "/api/events/demo/login", b"{", "application/json", 422),  # JSON no parser reads
        ("POST", "/api/events/demo/match", b"--x--\r\n", SELFIE_FORM, 400),
        ("GET", "/api/events/demo/admin/errors", b"", None, 401),  # no token: the route refuses
    ],
)
def test_every_reply_carries_the_api_headers(
    seeded, method: str, path: str, body: bytes, content_type: str | None, status: int
) -> None:
    reply = call(method, path, body, {"content-type": content_type} if content_type else None)

    assert reply["statusCode"] == status, reply
    assert_api_headers(reply)
    assert reply["headers"]["Cache-Control"] == API_CACHE_CONTROL


def test_an_organizers_reply_carries_them_too(token: str) -> None:
    reply = call("GET", "/api/events/demo/admin/errors", token=token)

    assert reply["statusCode"] == 200, reply
    assert_api_headers(reply)


def test_a_too_eager_guesser_gets_them_with_retry_after(seeded) -> None:
    body = b'{"password": "wrong-password"}'
    replies = [
        call("POST", "/api/events/demo/login", body, {"content-type": "application/json"}) for _ in range(7)
    ]

    refused = [r for r in replies if r["statusCode"] == 429]
    assert refused, [r["statusCode"] for r in replies]
    assert "Retry-After" in refused[-1]["headers"]
    assert_api_headers(refused[-1])
