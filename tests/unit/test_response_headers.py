"""Issue 11: the one list of security headers (`eventlens.api.headers`) and the resolver that puts
`API_HEADERS` on every reply, whatever built it and whatever the route set itself."""

from __future__ import annotations

import os
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from eventlens.api.app import build_resolver
from eventlens.api.headers import (
    API_CACHE_CONTROL,
    API_HEADERS,
    MEDIA_HEADERS,
    PAGE_HEADERS,
    page_csp,
    page_headers,
)
from eventlens.errors import NotSignedIn

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "eventlens")
BUCKET = "https://eventlens-media-1.s3.amazonaws.com"


def directives(csp: str) -> dict[str, list[str]]:
    parsed = [part.split() for part in csp.split(";")]
    return {words[0]: words[1:] for words in parsed if words}


def resolve(method: str, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    router = Router()

    @router.get("/data")
    def data(limit: Annotated[int, Query(ge=1)] = 1) -> dict:
        return {"limit": limit}

    @router.get("/cached")
    def cached() -> Response[str]:
        return Response(200, content_types.TEXT_PLAIN, "x", headers={"cache-control": "public, max-age=60"})

    @router.get("/own-policy")
    def own_policy() -> Response[str]:
        return Response(
            200,
            content_types.TEXT_HTML,
            "<p>",
            headers={"content-security-policy": "default-src 'none'; sandbox"},
        )

    @router.get("/refused")
    def refused() -> dict:
        raise NotSignedIn("no token")

    @router.get("/broken")
    def broken() -> dict:
        raise ValueError("internal detail")

    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "queryStringParameters": query,
        "headers": {"host": "test"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    return build_resolver(router).resolve(event, None)


@pytest.mark.parametrize(
    ("method", "path", "query", "status"),
    [
        ("GET", "/data", None, 200),
        ("GET", "/data", {"limit": "abc"}, 422),  # Powertools' validation
        ("GET", "/nowhere", None, 404),  # Powertools' not-found
        ("POST", "/data", None, 404),
        ("GET", "/refused", None, 401),  # a DomainError
        ("GET", "/broken", None, 500),  # anything else
        ("GET", "/data", {"other": "a\x00"}, 400),  # refused by a middleware before the route
    ],
)
def test_every_reply_carries_the_api_headers_and_no_store(
    method: str, path: str, query: dict[str, str] | None, status: int
) -> None:
    reply = resolve(method, path, query)

    assert reply["statusCode"] == status
    assert {name: reply["headers"].get(name) for name in API_HEADERS} == API_HEADERS
    assert reply["headers"]["Cache-Control"] == API_CACHE_CONTROL


def test_a_routes_own_cache_control_is_kept() -> None:
    headers = resolve("GET", "/cached")["headers"]

    assert headers["cache-control"] == "public, max-age=60"
    assert "Cache-Control" not in headers


def test_a_routes_own_policy_stands_and_is_not_doubled() -> None:
    """A route that sets a header on purpose (the media redirect's sandbox) keeps it."""
    headers = resolve("GET", "/own-policy")["headers"]

    assert headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert [n for n in headers if n.lower() == "content-security-policy"] == ["content-security-policy"]
    assert headers["Referrer-Policy"] == API_HEADERS["Referrer-Policy"]


def test_the_page_policy_runs_only_our_own_scripts_and_styles() -> None:
    policy = directives(PAGE_HEADERS["Content-Security-Policy"])

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in PAGE_HEADERS["Content-Security-Policy"]
    assert "'unsafe-eval'" not in PAGE_HEADERS["Content-Security-Policy"]
    assert PAGE_HEADERS["X-Frame-Options"] == "DENY"
    assert PAGE_HEADERS["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in PAGE_HEADERS["Permissions-Policy"]


def test_a_media_origin_may_serve_media_and_take_uploads_but_never_scripts() -> None:
    policy = directives(page_csp([BUCKET]))

    for directive in ("img-src", "media-src", "connect-src"):
        assert BUCKET in policy[directive], directive
    for directive in ("default-src", "script-src", "style-src", "frame-ancestors"):
        assert BUCKET not in policy[directive], directive
    assert page_headers([BUCKET])["Content-Security-Policy"] == page_csp([BUCKET])


def test_media_is_a_sandboxed_document_that_loads_nothing() -> None:
    policy = directives(MEDIA_HEADERS["Content-Security-Policy"])

    assert policy == {"default-src": ["'none'"], "sandbox": []}
    assert MEDIA_HEADERS["X-Content-Type-Options"] == "nosniff"
