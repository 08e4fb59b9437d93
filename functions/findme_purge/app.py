"""Forgets find-me face templates past their retention (docs/security.md), on a schedule.

It connects to the database only while a template may be kept (`purge_if_kept` reads markers in S3),
so every-5-minutes runs do not keep a paused Aurora awake.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.findme.service import purge_if_kept

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int | bool]:
    forgotten = purge_if_kept()
    logger.info(
        "find-me templates forgotten", extra={"forgotten": forgotten or 0, "checked": forgotten is not None}
    )
    return {"forgotten": forgotten or 0, "database": forgotten is not None}
