"""Errors to HTTP in one place: a `DomainError` answers its own status and message; anything else
is logged and answers a bare 500, so no internal message reaches a client. Every body is
{"message"} (validation errors add "details"). A body of another content type than the route reads
is a 415; bytes no route can read (not UTF-8, JSON nested too deep) are refused as
`MalformedRequest` by `api.app.RequestEvent` before any route runs."""

from __future__ import annotations

import json
from http import HTTPStatus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from pydantic import ValidationError

from eventlens.errors import DomainError, ServiceUnavailable, TooManyRequests

logger = Logger(service="eventlens")


def error_response(
    status: HTTPStatus | int, message: str, headers: dict[str, str] | None = None, **extra: object
) -> Response[str]:
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if int(status) == 401 else {})}
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"message": message, **extra}),
        headers=headers,
    )


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response[str]:
        retry = (
            {"Retry-After": str(error.retry_after_s)}
            if isinstance(error, TooManyRequests | ServiceUnavailable)
            else None
        )
        return error_response(error.status, error.message, headers=retry, **getattr(error, "extra", {}))

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[str]:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in error.errors()]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path"))
        message = f"Invalid request: {where + ': ' if where else ''}{first['msg']}"
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, message, details=details)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_type(error: RequestUnsupportedContentType) -> Response[str]:
        return error_response(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "Send the request body as JSON (Content-Type: application/json)",
        )

    @app.not_found
    def _not_found(error: NotFoundError) -> Response[str]:
        return error_response(HTTPStatus.NOT_FOUND, "No such route")

    @app.exception_handler(ValidationError)
    def _invalid_model(error: ValidationError) -> Response[str]:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"Invalid request: {where + ': ' if where else ''}{first.get('msg', '')}"
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, message)

    @app.exception_handler(Exception)
    def _other(error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal error")
