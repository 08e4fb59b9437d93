"""Find me: the selfie route (its own Lambda: it is the only public route that runs a model)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from eventlens import events
from eventlens.api.errors import ApiError
from eventlens.api.models import MatchRequest
from eventlens.search.models import MatchResponse

router = Router()

Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


@router.post("/api/events/<slug>/match", summary="Photos you appear in, from a selfie (never stored)")
def match(slug: Slug) -> MatchResponse:
    from eventlens.api.multipart import raw_body, read_selfie
    from eventlens.search.faces import find_me

    request = router.current_event
    event = events.get_event(slug)
    content_type = request.headers.get("content-type") or ""  # the boundary is case-sensitive
    if content_type.lower().startswith("multipart/form-data"):
        image, query = read_selfie(raw_body(request), content_type)
    else:
        body = MatchRequest.model_validate(request.json_body or {})
        try:
            image = base64.b64decode(body.image_base64.split(",")[-1], validate=True)
        except (binascii.Error, ValueError):
            raise ApiError("image_base64 is not valid base64") from None
        query = body.q
    return find_me(event, image, query=query)
