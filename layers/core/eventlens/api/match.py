"""Find me: the selfie route (its own Lambda: it is the only public route that runs a model)."""

from __future__ import annotations

import base64
import binascii

from aws_lambda_powertools.event_handler.api_gateway import Router

from eventlens.api.params import Slug
from eventlens.api.requests import MatchRequest
from eventlens.errors import BadRequest
from eventlens.events.service import get_event
from eventlens.findme.views import MatchResponse
from eventlens.scope import Scope

router = Router()


@router.post("/api/events/<slug>/match", summary="Photos you appear in, from a selfie (never stored)")
def match(slug: Slug) -> MatchResponse:
    from eventlens.api.multipart import raw_body, read_selfie
    from eventlens.findme.service import find_me

    request = router.current_event
    scope = Scope.visitor(get_event(slug))
    content_type = request.headers.get("content-type") or ""  # the boundary is case-sensitive
    if content_type.lower().startswith("multipart/form-data"):
        image, query = read_selfie(raw_body(request), content_type)
    else:
        body = MatchRequest.model_validate(request.json_body or {})
        try:
            image = base64.b64decode(body.image_base64.split(",")[-1], validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("image_base64 is not valid base64") from None
        query = body.q
    return find_me(scope, image, query=query)
