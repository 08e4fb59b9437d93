"""Builds one ZIP archive of originals in S3 (eventlens.media.archives), invoked asynchronously by
the gallery function with {"event_id", "archive_id"}. A second invocation for the same archive
does nothing; a build that would outrun this function's time fails with a message 30 s before."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.media.archives import BUDGET_MARGIN_MS, build_archive
from eventlens.resilience import WallClockGuard

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    budget = WallClockGuard.for_lambda(context, margin_ms=BUDGET_MARGIN_MS)
    outcome = build_archive(event["event_id"], event["archive_id"], budget)
    logger.info("archive built", extra={"archive_id": event["archive_id"], "outcome": outcome})
    return {"archive_id": event["archive_id"], "status": outcome}
