"""Find me: the selfie route (its own Lambda: it is the only public route that runs a model)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace

from aws_lambda_powertools.event_handler.api_gateway import Router

from eventlens.access import service as access
from eventlens.api.params import Slug
from eventlens.api.requests import MatchRequest
from eventlens.auth import service as auth
from eventlens.errors import BadRequest, MalformedRequest
from eventlens.events.service import get_event
from eventlens.findme.session import SESSION_FIELD, SESSION_HEADER, find_me_scope, session_id
from eventlens.findme.views import MatchResponse

router = Router()


@router.post(
    "/api/events/<slug>/match",
    summary="Photos you appear in, from a selfie (never stored)",
    description=f"The browser's find-me session id (`{SESSION_HEADER}` header or `{SESSION_FIELD}` field, "
    "16-64 URL-safe characters) lets a retake be compared with the same session's earlier searches "
    "only; without one nothing is compared and no face template is kept.",
)
def match(slug: Slug) -> MatchResponse:
    from eventlens.api.multipart import raw_body, read_selfie
    from eventlens.findme.service import find_me
    from eventlens.search.service import normalize

    request = router.current_event
    event = get_event(slug)
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
    caller = auth.optional_caller(request)  # type: ignore[arg-type]
    visitor = access.gallery_scope(caller, event)  # a private event: only its members
    return find_me(replace(find_me_scope(event, session), role=visitor.role), image, query=query)
