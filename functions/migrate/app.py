"""CloudFormation custom resource: applies the database migrations on every stack create/update.

Running them inside the deployment means a stack never serves code newer than its schema; a failed
migration fails (and rolls back) the deployment instead of the first request.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.db.migrate import build_indexes_between_deploys, upgrade

logger = Logger()


def respond(
    event: dict[str, Any], context: LambdaContext, status: str, data: dict[str, Any], reason: str
) -> None:
    """PUT the outcome to the presigned URL CloudFormation waits on (cfn-response protocol)."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": f"{reason} (log stream {context.log_stream_name})"[:3500],
            "PhysicalResourceId": event.get("PhysicalResourceId") or "eventlens-schema",
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is CloudFormation's presigned https URL
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310
        pass


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
    if event.get("action") == "build-indexes":
        return build_indexes(event)
    if event["RequestType"] == "Delete":
        # Deleting the stack deletes the cluster (with its snapshot policy); never drop data here.
        respond(event, context, "SUCCESS", {}, "nothing to do on delete")
        return None
    try:
        applied = upgrade()
    except Exception as exc:
        logger.exception("migration failed")
        respond(event, context, "FAILED", {}, f"migration failed: {exc}")
        return None
    logger.info("migrations applied", extra={"applied": applied})
    respond(event, context, "SUCCESS", {"Applied": len(applied)}, f"applied {len(applied)} migration(s)")
    return None


def build_indexes(event: dict[str, Any]) -> dict[str, Any]:
    """The pipeline's last step: each event that grew large gets its vector index now, not at the
    next deploy (best effort: the state machine goes on whatever this answers)."""
    built = build_indexes_between_deploys()
    if built is None:
        logger.info("index build skipped: an upgrade or another build holds the lock")
        return {"built": [], "skipped": True}
    logger.info("event indexes built", extra={"built": built})
    return {"built": built, "skipped": False}
