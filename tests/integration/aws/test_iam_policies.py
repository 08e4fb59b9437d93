"""Every AWS call a pipeline phase and the ingest handler make is allowed by their own role.

moto does not enforce IAM for these calls, so the test records each call botocore sends (against
moto's S3) and checks it against the statements template.yaml gives that function's role.
"""

from __future__ import annotations

from eventlens.pipeline.graph import PHASES
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
