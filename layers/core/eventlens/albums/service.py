"""Albums: curated on top of an event's folders and tags, with contributions, ratings, flags, bans.

Rules (each also held by the policies of migration 0018 where a row can say it):
- Contribution policy: CLOSED, the owner and album.manage; INVITE_ONLY (the default), also the
  contributor rows; OPEN, anyone signed in with album.contribute. A banned person (album_bans, per
  organization) never contributes, rates or tags; it still browses and flags.
- Every contributed upload goes through the moderation gate (albums/gate.py) and waits, pending,
  for a moderator's decision whatever the policy; an exact copy of an item already in the album is
  rejected at once, a near copy (dHash within gate.NEAR_DUPLICATE_DISTANCE) is marked as such
  for the reviewer. Saving a gallery photo (already through the pipeline's gate) or an approved item
  adds an approved item pointing at the same stored object: no bytes are copied.
- Ratings: one per person per album, changeable; count and sum change by trigger in the rating's
  transaction, so the album row is exact under concurrent raters.
- Flags: one per person per target; FLAGS_TO_HOLD open flags hold the target for review.
- Moderation decisions, flag resolutions and bans are written to the audit log.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventlens.access.rights import can
from eventlens.accounts import service as accounts
from eventlens.albums import repo
from eventlens.albums.views import (
    Album,
    AlbumCreate,
    AlbumItem,
    AlbumList,
    AlbumPage,
    AlbumPatch,
    AlbumUploadTicket,
    Ban,
    BanList,
    Contributor,
    ContributorList,
    Flag,
    FlagList,
    MoreLikeThis,
    MultipartTicket,
    PartUrl,
    ReviewQueue,
    SubjectPage,
    UploadPart,
)
from eventlens.audit import service as audit
from eventlens.config import settings
from eventlens.db import Tx
from eventlens.errors import (
    AlbumItemNotFound,
    AlbumNotFound,
    Banned,
    FlagNotFound,
    InvalidKey,
    NotAllowed,
    PersonNotFound,
    UploadRejected,
    UploadTooLarge,
)
from eventlens.scope import Scope
from eventlens.storage import blob_store
from eventlens.storage.base import BlobNotFound, validate_key
from eventlens.storage.keys import event_prefix
from eventlens.types import Event

if TYPE_CHECKING:
    from eventlens.albums.gate import Face, Measures

FLAGS_TO_HOLD = 3
"""Open flags that hold an album or an item for review (migration 0018's trigger says the same)."""
UPLOAD_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


# -- albums ------------------------------------------------------------------------------------------


def list_albums(scope: Scope, sort: str = "score", limit: int = 50) -> AlbumList:
    with scope.transaction() as tx:
        albums = repo.list_albums(tx, sort, limit)
        return AlbumList(albums=_decorate(tx, albums))


def get_album_page(scope: Scope, album_id: UUID) -> AlbumPage:
    with scope.transaction() as tx:
        album = _album(tx, album_id)
        items = repo.items(tx, [album_id])
        tags = repo.tags_of(tx, [i.id for i in items])
        return AlbumPage(
            album=_decorate(tx, [album])[0],
            items=[item_with_url(scope, i).model_copy(update={"tags": tags.get(i.id, [])}) for i in items],
        )


def tag_item(scope: Scope, album_id: UUID, item_id: UUID, tag: str) -> list[str]:
    """A tag on an item, by someone the album's policy lets contribute, never while banned: the
    item's tags after it."""
    clean = " ".join(tag.split()).lower()
    with scope.transaction() as tx:
        _require_contributor(scope, tx, _album(tx, album_id))
        item = repo.get_item(tx, item_id)
        if item is None or item.album_id != album_id:
            raise AlbumItemNotFound(f"no item {item_id} in this album")
        repo.add_tag(tx, item_id, clean)
        return repo.tags_of(tx, [item_id]).get(item_id, [])


def item_tags(scope: Scope, album_id: UUID, item_id: UUID) -> list[str]:
    """The tags of an item the caller sees."""
    with scope.transaction() as tx:
        item = repo.get_item(tx, item_id)
        if item is None or item.album_id != album_id:
            raise AlbumItemNotFound(f"no item {item_id} in this album")
        return repo.tags_of(tx, [item_id]).get(item_id, [])


def untag_item(scope: Scope, album_id: UUID, item_id: UUID, tag: str) -> None:
    """Its tagger (unbanned) or a moderator removes a tag."""
    with scope.transaction() as tx:
        _album(tx, album_id)
        if not can(scope.role, "album.moderate"):
            _not_banned(tx)
        if not repo.remove_tag(tx, item_id, " ".join(tag.split()).lower()):
            raise AlbumItemNotFound(f"no tag {tag!r} of yours on item {item_id}")


def create_album(scope: Scope, body: AlbumCreate) -> Album:
    with scope.transaction() as tx:
        _not_banned(tx)
        album = repo.create_album(tx, body.title, body.description, body.contribution_policy, _person(scope))
        if body.subject_ids:
            repo.set_subjects(tx, album.id, body.subject_ids)
        if body.linked_event_ids:
            repo.set_linked_events(tx, album.id, body.linked_event_ids)
        audit.record(tx, "album_create", str(album.id), title=album.title)
        return _decorate(tx, [album])[0]


def update_album(scope: Scope, album_id: UUID, patch: AlbumPatch) -> Album:
    """The owner (unbanned) or album.manage changes an album; a cover must be one of its items."""
    with scope.transaction() as tx:
        album = _album(tx, album_id)
        _require_owner_or(scope, tx, album, "album.manage")
        changes: dict[str, Any] = patch.model_dump(exclude_unset=True, exclude={"subject_ids"})
        if patch.cover_item_id is not None:
            item = repo.get_item(tx, patch.cover_item_id)
            if item is None or item.album_id != album_id or item.status != "approved":
                raise AlbumItemNotFound("the cover must be an approved item of this album")
        updated = repo.update_album(tx, album_id, changes)
        if updated is None:
            raise AlbumNotFound(f"no album {album_id}")
        if patch.subject_ids is not None:
            repo.set_subjects(tx, album_id, patch.subject_ids)
        return _decorate(tx, [updated])[0]


def delete_album(scope: Scope, album_id: UUID) -> None:
    with scope.transaction() as tx:
        album = _album(tx, album_id)
        _require_owner_or(scope, tx, album, "album.manage")
        covers = [_cover_path(scope.tenant(), i.id) for i in repo.items(tx, [album_id], limit=100_000)]
        repo.delete_album(tx, album_id)
        keys = repo.released_keys(tx)
        audit.record(tx, "album_delete", str(album_id), title=album.title)
    _delete_blobs(keys + covers)


# -- contributors and bans ---------------------------------------------------------------------------


def add_contributor(scope: Scope, album_id: UUID, email: str) -> Contributor:
    person = accounts.find_person(email)
    if person is None:
        raise PersonNotFound(f"nobody has an account with {email!r}: invite them to the event first")
    with scope.transaction() as tx:
        album = _album(tx, album_id)
        _require_owner_or(scope, tx, album, "album.manage")
        repo.add_contributor(tx, album_id, person.id)
        audit.record(tx, "album_contributor_add", str(album_id), person=str(person.id))
        found = next(c for c in repo.contributors(tx, album_id) if c.person_id == person.id)
    return found.model_copy(update={"email": person.email})


def remove_contributor(scope: Scope, album_id: UUID, person_id: UUID) -> None:
    with scope.transaction() as tx:
        album = _album(tx, album_id)
        _require_owner_or(scope, tx, album, "album.manage")
        if not repo.remove_contributor(tx, album_id, person_id):
            raise PersonNotFound(f"{person_id} is not a contributor of this album")
        audit.record(tx, "album_contributor_remove", str(album_id), person=str(person_id))


def list_contributors(scope: Scope, album_id: UUID) -> ContributorList:
    with scope.transaction() as tx:
        _album(tx, album_id)
        found = repo.contributors(tx, album_id)
    emails = accounts.emails([c.person_id for c in found])
    return ContributorList(
        contributors=[c.model_copy(update={"email": emails.get(c.person_id)}) for c in found]
    )


def ban(scope: Scope, email: str, reason: str) -> Ban:
    person = accounts.find_person(email)
    if person is None:
        raise PersonNotFound(f"nobody has an account with {email!r}")
    with scope.transaction() as tx:
        banned = repo.ban(tx, person.id, reason)
        audit.record(tx, "album_ban", str(person.id), reason=reason)
    return banned.model_copy(update={"email": person.email})


def unban(scope: Scope, person_id: UUID) -> None:
    with scope.transaction() as tx:
        if not repo.unban(tx, person_id):
            raise PersonNotFound(f"{person_id} is not banned")
        audit.record(tx, "album_unban", str(person_id))


def list_bans(scope: Scope) -> BanList:
    with scope.transaction() as tx:
        found = repo.bans(tx)
    emails = accounts.emails([b.person_id for b in found])
    return BanList(bans=[b.model_copy(update={"email": emails.get(b.person_id)}) for b in found])


# -- ratings and flags -------------------------------------------------------------------------------


def rate(scope: Scope, album_id: UUID, stars: int) -> Album:
    with scope.transaction() as tx:
        _album(tx, album_id)
        _not_banned(tx)
        repo.rate(tx, album_id, stars)
        return _decorate(tx, [_album(tx, album_id)])[0]


def flag(scope: Scope, album_id: UUID, reason: str, item_id: UUID | None = None) -> Flag:
    """Banned people flag too. The FLAGS_TO_HOLD-th open flag holds the target (by trigger)."""
    with scope.transaction() as tx:
        _album(tx, album_id)
        if item_id is not None:
            item = repo.get_item(tx, item_id)
            if item is None or item.album_id != album_id:
                raise AlbumItemNotFound(f"no item {item_id} in this album")
        return repo.flag(tx, album_id, item_id, reason.strip())


def open_flags(scope: Scope) -> FlagList:
    """Open flags with their album's title and a flagged item's (staff) media URL."""
    from eventlens.media.views import album_item_url

    with scope.transaction() as tx:
        found = repo.open_flags(tx)
    event_id = scope.tenant().id
    return FlagList(
        flags=[
            f
            if f.item_id is None
            else f.model_copy(update={"item_url": album_item_url(event_id, f.item_id, False)})
            for f in found
        ]
    )


def resolve_flag(scope: Scope, flag_id: UUID, resolution: str) -> Flag:
    """Upheld: the target stays held (an item is rejected); dismissed: released once no flag is open."""
    with scope.transaction() as tx:
        resolved = repo.resolve_flag(tx, flag_id, resolution)
        if resolved is None:
            raise FlagNotFound(f"no flag {flag_id}")
        still_open = repo.open_flags_on(tx, resolved.album_id, resolved.item_id)
        if resolved.item_id is not None:
            if resolution == "upheld":
                repo.decide_item(tx, resolved.item_id, "rejected", f"flagged: {resolved.reason}")
            elif still_open == 0:
                repo.set_item_held(tx, resolved.item_id, False)
        elif resolution == "dismissed" and still_open == 0:
            repo.update_album(tx, resolved.album_id, {"held": False})
        audit.record(tx, "album_flag_resolve", str(flag_id), resolution=resolution)
        return resolved


# -- items: save, upload, moderate, delete -----------------------------------------------------------


def save_to_album(scope: Scope, album_id: UUID, photo_id: UUID | None, item_id: UUID | None) -> AlbumItem:
    """A new item pointing at the stored object of a gallery photo or of another album's approved
    item: no bytes are copied."""
    from eventlens.media import service as media

    with scope.transaction() as tx:
        album = _album(tx, album_id)
        _require_contributor(scope, tx, album)
        if photo_id is not None:
            original = media.photo_original(tx, photo_id)
            if original is None:
                raise AlbumItemNotFound(f"no public photo {photo_id}")
            object_id = repo.photo_object(tx, photo_id, original[0], original[1])
            dhash = None
        else:
            assert item_id is not None
            source = repo.get_item(tx, item_id)
            if source is None or source.status != "approved" or source.held:
                raise AlbumItemNotFound(f"no approved item {item_id}")
            object_id, dhash = source.object_id, None
        new_id = repo.insert_item(tx, album_id, object_id, status="approved", reason="saved", dhash=dhash)
        saved = repo.get_item(tx, new_id)
        assert saved is not None
        return item_with_url(scope, saved)


def require_can_add(scope: Scope, album_id: UUID) -> Album:
    """The album, if the caller may add to it (404 or 403 otherwise)."""
    with scope.transaction() as tx:
        album = _album(tx, album_id)
        _require_contributor(scope, tx, album)
        return album


def add_uploads(scope: Scope, album_id: UUID, photo_ids: list[UUID]) -> int:
    """Photos an organizer uploaded from the dashboard into an album: approved items pointing at the
    photos' originals, as saving a gallery photo adds them (no bytes copied, the organizer chose
    them); they are photos of the event as well, processed and moderated there. How many.

    The items are written as the system after the check here: an organizer signed in with the
    event password names no person, and the policy wants an item's contributor to be the writer."""
    from eventlens.media import service as media

    require_can_add(scope, album_id)
    as_system = Scope("system", scope.tenant(), scope.subject, scope.origin)
    with as_system.transaction() as tx:
        originals = media.uploaded_originals(tx, photo_ids)
        for photo_id, (key, mime) in originals.items():
            object_id = repo.photo_object(tx, photo_id, key, mime)
            repo.insert_item(tx, album_id, object_id, status="approved", reason="uploaded")
        return len(originals)


def upload_ticket(
    scope: Scope, album_id: UUID, filename: str, content_type: str, size: int, *, guest: bool = False
) -> AlbumUploadTicket:
    """A presigned PUT under the event's album uploads (never its originals: the pipeline does not
    take album uploads in), for someone the album's policy lets contribute, or a link's guest
    (`guest`: the link was checked; its items are nobody's)."""
    if size > settings().max_upload_bytes:
        raise UploadTooLarge(f"{filename} is larger than {settings().max_upload_bytes // (1024 * 1024)} MB")
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime not in UPLOAD_TYPES:
        raise UploadRejected(f"{filename}: albums take JPEG, PNG or WebP photos, not {content_type}")
    if not guest:
        with scope.transaction() as tx:
            _require_contributor(scope, tx, _album(tx, album_id))
    key = _upload_key(scope.tenant().slug, album_id, filename, mime)
    return AlbumUploadTicket(upload_url=_put_url(key, mime), headers={"Content-Type": mime}, key=key)


PART_SIZE = 5 * 1024 * 1024
"""Bytes per part of a resumable upload: S3's smallest part (all but the last), so a failure costs
at most 5 MiB of re-sending."""


def start_multipart(
    scope: Scope, album_id: UUID, filename: str, content_type: str, size: int, *, guest: bool = False
) -> MultipartTicket:
    """A resumable upload of a large photo: S3's multipart upload with a presigned URL per part;
    embedded, the same protocol with signed part PUTs to the local server. The same checks as
    `upload_ticket`; completing it goes through the same gate."""
    single = upload_ticket(scope, album_id, filename, content_type, size, guest=guest)
    upload_id = blob_store().create_multipart(single.key, single.headers["Content-Type"])
    count = -(-size // PART_SIZE)
    return MultipartTicket(
        key=single.key,
        upload_id=upload_id,
        part_size=PART_SIZE,
        parts=[PartUrl(number=n, url=_part_url(single.key, upload_id, n)) for n in range(1, count + 1)],
    )


def resume_multipart(
    scope: Scope, album_id: UUID, key: str, upload_id: str, size: int, *, guest: bool = False
) -> MultipartTicket:
    """The parts already stored and fresh URLs for the others (after a failure or a reload)."""
    _own_upload(scope, album_id, key, guest)
    try:
        done = blob_store().list_parts(key, upload_id)
    except BlobNotFound:
        raise UploadRejected("This upload is gone (completed, aborted or expired): start it again") from None
    stored = {p.number for p in done}
    count = -(-size // PART_SIZE)
    return MultipartTicket(
        key=key,
        upload_id=upload_id,
        part_size=PART_SIZE,
        parts=[
            PartUrl(number=n, url=_part_url(key, upload_id, n))
            for n in range(1, count + 1)
            if n not in stored
        ],
        done=[UploadPart(number=p.number, etag=p.etag, size=p.size) for p in done],
    )


def complete_multipart(
    scope: Scope, album_id: UUID, key: str, upload_id: str, parts: list[UploadPart], *, guest: bool = False
) -> AlbumItem:
    """Joins the parts into the upload's blob, then the gate as for any upload."""
    from eventlens.storage.base import UploadedPart

    _own_upload(scope, album_id, key, guest)
    try:
        blob_store().complete_multipart(
            key, upload_id, [UploadedPart(p.number, p.etag.strip('"')) for p in parts]
        )
    except BlobNotFound:
        raise UploadRejected("This upload's parts do not match what was stored: resume it") from None
    return complete_upload(scope, album_id, key, guest=guest)


def abort_multipart(scope: Scope, album_id: UUID, key: str, upload_id: str, *, guest: bool = False) -> None:
    _own_upload(scope, album_id, key, guest)
    blob_store().abort_multipart(key, upload_id)


def _own_upload(scope: Scope, album_id: UUID, key: str, guest: bool) -> None:
    """The key is one of this album's uploads and the caller may still contribute to it."""
    if not validate_key(key).startswith(_upload_prefix(scope.tenant().slug, album_id)):
        raise InvalidKey(f"{key} is not an upload of this album")
    if not guest:
        with scope.transaction() as tx:
            _require_contributor(scope, tx, _album(tx, album_id))


def _part_url(key: str, upload_id: str, number: int) -> str:
    """S3's presigned part URL; embedded, the local server's, signed the same way as `_put_url`."""
    from eventlens.storage.capability import sign_part
    from eventlens.storage.local import LocalBlobStore

    store = blob_store()
    url = store.url_for_part(key, upload_id, number, UPLOAD_URL_S)
    if isinstance(store, LocalBlobStore):
        expires = int(time.time()) + UPLOAD_URL_S
        url += (
            f"&expires={expires}&signature={sign_part(settings().media_key, key, upload_id, number, expires)}"
        )
    return url


def complete_upload(scope: Scope, album_id: UUID, key: str, *, guest: bool = False) -> AlbumItem:
    """The uploaded file goes through the gate and becomes a pending item (the contributor reads its
    status and reason; a guest is told in the answer); bytes that are no photo are deleted and
    refused."""
    prefix = _upload_prefix(scope.tenant().slug, album_id)
    if not validate_key(key).startswith(prefix):
        raise InvalidKey(f"{key} is not an upload of this album")
    if not guest:
        with scope.transaction() as tx:
            _require_contributor(scope, tx, _album(tx, album_id))
    store = blob_store()
    data = store.get(key)
    if len(data) > settings().max_upload_bytes:
        store.delete(key)
        raise UploadTooLarge("the uploaded file is larger than an upload may be")
    from eventlens.albums import gate  # numpy, Pillow, ONNX: only where an upload is measured
    from eventlens.findme.control import face_data_allowed

    with Scope.system(scope.tenant()).transaction() as tx:
        opt_outs = repo.face_opt_outs(tx, hashlib.sha256(data).digest())
    try:
        measures = gate.measure(
            data,
            face_embeddings=face_data_allowed(Scope.system(scope.tenant())),
            forgotten=[o.box for o in opt_outs if o.kind == "forget"],
        )
    except Exception as exc:
        store.delete(key)
        raise UploadRejected(f"the uploaded file is not a photo we can read ({exc})") from None
    mime = mimetypes.guess_type(key)[0] or "image/jpeg"
    status, reason, near = _judge(scope.tenant(), album_id, measures)
    content = measures.content
    with scope.transaction() as tx:
        if not guest:
            _require_contributor(scope, tx, _album(tx, album_id))
        object_id = repo.upload_object(tx, key, measures.sha256, len(data), mime)
        new_id = repo.insert_item(
            tx,
            album_id,
            object_id,
            status=status,
            reason=reason,
            nsfw_score=measures.nsfw_score,
            quality_score=measures.quality_score,
            dhash=measures.dhash,
            near_duplicate_of=near,
            embedding=None if content is None else content.embedding,
            embedding_model=None if content is None else content.embedding_model,
        )
        if status == "rejected":
            audit.record(tx, "album_item_reject", str(new_id), reason=reason)
    # faces written and the item read back as the operator: face data is the operator's, and a
    # guest may not read the pending item it just added
    with Scope.system(scope.tenant()).transaction() as tx:
        if content is not None and content.faces:
            repo.add_faces(tx, new_id, content.face_model, _faces_to_keep(content.faces, opt_outs))
        item = repo.get_item(tx, new_id)
    assert item is not None
    return item_with_url(scope, item)


def _faces_to_keep(
    faces: Sequence[Face], opt_outs: list[repo.FaceOptOut]
) -> list[tuple[tuple[float, ...], Any, bool]]:
    """(box, embedding, hidden) of the faces an upload stores: hide me and forget me given on these
    very bytes hold (findme.control's treatment: forget wins, a hidden face is kept hidden)."""
    from eventlens.findme.control import OptOutRegion, treatment

    regions = [OptOutRegion(o.box, o.kind) for o in opt_outs]
    kept: list[tuple[tuple[float, ...], Any, bool]] = []
    for face in faces:
        what = treatment(regions, face.box)
        if what.keep:
            kept.append((face.box, face.embedding, what.hidden))
    return kept


def _judge(event: Event, album_id: UUID, m: Measures) -> tuple[str, str, UUID | None]:
    """(status, reason, near_duplicate_of) of a new upload against every item of the album not
    rejected, pending ones included (read as the operator: a contributor reads only its own)."""
    from eventlens.albums import gate

    content = m.content
    same_shot = None if content is None else gate.SAME_SHOT_SIMILARITY.get(content.face_model)
    mine = [] if content is None else [f.embedding for f in content.faces if f.embedding is not None]
    with Scope.system(event).transaction() as tx:
        others = repo.album_objects(tx, album_id)
        faces = repo.album_faces(tx, album_id, content.face_model) if content and same_shot and mine else {}

    notes: list[str] = []
    near: UUID | None = None
    why = ""
    distance = gate.NEAR_DUPLICATE_DISTANCE
    for other in others:
        if other.sha256 is not None and other.sha256 == m.sha256:
            return "rejected", f"duplicate of item {other.item_id} (same bytes)", other.item_id
        if near is not None:
            continue
        if other.dhash is not None and gate.informative(m.dhash):
            bits = gate.hamming(other.dhash, m.dhash)
            if bits <= distance:
                near, why = other.item_id, f"dHash {bits} bits"
                continue
        if same_shot is not None and other.item_id in faces:
            similarity = gate.same_shot(mine, faces[other.item_id])
            if similarity >= same_shot:
                near, why = other.item_id, f"same faces {similarity:.2f}"
    if near is not None:
        notes.append(f"near duplicate of item {near} ({why})")
    if m.nsfw_score >= event.settings.nsfw_threshold:
        notes.append(f"nsfw_score {m.nsfw_score:.2f}")
    if m.quality_score < gate.LOW_QUALITY:
        notes.append(f"low quality_score {m.quality_score:.2f}")
    return "pending", "; ".join(notes) or "awaiting review", near


def more_like_this(scope: Scope, album_id: UUID, item_id: UUID, limit: int = 12) -> MoreLikeThis:
    """The items of the event's albums and the gallery photos nearest an item the caller sees, by
    description embedding (an upload's own, a saved photo's from the pipeline)."""
    from eventlens.search.service import photos_near

    with scope.transaction() as tx:
        item = repo.get_item(tx, item_id)
        if item is None or item.album_id != album_id:
            raise AlbumItemNotFound(f"no item {item_id} in this album")
        origin = repo.item_vector(tx, item_id)
        items = [] if origin is None else repo.items_near(tx, origin.vector, origin.model, item_id, limit)
    if origin is None:
        return MoreLikeThis(items=[], photos=[])
    photos = photos_near(scope, origin.vector, origin.model, limit, exclude=item.photo_id)
    return MoreLikeThis(items=[item_with_url(scope, i) for i in items], photos=photos)


def faces_near(
    event: Event, vector: Any, model: str, min_similarity: float, limit: int
) -> list[repo.AlbumFaceHit]:
    """Upload faces near a selfie's embedding, for hide me and forget me (findme.control), read as
    the operator (face data is the operator's)."""
    with Scope.system(event).transaction() as tx:
        return repo.faces_near(tx, vector, model, min_similarity, limit)


def control_faces(tx: Tx, faces: list[repo.AlbumFaceHit], kind: str, request_id: UUID) -> int:
    """Hide me or forget me on upload faces, in findme.control's transaction (as the operator): the
    regions are recorded for the gate, the faces hidden or deleted. How many."""
    repo.record_face_opt_outs(tx, faces, kind, request_id)
    return repo.hide_faces(tx, faces) if kind == "hide" else repo.delete_faces(tx, faces)


def purge_face_embeddings(tx: Tx) -> int:
    """The event's face-data purge (findme.control, in its transaction as the operator) reaches
    album uploads' face embeddings too."""
    return repo.purge_face_embeddings(tx)


def review_queue(scope: Scope) -> ReviewQueue:
    with scope.transaction() as tx:
        return ReviewQueue(items=[item_with_url(scope, i) for i in repo.review_queue(tx)])


def decide_item(scope: Scope, item_id: UUID, status: str, reason: str) -> AlbumItem:
    with scope.transaction() as tx:
        if not repo.decide_item(tx, item_id, status, reason):
            raise AlbumItemNotFound(f"no item {item_id}")
        action = "album_item_approve" if status == "approved" else "album_item_reject"
        audit.record(tx, action, str(item_id), reason=reason)
        item = repo.get_item(tx, item_id)
        assert item is not None
        return item_with_url(scope, item)


def delete_item(scope: Scope, album_id: UUID, item_id: UUID) -> None:
    """Removes one reference; the bytes go only with the last reference to an uploaded object."""
    with scope.transaction() as tx:
        album = _album(tx, album_id)
        item = repo.get_item(tx, item_id)
        if item is None or item.album_id != album_id:
            raise AlbumItemNotFound(f"no item {item_id} in this album")
        me = _person(scope)
        mine = me is not None and me in (item.contributor_id, album.owner_id)
        if not (mine or can(scope.role, "album.moderate") or can(scope.role, "album.manage")):
            raise NotAllowed("Only the item's contributor, the album's owner or an editor removes it")
        if not repo.delete_item(tx, item_id):
            raise AlbumItemNotFound(f"no item {item_id} in this album")
        keys = repo.released_keys(tx)
    _delete_blobs([*keys, _cover_path(scope.tenant(), item_id)])


def servable_item(event_scope: Scope, item_id: UUID, any_state: bool = False) -> tuple[str, str] | None:
    """(key, content type) of an item a media capability names: a public one while the item is
    approved and unheld, a staff one (`any_state`) whatever its state."""
    with event_scope.transaction() as tx:
        found = repo.item_object(tx, item_id)
    if found is None or (not any_state and (found.status != "approved" or found.held)):
        return None
    return found.key, found.content_type


def _cover_path(event: Event, item_id: UUID) -> str:
    return validate_key(f"{event_prefix(event.slug)}album-covers/{item_id}.jpg")


def cover_key(event: Event, item_id: UUID, key: str) -> str:
    """The blob key of an item's cover crop (albums/cover.py), made on first request from the item's
    bytes (`key`) and face boxes, then kept: the crop of one item never changes."""
    from eventlens.albums import cover

    target = _cover_path(event, item_id)
    store = blob_store()
    if store.exists(target):
        return target
    with Scope.system(event).transaction() as tx:
        boxes = repo.face_boxes(tx, [item_id]).get(item_id, [])
    store.put(target, cover.render(store.get(key), [(b[0], b[1], b[2], b[3]) for b in boxes]))
    return target


# -- subject page ------------------------------------------------------------------------------------


def subject_page(scope: Scope, subject_id: UUID, readable_scopes: list[Scope]) -> SubjectPage:
    """The subject's albums and approved photos across the organization's events the caller reads."""
    from eventlens.subjects import service as subjects

    subject = subjects.get_subject(scope, subject_id)
    albums: list[Album] = []
    items: list[AlbumItem] = []
    for each in readable_scopes:
        with each.transaction() as tx:
            ids = repo.albums_of_subject(tx, subject_id)
            if not ids:
                continue
            found = repo.list_albums(tx, "score", 200, album_ids=ids)
            albums += _decorate(tx, found)
            items += [item_with_url(each, i) for i in repo.items(tx, [a.id for a in found], limit=200)]
    return SubjectPage(subject=subject, albums=albums, items=items)


# -- helpers -----------------------------------------------------------------------------------------


def _person(scope: Scope) -> UUID | None:
    subject = scope.subject or ""
    return UUID(subject[len("person:") :]) if subject.startswith("person:") else None


def _album(tx: Tx, album_id: UUID) -> Album:
    album = repo.get_album(tx, album_id)
    if album is None:
        raise AlbumNotFound(f"no album {album_id}")
    return album


def _not_banned(tx: Tx) -> None:
    if repo.acting_person_banned(tx):
        raise Banned("You are banned from contributing to, rating and tagging this organization's albums")


def require_owner_or_manager(scope: Scope, tx: Tx, album_id: UUID) -> Album:
    """The album, if the scope's person owns it or its role may manage albums (403 otherwise)."""
    album = _album(tx, album_id)
    _require_owner_or(scope, tx, album, "album.manage")
    return album


def _require_owner_or(scope: Scope, tx: Tx, album: Album, action: Any) -> None:
    if can(scope.role, action):
        return
    if album.owner_id is not None and album.owner_id == _person(scope):
        _not_banned(tx)
        return
    raise NotAllowed(f"Only the album's owner or a role with {action} may do this")


def _require_contributor(scope: Scope, tx: Tx, album: Album) -> None:
    """The album's contribution policy (album.contribute was checked for the route); the operator
    (the command line) passes, as the policies' album_writer lets it."""
    if scope.actor == "system":
        return
    _not_banned(tx)
    if can(scope.role, "album.manage"):
        return
    if album.owner_id is not None and album.owner_id == _person(scope):
        return
    if album.contribution_policy == "CLOSED":
        raise NotAllowed("This album is closed: only its owner and the event's editors add to it")
    if album.contribution_policy == "INVITE_ONLY" and not repo.is_contributor(tx, album.id):
        raise NotAllowed("This album takes contributions by invitation: ask its owner to add you")


def _decorate(tx: Tx, albums: list[Album]) -> list[Album]:
    """Subjects, linked events, the caller's own rating and the cover's URL of each album."""
    from eventlens.media.views import album_item_url

    if not albums:
        return albums
    ids = [a.id for a in albums]
    subjects, linked = repo.subjects_of(tx, ids), repo.linked_events_of(tx, ids)
    mine, firsts = repo.my_ratings(tx, ids), repo.first_items(tx, ids)
    decorated = []
    for a in albums:
        cover = a.cover_item_id or firsts.get(a.id)
        update = {
            "subjects": subjects.get(a.id, []),
            "linked_event_ids": linked.get(a.id, []),
            "my_rating": mine.get(a.id),
            "cover_url": None if cover is None else album_item_url(a.event_id, cover, True, cover=True),
        }
        decorated.append(a.model_copy(update=update))
    return decorated


def item_with_url(scope: Scope, item: AlbumItem) -> AlbumItem:
    """The item with its media URL (public while approved, else for those who read pending items)."""
    from eventlens.media.views import album_item_url

    return item.model_copy(
        update={"url": album_item_url(scope.tenant().id, item.id, item.status == "approved")}
    )


def _upload_prefix(slug: str, album_id: UUID) -> str:
    return f"{event_prefix(slug)}albums/{album_id}/"


def _upload_key(slug: str, album_id: UUID, filename: str, mime: str) -> str:
    stem = (
        re.sub(r"[^\w.\-]+", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")[:80] or "upload"
    )
    extension = mimetypes.guess_extension(mime) or ".jpg"
    if not stem.lower().endswith(extension):
        stem = stem.rsplit(".", 1)[0] + extension
    return validate_key(f"{_upload_prefix(slug, album_id)}{uuid.uuid4().hex[:12]}-{stem}")


UPLOAD_URL_S = 900


def _put_url(key: str, mime: str) -> str:
    """S3's presigned PUT; embedded, the local store's URL signed the same way (a capability: a
    guest has no token for the local server to check)."""
    from eventlens.storage.capability import sign_put
    from eventlens.storage.local import LocalBlobStore

    store = blob_store()
    url = store.url_for_put(key, mime, UPLOAD_URL_S)
    if isinstance(store, LocalBlobStore):
        expires = int(time.time()) + UPLOAD_URL_S
        url += f"?expires={expires}&signature={sign_put(settings().media_key, key, expires)}"
    return url


def _delete_blobs(keys: list[str]) -> None:
    store = blob_store()
    for key in keys:
        store.delete(key)
