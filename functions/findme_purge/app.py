"""Forgets find-me face templates past their retention (docs/security.md), on a schedule; with
`{"job": "face_retention"}` (a daily EventBridge Scheduler schedule) purges each event's face data
on its retention schedule (docs/privacy.md).

The 5-minute job connects to the database only while a template may be kept (`purge_if_kept` reads
markers in S3), so it does not keep a paused Aurora awake; the daily one wakes it once a day.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.findme.service import purge_if_kept

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if isinstance(event, dict) and event.get("job") == "face_retention":
        from eventlens.findme.control import purge_face_data

        purged = purge_face_data()
        logger.info("event face data purged", extra={"events": purged})
        return {"purged": purged}
    forgotten = purge_if_kept()
    logger.info(
        "find-me templates forgotten", extra={"forgotten": forgotten or 0, "checked": forgotten is not None}
    )
    return {"forgotten": forgotten or 0, "database": forgotten is not None}
