"""Every AWS call a pipeline phase, the ingest handler and the archive function make is allowed by
their own role.

moto does not enforce IAM for these calls, so the test records each call botocore sends (against
moto's S3) and checks it against the statements template.yaml gives that function's role.
"""

from __future__ import annotations

import pytest
from eventlens.pipeline.graph import PHASES
from eventlens.scope import Scope
from eventlens.storage import blob_store

from tests.fixtures_photos import real_jpeg
from tests.infra.iam import Names, statements
from tests.integration.aws.conftest import BUCKET, REGION, Calls


def refused(function: str, calls: list[tuple[str, str, str | None]]) -> list[tuple[str, str, str | None]]:
    allowed = statements(function, Names(BUCKET, REGION))
    return [call for call in calls if not any(s.allows(*call) for s in allowed)]


def test_each_phase_calls_only_what_its_own_role_allows(s3: Calls, make_event) -> None:
    from eventlens.pipeline.runner import run_phase

    event = make_event("iam")
    store = blob_store()
    for name in ("astronaut", "coffee", "chelsea"):
        store.put(f"events/iam/originals/Day 1/{name}.jpg", real_jpeg(name, (320, 240)), "image/jpeg")
    seen: dict[str, list[tuple[str, str, str | None]]] = {}
    for phase in PHASES:
        s3.seen.clear()
        assert run_phase(event, phase, 120_000)["done"], phase
        seen[phase] = list(s3.seen)
    store.delete("events/iam/originals/Day 1/coffee.jpg")  # sync then forgets it and its thumbnails
    s3.seen.clear()
    run_phase(event, "sync", 60_000)
    seen["sync"] += s3.seen

    assert {c[0] for c in seen["scan"]} >= {"s3:ListBucket"}
    assert {c[0] for c in seen["analyze"]} >= {"s3:GetObject", "s3:PutObject"}
    assert {c[0] for c in seen["sync"]} >= {"s3:ListBucket", "s3:DeleteObject"}
    problems = {phase: refused(f"{phase.capitalize()}Function", calls) for phase, calls in seen.items()}
    assert {phase: p for phase, p in problems.items() if p} == {}


def test_ingest_calls_only_what_its_role_allows(s3: Calls, make_event) -> None:
    from eventlens.sources.service import ingest_object

    make_event("iam")
    store = blob_store()
    info = store.put("events/iam/originals/uploads/a.jpg", real_jpeg("coffee", (64, 48)), "image/jpeg")
    s3.seen.clear()
    assert ingest_object(BUCKET, info.key, info.etag, info.size).status == "added"
    assert s3.seen
    assert refused("IngestFunction", s3.seen) == []


def test_the_archive_function_calls_only_what_its_role_allows(
    s3: Calls, make_event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads originals, writes an archive in parts, aborts one that fails, deletes expired ones."""
    import os

    from eventlens.config import reset_settings
    from eventlens.media import archives

    from tests.helpers import scoped, stored_original

    monkeypatch.setenv("EVENTLENS_ARCHIVE_PART_BYTES", str(5 * 1024 * 1024))
    reset_settings()
    monkeypatch.setattr(archives, "start_builder", lambda event, archive_id: None)
    event = make_event("iam")
    big = stored_original(event.id, "big.jpg", os.urandom(6 * 1024 * 1024))
    small = stored_original(event.id, "small.jpg", b"small")
    visitor = Scope.visitor(event)
    expired = archives.create_archive(visitor, [small.id]).archive_id
    assert archives.build_archive(event.id, expired) == "ready"
    with scoped(event.id) as tx:
        tx.execute("UPDATE archives SET expires_at = now() - interval '1 second' WHERE id = %s", (expired,))
    built = archives.create_archive(visitor, [big.id, small.id]).archive_id
    broken = archives.create_archive(visitor, [big.id, small.id]).archive_id
    s3.seen.clear()

    assert archives.build_archive(event.id, built) == "ready"  # deletes the expired one first
    seen = list(s3.seen)
    blob_store().delete(small.source_key)
    s3.seen.clear()
    assert archives.build_archive(event.id, broken) == "failed"  # after its first part: aborted
    seen += s3.seen

    assert {c[0] for c in seen} == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
    }
    assert refused("ArchiveFunction", seen) == []


def test_the_find_me_marker_calls_are_allowed_to_the_match_and_purge_roles(s3: Calls, make_event) -> None:
    """The match function writes the kept-template marker; the scheduled purge lists and deletes
    markers (and, with none, makes no other call): each call is in its own role."""
    from datetime import UTC, datetime, timedelta

    from eventlens.findme.service import mark_template_kept, purge_if_kept

    make_event("iam")
    s3.seen.clear()
    assert purge_if_kept() is None
    idle = list(s3.seen)
    assert {c[0] for c in idle} == {"s3:ListBucket"}
    s3.seen.clear()
    mark_template_kept()
    marked = list(s3.seen)
    s3.seen.clear()
    assert purge_if_kept(now=datetime.now(UTC) + timedelta(hours=1)) == 0
    purged = list(s3.seen)
    assert {c[0] for c in marked} == {"s3:PutObject"}
    assert {c[0] for c in purged} == {"s3:ListBucket", "s3:DeleteObject"}
    assert refused("MatchFunction", marked) == []
    assert refused("FindMePurgeFunction", idle + purged) == []


def test_scan_lists_once_and_its_workers_read_the_manifest_within_their_role(s3: Calls, make_event) -> None:
    """Given new originals in S3, the listing step lists the prefix and writes the manifest; then
    each of two workers registers its share from the manifest without listing: every object once,
    every call in ScanFunction's role."""
    from eventlens.pipeline.runner import list_for_scan, run_phase

    event = make_event("iam")
    store = blob_store()
    names = ("astronaut", "coffee", "chelsea")
    for name in names:
        store.put(f"events/iam/originals/{name}.jpg", real_jpeg(name, (96, 64)), "image/jpeg")
    s3.seen.clear()
    assert list_for_scan(event) == len(names)
    listing = list(s3.seen)
    s3.seen.clear()
    processed = [run_phase(event, "scan", 60_000, shard=(w, 2))["processed"] for w in (1, 2)]
    workers = list(s3.seen)
    assert sum(processed) == len(names)
    assert {c[0] for c in listing} == {"s3:ListBucket", "s3:PutObject"}
    assert "s3:ListBucket" not in {c[0] for c in workers}
    assert refused("ScanFunction", listing + workers) == []
    with Scope.pipeline(event).transaction() as tx:
        assert tx.execute("SELECT count(*) AS n FROM photos").fetchone() == {"n": len(names)}
