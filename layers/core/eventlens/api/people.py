"""Signed-in routes that are not one event's dashboard: who am I, accept an invitation, and the
organizations (their events, members and invitations). Each names the action it takes."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from eventlens.access import members
from eventlens.access import service as access
from eventlens.access.rights import Action, allowed_actions
from eventlens.access.views import InvitationList, InvitationRow, Me, Member, MemberList
from eventlens.accounts import service as accounts
from eventlens.api.links import link_base
from eventlens.api.params import Slug
from eventlens.api.requests import (
    EventCreate,
    GrantRequest,
    OrganizationCreate,
    OrganizationEventCreate,
    OrganizationPatch,
    RoleChange,
    TokenRequest,
)
from eventlens.auth import service as auth
from eventlens.auth.principals import Principal
from eventlens.errors import NotSignedIn
from eventlens.events import service as events
from eventlens.events.views import EventView
from eventlens.orgs import service as orgs
from eventlens.orgs.views import Organization
from eventlens.scope import Scope

router = Router()

SECURITY: list[dict[str, list[str]]] = [{"organizer": []}]


def _who() -> Principal:
    return auth.caller(router.current_event)  # type: ignore[arg-type]


def _origin() -> str:
    request: APIGatewayProxyEventV2 = router.current_event  # type: ignore[assignment]
    return request.request_context.http.source_ip


def _in_org(org: str, action: Action) -> Scope:
    return access.authorize_organization(_who(), orgs.get_organization(org), action).coming_from(_origin())


@router.get(
    "/api/me", summary="Who I am, and my role and rights in an event or organization", security=SECURITY
)
def me(
    event: Annotated[str | None, Query(max_length=63)] = None,
    organization: Annotated[str | None, Query(max_length=63)] = None,
) -> Me:
    who = _who()
    person = accounts.signed_in_person(who.person_id, who.issued_at) if who.person_id else None
    role = None
    if event:
        role = access.role_in_event(who, events.get_event(event))
    elif organization:
        role = access.role_in_organization(who, orgs.get_organization(organization))
    return Me(
        person=person,
        subject=who.subject,
        role=role.value if role else None,
        allowed=list(allowed_actions(role)),
    )


@router.post("/api/invitations/accept", summary="Take an invitation mailed to my address", security=SECURITY)
def accept_invitation(body: TokenRequest) -> InvitationRow:
    who = _who()
    if who.person_id is None:
        raise NotSignedIn("Sign in with the account of the invited address first")
    accounts.signed_in_person(who.person_id, who.issued_at)
    return members.accept(who.person_id, body.token)


@router.post(
    "/api/orgs", summary="Create an organization (the installation's SUPER_ADMIN)", security=SECURITY
)
def create_organization(body: OrganizationCreate) -> Response[Organization]:
    scope = access.authorize_installation(_who()).coming_from(_origin())
    return Response(
        201, content_types.APPLICATION_JSON, orgs.create_organization(scope, body.slug, body.name)
    )


@router.patch("/api/orgs/<org>", summary="Rename the organization", security=SECURITY)
def rename_organization(org: Slug, body: OrganizationPatch) -> Organization:
    return orgs.rename_organization(_in_org(org, "org.manage"), body.name)


@router.post("/api/orgs/<org>/events", summary="Create an event of the organization", security=SECURITY)
def create_event(org: Slug, body: EventCreate) -> Response[EventView]:
    scope = _in_org(org, "org.create_event")
    event = events.create_event(body.slug, body.name, organization=org, visibility=body.visibility, by=scope)
    return Response(201, content_types.APPLICATION_JSON, events.event_view(Scope.system(event)))


@router.post(
    "/api/events", summary="Create an event in an organization I may create events in", security=SECURITY
)
def create_event_anywhere(body: OrganizationEventCreate) -> Response[EventView]:
    """The organization in the body instead of the path: the same rule (`org.create_event` there)."""
    return create_event(body.organization, body)


@router.get("/api/orgs/<org>/members", summary="The organization's people and roles", security=SECURITY)
def list_members(org: Slug) -> MemberList:
    return MemberList(members=members.list_members(_in_org(org, "members.view")))


@router.post(
    "/api/orgs/<org>/members", summary="Give an account a role in the organization", security=SECURITY
)
def grant(org: Slug, body: GrantRequest) -> Member:
    return members.grant(_in_org(org, "members.manage"), body.email, access.role_named(body.role))


@router.patch("/api/orgs/<org>/members/<person_id>", summary="Change someone's role", security=SECURITY)
def change_role(org: Slug, person_id: UUID, body: RoleChange) -> Member:
    return members.change_role(_in_org(org, "members.manage"), person_id, access.role_named(body.role))


@router.delete("/api/orgs/<org>/members/<person_id>", summary="Remove someone's role", security=SECURITY)
def remove(org: Slug, person_id: UUID) -> Response[str]:
    members.remove(_in_org(org, "members.manage"), person_id)
    return Response(204, None, "")


@router.get("/api/orgs/<org>/invitations", summary="Open invitations", security=SECURITY)
def list_invitations(org: Slug) -> InvitationList:
    return InvitationList(invitations=members.list_invitations(_in_org(org, "members.manage")))


@router.post("/api/orgs/<org>/invitations", summary="Invite someone by email", security=SECURITY)
def invite(org: Slug, body: GrantRequest) -> Response[InvitationRow]:
    scope = _in_org(org, "members.manage")
    request: APIGatewayProxyEventV2 = router.current_event  # type: ignore[assignment]
    inviter = auth.caller(request).email or ""
    invitation = members.invite(scope, body.email, access.role_named(body.role), link_base(request), inviter)
    return Response(201, content_types.APPLICATION_JSON, invitation)


@router.delete(
    "/api/orgs/<org>/invitations/<invitation_id>", summary="Withdraw an invitation", security=SECURITY
)
def revoke_invitation(org: Slug, invitation_id: UUID) -> Response[str]:
    members.revoke_invitation(_in_org(org, "members.manage"), invitation_id)
    return Response(204, None, "")
