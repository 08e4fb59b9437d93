"""Album links handed to guests: upload-only file drops, guest uploads, and views of one album.

A link is a capability, like a media URL: a 256-bit random secret in the address, of which only
the SHA-256 is stored, so the table leaks no working link. It may carry a password (scrypt, as
accounts: `auth.passwords`) and an expiry, and its owner revokes it. Whoever presents a live link
(and its password) acts as a visitor whose subject names the link; the policies of migration 0018
let that subject read the album (view, guest_upload) or add pending items to it (file_drop,
guest_upload) and nothing else. A guest's upload passes the same moderation gate as anyone's.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from eventlens.albums import repo
from eventlens.albums.repo import LinkRow
from eventlens.albums.views import AlbumLink, AlbumLinkCreate, AlbumLinkList, GuestAlbum
from eventlens.audit import service as audit
from eventlens.auth.passwords import hash_password, verify_password
from eventlens.errors import AlbumLinkInvalid, AlbumLinkPassword, AlbumNotFound, NotAllowed
from eventlens.events.service import event_by_id
from eventlens.scope import Scope
from eventlens.types import Event

LINK_SUBJECT = "album-link:"


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _view(row: LinkRow, token: str | None = None) -> AlbumLink:
    return AlbumLink(
        id=row.id,
        album_id=row.album_id,
        kind=row.kind,
        has_password=row.password_hash is not None,
        expires_at=row.expires_at,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        token=token,
    )


def create_link(scope: Scope, album_id: UUID, body: AlbumLinkCreate) -> AlbumLink:
    """A new link (its secret in the answer, once) by the album's owner or album.manage."""
    from eventlens.albums.service import require_owner_or_manager

    token = secrets.token_urlsafe(32)
    expires = (
        None if body.expires_in_hours is None else datetime.now(UTC) + timedelta(hours=body.expires_in_hours)
    )
    password = None if body.password is None else hash_password(body.password)
    with scope.transaction() as tx:
        require_owner_or_manager(scope, tx, album_id)
        row = repo.create_link(tx, album_id, body.kind, _hash(token), password, expires)
        audit.record(tx, "album_link_create", str(row.id), album=str(album_id), kind=body.kind)
    return _view(row, token)


def list_links(scope: Scope, album_id: UUID) -> AlbumLinkList:
    from eventlens.albums.service import require_owner_or_manager

    with scope.transaction() as tx:
        require_owner_or_manager(scope, tx, album_id)
        return AlbumLinkList(links=[_view(r) for r in repo.links(tx, album_id)])


def revoke_link(scope: Scope, album_id: UUID, link_id: UUID) -> None:
    from eventlens.albums.service import require_owner_or_manager

    with scope.transaction() as tx:
        require_owner_or_manager(scope, tx, album_id)
        if not repo.revoke_link(tx, album_id, link_id):
            raise AlbumLinkInvalid(f"no live link {link_id} on this album")
        audit.record(tx, "album_link_revoke", str(link_id), album=str(album_id))


@dataclass(frozen=True)
class Guest:
    """A live link's holder: the scope it acts in and what its link opens."""

    scope: Scope
    event: Event
    album_id: UUID
    kind: str


def open_link(token: str, password: str | None) -> Guest:
    """The guest a presented link (and password) makes, or AlbumLinkInvalid / AlbumLinkPassword."""
    with Scope.system().transaction() as tx:
        row = repo.link_by_hash(tx, _hash(token))
    if (
        row is None
        or row.revoked_at is not None
        or (row.expires_at is not None and row.expires_at <= datetime.now(UTC))
    ):
        raise AlbumLinkInvalid("This link does not work (unknown, revoked or expired): ask for a new one")
    # verify_password compares in constant time; an absent password costs the same scrypt
    if row.password_hash is not None and not verify_password(password or "", row.password_hash):
        raise AlbumLinkPassword(
            "This link needs its password" if not password else "Wrong password for this link"
        )
    event = event_by_id(row.event_id)
    return Guest(Scope.visitor(event, subject=f"{LINK_SUBJECT}{row.id}"), event, row.album_id, row.kind)


def guest_album(guest: Guest) -> GuestAlbum:
    """A file drop shows the album's title only (read as the operator: the link reads nothing);
    the other links the album and its approved items, read as the guest."""
    from eventlens.albums.service import item_with_url

    if guest.kind == "file_drop":
        with Scope.system(guest.event).transaction() as tx:
            album = repo.get_album(tx, guest.album_id)
        items = []
    else:
        with guest.scope.transaction() as tx:
            album = repo.get_album(tx, guest.album_id)
            items = [item_with_url(guest.scope, i) for i in repo.items(tx, [guest.album_id])]
    if album is None:
        raise AlbumNotFound("this link's album is gone")
    return GuestAlbum(kind=guest.kind, title=album.title, description=album.description, items=items)


def require_upload(guest: Guest) -> None:
    if guest.kind not in ("file_drop", "guest_upload"):
        raise NotAllowed("This link views the album; it takes no uploads")
