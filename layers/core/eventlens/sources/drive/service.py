"""Keeping an event's photos in step with a Google Drive folder and its subfolders.

The Drive file id is a photo's identity: its original is fetched once into the blob store under
`events/<slug>/drive/<file id>` (the pipeline's phases and the media URLs read it there, and
thumbnails are our own renditions of it, never Drive's links), so a rename or a move in Drive
changes only the photo's filename and folder, and its faces and embeddings stay; a new
md5Checksum fetches the bytes again and everything is recomputed; a file deleted, trashed or moved
out of the folder takes its photo with it.

The first sync lists the whole tree (each folder on its own, every page); it records the Changes
API's start token first, so every later sync asks Drive only what changed since. The tree as last
seen is kept (drive_items): a change to a folder (renamed, moved in or out) says which photos it
touches, and a folder moved in is listed, since Drive reports the folder but not what it holds.

Drive refusing access (revoked credentials, a folder no longer shared) is recorded on the source
and changes nothing; a file gone before it is fetched (404) is skipped and reported; a file Drive
keeps failing to send is an error of that file alone.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventlens import db
from eventlens.config import settings
from eventlens.errors import DriveSourceNotFound, InvalidDriveSource
from eventlens.media.formats import UNDECODABLE_TYPES
from eventlens.resilience import Deadline, OutOfTime, WallClockGuard
from eventlens.scope import Scope
from eventlens.sources import repo as sources_repo
from eventlens.sources.drive import repo
from eventlens.sources.drive.client import (
    DriveAccessDenied,
    DriveClient,
    DriveFile,
    DriveFileGone,
    DriveUnavailable,
)
from eventlens.sources.drive.repo import DriveItem, DrivePhoto, DriveSourceRow
from eventlens.sources.drive.views import DriveSourceView, DriveSyncReport
from eventlens.sources.registry import content_of, delete_thumbnails, register_content
from eventlens.sources.repo import Location
from eventlens.storage import BlobStore
from eventlens.storage.keys import drive_prefix

_FOLDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")

ClientFactory = Callable[[DriveSourceRow, Deadline | None], DriveClient]


def add_drive_source(scope: Scope, folder_id: str, credentials: str) -> DriveSourceView:
    """Point the event at a Drive folder. `credentials`: a path to a service-account (or OAuth
    authorized-user) JSON, or the ARN of a Secrets Manager secret holding one; it is read now, so
    a typo fails here rather than at the first sync."""
    if not _FOLDER_ID.match(folder_id):
        raise InvalidDriveSource(f"{folder_id!r} is not a Drive folder id (letters, digits, '-' and '_')")
    if not credentials.startswith("arn:"):
        credentials = str(Path(credentials).expanduser().resolve())
    try:
        _credentials_info(credentials)
    except DriveAccessDenied as exc:
        raise InvalidDriveSource(str(exc)) from None
    with scope.transaction() as tx:
        repo.put_source(tx, folder_id, credentials)
        return _view(repo.get_source(tx))


def drive_source(scope: Scope) -> DriveSourceView:
    with scope.transaction() as tx:
        return _view(repo.get_source(tx))


def _view(row: DriveSourceRow | None) -> DriveSourceView:
    if row is None:
        raise DriveSourceNotFound("this event has no Google Drive source")
    return DriveSourceView(
        folder_id=row.folder_id,
        credentials=row.credentials,
        synced_at=row.synced_at,
        error=row.error,
        incremental=row.page_token is not None,
    )


def _credentials_info(ref: str) -> dict[str, Any]:
    """The credentials JSON a source names: a file (embedded) or a Secrets Manager secret (AWS)."""
    try:
        if ref.startswith("arn:"):
            import boto3

            text = boto3.client("secretsmanager").get_secret_value(SecretId=ref)["SecretString"]
        else:
            text = Path(ref).read_text()
        info = json.loads(text)
    except Exception as exc:  # any reason the JSON cannot be had is the same answer to the organizer
        raise DriveAccessDenied(f"cannot read the Drive credentials at {ref}: {exc}") from exc
    if not isinstance(info, dict):
        raise DriveAccessDenied(f"the Drive credentials at {ref} are not a JSON object")
    return info


def _default_client(source: DriveSourceRow, deadline: Deadline | None) -> DriveClient:
    return DriveClient(
        _credentials_info(source.credentials), api_endpoint=settings().drive_api_endpoint, deadline=deadline
    )


def sync_drive(
    scope: Scope,
    store: BlobStore,
    guard: WallClockGuard | None = None,
    *,
    on_item: Callable[[], None] | None = None,
    client_factory: ClientFactory = _default_client,
) -> DriveSyncReport | None:
    """Bring the event's photos in step with its Drive folder; None when it has no Drive source.

    Stops between files once `guard` expires (`done` False: the next call goes on where it left)."""
    with scope.transaction() as tx:
        source = repo.get_source(tx)
    if source is None:
        return None
    with db.advisory_lock(f"eventlens-drive:{scope.tenant().id}") as sole:
        if not sole:  # two syncs of one folder would fetch every new file twice
            return DriveSyncReport(busy=True)
        return _sync(scope, store, source, guard or WallClockGuard(float("inf")), on_item, client_factory)


def _sync(
    scope: Scope,
    store: BlobStore,
    source: DriveSourceRow,
    guard: WallClockGuard,
    on_item: Callable[[], None] | None,
    client_factory: ClientFactory,
) -> DriveSyncReport:
    report = DriveSyncReport()
    try:
        client = client_factory(source, guard)
        root = client.file(source.folder_id)
        if not root.is_folder or root.trashed:
            raise DriveAccessDenied(f"{source.folder_id} is not a folder in Drive (or it is in the trash)")
        _follow_tree(scope, client, source)
        with scope.transaction() as tx:
            tree = _reachable(source.folder_id, repo.items(tx))
        _reconcile(scope, store, client, source.folder_id, tree, guard, report, on_item)
    except DriveAccessDenied as exc:
        report.error = f"Google Drive refused access: {exc}"
    except DriveUnavailable as exc:
        report.error = f"Google Drive is unavailable: {exc}"
    except OutOfTime:
        report.done = False
    with scope.transaction() as tx:
        if report.error is not None:
            repo.set_error(tx, report.error)
        elif report.done:
            repo.mark_synced(tx)
    return report


# -- the folder tree ------------------------------------------------------------------------------


def _item(file: DriveFile, parent_id: str) -> DriveItem:
    return DriveItem(
        file_id=file.id,
        parent_id=parent_id,
        name=file.name,
        is_folder=file.is_folder,
        mime_type=file.mime_type,
        md5=file.md5,
        size_bytes=file.size,
    )


def _list_tree(client: DriveClient, folder_id: str) -> dict[str, DriveItem]:
    """Everything under `folder_id`: each folder listed on its own, every page of it."""
    found: dict[str, DriveItem] = {}
    queue, seen = [folder_id], {folder_id}
    while queue:
        parent = queue.pop()
        for file in client.children(parent):
            found[file.id] = _item(file, parent)
            if file.is_folder and file.id not in seen:
                seen.add(file.id)
                queue.append(file.id)
    return found


def _reachable(root: str, items: dict[str, DriveItem]) -> dict[str, DriveItem]:
    """The items under `root` (a file whose folder left the tree left with it)."""
    children: dict[str, list[DriveItem]] = defaultdict(list)
    for item in items.values():
        children[item.parent_id].append(item)
    found: dict[str, DriveItem] = {}
    queue = [root]
    while queue:
        for item in children.get(queue.pop(), ()):
            if item.file_id not in found:
                found[item.file_id] = item
                if item.is_folder:
                    queue.append(item.file_id)
    return found


def _follow_tree(scope: Scope, client: DriveClient, source: DriveSourceRow) -> None:
    """Bring drive_items up to date: a full listing the first time, the Changes API after."""
    root = source.folder_id
    with scope.transaction() as tx:
        old = repo.items(tx)
    if source.page_token is None:
        token = client.start_page_token()  # before listing: a change made meanwhile is seen next time
        new = _list_tree(client, root)
    else:
        changes, token = client.changes(source.page_token)
        if not changes and token == source.page_token:
            return
        before = set(_reachable(root, old))
        items = dict(old)
        for change in changes:
            file = change.file
            if change.removed or file is None or file.trashed:
                items.pop(change.file_id, None)
                continue
            parent = next(
                (p for p in file.parents if p == root or p in items), file.parents[0] if file.parents else ""
            )
            items[file.id] = _item(file, parent)
        now = _reachable(root, items)
        for folder in [i.file_id for i in now.values() if i.is_folder and i.file_id not in before]:
            items.update(_list_tree(client, folder))  # moved in: Drive reported it, not what it holds
        new = _reachable(root, items)
    with scope.transaction() as tx:
        repo.save_tree(
            tx,
            [item for key, item in new.items() if old.get(key) != item],
            [key for key in old if key not in new],
            token,
        )


def _folder_of(item: DriveItem, tree: dict[str, DriveItem]) -> str:
    parts: list[str] = []
    parent = tree.get(item.parent_id)
    while parent is not None and len(parts) < 64:
        parts.append(parent.name.replace("/", "_"))
        parent = tree.get(parent.parent_id)
    return "/".join(reversed(parts))


def _is_media(item: DriveItem) -> bool:
    return not item.is_folder and item.mime_type.startswith(("image/", "video/"))


# -- photos ---------------------------------------------------------------------------------------


def _reconcile(
    scope: Scope,
    store: BlobStore,
    client: DriveClient,
    root: str,
    tree: dict[str, DriveItem],
    guard: WallClockGuard,
    report: DriveSyncReport,
    on_item: Callable[[], None] | None,
) -> None:
    prefix = drive_prefix(scope.tenant().slug)
    wanted: dict[str, tuple[DriveItem, Location]] = {}
    for item in tree.values():
        if _is_media(item):
            key = prefix + item.file_id
            wanted[key] = (item, Location(source_key=key, filename=item.name, folder=_folder_of(item, tree)))
    report.files = len(wanted)

    def locate(key: str) -> Location:
        return wanted[key][1] if key in wanted else Location(key, key[len(prefix) :], "")

    def done_one() -> None:
        if on_item is not None:
            on_item()

    _remove_gone(scope, store, prefix, wanted, report, done_one)
    with scope.transaction() as tx:
        known = {p.source_key: p for p in repo.drive_photos(tx, prefix)}
        deleted = sources_repo.deleted_versions(tx, prefix)
    fetched = 0
    for key, (item, at) in sorted(wanted.items(), key=lambda kv: (kv[1][1].folder, kv[1][1].filename, kv[0])):
        version = item.md5 or ""
        current = known.get(key)
        if current is None and deleted.get(key) == version:
            report.unchanged += 1  # an organizer deleted its photo, and the file has not changed since
            continue
        if current is not None and current.etag == version:
            if not current.alias_of and (current.filename, current.folder) != (at.filename, at.folder):
                with scope.transaction() as tx:
                    sources_repo.move(tx, current.photo_id, key, at, version)
                report.moved += 1
                done_one()
            else:
                report.unchanged += 1
            continue
        if fetched and guard.expired():
            report.done = False
            return
        fetched += 1
        name = f"{at.folder}/{at.filename}".lstrip("/")
        try:
            data = client.download(item.file_id)
        except DriveFileGone as exc:
            report.skipped.append(f"{name}: gone from Drive before it was fetched ({exc})")
            continue
        except DriveUnavailable as exc:
            report.errors.append(f"{name}: {exc}")
            continue
        content = content_of(data, version)
        if content.mime is None or content.mime in UNDECODABLE_TYPES:
            why = UNDECODABLE_TYPES.get(content.mime or "", "not a photo or video we read")
            report.ignored.append(f"{name}: {why}")
            continue
        store.put(key, data, content.mime)
        status = register_content(scope, store, at, content, locate).status
        if status == "added":
            report.added += 1
        elif status == "updated":
            report.updated += 1
        else:  # the same bytes as another photo (an alias), or registered meanwhile
            report.unchanged += 1
        done_one()


def _remove_gone(
    scope: Scope,
    store: BlobStore,
    prefix: str,
    wanted: dict[str, tuple[DriveItem, Location]],
    report: DriveSyncReport,
    done_one: Callable[[], None],
) -> None:
    """Photos and aliases whose Drive file left the folder. A photo with an alias still in the folder
    (the same bytes in another file) moves there and keeps its AI data; the others go, with their
    faces and thumbnails, and so do the originals we kept of them."""
    with scope.transaction() as tx:
        known = repo.drive_photos(tx, prefix)
    gone_aliases = [p.source_key for p in known if p.alias_of and p.source_key not in wanted]
    if gone_aliases:
        with scope.transaction() as tx:
            sources_repo.delete_aliases(tx, gone_aliases)
        for key in gone_aliases:
            store.delete(key)
        report.removed += len(gone_aliases)
    holders: dict[Any, list[DrivePhoto]] = defaultdict(list)
    for p in known:
        if p.alias_of and p.source_key in wanted:
            holders[p.photo_id].append(p)
    for photo in (p for p in known if not p.alias_of and p.source_key not in wanted):
        survivors = sorted(holders.get(photo.photo_id, ()), key=lambda a: a.source_key)
        with scope.transaction() as tx:
            if survivors:
                alias = survivors[0]
                sources_repo.move(
                    tx, photo.photo_id, photo.source_key, wanted[alias.source_key][1], alias.etag or ""
                )
                report.moved += 1
                deleted = []
            else:
                row = sources_repo.find_by_key(tx, photo.source_key)
                deleted = sources_repo.delete_vanished(tx, [row]) if row is not None else []
                report.removed += len(deleted)
        for row in deleted:
            delete_thumbnails(store, row.thumbnails or {})
        store.delete(photo.source_key)
        done_one()
