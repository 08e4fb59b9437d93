"""Forgets find-me face templates past their retention (docs/security.md), on a schedule."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.findme.service import purge_expired_templates

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    forgotten = purge_expired_templates()
    logger.info("find-me templates forgotten", extra={"forgotten": forgotten})
    return {"forgotten": forgotten}
