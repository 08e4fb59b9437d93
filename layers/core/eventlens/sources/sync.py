"""sync and scan: make the database agree with the objects under the event's originals prefix.

sync reconciles what changed: an object gone is removed with its faces and thumbnails; one that
reappears under another key with the same content hash (renamed or moved) keeps every derived
field — only its key, name and folder change; one replaced in place is re-registered. scan then
registers every object the database does not know yet as a pending photo.
"""

from __future__ import annotations

from collections import defaultdict

from eventlens.pipeline.context import PhaseContext
from eventlens.sources import repo
from eventlens.sources.registry import content_hash, delete_thumbnails, is_media_key, location, register
from eventlens.sources.repo import SourceRow
from eventlens.storage.base import BlobInfo


def _listing(ctx: PhaseContext) -> dict[str, BlobInfo]:
    prefix = ctx.originals_prefix
    return {info.key: info for info in ctx.store.list(prefix) if is_media_key(info.key, prefix)}


def run_sync(ctx: PhaseContext) -> tuple[int, int, bool]:
    prefix = ctx.originals_prefix
    listing = _listing(ctx)
    with ctx.scope.transaction() as tx:
        rows = repo.source_rows(tx)
    by_key = {row.source_key: row for row in rows}
    vanished = {row.id: row for row in rows if row.source_key not in listing}
    processed = 0

    # Renamed or moved: same content under a key the database does not know, or a key registered
    # afresh (an upload event) whose row has not been analyzed yet.
    by_hash: dict[str, list[SourceRow]] = defaultdict(list)
    for row in vanished.values():
        by_hash[row.content_hash].append(row)
    sizes = {row.size_bytes for row in vanished.values()}
    for key, info in listing.items():
        if not by_hash:
            break
        fresh = by_key.get(key)
        if fresh is None:
            if info.size not in sizes:
                continue
            if processed and ctx.guard.expired():
                return processed, 0, False  # deleting now could lose a rename not yet seen
            digest = content_hash(ctx.store.get(key))
        elif fresh.analyze_status == "pending" and fresh.content_hash in by_hash:
            digest = fresh.content_hash
        else:
            continue
        if not by_hash.get(digest):
            continue
        old = by_hash[digest].pop()
        if not by_hash[digest]:
            del by_hash[digest]
        del vanished[old.id]
        with ctx.scope.transaction() as tx:
            if fresh is not None:
                repo.delete_photos(tx, [fresh.id])
            repo.move(tx, old.id, location(key, prefix), info.etag.strip('"'))
        processed += 1
        ctx.item_done()

    if vanished:
        with ctx.scope.transaction() as tx:
            repo.delete_photos(tx, list(vanished))
        for row in vanished.values():
            delete_thumbnails(ctx.store, row.thumbnails or {})
        processed += len(vanished)

    for key, info in listing.items():  # replaced in place: same key, new content
        known = by_key.get(key)
        replaced = known is not None and known.id not in vanished and known.etag != info.etag.strip('"')
        if replaced and register(ctx.scope, ctx.store, key, info.etag).status == "updated":
            processed += 1
    return processed, 0, True


def pending_scan(ctx: PhaseContext) -> list[BlobInfo]:
    listing = _listing(ctx)
    with ctx.scope.transaction() as tx:
        known = {row.source_key for row in repo.source_rows(tx)}
    return [info for key, info in listing.items() if key not in known]


def run_scan(ctx: PhaseContext) -> tuple[int, int, bool]:
    todo = pending_scan(ctx)
    processed = 0
    for info in todo:
        if processed and ctx.guard.expired():
            return processed, 0, False
        register(ctx.scope, ctx.store, info.key, info.etag)
        processed += 1
        ctx.item_done()
    return processed, 0, True
