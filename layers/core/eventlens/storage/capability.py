"""Media URLs as capabilities: `/media/<token>`, signed, expiring, and stable for their lifetime.

A token names one rendition of one photo of one event (or, rendition `archive`, one ZIP archive of
its originals: the id is then the archive's), who it was issued for, and when it stops working; an HMAC-SHA256 (truncated to 128 bits) under the installation's media key makes it
unforgeable, and 128 random-looking bits make it unguessable. Expiry is rounded to a window, so
every listing within a window hands out the same URL and browsers and CDNs can cache it; a token is
valid for between one and two windows.

Signing is not the whole check: whoever serves a token also asks the database whether its holder
may still see the photo (`media.service.open_media`), so hiding a photo, rejecting it or failing
to process it revokes its public URLs at once.

- `public` tokens are issued for public photos (whoever lists them) and served only while the
  photo is public.
- `staff` tokens are issued for photos only staff can see (hidden, held, failed): they are served
  whatever the photo's state, so they expire sooner.
- `archive` tokens are `public`, issued only to the visitor that asked for the archive, with an
  exact expiry (no window: nobody else shares the URL); serving one checks that the archive is
  ready and unexpired and that every photo in it is still public (`media.archives.servable`).
- `album_item` tokens name an album item: `public` ones are served while the item is approved and
  not held (`albums.service.servable_item`); `staff` ones (pending items, for moderators and the
  contributor) whatever its state.
"""

from __future__ import annotations

import base64
import hmac
import struct
import time
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from eventlens.errors import MediaNotFound

Rendition = Literal["original", "320", "1920", "archive", "playable", "album_item", "album_cover"]
Audience = Literal["public", "staff"]

RENDITIONS: tuple[Rendition, ...] = (
    "original",
    "320",
    "1920",
    "archive",
    "playable",
    "album_item",
    "album_cover",  # an album item cropped to the cover tile, faces in frame (albums/cover.py)
)
AUDIENCES: tuple[Audience, ...] = ("public", "staff")
WINDOW_S: dict[Audience, int] = {"public": 12 * 3600, "staff": 3600}
"""Expiry is rounded up to a multiple of this: a URL stays the same within one window."""

_VERSION = 1
_LAYOUT = struct.Struct(">B16s16sBBI")  # version, event id, object id, rendition, audience, expires
_MAC_BYTES = 16
TOKEN_LENGTH = len(base64.urlsafe_b64encode(b"\0" * (_LAYOUT.size + _MAC_BYTES)).rstrip(b"="))


@dataclass(frozen=True)
class Capability:
    event_id: UUID
    object_id: UUID
    """The photo's id; for the `archive` rendition, the archive's; for `album_item`, the item's."""
    rendition: Rendition
    audience: Audience
    expires: int
    """Unix seconds after which the token is refused."""

    @property
    def max_age_s(self) -> int:
        return max(0, self.expires - int(time.time()))


def expiry(audience: Audience, now: float | None = None) -> int:
    """The end of the window after the current one: the same value all through this window."""
    window = WINDOW_S[audience]
    current = int(time.time() if now is None else now)
    return (current // window + 2) * window


def sign(key: bytes, capability: Capability) -> str:
    payload = _LAYOUT.pack(
        _VERSION,
        capability.event_id.bytes,
        capability.object_id.bytes,
        RENDITIONS.index(capability.rendition),
        AUDIENCES.index(capability.audience),
        capability.expires,
    )
    mac = hmac.digest(key, payload, "sha256")[:_MAC_BYTES]
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


def verify(key: bytes, token: str, now: float | None = None) -> Capability:
    """The capability a token grants, or MediaNotFound (forged, altered, expired or malformed)."""
    if len(token) != TOKEN_LENGTH:
        raise MediaNotFound("no such media")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, UnicodeEncodeError):
        raise MediaNotFound("no such media") from None
    payload, mac = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    if not hmac.compare_digest(mac, hmac.digest(key, payload, "sha256")[:_MAC_BYTES]):
        raise MediaNotFound("no such media")
    version, event, object_id, rendition, audience, expires = _LAYOUT.unpack(payload)
    if version != _VERSION or rendition >= len(RENDITIONS) or audience >= len(AUDIENCES):
        raise MediaNotFound("no such media")
    if expires <= (time.time() if now is None else now):
        raise MediaNotFound("no such media")
    return Capability(
        UUID(bytes=event), UUID(bytes=object_id), RENDITIONS[rendition], AUDIENCES[audience], expires
    )


def sign_put(key: bytes, blob_key: str, expires: int) -> str:
    """The signature of a local presigned PUT of `blob_key` until `expires` (what S3's presigned
    URL is on AWS): album uploads, whose holder may be a guest with no token to show."""
    return hmac.digest(key, f"put\n{blob_key}\n{expires}".encode(), "sha256")[:_MAC_BYTES].hex()


def verify_put(key: bytes, blob_key: str, expires: str, signature: str, now: float | None = None) -> bool:
    try:
        until = int(expires)
    except ValueError:
        return False
    if until <= (time.time() if now is None else now):
        return False
    return hmac.compare_digest(sign_put(key, blob_key, until), signature)


def sign_part(key: bytes, blob_key: str, upload_id: str, number: int, expires: int) -> str:
    """The signature of a local part PUT (S3's presigned upload_part URL on AWS): part `number` of
    the resumable upload `upload_id` of `blob_key`, until `expires`."""
    message = f"part\n{blob_key}\n{upload_id}\n{number}\n{expires}".encode()
    return hmac.digest(key, message, "sha256")[:_MAC_BYTES].hex()


def verify_part(
    key: bytes,
    blob_key: str,
    upload_id: str,
    number: str,
    expires: str,
    signature: str,
    now: float | None = None,
) -> bool:
    if not (number.isdigit() and expires.isdigit()) or int(expires) <= (time.time() if now is None else now):
        return False
    return hmac.compare_digest(sign_part(key, blob_key, upload_id, int(number), int(expires)), signature)
