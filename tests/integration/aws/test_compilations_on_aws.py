"""On AWS a highlight reel is built by the transcode function in the ML image (PyAV), which the admin
function invokes asynchronously: the reel is claimed once, and one that could not be encoded
within the invocation fails at once with a message naming the command line job."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from eventlens.compilations import service as compilations
from eventlens.config import reset_settings
from eventlens.devserver import LambdaContext
from eventlens.pipeline.runner import run_pipeline
from eventlens.scope import Scope
from eventlens.storage import blob_store

from tests.helpers import scoped
from tests.infra.iam import Names, lambda_call, statements
from tests.integration.api.conftest import Api
from tests.integration.aws.conftest import BUCKET, REGION, Calls, Invocations, function_handler


@pytest.fixture
def on_aws(s3: Calls, monkeypatch: pytest.MonkeyPatch) -> Invocations:
    """The admin function's settings on AWS (template.yaml)."""
    monkeypatch.setenv(
        "EVENTLENS_COMPILATION_FUNCTION", Names(BUCKET, REGION).function_arn("TranscodeFunction")
    )
    reset_settings()
    invocations = Invocations()
    monkeypatch.setattr(compilations, "lambda_client", lambda: invocations)
    return invocations


@pytest.fixture
def clips(s3: Calls, make_event: Any, tmp_path: Path) -> tuple[Any, dict[str, Any]]:
    """The demo's two clips, analyzed in the event's library in S3."""
    from eventlens.demo import demo_photos, demo_videos
    from eventlens.sources.registry import register

    event = make_event("reels-aws")
    store = blob_store()
    folder = demo_videos(demo_photos(tmp_path / "demo"))
    for path in sorted((folder / "Highlights").glob("*.mp4")):
        info = store.put(f"events/reels-aws/originals/Highlights/{path.name}", path.read_bytes(), "video/mp4")
        register(Scope.pipeline(event), store, info.key, info.etag)
    run_pipeline(event, "analyze")
    with scoped(event.id) as tx:
        rows = tx.execute("SELECT id, filename FROM photos WHERE kind = 'video'").fetchall()
    return event, {r["filename"]: r["id"] for r in rows}


def allowed(function: str, call: tuple[str, str, str | None]) -> bool:
    return any(s.allows(*call) for s in statements(function, Names(BUCKET, REGION)))


def _context(seconds: float) -> LambdaContext:
    return LambdaContext("TranscodeFunction", "req-1", deadline_ms=int((time.time() + seconds) * 1000))


def test_the_admin_function_hands_a_reel_to_the_transcode_function_which_builds_it_once(
    s3: Calls, on_aws: Invocations, clips: tuple[Any, dict[str, Any]], people: Any
) -> None:
    event, ids = clips
    _, editor = people.with_role("EDITOR", event=event.id)
    recipe = [
        {"photo_id": str(ids["expo-walkthrough.mp4"]), "in_s": 0.5, "out_s": 1.5},
        {"photo_id": str(ids["keynote-recap.mp4"]), "in_s": 1.0, "out_s": 2.0},
    ]
    api = Api()

    status, created = api(
        "POST",
        f"/api/events/{event.slug}/admin/compilations",
        {"title": "On AWS", "clips": recipe, "title_card_s": 0.5},
        token=editor,
    )

    assert status == 202, created
    (invoke,) = on_aws.calls
    assert invoke["InvocationType"] == "Event"
    assert allowed("AdminFunction", lambda_call("Invoke", invoke))
    payload = json.loads(invoke["Payload"])
    assert payload == {
        "job": "compilation",
        "event_id": str(event.id),
        "compilation_id": created["compilation_id"],
    }
    s3.seen.clear()

    handler = function_handler("face_embed", "transcode_handler")
    result = handler(payload, _context(900))
    again = handler(payload, _context(900))  # an invocation delivered twice builds nothing twice

    assert result == {"compilation_id": created["compilation_id"], "status": "ready"}
    assert again == {"compilation_id": created["compilation_id"], "status": "skipped"}
    assert [call for call in s3.seen if not allowed("TranscodeFunction", call)] == []
    status, done = api(
        "GET", f"/api/events/{event.slug}/admin/compilations/{created['compilation_id']}", token=editor
    )
    assert (status, done["status"]) == (200, "ready")
    assert abs(done["duration_s"] - 2.5) <= 1 / done["fps"]
    with scoped(event.id) as tx:
        reels = tx.execute("SELECT source_key FROM photos WHERE folder = 'Compilations'").fetchall()
    assert [blob_store().get(r["source_key"])[4:8] for r in reels] == [b"ftyp"]


def test_a_reel_longer_than_one_invocation_can_build_fails_naming_the_command_line_job(
    s3: Calls, on_aws: Invocations, clips: tuple[Any, dict[str, Any]], people: Any
) -> None:
    event, ids = clips
    _, editor = people.with_role("EDITOR", event=event.id)
    recipe = [{"photo_id": str(ids["keynote-recap.mp4"]), "in_s": 0.0, "out_s": 5.0}]
    api = Api()
    status, created = api(
        "POST",
        f"/api/events/{event.slug}/admin/compilations",
        {"title": "Too long", "clips": recipe, "title_card_s": 2.0},
        token=editor,
    )
    assert status == 202, created
    (invoke,) = on_aws.calls

    # 7 s of reel at COST_S_PER_REEL_S is ~28 s; this invocation has the 5 s minimum budget left
    result = function_handler("face_embed", "transcode_handler")(json.loads(invoke["Payload"]), _context(20))

    assert result["status"] == "failed"
    status, failed = api(
        "GET", f"/api/events/{event.slug}/admin/compilations/{created['compilation_id']}", token=editor
    )
    assert failed["status"] == "failed"
    assert f"eventlens compilations build --event {event.slug}" in failed["error"]
    with scoped(event.id) as tx:
        assert (
            tx.execute("SELECT count(*) AS n FROM photos WHERE folder = 'Compilations'").fetchone()["n"] == 0
        )  # type: ignore[index]


def test_a_transcode_function_that_cannot_be_invoked_fails_the_reel(
    s3: Calls,
    on_aws: Invocations,
    clips: tuple[Any, dict[str, Any]],
    people: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event, ids = clips
    _, editor = people.with_role("EDITOR", event=event.id)

    def refuse(**_: Any) -> dict[str, Any]:
        raise RuntimeError("TooManyRequestsException")

    monkeypatch.setattr(on_aws, "invoke", refuse)
    status, _ = Api()(
        "POST",
        f"/api/events/{event.slug}/admin/compilations",
        {"title": "Unstarted", "clips": [{"photo_id": str(ids["keynote-recap.mp4"]), "in_s": 0, "out_s": 1}]},
        token=editor,
    )

    assert status == 500
    with scoped(event.id) as tx:
        rows = tx.execute("SELECT status, error FROM compilations").fetchall()
    assert [(r["status"], r["error"]) for r in rows] == [
        ("failed", "The reel could not be started. Please try again.")
    ]
