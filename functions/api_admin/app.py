"""Signed-in routes behind the JWT authorizer: an event's dashboard (pipeline, moderation, uploads,
settings, members), who am I, invitations, organizations, the installation admin's setup wizard."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.api import admin, engagement, face_clusters, people, setup
from eventlens.api.app import build_resolver

# No Tracer here: aws_xray_sdk alone costs more than the whole cold-start budget.
logger, metrics = Logger(), Metrics()
app = build_resolver(
    admin.router, people.router, engagement.admin_router, face_clusters.router, setup.admin_router
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
