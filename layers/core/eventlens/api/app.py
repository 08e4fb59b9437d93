"""Resolvers for each Lambda route group, and the combined OpenAPI document."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Router

from eventlens.api.errors import register_error_handlers

TITLE = "EventLens API"
VERSION = "0.1.0"


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    for router in routers:
        app.include_router(router)
    register_error_handlers(app)
    return app


def openapi_json() -> str:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from eventlens.api import admin, gallery, match

    app = build_resolver(gallery.router, match.router, admin.router)
    return app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description="Find yourself in event photos; search them in plain words; run the pipeline.",
        security_schemes={"organizer": HTTPBearer(bearerFormat="JWT")},
    )
