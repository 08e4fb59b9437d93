"""Resolvers for each Lambda route group, and the combined OpenAPI document."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from eventlens.api.errors import register_error_handlers
from eventlens.api.headers import with_api_headers
from eventlens.config import settings
from eventlens.errors import Forbidden, MalformedRequest

TITLE = "EventLens API"
VERSION = "0.1.0"


class RequestEvent(APIGatewayProxyEventV2):
    """The request as every route reads it, safe against bytes a client may send.

    API Gateway hands the body over as is (base64 when it is not UTF-8 text), and Powertools
    parses it on first use, in its validation middleware or in a route: a body that is not UTF-8,
    JSON nested past the recursion limit, a number past Python's digit limit or a NUL in a string
    (PostgreSQL stores no NUL) is `MalformedRequest` (400) here, never a crash in the parser.
    Invalid JSON stays a `JSONDecodeError`, which the validation middleware answers with its 422.
    """

    @cached_property
    def decoded_body(self) -> str | None:
        body = self.body
        if not body or not self.is_base64_encoded:
            return body
        try:
            return base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise MalformedRequest("The request body is not UTF-8 text") from None

    @cached_property
    def json_body(self) -> Any:
        text = self.decoded_body
        if not text:
            return None
        try:
            value = self._json_deserializer(text)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError):
            raise MalformedRequest("The JSON body is nested too deeply or has a number too long") from None
        if _has_nul(value):
            raise MalformedRequest("The JSON body has a NUL character (\\u0000) in a string")
        return value


def _has_nul(value: Any) -> bool:
    """Whether any key or string in a parsed JSON document holds a NUL (iterative: any depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


ORIGIN_HEADER = "x-eventlens-origin"


def require_origin(app: APIGatewayHttpResolver, next_middleware: Callable[..., Response[Any]]) -> Any:
    """On AWS only CloudFront reaches the API: it adds X-EventLens-Origin with a secret, and a call
    to the execute-api endpoint itself (past WAF and the site's headers) is refused with 403."""
    expected = settings().origin_key
    if expected is not None:
        given = next(
            (v for k, v in (app.current_event.headers or {}).items() if k.lower() == ORIGIN_HEADER), ""
        )
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Forbidden("Call the API through the site's own address")
    return next_middleware(app)


def refuse_nul_parameters(app: APIGatewayHttpResolver, next_middleware: Callable[..., Response[Any]]) -> Any:
    """A NUL in a query parameter is refused (400) before the route: no parameter can hold one,
    and PostgreSQL would refuse it deep inside a query (a 500)."""
    for name, value in (app.current_event.query_string_parameters or {}).items():
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "\\x00")
            raise MalformedRequest(f"The query parameter '{shown}' has a NUL character (%00)")
    return next_middleware(app)


class Resolver(APIGatewayHttpResolver):
    """The HTTP API resolver, reading each request as a `RequestEvent` and putting `API_HEADERS` on
    every reply it makes: a route's, an error handler's, and the not-found and validation replies
    Powertools builds without passing a middleware (so the headers go on here, once built)."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        return with_api_headers(super().resolve(event, context))

    def _to_proxy_event(self, event: dict[str, Any]) -> BaseProxyEvent:
        return RequestEvent(event, self._json_body_deserializer)


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    app = Resolver(enable_validation=True)
    for router in routers:
        app.include_router(router)
    app.use(middlewares=[require_origin, refuse_nul_parameters])
    register_error_handlers(app)
    return app


def openapi_json() -> str:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from eventlens.api import (
        accounts,
        admin,
        albums,
        engagement,
        face_clusters,
        gallery,
        match,
        people,
        setup,
    )

    app = build_resolver(
        gallery.router,
        accounts.router,
        match.router,
        admin.router,
        people.router,
        engagement.router,
        engagement.admin_router,
        albums.router,
        face_clusters.router,
        setup.router,
        setup.admin_router,
    )
    return app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description="Find yourself in event photos; search them in plain words; run the pipeline.",
        security_schemes={"organizer": HTTPBearer(bearerFormat="JWT")},
    )
