"""Links mailed to people point back at the host the request came to."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from eventlens.config import settings


def link_base(request: APIGatewayProxyEventV2) -> str:
    """`EVENTLENS_PUBLIC_URL` if set (behind a proxy or CloudFront), else this request's host."""
    if settings().public_url:
        return settings().public_url.rstrip("/")  # type: ignore[union-attr]
    headers = request.headers or {}
    host = headers.get("host") or "localhost"
    local = host.startswith(("localhost", "127.", "[::1]"))
    scheme = headers.get("x-forwarded-proto") or ("http" if local else "https")
    return f"{scheme}://{host}"
