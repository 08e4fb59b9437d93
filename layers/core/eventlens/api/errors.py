"""Domain exceptions mapped to HTTP statuses in one place; every error body is {"message"}."""

from __future__ import annotations

import json
from http import HTTPStatus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ValidationError

logger = Logger(service="eventlens")


class ApiError(Exception):
    status = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str, status: HTTPStatus | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class Unauthorized(ApiError):
    status = HTTPStatus.UNAUTHORIZED


class Forbidden(ApiError):
    status = HTTPStatus.FORBIDDEN


def error_response(status: HTTPStatus | int, message: str, **extra: object) -> Response[str]:
    headers = {"WWW-Authenticate": "Bearer"} if int(status) == 401 else None
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"message": message, **extra}),
        headers=headers,
    )


def _status_for(error: Exception) -> HTTPStatus | None:
    """Map exceptions raised below the API (which knows nothing of HTTP) to a status."""
    from eventlens.auth.passwords import WeakPassword
    from eventlens.db.events_repo import EventExists, EventNotFound
    from eventlens.events import LoginFailed, NotOrganizer
    from eventlens.gallery import PhotoNotFound
    from eventlens.search import models as search
    from eventlens.storage import BlobNotFound, InvalidKey

    table: list[tuple[tuple[type[BaseException], ...], HTTPStatus]] = [
        ((EventNotFound, PhotoNotFound, BlobNotFound, search.PhotoNotFound), HTTPStatus.NOT_FOUND),
        ((search.SelfieTooLarge,), HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
        ((search.FaceMatchingDisabled, NotOrganizer), HTTPStatus.FORBIDDEN),
        ((search.SearchError,), HTTPStatus.BAD_REQUEST),
        ((LoginFailed,), HTTPStatus.UNAUTHORIZED),
        ((EventExists,), HTTPStatus.CONFLICT),
        ((InvalidKey, WeakPassword, ValueError), HTTPStatus.BAD_REQUEST),
    ]
    for classes, status in table:
        if isinstance(error, classes):
            return status
    return None


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(ApiError)
    def _api_error(error: ApiError) -> Response[str]:
        return error_response(error.status, str(error))

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[str]:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in error.errors()]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path"))
        message = f"Invalid request: {where + ': ' if where else ''}{first['msg']}"
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, message, details=details)

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
        status = _status_for(error)
        if status is None:
            logger.exception("unhandled error")
            return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal error")
        message = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
        return error_response(status, message)
