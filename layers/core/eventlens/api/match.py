"""Find me: the selfie routes (their own Lambda: the only public routes that run a model), and the
attendee's control over their face data: consent, hide me, forget me (findme.control). The
collage lives here too: it is the other public route that needs Pillow, which this function's
image has and the light gallery function does not."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from eventlens.access import service as access
from eventlens.api.params import Slug
from eventlens.api.requests import CollageRequest, ConsentRequest, MatchRequest
from eventlens.auth import service as auth
from eventlens.errors import BadRequest, MalformedRequest
from eventlens.events.service import get_event
from eventlens.findme.session import SESSION_FIELD, SESSION_HEADER, find_me_scope, session_id
from eventlens.findme.views import ConsentStatus, ControlResult, MatchResponse
from eventlens.scope import Scope

router = Router()

CONSENT_HEADER = "X-EventLens-Consent"
"""The consent version agreed to with this very request (the text shown with a 428)."""

SELFIE_DESCRIPTION = (
    f"The browser's find-me session id (`{SESSION_HEADER}` header or `{SESSION_FIELD}` field, "
    "16-64 URL-safe characters) lets a retake be compared with the same session's earlier searches "
    "only; without one nothing is compared and no face template is kept. Without the session's consent "
    f"to the event's text (POST .../match/consent, or the `{CONSENT_HEADER}` header) the reply is a 428 "
    "carrying `consent_text` and `consent_version`."
)


def _visitor(slug: str, session: str | None) -> Scope:
    """The visitor's find-me scope, with its role (a private event: only its members)."""
    event = get_event(slug)
    caller = auth.optional_caller(router.current_event)  # type: ignore[arg-type]
    visitor = access.gallery_scope(caller, event)
    return replace(find_me_scope(event, session), role=visitor.role)


def _selfie_request(slug: str) -> tuple[Scope, bytes, str | None]:
    """The visitor's scope, the selfie's bytes and the words typed, from a JSON or multipart body;
    consent is checked after the body is read (a malformed request is a 400 first)."""
    from eventlens.api.multipart import raw_body, read_selfie
    from eventlens.findme.control import require_consent
    from eventlens.search.service import normalize

    request = router.current_event
    header = request.headers.get(SESSION_HEADER.lower())
    content_type = request.headers.get("content-type") or ""  # the boundary is case-sensitive
    if content_type.lower().startswith("multipart/form-data"):
        image, query = read_selfie(raw_body(request), content_type)
        session = session_id(header)
    else:
        try:
            fields = request.json_body or {}
        except json.JSONDecodeError:
            raise MalformedRequest("The request body is not valid JSON") from None
        body = MatchRequest.model_validate(fields)
        try:
            image = base64.b64decode(body.image_base64.split(",")[-1], validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("image_base64 is not valid base64") from None
        query = body.q
        session = session_id(header, fields.get(SESSION_FIELD) if isinstance(fields, dict) else None)
    query = (normalize(query) or None) if query else None  # no NUL reaches the database
    scope = _visitor(slug, session)
    require_consent(scope, request.headers.get(CONSENT_HEADER.lower()))
    return scope, image, query


@router.post(
    "/api/events/<slug>/match",
    summary="Photos you appear in, from a selfie (never stored)",
    description=SELFIE_DESCRIPTION,
)
def match(slug: Slug) -> MatchResponse:
    from eventlens.findme.service import find_me

    scope, image, query = _selfie_request(slug)
    return find_me(scope, image, query=query)


@router.get(
    "/api/events/<slug>/match/consent",
    summary="The event's consent text, and whether this browser session agreed to it",
)
def consent(slug: Slug) -> ConsentStatus:
    from eventlens.findme.control import consent_status

    session = session_id(router.current_event.headers.get(SESSION_HEADER.lower()))
    return consent_status(_visitor(slug, session))


@router.post(
    "/api/events/<slug>/match/consent",
    summary="Agree to the event's consent text for this browser session (no biometric data recorded)",
)
def give_consent(slug: Slug, body: ConsentRequest) -> ConsentStatus:
    from eventlens.findme.control import give_consent as give

    session = session_id(router.current_event.headers.get(SESSION_HEADER.lower()), body.session_id)
    return give(_visitor(slug, session), body.consent_version)


@router.post(
    "/api/events/<slug>/match/hide",
    summary="Hide me: remove the selfie's face from everybody else's find-me, people and crews",
    description=SELFIE_DESCRIPTION
    + " Refused (409) when two faces of one photo are too close to the selfie to tell apart.",
)
def hide_me(slug: Slug) -> ControlResult:
    from eventlens.findme.control import control_me

    scope, image, _ = _selfie_request(slug)
    return control_me(scope, image, "hide")


@router.post(
    "/api/events/<slug>/match/forget",
    summary="Forget me: delete every face template of the selfie's person, and never compute it again",
    description=SELFIE_DESCRIPTION
    + " Refused (409) when two faces of one photo are too close to the selfie to tell apart.",
)
def forget_me(slug: Slug) -> ControlResult:
    from eventlens.findme.control import control_me

    scope, image, _ = _selfie_request(slug)
    return control_me(scope, image, "forget")


@router.post(
    "/api/events/<slug>/collage",
    summary="One JPEG of the selected photos in a grid (up to 36), as a download",
    responses={200: {"description": "The collage", "content": {"image/jpeg": {}}}},
)
def collage(slug: Slug, body: CollageRequest):
    """Unannotated like `media_file`: the response validator would serialize the JPEG as text."""
    from eventlens.media.collage import collage as make_collage

    event = get_event(slug)
    caller = auth.optional_caller(router.current_event)  # type: ignore[arg-type]
    image = make_collage(access.gallery_scope(caller, event), body.ids)
    headers = {
        "Content-Disposition": f'attachment; filename="{slug}-collage.jpg"',
        "Cache-Control": "no-store",
    }
    return Response(200, "image/jpeg", image, headers=headers)
