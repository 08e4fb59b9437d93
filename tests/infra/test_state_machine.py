"""pipeline.asl.json on its own: generated, valid for statelint and moto, and shaped as intended."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from eventlens.pipeline.graph import PHASES

ROOT = Path(__file__).resolve().parents[2]


def test_committed_asl_is_what_the_generator_writes(asl_text: str) -> None:
    sys.path.insert(0, str(ROOT / "infra" / "statemachines"))
    try:
        import generate
    finally:
        sys.path.pop(0)
    assert asl_text == generate.render(), "run python infra/statemachines/generate.py"


def test_asl_passes_statelint(asl: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps(asl))
    result = subprocess.run(
        [str(Path(sys.executable).with_name("statelint")), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_asl_parses_with_moto(asl: dict[str, Any]) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    program, _ = AmazonStateLanguageParser.parse(json.dumps(asl))
    assert program is not None


def test_asl_avoids_what_moto_cannot_run(asl_text: str) -> None:
    for feature in ('"QueryLanguage"', "JSONata", '"Assign"', "ItemBatcher", "{%"):
        assert feature not in asl_text


def _states(asl: dict[str, Any]) -> dict[str, Any]:
    """Top-level states plus those inside Parallel branches and Map item processors."""
    found = dict(asl["States"])
    for state in asl["States"].values():
        if state["Type"] == "Map":
            found.update(_states(state["ItemProcessor"]))
        for branch in state.get("Branches", []):
            found.update(_states(branch))
    return found


def test_every_phase_loops_until_done(asl: dict[str, Any]) -> None:
    states = _states(asl)
    for phase in PHASES:
        task = next(
            (n, s)
            for n, s in states.items()
            if s["Type"] == "Task"
            and s["Parameters"]["Payload"].get("phase") == phase
            and not s["Parameters"]["Payload"].get("list")  # scan's listing, before its Map
        )
        name, state = task
        choice = states[state["Next"]]
        assert choice["Type"] == "Choice"
        assert choice["Choices"][0]["BooleanEquals"] is True
        counter = states[choice["Default"]]
        assert counter["Parameters"] == {"n.$": "States.MathAdd($.batch.n, 1)"}
        assert counter["Next"] == name, f"{phase}: done:false must run the phase again"


def test_a_phase_that_never_finishes_fails_the_run_after_max_batches(asl: dict[str, Any]) -> None:
    sys.path.insert(0, str(ROOT / "infra" / "statemachines"))
    try:
        from generate import MAX_BATCHES
    finally:
        sys.path.pop(0)
    states = _states(asl)
    for phase in PHASES:
        task = next(
            s
            for s in states.values()
            if s["Type"] == "Task"
            and s["Parameters"]["Payload"].get("phase") == phase
            and not s["Parameters"]["Payload"].get("list")  # scan's listing, before its Map
        )
        cap = states[task["Next"]]["Choices"][1]
        assert (cap["Variable"], cap["NumericGreaterThanEquals"]) == ("$.batch.n", MAX_BATCHES)
        stop = states[cap["Next"]]
        assert stop.get("Next") == "Record failure" or stop["Type"] == "Fail", phase


def test_idempotent_tasks_retry_their_own_failures_and_record_start_does_not(asl: dict[str, Any]) -> None:
    for name, state in _states(asl).items():
        if state["Type"] != "Task":
            continue
        retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
        assert ("States.TaskFailed" in retried) == (name != "Record start"), name
        assert all(r["MaxAttempts"] <= 6 for r in state["Retry"]), name


def test_lambda_service_errors_are_retried_and_failures_recorded(asl: dict[str, Any]) -> None:
    for name, state in _states(asl).items():
        if state["Type"] != "Task":
            continue
        assert "Lambda.ServiceException" in state["Retry"][0]["ErrorEquals"], name
        inside_map = name.endswith(" batch")
        if (
            name not in {"Record start", "Record success", "Record failure", "Build indexes"}
            and not inside_map
        ):
            assert state["Catch"][0]["Next"] == "Record failure", name
    for state in asl["States"].values():
        if state["Type"] == "Map":
            assert state["Catch"][0]["Next"] == "Record failure"
    failure = asl["States"]["Record failure"]
    assert failure["Parameters"]["Payload"]["status"] == "failed"
    assert asl["States"][failure["Next"]]["Type"] == "Fail"


def test_faces_are_skipped_when_face_matching_is_off(asl: dict[str, Any]) -> None:
    states = _states(asl)
    gate = states["Faces enabled?"]
    rule = gate["Choices"][0]
    assert {"Variable": "$.face_matching", "BooleanEquals": False} in rule["And"]
    assert rule["Next"] == "After faces"
    assert states["Route faces branch"]["Choices"][0] == {
        "Variable": "$.phase",
        "StringEquals": "full",
        "Next": "Faces enabled?",
    }


def test_per_photo_phases_fan_out_over_map_workers(asl: dict[str, Any]) -> None:
    maps = {n for n, s in _states(asl).items() if s["Type"] == "Map"}
    assert maps == {"Scan workers", "Analyze workers", "Describe workers", "Embed workers", "Faces workers"}
    assert asl["States"]["Scan width"]["Parameters"]["workers.$"] == "States.ArrayRange(1, 2, 1)"


def test_scan_lists_the_originals_once_before_its_workers(asl: dict[str, Any]) -> None:
    """Entering scan is one invocation that lists the prefix (the manifest), then the Map whose
    workers read it: no worker lists, and no other fan-out phase has such a step."""
    states = _states(asl)
    listing = states["Scan"]
    assert listing["Type"] == "Task"
    assert listing["Parameters"]["Payload"] == {
        "event_id.$": "$.event_id",
        "run_id.$": "$.run_id",
        "phase": "scan",
        "list": True,
    }
    assert listing["ResultPath"] is None
    assert states[listing["Next"]]["Next"] == "Scan workers"
    assert listing["Catch"][0]["Next"] == "Record failure"
    listings = [s for s in states.values() if s["Type"] == "Task" and s["Parameters"]["Payload"].get("list")]
    assert listings == [listing]


def _branch_phases(branch: dict[str, Any]) -> list[str]:
    return [
        s["Parameters"]["Payload"]["phase"]
        for s in _states(branch).values()
        if s["Type"] == "Task" and "phase" in s["Parameters"]["Payload"]
    ]


def test_faces_and_transcode_run_beside_describe_and_tag_waits_for_all(asl: dict[str, Any]) -> None:
    sys.path.insert(0, str(ROOT / "infra" / "statemachines"))
    try:
        from generate import needs
    finally:
        sys.path.pop(0)
    [parallel] = [s for s in asl["States"].values() if s["Type"] == "Parallel"]
    branches = [_branch_phases(b) for b in parallel["Branches"]]
    assert sorted(map(sorted, branches)) == [["dedupe", "faces"], ["describe", "embed"], ["transcode"]]
    for phases in branches:  # no phase waits on a phase of the other branch
        others = {p for b in branches if b is not phases for p in b}
        assert not {needs(p) for p in phases} & others
    assert asl["States"]["After analyze"]["Choices"][0]["Next"] == "Describe beside faces"
    join = asl["States"][parallel["Next"]]
    assert join["InputPath"] == "$.joined.results"
    assert join["ResultPath"] == "$.results"
    assert asl["States"][join["Next"]]["Choices"][0]["Next"] == "Tag"


def test_a_failed_branch_is_recorded_by_the_parallel_state(asl: dict[str, Any]) -> None:
    [parallel] = [s for s in asl["States"].values() if s["Type"] == "Parallel"]
    assert parallel["Catch"][0]["Next"] == "Record failure"
    for branch in parallel["Branches"]:
        for name, state in _states(branch).items():
            assert state.get("Next") != "Record failure", name  # unreachable from inside a branch
            assert "Catch" not in state, name


def test_every_map_worker_learns_how_many_share_its_phase(asl: dict[str, Any]) -> None:
    for name, state in _states(asl).items():
        if state["Type"] != "Map":
            continue
        assert state["ItemSelector"]["workers.$"] == "States.ArrayLength($.fanout.workers)", name
        [task] = [s for s in state["ItemProcessor"]["States"].values() if s["Type"] == "Task"]
        assert task["Parameters"]["Payload"]["workers.$"] == "$.workers", name


def test_every_successful_run_ends_by_building_grown_events_indexes_and_its_failure_is_no_failure(
    asl: dict[str, Any],
) -> None:
    """An event that grew large mid-event gets its vector index after the run, not at the next
    deploy; the build is best effort: a failure still ends the execution as succeeded."""
    states = asl["States"]
    build = states["Build indexes"]
    assert build["Parameters"]["Payload"] == {"action": "build-indexes"}
    assert build["Parameters"]["FunctionName"].endswith(":Migrate")
    assert states[build["Next"]]["Type"] == "Succeed"
    assert states[build["Catch"][0]["Next"]]["Type"] == "Succeed"
    assert states["Record success"]["Next"] == "Build indexes"
    assert states["Another round?"]["Choices"][0]["Next"] == "Build indexes"
    succeeds = {name for name, state in states.items() if state["Type"] == "Succeed"}
    reaching = {
        name
        for name, state in states.items()
        if state.get("Next") in succeeds or any(c.get("Next") in succeeds for c in state.get("Choices", []))
    }
    assert reaching == {"Build indexes"}, "a success that skips the index build"


def test_transcode_follows_a_full_run_or_a_one_phase_analyze_run_only(asl: dict[str, Any]) -> None:
    """A video analyze left pending (too long for its spare time) is transcoded by the transcode
    step in the ML image, looped until done, after analyze whether it ran alone or in a full run."""
    after = asl["States"]["After analyze"]["Choices"]
    assert [(c["StringEquals"], c["Next"]) for c in after] == [
        ("full", "Describe beside faces"),
        ("analyze", "Describe beside faces"),
    ]
    [parallel] = [s for s in asl["States"].values() if s["Type"] == "Parallel"]
    [branch] = [b for b in parallel["Branches"] if _branch_phases(b) == ["transcode"]]
    route = branch["States"][branch["StartAt"]]
    assert sorted(c["StringEquals"] for c in route["Choices"]) == ["analyze", "full"]
    assert branch["States"]["Transcode batch"]["Parameters"]["FunctionName"].endswith(":function:Transcode")
