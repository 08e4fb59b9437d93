"""The first-run wizard's routes (web/setup.html): whether the installation still needs setting up,
and setting it up. Not signed in: the setup code `eventlens serve` printed is the credential
(firstrun.service states the rule)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from eventlens.firstrun import service
from eventlens.firstrun.views import SetupRequest, SetupResult, SetupStatus

router = Router()


def _client() -> str:
    request: APIGatewayProxyEventV2 = router.current_event  # type: ignore[assignment]
    return request.request_context.http.source_ip


@router.get("/api/setup", summary="Whether this installation still needs its first-run setup")
def setup_status() -> SetupStatus:
    return service.status()


@router.post("/api/setup", summary="Set up an empty installation (needs the code `eventlens serve` printed)")
def setup(body: SetupRequest) -> Response[SetupResult]:
    return Response(201, content_types.APPLICATION_JSON, service.setup(body, _client()))
