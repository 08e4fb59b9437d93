"""Keeping an event's photos in step with a live folder: a local folder or an S3 bucket/prefix
that stays the organizer's, followed where it is instead of copied in once.

A photo from a live folder is its content: its original is kept once under
`events/<slug>/live/<sha256>` (what the pipeline and the media URLs read), so a file renamed or
moved changes the photo's filename and folder and nothing else (faces, embeddings and description
stay; the description's "in folder" phrase follows); new bytes under a path are new content, so
that photo is recomputed from scratch under its new key (the row, and what hangs on its id, stay);
a file gone takes its photo out of the gallery, with its thumbnails and the kept original. Copies
of one content in several places are one photo, named after the first path.

A sync lists the folder and reads only files whose stamp (size, inode and mtime; an S3 ETag) is
new: an unchanged folder of 10,000 files is listed, not read (benchmarks/live_folder_sync.py).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from eventlens import db
from eventlens.errors import InvalidLiveSource, LiveSourceNotFound
from eventlens.resilience import WallClockGuard
from eventlens.scope import Scope
from eventlens.sources import repo as sources_repo
from eventlens.sources.live import repo
from eventlens.sources.live.folders import (
    Entry,
    FileGone,
    Folder,
    check_allowed,
    folder_of,
    normalize,
    open_folder,
)
from eventlens.sources.live.repo import LiveItem, LivePhoto, LiveSourceRow
from eventlens.sources.live.views import LiveSourceView, LiveSyncReport
from eventlens.sources.registry import content_hash, content_of, delete_thumbnails
from eventlens.sources.repo import Content, Location
from eventlens.storage import BlobStore
from eventlens.storage.keys import live_prefix

NOT_MEDIA = ""
"""The content hash a live item records for a file that is no photo or video (read once, then
known by its stamp like any other)."""

FolderFactory = Callable[[str], Folder]


def add_live_source(scope: Scope, location: str, opener: FolderFactory = open_folder) -> LiveSourceView:
    """Point the event at a folder path or `s3://bucket/prefix`; it is listed now, so a typo fails
    here rather than at the first sync."""
    location = normalize(location)
    check_allowed(location)
    opener(location).check()
    with scope.transaction() as tx:
        repo.put_source(tx, location)
        return _view(repo.get_source(tx))


def live_source(scope: Scope) -> LiveSourceView:
    with scope.transaction() as tx:
        return _view(repo.get_source(tx))


def _view(row: LiveSourceRow | None) -> LiveSourceView:
    if row is None:
        raise LiveSourceNotFound("this event has no live folder: add one with `eventlens sources add`")
    return LiveSourceView(location=row.location, synced_at=row.synced_at, error=row.error)


def sync_live(
    scope: Scope,
    store: BlobStore,
    guard: WallClockGuard | None = None,
    *,
    rehash: bool = False,
    opener: FolderFactory = open_folder,
) -> LiveSyncReport | None:
    """Bring the event's photos in step with its live folder; None when it has none.

    Within `guard`'s budget (none: until done): the listing is staged a page at a time with the
    next page's cursor, and new files are read until the budget is spent; a sync stopped there
    (`done` False) removes nothing, and the next call goes on from the staged pages and the files
    already read. `rehash` reads every file instead of trusting unchanged stamps (the benchmark's
    baseline)."""
    guard = guard or WallClockGuard(float("inf"))
    with scope.transaction() as tx:
        source = repo.get_source(tx)
    if source is None:
        return None
    with db.advisory_lock(f"eventlens-live:{scope.tenant().id}") as sole:
        if not sole:  # two syncs of one folder would store every new file twice
            return LiveSyncReport(busy=True)
        with scope.transaction() as tx:  # again, under the lock: a sync that just ended moved the listing on
            source = repo.get_source(tx)
        if source is None:
            return None
        report = LiveSyncReport()
        folder = opener(source.location)
        try:
            listing = _list(scope, folder, source, guard)
        except Exception as exc:  # any reason the folder cannot be listed changes nothing
            report.error = f"cannot list {source.location}: {exc}"
            with scope.transaction() as tx:
                repo.end_listing(tx)  # a continuation token may not outlive the error
                repo.set_error(tx, report.error)
            return report
        if listing is None:
            report.done = False
            return report
        _Sync(scope, store, folder, report, rehash, guard).run(listing)
        if report.done:
            with scope.transaction() as tx:
                repo.end_listing(tx)
                repo.mark_synced(tx)
        return report


def _list(
    scope: Scope, folder: Folder, source: LiveSourceRow, guard: WallClockGuard
) -> dict[str, Entry] | None:
    """The whole listing; None when the budget ran out before its last page. A listing of one page
    (any local folder) is used as it is; a longer one is staged page by page, so the next call goes
    on from the saved cursor."""
    cursor = source.listing_cursor
    if source.listing is None:
        entries, cursor = folder.list_page(None)
        if cursor is None:
            return {e.path: e for e in entries}
        with scope.transaction() as tx:
            repo.start_listing(tx)
            repo.stage_page(tx, [(e.path, e.size, e.stamp) for e in entries], cursor)
        if guard.expired():
            return None
    if source.listing != "listed":
        while cursor is not None:
            entries, cursor = folder.list_page(cursor)
            with scope.transaction() as tx:
                repo.stage_page(tx, [(e.path, e.size, e.stamp) for e in entries], cursor)
            if cursor is not None and guard.expired():
                return None
    with scope.transaction() as tx:
        return {path: Entry(path, size, stamp) for path, size, stamp in repo.staged(tx)}


@dataclass
class _Sync:
    scope: Scope
    store: BlobStore
    folder: Folder
    report: LiveSyncReport
    rehash: bool
    guard: WallClockGuard

    def run(self, listing: dict[str, Entry]) -> None:
        prefix = live_prefix(self.scope.tenant().slug)
        with self.scope.transaction() as tx:
            old = repo.items(tx)
            photos = repo.live_photos(tx, prefix)
            # Contents whose photo an organizer deleted: not taken again (new bytes are new content)
            self.deleted = {key.removeprefix(prefix) for key in sources_repo.deleted_versions(tx, prefix)}
        self.prefix, self.photos, self.read = prefix, photos, dict[str, Content]()
        new = self._identify(listing, old)
        if not self.report.done:
            # Stopped before every new file was read: files not listed yet count as still there,
            # so nothing is removed on a partial view (a move not yet read would lose its photo).
            new.update({path: item for path, item in old.items() if path not in new})
        self._count(old, new)
        self._apply(old, new)

    # -- which content is at each path ------------------------------------------------------------

    def _identify(self, listing: dict[str, Entry], old: dict[str, LiveItem]) -> dict[str, LiveItem]:
        """Each listed file's content hash: known by its stamp where it can be, else read."""
        vanished = {(i.stamp, i.size_bytes): i for path, i in old.items() if path not in listing}
        new: dict[str, LiveItem] = {}
        for path, entry in listing.items():
            known = old.get(path)
            if known is None or (known.stamp, known.size_bytes) != (entry.stamp, entry.size):
                known = vanished.get((entry.stamp, entry.size))  # renamed or moved: same inode or ETag
            if known is not None and not self.rehash:
                new[path] = LiveItem(path, entry.size, entry.stamp, known.content_hash)
                continue
            if self.report.read and self.guard.expired():
                self.report.done = False  # the rest next time: what was read is saved below
                if path in old:
                    new[path] = old[path]
                continue
            try:
                data = self.folder.read(path)
            except FileGone:
                continue  # gone since listed: next sync sees it gone
            except OSError as exc:
                self.report.errors.append(f"{path}: {exc}")
                if path in old:
                    new[path] = old[path]  # kept as it was, photo included
                continue
            self.report.read += 1
            content = content_of(data, "")
            digest = NOT_MEDIA if content.mime is None else content.content_hash
            if digest != NOT_MEDIA and digest not in self.photos and digest not in self.deleted:
                self.store.put(self.prefix + digest, data, content.mime)
                self.read[digest] = content
            new[path] = LiveItem(path, len(data), entry.stamp, digest)
        self.report.files = len(new)
        self.report.ignored = sorted(p for p, i in new.items() if i.content_hash == NOT_MEDIA)
        return new

    def _count(self, old: dict[str, LiveItem], new: dict[str, LiveItem]) -> None:
        gone_by_hash: dict[str, list[str]] = defaultdict(list)
        for path, item in old.items():
            if path not in new and item.content_hash != NOT_MEDIA:
                gone_by_hash[item.content_hash].append(path)
        r = self.report
        for path, item in new.items():
            if item.content_hash == NOT_MEDIA:
                continue
            before = old.get(path)
            if before is not None:
                if before.content_hash == item.content_hash:
                    r.unchanged += 1
                else:
                    r.modified += 1
            elif gone_by_hash.get(item.content_hash):
                was = gone_by_hash[item.content_hash].pop()
                if folder_of(was)[0] == folder_of(path)[0]:
                    r.renamed += 1
                else:
                    r.moved += 1
            else:
                r.added += 1
        r.removed = sum(len(paths) for paths in gone_by_hash.values())

    # -- the photos ----------------------------------------------------------------------------

    def _apply(self, old: dict[str, LiveItem], new: dict[str, LiveItem]) -> None:
        paths: dict[str, list[str]] = defaultdict(list)
        for path, item in sorted(new.items()):
            if item.content_hash != NOT_MEDIA:
                paths[item.content_hash].append(path)
        # New bytes under a path whose old content is gone everywhere: the same photo, recomputed.
        successor = {
            before.content_hash: new[path].content_hash
            for path, before in old.items()
            if path in new
            and before.content_hash != new[path].content_hash
            and before.content_hash in self.photos
            and before.content_hash not in paths
            and new[path].content_hash in paths
            and new[path].content_hash not in self.photos
            and new[path].content_hash not in self.deleted
        }
        stale: list[dict[str, str]] = []
        with self.scope.transaction() as tx:
            for was, now in successor.items():
                photo = self.photos.pop(was)
                content = self._content(now, paths[now][0])
                if content is None or not sources_repo.replace_content(tx, photo.id, content):
                    self.photos[was] = photo  # left for the removal below
                    continue
                folder, filename = folder_of(paths[now][0])
                repo.set_source_key(tx, photo.id, self.prefix + now, filename, folder)
                self.photos[now] = LivePhoto(photo.id, self.prefix + now, now, filename, folder, {})
                stale.append({"original": photo.source_key, **photo.thumbnails})
            for digest, at in paths.items():
                folder, filename = folder_of(at[0])
                known = self.photos.get(digest)
                if known is not None:
                    if (known.folder, known.filename) != (folder, filename):
                        repo.relocate(tx, known.id, filename, folder)
                    continue
                if digest in self.deleted:
                    continue
                content = self._content(digest, at[0])
                at_key = Location(self.prefix + digest, filename, folder)
                if content is not None and sources_repo.insert_photo(tx, at_key, content) is None:
                    stale.append({"original": at_key.source_key})  # the bytes are a photo from elsewhere
            gone = [p for digest, p in self.photos.items() if digest not in paths]
            sources_repo.delete_photos(tx, [p.id for p in gone])
            stale.extend({"original": p.source_key, **p.thumbnails} for p in gone)
            repo.save_items(
                tx, [i for p, i in new.items() if old.get(p) != i], [p for p in old if p not in new]
            )
        for keys in stale:
            delete_thumbnails(self.store, keys)

    def _content(self, digest: str, path: str) -> Content | None:
        """What is known of new content (read this sync, or read again where it was not)."""
        if digest in self.read:
            return self.read[digest]
        try:
            data = self.folder.read(path)
        except (FileGone, OSError):
            return None
        if content_hash(data) != digest:
            return None  # changed again since listed: the next sync sees it
        content = content_of(data, "")
        self.store.put(self.prefix + digest, data, content.mime)
        self.read[digest] = content
        return content


def watch(
    scope: Scope,
    store: BlobStore,
    interval_s: float,
    on_round: Callable[[LiveSyncReport], None],
    rounds: int = 0,
) -> None:
    """Sync every `interval_s` seconds (polling: it works the same for a local folder, a network
    share and S3), handing each round's report to `on_round`; `rounds` 0 runs until interrupted."""
    done = 0
    while rounds == 0 or done < rounds:
        started = time.monotonic()
        report = sync_live(scope, store)
        if report is None:
            raise LiveSourceNotFound("this event has no live folder: add one with `eventlens sources add`")
        on_round(report)
        done += 1
        if rounds == 0 or done < rounds:
            time.sleep(max(0.0, interval_s - (time.monotonic() - started)))


__all__ = ["InvalidLiveSource", "add_live_source", "live_source", "sync_live", "watch"]
