"""sync and scan: make the database agree with the objects under the event's originals prefix.

sync reconciles what changed: an object gone is removed with its faces and thumbnails, unless
another object holds the same bytes: a photo whose own object went away moves to one of its
aliases, and one that reappears under a new key (renamed or moved) moves there, in both cases
keeping every derived field (only its key, name and folder change). An alias gone is dropped;
an object replaced in place, photo or alias, is registered again. scan then registers every
object the database knows neither as a photo nor as an alias: a pending photo, or an alias of
the photo with its bytes.

An event with a Google Drive folder has it synced first (sources.drive.service): its photos live
under their own prefix, keyed by Drive file id, so this listing leaves them alone; so does a live
folder's (sources.live.service), synced last. Both stop within the phase's budget and go on at the
next invocation (`done` False: the state machine calls sync again).
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from uuid import UUID

from eventlens.pipeline.context import PhaseContext
from eventlens.sources import repo
from eventlens.sources.drive.service import sync_drive
from eventlens.sources.live.service import sync_live
from eventlens.sources.registry import content_hash, delete_thumbnails, is_media_key, location, register
from eventlens.sources.repo import AliasRow, SourceRow
from eventlens.storage.base import BlobInfo, BlobNotFound
from eventlens.storage.keys import scan_manifest_key


def _listing(ctx: PhaseContext) -> dict[str, BlobInfo]:
    prefix = ctx.originals_prefix
    return {info.key: info for info in ctx.store.list(prefix) if is_media_key(info.key, prefix)}


def _etag(info: BlobInfo) -> str:
    return info.etag.strip('"')


def run_sync(ctx: PhaseContext) -> tuple[int, int, bool]:
    drive = sync_drive(ctx.scope, ctx.store, ctx.guard, on_item=ctx.item_done)  # None: no Drive source
    if drive is not None and not drive.done:
        return drive.processed, len(drive.errors), False
    processed, errors, done = _sync_originals(ctx)
    if drive is not None:
        processed += drive.processed
        errors += len(drive.errors) + (drive.error is not None)
    live = sync_live(ctx.scope, ctx.store, ctx.guard)  # None: no live folder
    if live is not None:
        processed += live.changed
        errors += len(live.errors) + (live.error is not None)
        done = done and live.done  # a listing or reading that spans invocations goes on next time
    return processed, errors, done


def _sync_originals(ctx: PhaseContext) -> tuple[int, int, bool]:
    prefix = ctx.originals_prefix
    # Rows before objects: a row registered meanwhile had its object written first, so it is
    # listed, never mistaken for one whose object is gone. Photos from elsewhere (a Drive source's
    # keys) are not this listing's to reconcile.
    with ctx.scope.transaction() as tx:
        rows = [row for row in repo.source_rows(tx) if row.source_key.startswith(prefix)]
        aliases = [alias for alias in repo.aliases(tx) if alias.source_key.startswith(prefix)]
    listing = _listing(ctx)
    by_key = {row.source_key: row for row in rows}
    vanished = {row.id: row for row in rows if row.source_key not in listing}
    processed = 0

    # Aliases: one gone, or that is a photo's own key by now, is dropped; one listed with another
    # ETag is registered again (the same bytes keep it, other bytes make it a photo or another's
    # alias). The rest hold their photo's bytes.
    holding: dict[UUID, list[AliasRow]] = defaultdict(list)
    dropped, changed = [], []
    for alias in aliases:
        info = listing.get(alias.source_key)
        if info is None or alias.source_key in by_key:
            dropped.append(alias.source_key)
        elif _etag(info) != alias.etag:
            changed.append(info)
        else:
            holding[alias.photo_id].append(alias)
    if dropped:
        with ctx.scope.transaction() as tx:
            processed += repo.delete_aliases(tx, dropped)
    for info in changed:
        registered = register(ctx.scope, ctx.store, info.key, info.etag)
        if registered.status == "unchanged" and registered.photo_id is not None:
            holding[registered.photo_id].append(AliasRow(info.key, registered.photo_id, _etag(info)))
        else:
            processed += 1

    # A photo whose object is gone moves to an alias: the same bytes under another key.
    for row in list(vanished.values()):
        if not holding.get(row.id):
            continue
        alias = min(holding[row.id], key=lambda a: a.source_key)
        with ctx.scope.transaction() as tx:
            repo.move(tx, row.id, row.source_key, location(alias.source_key, prefix), alias.etag or "")
        del vanished[row.id]
        processed += 1
        ctx.item_done()

    # Renamed or moved: the same content under a key the database does not know.
    known = set(by_key) | {alias.source_key for alias in aliases}  # photos, and aliases registered or dropped
    by_hash: dict[str, SourceRow] = {row.content_hash: row for row in vanished.values()}
    sizes = {row.size_bytes for row in vanished.values()}
    for key, info in listing.items():
        if not by_hash:
            break
        if key in known or info.size not in sizes:
            continue
        if processed and ctx.guard.expired():
            return processed, 0, False  # deleting now could lose a rename not yet seen
        old = by_hash.pop(content_hash(ctx.store.get(key)), None)
        if old is None:
            continue
        with ctx.scope.transaction() as tx:
            repo.move(tx, old.id, old.source_key, location(key, prefix), _etag(info))
        del vanished[old.id]
        processed += 1
        ctx.item_done()

    if vanished:
        with ctx.scope.transaction() as tx:
            deleted = repo.delete_vanished(tx, list(vanished.values()))
        for row in deleted:
            delete_thumbnails(ctx.store, row.thumbnails or {})
        processed += len(deleted)

    for key, info in listing.items():  # replaced in place: same key, new content
        same = by_key.get(key)
        replaced = same is not None and same.etag != _etag(info)
        if replaced and register(ctx.scope, ctx.store, key, info.etag).status != "unchanged":
            processed += 1
    return processed, 0, True


def pending_scan(ctx: PhaseContext) -> list[BlobInfo]:
    with ctx.scope.transaction() as tx:
        known = {row.source_key for row in repo.source_rows(tx)} | {a.source_key for a in repo.aliases(tx)}
    listing = _listing(ctx)
    return [info for key, info in listing.items() if key not in known]


def in_shard(key: str, shard: tuple[int, int] | None) -> bool:
    """Whether worker `shard[0]` of `shard[1]` registers `key`: a stable hash splits the keys, so
    every object is fetched and hashed by exactly one scan worker."""
    if shard is None:
        return True
    worker, workers = shard
    return zlib.crc32(key.encode()) % max(1, workers) == (worker - 1) % max(1, workers)


def list_for_scan(ctx: PhaseContext) -> int:
    """List the originals once for every scan worker: the objects the database does not know yet,
    written to the event's scan manifest (one object: 10,000 keys are ~1 MB, past what a state
    machine's state may carry); how many. The state machine runs this once before its scan Map."""
    todo = pending_scan(ctx)
    entries = [{"key": i.key, "etag": i.etag, "size": i.size} for i in todo]
    ctx.store.put(scan_manifest_key(ctx.event.slug), json.dumps(entries).encode(), "application/json")
    return len(todo)


def _from_manifest(ctx: PhaseContext) -> list[BlobInfo] | None:
    """The manifest's objects the database still does not know, or None where there is none."""
    try:
        raw = ctx.store.get(scan_manifest_key(ctx.event.slug))
    except (BlobNotFound, FileNotFoundError):
        return None
    with ctx.scope.transaction() as tx:
        known = {row.source_key for row in repo.source_rows(tx)} | {a.source_key for a in repo.aliases(tx)}
    listed = [BlobInfo(key=e["key"], etag=e["etag"], size=e["size"]) for e in json.loads(raw)]
    return [info for info in listed if info.key not in known]


def scan_todo(ctx: PhaseContext) -> list[BlobInfo]:
    """The new objects scan still has to register: a Map worker (`ctx.shard`) reads them from the
    manifest listed once for the run (all workers' keys); a lone scan lists the prefix itself."""
    listed = _from_manifest(ctx) if ctx.shard is not None else None
    return listed if listed is not None else pending_scan(ctx)


def run_scan(ctx: PhaseContext) -> tuple[int, int, bool]:
    """Register this worker's share of the new objects (`in_shard`)."""
    todo = [info for info in scan_todo(ctx) if in_shard(info.key, ctx.shard)]
    processed = 0
    for info in todo:
        if processed and ctx.guard.expired():
            return processed, 0, False
        register(ctx.scope, ctx.store, info.key, info.etag)
        processed += 1
        ctx.item_done()
    return processed, 0, True
