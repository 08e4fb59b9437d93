"""The operator's Lambda: create, list and delete events on a deployed stack.

The database sits in private subnets, so `eventlens event create` cannot reach it from a laptop;
an account administrator invokes this function instead (it has no API route: only IAM principals
allowed `lambda:InvokeFunction` on it can call it), e.g.

    aws lambda invoke --function-name "$(out OperatorFunctionName)" \
      --cli-binary-format raw-in-base64-out \
      --payload '{"action": "create_event", "slug": "summer-party", "name": "Summer party"}' out.json

Actions: create_event {slug, name, face_matching?, password?}, list_events {}, delete_event {slug} (rows and
every blob of the event: irreversible). Replies {"ok": true, ...} or {"ok": false, "error": ...}.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.errors import DomainError
from eventlens.events import service as events

logger = Logger()


def create_event(payload: dict[str, Any]) -> dict[str, Any]:
    event = events.create_event(
        str(payload["slug"]),
        str(payload["name"]),
        password=payload.get("password"),  # embedded sign-in only; on AWS organizers use Cognito
        face_matching=bool(payload.get("face_matching", True)),
    )
    return {"event": {"id": str(event.id), "slug": event.slug, "name": event.name}}


def list_events(payload: dict[str, Any]) -> dict[str, Any]:
    return {"events": [{"id": str(e.id), "slug": e.slug, "name": e.name} for e in events.list_events()]}


def delete_event(payload: dict[str, Any]) -> dict[str, Any]:
    return {"deleted_blobs": events.delete_event(str(payload["slug"]))}


ACTIONS = {"create_event": create_event, "list_events": list_events, "delete_event": delete_event}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action = ACTIONS.get(str(event.get("action")))
    if action is None:
        return {"ok": False, "error": f"action must be one of {sorted(ACTIONS)}"}
    try:
        reply = action(event)
    except (DomainError, KeyError) as error:
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    logger.info("operator action", extra={"action": event["action"], "slug": event.get("slug")})
    return {"ok": True, **reply}
