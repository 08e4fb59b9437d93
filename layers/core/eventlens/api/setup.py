"""The first-run wizard's routes (web/setup.html): whether the installation still needs setting up,
and setting it up. Embedded, not signed in: the setup code `eventlens serve` printed is the
credential. On AWS the installation's admin signs in through the user pool and sets up an event
behind the JWT authorizer (`admin_router`, in the admin function). firstrun.service states the rules.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from eventlens.auth import service as auth
from eventlens.firstrun import service
from eventlens.firstrun.views import (
    AdminSignIn,
    AdminToken,
    EventSetup,
    SetupRequest,
    SetupResult,
    SetupStatus,
)

router = Router()
admin_router = Router()

SECURITY: list[dict[str, list[str]]] = [{"organizer": []}]


def _client(on: Router) -> str:
    request: APIGatewayProxyEventV2 = on.current_event  # type: ignore[assignment]
    return request.request_context.http.source_ip


@router.get("/api/setup", summary="Whether this installation still needs its first-run setup")
def setup_status() -> SetupStatus:
    return service.status()


@router.post("/api/setup", summary="Set up an empty installation (needs the code `eventlens serve` printed)")
def setup(body: SetupRequest) -> Response[SetupResult]:
    return Response(201, content_types.APPLICATION_JSON, service.setup(body, _client(router)))


@router.post("/api/setup/sign-in", summary="The installation admin signs in to the wizard (AWS: Cognito)")
def sign_in(body: AdminSignIn) -> AdminToken:
    token, expires_at = auth.installation_login(body.username, body.password, _client(router))
    return AdminToken(token=token, expires_at=expires_at)


@admin_router.post(
    "/api/setup/event",
    summary="The installation admin sets up an event: organization, source, look, find-me, first run",
    security=SECURITY,
)
def setup_event(body: EventSetup) -> Response[SetupResult]:
    who = auth.caller(admin_router.current_event)  # type: ignore[arg-type]
    return Response(
        201, content_types.APPLICATION_JSON, service.setup_event(who, body, _client(admin_router))
    )
