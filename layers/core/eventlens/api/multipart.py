"""multipart/form-data selfie uploads, parsed with the standard library's email parser."""

from __future__ import annotations

import base64
import binascii
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from eventlens.config import settings
from eventlens.errors import BadRequest, MalformedRequest, SelfieTooLarge

FORM_OVERHEAD = 64 * 1024
"""What a selfie's form may add to the image's bytes: boundaries, part headers, the `q` text."""


def raw_body(request: Any) -> bytes:
    """The request body as bytes, whether API Gateway base64-encoded it or not."""
    body = request.get("body") or ""
    if request.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except binascii.Error:
            raise MalformedRequest("The request body is not valid base64") from None
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def read_selfie(body: bytes, content_type: str) -> tuple[bytes, str | None]:
    """The `selfie` file part and the optional `q` text part of a form."""
    limit = settings().max_selfie_bytes
    if len(body) > limit + FORM_OVERHEAD:
        raise SelfieTooLarge(f"The selfie is larger than {limit // (1024 * 1024)} MB")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.is_multipart():
        raise BadRequest("Expected a multipart/form-data body with a 'selfie' file")
    image: bytes | None = None
    query: str | None = None
    for part in message.iter_parts():
        name = _field_name(part)
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if name == "selfie":
            image = payload
        elif name == "q":
            query = payload.decode("utf-8", "replace").strip() or None
    if image is None:
        raise BadRequest("The form has no 'selfie' file")
    if len(image) > limit:
        raise SelfieTooLarge(f"The selfie is larger than {limit // (1024 * 1024)} MB")
    return image, query


def _field_name(part: Message) -> str | None:
    disposition = part.get("Content-Disposition", "")
    if not disposition:
        return None
    params = dict(part.get_params(header="content-disposition") or [])
    name = params.get("name")
    return str(name) if name else None
