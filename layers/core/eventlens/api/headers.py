"""The one list of security headers every response of the gallery origin carries (issue 11).

A stored string that reaches a page (a file name, an event name, a search) must never run as
script there, a page must never be framed by another site, and a URL must never leak to another
site through the Referer header. The pages do their part (no inline script, no inline handler, no
style attribute: `web/`); these headers make the browser hold every response to it:

- `PAGE_HEADERS` for web/ (HTML, JS, CSS, icons): sent by `eventlens serve` and, on AWS, by the
  CloudFront response headers policy of the default behaviour (template.yaml, built from
  `page_headers` and checked against it by tests/infra/test_response_headers.py).
- `API_HEADERS` for every reply of the API, errors included (`api.app.Resolver.resolve`), unless
  the route sets its own.
- `MEDIA_HEADERS` for served photos and videos: a file someone uploaded is never a document.

docs/security.md ("Response headers") says what each one is for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REFERRER_POLICY = "no-referrer"
"""Media URLs are capabilities (whoever holds one sees the photo): no URL of ours, page or
media, goes to another site in a Referer header. Nothing here reads the Referer either."""

NOSNIFF = "nosniff"


def page_csp(media_origins: Iterable[str] = ()) -> str:
    """The pages' Content-Security-Policy. `media_origins` are the origins, besides our own, that
    media is read from and uploads are sent to: none locally (/media is same-origin); on AWS the
    media bucket, which answers presigned GETs (`<img>`, `<video>`) and the dashboard's presigned
    upload PUTs (XHR, so connect-src)."""
    media = "".join(f" {origin}" for origin in media_origins)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",  # module scripts from web/js only: no inline script, no eval
        "style-src": "'self'",  # web/css only; scripts set styles through the CSSOM, never attributes
        "img-src": f"'self' blob:{media}",  # blob: the selfie's preview (URL.createObjectURL)
        "media-src": f"'self'{media}",
        "connect-src": f"'self'{media}",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def page_headers(media_origins: Iterable[str] = ()) -> dict[str, str]:
    """Headers for web/'s pages and assets (see `page_csp` for `media_origins`)."""
    return {
        "Content-Security-Policy": page_csp(media_origins),
        "Referrer-Policy": REFERRER_POLICY,
        "X-Content-Type-Options": NOSNIFF,
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
        # The selfie comes from a file input (`capture`), which opens the phone's camera app:
        # no page calls getUserMedia, so no page needs the camera, the microphone or the location.
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


PAGE_HEADERS = page_headers()
"""The pages as `eventlens serve` sends them: media and uploads are same-origin there."""

API_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": NOSNIFF,
    "Referrer-Policy": REFERRER_POLICY,
}
"""JSON (and the download's ZIP) is data, never a document: opened directly, nothing in it loads
or runs, and no site can frame it."""

API_CACHE_CONTROL = "no-store"
"""For API replies that set no Cache-Control: they hold media URLs and an organizer's data."""

MEDIA_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": NOSNIFF,
}
"""A served photo or video, opened directly, is a sandboxed document that loads and runs nothing:
an uploaded SVG or HTML file cannot script the gallery's origin."""


def with_api_headers(reply: dict[str, Any]) -> dict[str, Any]:
    """A resolver's reply (API Gateway HTTP API payload 2.0) with each of `API_HEADERS`, and
    Cache-Control, that the reply does not set itself (in any spelling): a route that says
    otherwise on purpose (the media redirect's sandbox, a cacheable reply) keeps its own."""
    headers: dict[str, Any] = dict(reply.get("headers") or {})
    present = {name.lower() for name in headers}
    for name, value in {**API_HEADERS, "Cache-Control": API_CACHE_CONTROL}.items():
        if name.lower() not in present:
            headers[name] = value
    reply["headers"] = headers
    return reply
