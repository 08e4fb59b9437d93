"""moto executes the real pipeline ASL from template.yaml, its Lambda tasks routed to the real handlers.

moto would run each Lambda in Docker; `_invoke_lambda` is patched to call the handler in-process
(moto's version is pinned in pyproject, and the first test proves the patch is live).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaFunction

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT, REGION = "123456789012", "us-east-1"
Handler = Callable[[dict[str, Any], Any], Any]


def load_handler(path: str, name: str, handler: str = "lambda_handler") -> Handler:
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, handler)  # type: ignore[no-any-return]


class Context:
    memory_limit_in_mb = 1024
    aws_request_id = "req"
    log_stream_name = "stream"

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@pytest.fixture
def routes(monkeypatch: pytest.MonkeyPatch) -> dict[str, Handler]:
    """Function name -> handler; moto's Lambda invoke calls it in-process."""
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    table: dict[str, Handler] = {}

    def invoke(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        try:
            reply = table[self.function_name](event or {}, Context(self.function_name))
        except Exception as exc:
            payload = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_exc().splitlines(),
            }
            return json.dumps(payload), True, ""
        return json.dumps(reply, default=str), False, ""

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke)
    return table


@pytest.fixture
def aws(routes: dict[str, Handler]) -> Iterator[None]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def create_function(name: str) -> str:
    iam = boto3.client("iam", region_name=REGION)
    try:
        role = iam.get_role(RoleName="fn")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    return str(
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.lambda_handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )["FunctionArn"]
    )


def deploy_state_machine(routes: dict[str, Handler]) -> str:
    """The template's DefinitionUri + DefinitionSubstitutions, with moto functions behind them."""
    from cfnlint.decode import cfn_yaml

    props = cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"]["PipelineStateMachine"]["Properties"]
    definition = (ROOT / props["DefinitionUri"]).read_text()
    phase_handler = load_handler("functions/pipeline_phase/app.py", "pipeline_phase_app")
    own = {
        "RecordRunFunction": load_handler("functions/pipeline_phase/run_status.py", "pipeline_run_status"),
        "MigrateFunction": load_handler("functions/migrate/app.py", "migrate_app"),
        "TranscodeFunction": load_handler("functions/face_embed/app.py", "ml_image_app", "transcode_handler"),
    }
    for key, value in props["DefinitionSubstitutions"].items():
        if key == "MapWorkers":
            definition = definition.replace("${MapWorkers}", "2")
            continue
        function = value["Fn::GetAtt"][0]
        routes.setdefault(function, own.get(function, phase_handler))
        definition = definition.replace("${" + key + "}", create_function(function))
    sfn = boto3.client("stepfunctions", region_name=REGION)
    role = f"arn:aws:iam::{ACCOUNT}:role/sfn"
    return str(
        sfn.create_state_machine(name="pipeline", definition=definition, roleArn=role)["stateMachineArn"]
    )


def run_to_end(arn: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    named = {"name": payload["run_id"]} if "run_id" in payload else {}  # moto names none "None"
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload), **named)["executionArn"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.2)
    raise AssertionError("execution did not finish in 60 s")


def test_lambda_invoke_is_routed_in_process(aws: None, routes: dict[str, Handler]) -> None:
    routes["Echo"] = lambda event, context: {"pid": os.getpid(), "got": event}
    create_function("Echo")
    reply = boto3.client("lambda", region_name=REGION).invoke(FunctionName="Echo", Payload=b'{"a": 1}')
    assert json.loads(reply["Payload"].read()) == {"pid": os.getpid(), "got": {"a": 1}}


def test_single_phase_run_succeeds_and_is_recorded(
    aws: None, routes: dict[str, Handler], make_event: Any
) -> None:
    from eventlens.jobs import service as jobs
    from eventlens.scope import Scope

    event = make_event("moto-ok")
    builds: list[Any] = []
    migrate = load_handler("functions/migrate/app.py", "migrate_app")
    routes["MigrateFunction"] = lambda event, context: builds.append(migrate(event, context)) or builds[-1]
    arn = deploy_state_machine(routes)
    run_id = jobs.open_run(Scope.pipeline(event), "scan")
    described = run_to_end(arn, {"event_id": str(event.id), "phase": "scan", "run_id": str(run_id)})
    assert described["status"] == "SUCCEEDED", described
    assert builds == [{"built": [], "skipped": False}]  # the run ended by asking for grown events' indexes
    run = jobs.get_run(Scope.organizer(event, "test"), run_id)
    assert run.status == "completed"
    assert [r.phase for r in run.results] == ["scan"]
    assert run.results[0].done is True


def test_failing_phase_marks_the_run_failed(aws: None, routes: dict[str, Handler], make_event: Any) -> None:
    from eventlens.jobs import service as jobs
    from eventlens.scope import Scope

    event = make_event("moto-fail")
    arn = deploy_state_machine(routes)

    def broken(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("dedupe exploded")

    routes["DedupeFunction"] = broken
    described = run_to_end(arn, {"event_id": str(event.id), "phase": "dedupe", "face_matching": False})
    assert described["status"] == "FAILED"
    (run,) = jobs.pipeline_status(Scope.organizer(event, "test")).runs
    assert run.status == "failed"
    assert run.error is not None
    assert "dedupe exploded" in run.error


def test_a_phase_failing_once_is_retried_and_the_run_succeeds(
    aws: None, routes: dict[str, Handler], make_event: Any
) -> None:
    """One dropped database connection (or Lambda timeout, or Gemini 5xx) no longer fails a run."""
    from eventlens.jobs import service as jobs
    from eventlens.scope import Scope

    event = make_event("moto-flaky")
    arn = deploy_state_machine(routes)
    real, calls = routes["DedupeFunction"], []

    def flaky(payload: dict[str, Any], context: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("server closed the connection unexpectedly")
        return real(payload, context)

    routes["DedupeFunction"] = flaky
    run_id = jobs.open_run(Scope.pipeline(event), "dedupe")
    described = run_to_end(arn, {"event_id": str(event.id), "phase": "dedupe", "run_id": str(run_id)})
    assert described["status"] == "SUCCEEDED", described
    assert len(calls) == 2
    assert jobs.get_run(Scope.organizer(event, "test"), run_id).status == "completed"


def test_a_phase_that_never_finishes_fails_the_run_instead_of_looping_forever(
    aws: None, routes: dict[str, Handler], make_event: Any
) -> None:
    from eventlens.jobs import service as jobs
    from eventlens.scope import Scope

    sys.path.insert(0, str(ROOT / "infra" / "statemachines"))
    try:
        from generate import MAX_BATCHES
    finally:
        sys.path.pop(0)
    event = make_event("moto-loop")
    arn = deploy_state_machine(routes)
    calls: list[int] = []

    def stuck(payload: dict[str, Any], context: Any) -> Any:
        calls.append(1)
        return {"phase": "dedupe", "processed": 0, "remaining": 1, "errors": 0, "done": False}

    routes["DedupeFunction"] = stuck
    run_id = jobs.open_run(Scope.pipeline(event), "dedupe")
    described = run_to_end(arn, {"event_id": str(event.id), "phase": "dedupe", "run_id": str(run_id)})
    assert described["status"] == "FAILED"
    assert len(calls) == MAX_BATCHES
    run = jobs.get_run(Scope.organizer(event, "test"), run_id)
    assert run.status == "failed"
    assert "TooManyBatches" in str(run.error)


def test_a_full_run_takes_every_phase_with_describe_beside_faces_and_scan_split_between_workers(
    aws: None, routes: dict[str, Handler], make_event: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Parallel's branch results merge back into the run; the originals are listed once for
    scan (one invocation before its Map writes the manifest), and two scan workers register each
    object once between them (each takes its share of the manifest's keys, listing nothing)."""
    from eventlens.jobs import service as jobs
    from eventlens.pipeline.graph import PHASES
    from eventlens.scope import Scope
    from eventlens.storage import blob_store

    from tests.fixtures_photos import real_jpeg, text_photo

    event = make_event("moto-full")
    photos = {
        "a.jpg": real_jpeg("astronaut", (320, 320)),
        "b.jpg": real_jpeg("coffee", (320, 240)),
        "c.jpg": text_photo("KEYNOTE HALL", (480, 320)),
        "d.jpg": real_jpeg("chelsea", (300, 200)),
    }
    for name, data in photos.items():
        blob_store().put(f"events/moto-full/originals/{name}", data)
    store_type, listings = type(blob_store()), []
    real_list = store_type.list

    def counted_list(self: Any, prefix: str = "") -> Any:
        listings.append(prefix)
        return real_list(self, prefix)

    monkeypatch.setattr(store_type, "list", counted_list)
    scan_payloads: list[dict[str, Any]] = []
    arn = deploy_state_machine(routes)
    real_scan = routes["ScanFunction"]

    def scan(payload: dict[str, Any], context: Any) -> Any:
        scan_payloads.append(payload)
        return real_scan(payload, context)

    routes["ScanFunction"] = scan
    run_id = jobs.open_run(Scope.pipeline(event), "full")
    described = run_to_end(arn, {"event_id": str(event.id), "phase": "full", "run_id": str(run_id)})
    assert described["status"] == "SUCCEEDED", described
    run = jobs.get_run(Scope.organizer(event, "test"), run_id)
    assert run.status == "completed"
    assert {r.phase for r in run.results} == set(PHASES)
    assert all(r.done for r in run.results)
    assert sorted((p["worker"], p["workers"]) for p in scan_payloads if "worker" in p) == [(1, 2), (2, 2)]
    assert [p for p in scan_payloads if p.get("list")] == [
        {"event_id": str(event.id), "run_id": str(run_id), "phase": "scan", "list": True}
    ]
    # sync lists the originals once, and scan once for both its workers
    assert listings.count("events/moto-full/originals/") == 2
    with Scope.pipeline(event).transaction() as tx:
        rows = tx.execute(
            "SELECT describe_status, embed_status, faces_status FROM photos WHERE event_id = %s",
            (event.id,),
        ).fetchall()
    assert len(rows) == len(photos)
    assert {tuple(r.values()) for r in rows} == {("completed", "completed", "completed")}


def test_a_photo_registered_while_a_full_run_goes_joins_that_run(
    aws: None, routes: dict[str, Handler], make_event: Any
) -> None:
    """Given a full run past analyze, when an upload is registered (as the ingest does) and the
    ingest asks for processing, then it is told the running run, and that execution goes round once
    more and takes the new photo through every phase before it ends; the run closes as succeeded
    only when nothing waits, and a later upload finds no running run (it would start its own)."""
    from eventlens.jobs import repo as jobs_repo
    from eventlens.jobs import service as jobs
    from eventlens.scope import Scope
    from eventlens.sources.registry import register
    from eventlens.storage import blob_store

    from tests.fixtures_photos import real_jpeg

    event = make_event("moto-join")
    store = blob_store()
    store.put("events/moto-join/originals/first.jpg", real_jpeg("astronaut", (320, 320)))
    arn = deploy_state_machine(routes)
    real_tag, tags, told = routes["TagFunction"], [], []

    def tag(payload: dict[str, Any], context: Any) -> Any:
        tags.append(1)
        if len(tags) == 1:  # the run is past analyze, describe and faces: a photo arrives
            info = store.put("events/moto-join/originals/late.jpg", real_jpeg("coffee", (320, 240)))
            register(Scope.pipeline(event), store, info.key, info.etag)
            with Scope.pipeline(event).transaction() as tx:
                told.append(jobs_repo.running_run(tx))  # what process_new_photos returns
        return real_tag(payload, context)

    routes["TagFunction"] = tag
    run_id = jobs.open_run(Scope.pipeline(event), "full")
    described = run_to_end(arn, {"event_id": str(event.id), "phase": "full", "run_id": str(run_id)})
    assert described["status"] == "SUCCEEDED", described
    assert told == [run_id]
    assert len(tags) == 2  # a second round
    run = jobs.get_run(Scope.organizer(event, "test"), run_id)
    assert run.status == "completed"
    with Scope.pipeline(event).transaction() as tx:
        rows = tx.execute(
            "SELECT source_key, analyze_status, describe_status, embed_status, faces_status FROM photos"
            " WHERE event_id = %s ORDER BY source_key",
            (event.id,),
        ).fetchall()
        assert jobs_repo.running_run(tx) is None
    assert [r["source_key"].rsplit("/", 1)[1] for r in rows] == ["first.jpg", "late.jpg"]
    assert {tuple(r.values())[1:] for r in rows} == {("completed",) * 4}


def test_a_single_phase_analyze_run_leaves_faces_and_describe_to_their_own_runs(
    aws: None, routes: dict[str, Handler], make_event: Any
) -> None:
    """`--phase analyze` from the dashboard or the admin API: the state machine tells each analyze
    worker the run is that phase alone, so it does not fuse faces and the describer in (as a full
    run does to decode each photo once)."""
    from eventlens.jobs import service as jobs
    from eventlens.scope import Scope
    from eventlens.storage import blob_store

    from tests.fixtures_photos import real_jpeg

    event = make_event("moto-analyze")
    for name, photo in (("a.jpg", "astronaut"), ("b.jpg", "coffee")):
        blob_store().put(f"events/moto-analyze/originals/{name}", real_jpeg(photo, (320, 240)))
    arn = deploy_state_machine(routes)
    for phase in ("scan", "analyze"):
        run_id = jobs.open_run(Scope.pipeline(event), phase)
        described = run_to_end(arn, {"event_id": str(event.id), "phase": phase, "run_id": str(run_id)})
        assert described["status"] == "SUCCEEDED", described

    with Scope.pipeline(event).transaction() as tx:
        rows = tx.execute(
            "SELECT analyze_status, faces_status, describe_status FROM photos WHERE event_id = %s",
            (event.id,),
        ).fetchall()
    assert len(rows) == 2
    assert {tuple(r.values()) for r in rows} == {("completed", "pending", "pending")}
    assert [r.phase for r in jobs.get_run(Scope.organizer(event, "test"), run_id).results] == ["analyze"]


class ShortLived(Context):
    """An invocation with a minute left: analyze's spare time after its photos is then ~10 s."""

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def test_videos_analyze_leaves_pending_are_transcoded_by_the_transcode_step_or_failed_naming_the_job(
    aws: None, routes: dict[str, Handler], make_event: Any, tmp_path: Path
) -> None:
    """Given two probed videos waiting for a transcode, one of 100 s (too long for what analyze has
    left, short enough for one transcode invocation) and one of an hour (longer than any), when a
    one-phase analyze run goes, then the transcode step in the ML image transcodes the first and
    marks the second failed with the command that does it; nothing is left pending."""
    from eventlens.jobs import service as jobs
    from eventlens.media.video import slideshow
    from eventlens.scope import Scope
    from eventlens.storage import blob_store
    from PIL import Image

    from tests.fixtures_photos import real_image
    from tests.helpers import scoped, stored_original

    event = make_event("moto-video")
    out = tmp_path / "old.mp4"
    slideshow(
        [Image.new("RGB", (320, 180), (0, 0, 0)), real_image("chelsea")], out, codec="mpeg4", size=(320, 180)
    )
    for name in ("keynote.mp4", "livestream.mp4"):
        stored_original(event.id, name, out.read_bytes(), "Talks")
    with scoped(event.id) as tx:  # as analyze leaves them: probed, valid, waiting
        tx.execute(
            "UPDATE photos SET kind = 'video', mime = 'video/mp4', is_valid = true, transcode_status = 'pending',"
            " duration_s = CASE filename WHEN 'keynote.mp4' THEN 100 ELSE 3600 END"
        )
    arn = deploy_state_machine(routes)
    real_analyze, transcodes = routes["AnalyzeFunction"], []
    real_transcode = routes["TranscodeFunction"]

    def transcode(payload: dict[str, Any], context: Any) -> Any:
        reply = real_transcode(payload, context)
        transcodes.append((payload["phase"], reply))
        return reply

    routes["AnalyzeFunction"] = lambda payload, context: real_analyze(
        payload, ShortLived(context.function_name)
    )
    routes["TranscodeFunction"] = transcode
    run_id = jobs.open_run(Scope.pipeline(event), "analyze")

    described = run_to_end(arn, {"event_id": str(event.id), "phase": "analyze", "run_id": str(run_id)})

    assert described["status"] == "SUCCEEDED", described
    # one invocation, done: it transcoded the first (analyze had no time for it) and failed the second
    assert [(phase, r["processed"], r["errors"], r["done"]) for phase, r in transcodes] == [
        ("transcode", 1, 1, True)
    ]
    with scoped(event.id) as tx:
        rows = {
            r["filename"]: r
            for r in tx.execute(
                "SELECT filename, transcode_status, transcode_error, playable_key FROM photos"
            )
        }
    assert (rows["keynote.mp4"]["transcode_status"], rows["keynote.mp4"]["transcode_error"]) == (
        "completed",
        None,
    )
    assert blob_store().get(rows["keynote.mp4"]["playable_key"])[4:8] == b"ftyp"
    assert rows["livestream.mp4"]["transcode_status"] == "error"
    assert "eventlens video transcode --event moto-video" in rows["livestream.mp4"]["transcode_error"]
    assert jobs.get_run(Scope.organizer(event, "test"), run_id).status == "completed"
