"""The operator's Lambda: create, list and delete events on a deployed stack.

The database sits in private subnets, so `eventlens event create` cannot reach it from a laptop;
an account administrator invokes this function instead (it has no API route: only IAM principals
allowed `lambda:InvokeFunction` on it can call it), e.g.

    aws lambda invoke --function-name "$(out OperatorFunctionName)" \
      --cli-binary-format raw-in-base64-out \
      --payload '{"action": "create_event", "slug": "summer-party", "name": "Summer party"}' out.json

Actions: create_event {slug, name, organization?, private?, face_matching?, password?}, list_events {},
delete_event {slug} (rows and every blob of the event: irreversible), create_organization {slug, name},
create_person {email, name?} (a profile the person's first Cognito sign-in lands on, by its verified
email), grant {email, role, event? | organization? | installation?}, revoke {email, event? |
organization? | installation?}. Replies {"ok": true, ...} or {"ok": false, "error": ...}.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.access import members
from eventlens.access.service import role_named
from eventlens.accounts import service as accounts
from eventlens.errors import DomainError
from eventlens.events import service as events
from eventlens.orgs import service as orgs
from eventlens.scope import Scope

logger = Logger()


def create_event(payload: dict[str, Any]) -> dict[str, Any]:
    event = events.create_event(
        str(payload["slug"]),
        str(payload["name"]),
        password=payload.get("password"),  # embedded sign-in only; on AWS organizers use Cognito
        organization=str(payload.get("organization", "default")),
        visibility="private" if payload.get("private") else "public",
        face_matching=bool(payload.get("face_matching", True)),
    )
    return {"event": {"id": str(event.id), "slug": event.slug, "name": event.name}}


def list_events(payload: dict[str, Any]) -> dict[str, Any]:
    return {"events": [{"id": str(e.id), "slug": e.slug, "name": e.name} for e in events.list_events()]}


def delete_event(payload: dict[str, Any]) -> dict[str, Any]:
    return {"deleted_blobs": events.delete_event(str(payload["slug"]))}


def create_organization(payload: dict[str, Any]) -> dict[str, Any]:
    created = orgs.create_organization(
        Scope("system", None, "operator"), str(payload["slug"]), str(payload["name"])
    )
    return {"organization": {"id": str(created.id), "slug": created.slug, "name": created.name}}


def create_person(payload: dict[str, Any]) -> dict[str, Any]:
    person = accounts.create_person(str(payload["email"]), str(payload.get("name", "")))
    return {"person": {"id": str(person.id), "email": person.email}}


def _place(payload: dict[str, Any]) -> tuple[UUID | None, UUID | None]:
    if payload.get("event"):
        return None, events.get_event(str(payload["event"])).id
    if payload.get("organization"):
        return orgs.get_organization(str(payload["organization"])).id, None
    if payload.get("installation"):
        return None, None
    raise KeyError("name event, organization or installation")


def grant(payload: dict[str, Any]) -> dict[str, Any]:
    organization_id, event_id = _place(payload)
    members.operator_grant(str(payload["email"]), role_named(str(payload["role"])), organization_id, event_id)
    return {"granted": str(payload["role"]).upper()}


def revoke(payload: dict[str, Any]) -> dict[str, Any]:
    organization_id, event_id = _place(payload)
    return {"revoked": members.operator_revoke(str(payload["email"]), organization_id, event_id)}


ACTIONS = {
    "create_event": create_event,
    "list_events": list_events,
    "delete_event": delete_event,
    "create_organization": create_organization,
    "create_person": create_person,
    "grant": grant,
    "revoke": revoke,
}


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
