"""On AWS the API answers only what CloudFront forwards: a request without the origin secret
(a direct execute-api call) is refused before any route runs."""

from __future__ import annotations

import pytest
from eventlens.config import reset_settings


@pytest.fixture
def guarded(api, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EVENTLENS_ORIGIN_SECRET", "cloudfront-only-" + "s" * 24)
    reset_settings()
    yield api
    monkeypatch.delenv("EVENTLENS_ORIGIN_SECRET")
    reset_settings()


@pytest.mark.parametrize(
    "path", ["/api/health", "/api/events/demo/photos", "/api/events/demo/admin/pipeline"]
)
def test_a_request_without_the_origin_secret_is_refused_whatever_the_route(guarded, seeded, path) -> None:
    status, reply = guarded("GET", path)
    assert (status, reply["message"]) == (403, "Call the API through the site's own address")
    status, _ = guarded("GET", path, headers={"x-eventlens-origin": "cloudfront-only-" + "s" * 23 + "t"})
    assert status == 403


def test_a_request_cloudfront_forwards_is_answered(guarded, seeded) -> None:
    status, page = guarded(
        "GET", "/api/events/demo/photos", headers={"X-EventLens-Origin": "cloudfront-only-" + "s" * 24}
    )
    assert status == 200
    assert len(page["photos"]) == 2


def test_embedded_without_a_secret_checks_nothing(api, seeded) -> None:
    assert api("GET", "/api/events/demo/photos")[0] == 200
