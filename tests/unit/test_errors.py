"""One error hierarchy: every domain error answers its own 4xx status and message through the API,
and nothing else leaks an internal message (a ValueError is a logged 500, not a 400)."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Router
from eventlens import errors
from eventlens.api.app import build_resolver

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "eventlens")
PACKAGE = Path(errors.__file__).parent


def all_domain_errors() -> list[type[errors.DomainError]]:
    """Every subclass of DomainError, at any depth (what the API's one handler must cover)."""
    found: list[type[errors.DomainError]] = []
    stack: list[type[errors.DomainError]] = [errors.DomainError]
    while stack:
        for sub in stack.pop().__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


DOMAIN_ERRORS = all_domain_errors()


def _call(exc: BaseException) -> tuple[int, dict]:
    router = Router()

    @router.get("/boom")
    def boom() -> dict:
        raise exc

    app = build_resolver(router)
    event = {
        "version": "2.0",
        "routeKey": "GET /boom",
        "rawPath": "/boom",
        "rawQueryString": "",
        "headers": {"host": "test"},
        "requestContext": {
            "http": {"method": "GET", "path": "/boom", "sourceIp": "127.0.0.1"},
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    reply = app.resolve(event, None)
    return reply["statusCode"], json.loads(reply["body"])


def test_every_domain_error_carries_a_client_error_status_or_a_503_to_retry() -> None:
    """A 4xx the caller can act on, or 503 with Retry-After for a dependency that is starting."""
    assert len(DOMAIN_ERRORS) > 20
    for cls in DOMAIN_ERRORS:
        if issubclass(cls, errors.ServiceUnavailable):
            assert int(cls.status) == 503, cls
        else:
            assert 400 <= int(cls.status) < 500, cls


@pytest.mark.parametrize("cls", DOMAIN_ERRORS, ids=lambda c: c.__name__)
def test_each_domain_error_reaches_the_client_with_its_status_and_message(
    cls: type[errors.DomainError],
) -> None:
    assert _call(cls(f"because of {cls.__name__}")) == (
        int(cls.status),
        {"message": f"because of {cls.__name__}"},
    )


@pytest.mark.parametrize(
    "exc", [ValueError("invalid literal for int() with base 10: 'x'"), KeyError("secret_column")]
)
def test_any_other_exception_is_a_bare_500_without_its_message(exc: Exception) -> None:
    assert _call(exc) == (500, {"message": "Internal error"})


def test_the_domain_package_raises_only_domain_errors_or_documented_internal_ones() -> None:
    """A class raised under eventlens/ must be a DomainError, or one that never reaches a route."""
    internal = {
        "RuntimeError",  # programming and deployment errors: a logged 500 is right
        "ValueError",  # inside the pipeline a photo's error message; never raised by a route's service
        "TypeError",
        "NotImplementedError",
        "KeyError",
        "AssertionError",
        "StopIteration",
        "MigrationError",
        "VectorSpaceMismatch",
        "ModelUnavailableError",
        "UnknownModelError",
        "GeminiError",
        "UnparseableReplyError",
        "DriveAccessDenied",  # sources.drive.client: recorded on the Drive source by its sync, never raised on
        "DriveFileGone",
        "DriveUnavailable",
        "FileGone",  # sources.live.folders: a file gone mid-sync, skipped by the sync (the next one sees it gone)
        "HttpError",
        "OutOfTime",  # resilience: a retry past a phase's budget; the pipeline puts the photo back
        "RunCancelled",  # pipeline.runner: a cancelled job stops between slices; jobs.service closes the run
        "InvalidCredentials",  # auth.cognito's own, turned into LoginFailed by auth.service
        "ChallengeRequired",
        "CognitoError",
        "UnsafeAppRole",  # db: the app role may bypass row-level security (a deployment error)
        "ImportError",
        "ClickException",
        "UnidentifiedImageError",
    }
    domain = {cls.__name__ for cls in DOMAIN_ERRORS}
    raised: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = (
                    func.id
                    if isinstance(func, ast.Name)
                    else func.attr
                    if isinstance(func, ast.Attribute)
                    else ""
                )
                if name:
                    raised.setdefault(name, str(path.relative_to(PACKAGE)))
    unknown = {name: where for name, where in raised.items() if name not in domain | internal}
    assert unknown == {}, f"raise a DomainError subclass (errors.py) instead: {unknown}"


def test_error_names_are_unique() -> None:
    names = [cls.__name__ for cls in DOMAIN_ERRORS]
    assert len(names) == len(set(names))
