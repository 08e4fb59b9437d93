"""Writes pipeline.asl.json: the phases are regular enough that a generator beats 40 hand-kept states.

Run `python infra/statemachines/generate.py` after changing it; tests/infra fails when the committed
JSON and this generator disagree. The output sticks to JSONPath ASL (no JSONata, Variables or
ItemBatcher) so moto can execute it in the integration tests.

Execution input: {"event_id": str, "phase": "full" | <phase>, "face_matching": bool (optional,
default on), "run_id": str (optional: the admin API creates the run first; otherwise the first
state records one)}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "layers" / "core"))
from eventlens.pipeline.graph import GRAPH, PHASES, prerequisite

FAN_OUT: frozenset[str] = frozenset(p.name for p in GRAPH if p.fan_out)
"""Per-photo phases whose batches run as parallel Map workers: CPU- or API-latency-bound, and each
worker claims its own rows. The others (listing, event-wide clustering, tagging) stay single."""

STEPS: dict[str, str] = {"transcode": "analyze"}
"""Steps of the state machine that are no phase of the graph (no run asks for one, and a run's
results list phases only), each with the phase it follows: transcode (the ML image's transcode
function) takes the videos analyze left pending, too long for its spare time. It runs in a `full`
run and after a one-phase analyze run."""

BRANCHES: tuple[tuple[str, ...], ...] = (("describe", "embed"), ("faces", "dedupe"), ("transcode",))
"""What runs side by side once analyze is done, one branch each: describe and embed need the
description (graph.py: embed after describe, describe after analyze); faces needs only analyze's
decode, and dedupe only analyze's dHash; transcode only analyze's probe. tag reads descriptions and
face counts, so it waits for both (and for transcode, whose branch ends with the Parallel)."""
PARALLEL = "Describe beside faces"

WIDTH_STEP: dict[str, int] = {"scan": 1, "analyze": 1, "describe": 2, "faces": 2, "embed": 6}
"""A fan-out phase runs ceil(MapWorkers / step) workers (States.ArrayRange(1, MapWorkers, step)):
MapWorkers (template.yaml's PipelineWorkers) is the widest phase's width, sized by what Aurora can
take. Assumption (benchmarks/aws_makespan.py): DbMaxCapacity=4 ACU is ~1 vCPU and each photo costs
it 2-4 ms per phase, so 24 scan or analyze workers keep it about a third busy, and describe beside
faces less. describe runs 8 photos in flight per worker (EVENTLENS_PIPELINE_WORKERS: it waits on
Gemini), so half the width, 96 calls in flight, keeps the 2,000 RPM quota full at ~2 s a photo;
faces (1.7 vCPU each) beside it finishes first at half the width; embed sends 32 descriptions a
call, a sixth is plenty."""

LISTED_ONCE: frozenset[str] = frozenset({"scan"})
"""Fan-out phases whose work is a listing: one invocation lists the prefix ({"list": true}: the
scan manifest, sources.sync.list_for_scan) before the Map, and its workers take their keys from it
rather than each listing the same objects."""

LAMBDA_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
RETRY_LAMBDA = [
    {
        "ErrorEquals": LAMBDA_ERRORS,
        "IntervalSeconds": 2,
        "MaxAttempts": 6,
        "BackoffRate": 2.0,
        "JitterStrategy": "FULL",
    }
]
RETRY_IDEMPOTENT = [
    *RETRY_LAMBDA,
    # A phase batch and recording a run's end are idempotent (claims, UPDATE): a dropped database
    # connection, a Lambda timeout or a Gemini 5xx that escaped the phase is tried again, twice.
    {
        "ErrorEquals": ["States.TaskFailed", "States.Timeout"],
        "IntervalSeconds": 5,
        "MaxAttempts": 2,
        "BackoffRate": 3.0,
        "JitterStrategy": "FULL",
    },
]
MAX_BATCHES = 50
"""Batches one phase (one Map worker) may run before the run fails: a phase that keeps answering
done:false without finishing is a bug, not work. 50 batches of up to 14 minutes is 11 hours; the
whole execution stays under Step Functions' 25,000 history events (about 6 per batch)."""
TOO_MANY = {"Error": "TooManyBatches", "Cause": f"a phase answered done:false {MAX_BATCHES} times"}
CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Record failure"}]
RESULT_FIELDS = ("phase", "processed", "remaining", "errors", "done")
MAX_ROUNDS = 5
"""Rounds a full run may take: at its end it asks whether photos arrived meanwhile ("More photos?",
jobs.close_if_caught_up) and goes round again from sync for them, at most this many times; a burst
still arriving after that is the next run's (the ingest starts one once this one is closed)."""


def arn_var(phase: str) -> str:
    """The DefinitionSubstitutions key template.yaml fills with the phase function's ARN."""
    return "${" + phase.capitalize() + "FunctionArn}"


def title(phase: str) -> str:
    return phase.capitalize()


def invoke(function: str, payload: dict[str, Any], idempotent: bool = True) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function, "Payload": payload},
        "Retry": RETRY_IDEMPOTENT if idempotent else RETRY_LAMBDA,
    }


def phase_task(phase: str, result_path: str, nxt: str, worker: bool) -> dict[str, Any]:
    """One batch of `phase`; `run_phase` is what the run was asked for ("full" or this phase alone),
    so a single-phase analyze does not fuse faces and the describer in."""
    payload: dict[str, Any] = {"event_id.$": "$.event_id", "run_id.$": "$.run_id", "phase": phase}
    if worker:
        payload["worker.$"] = "$.worker"
        payload["workers.$"] = "$.workers"  # how many share the phase: scan takes its share of keys
        payload["run_phase.$"] = "$.run_phase"
    else:
        payload["run_phase.$"] = "$.phase"
    state = invoke(arn_var(phase), payload)
    state["ResultSelector"] = {f"{f}.$": f"$.Payload.{f}" for f in RESULT_FIELDS}
    state["ResultPath"] = result_path
    state["Next"] = nxt
    return state


def loop_choice(result_path: str, again: str, done: str, too_many: str) -> dict[str, Any]:
    """A phase returns done:false when its time budget ran out: run it again until it is done, at
    most MAX_BATCHES times (`$.batch.n` counts them)."""
    return {
        "Type": "Choice",
        "Choices": [
            {"Variable": f"{result_path}.done", "BooleanEquals": True, "Next": done},
            {"Variable": "$.batch.n", "NumericGreaterThanEquals": MAX_BATCHES, "Next": too_many},
        ],
        "Default": again,
    }


def count_batch(nxt: str) -> dict[str, Any]:
    return {
        "Type": "Pass",
        "Parameters": {"n.$": "States.MathAdd($.batch.n, 1)"},
        "ResultPath": "$.batch",
        "Next": nxt,
    }


def phase_states(phase: str, after: str, in_branch: bool = False) -> dict[str, dict[str, Any]]:
    """The states of one phase, entered at title(phase), leaving to `after`. In a Parallel branch a
    failure ends the branch (the Parallel state's Catch records it): states there cannot name
    "Record failure"."""
    name = title(phase)
    if phase not in FAN_OUT:
        task, again, too_many = f"{name} batch", f"{name} again", f"{name} never finished"
        stop: dict[str, Any] = (
            {"Type": "Fail", **TOO_MANY}
            if in_branch
            else {"Type": "Pass", "Result": TOO_MANY, "ResultPath": "$.error", "Next": "Record failure"}
        )
        return {
            name: {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.batch", "Next": task},
            task: phase_task(phase, f"$.results.{phase}", f"{name} done?", worker=False),
            f"{name} done?": loop_choice(f"$.results.{phase}", again, after, too_many),
            again: count_batch(task),
            too_many: stop,
        }
    batch, worker_done, finished = f"{name} batch", f"{name} batch done?", f"{name} worker finished"
    again, too_many = f"{name} batch again", f"{name} worker never finished"
    workers: dict[str, Any] = {
        "Type": "Map",
        "ItemsPath": "$.fanout.workers",
        "ItemSelector": {
            "event_id.$": "$.event_id",
            "run_id.$": "$.run_id",
            "run_phase.$": "$.phase",
            "worker.$": "$$.Map.Item.Value",
            "workers.$": "States.ArrayLength($.fanout.workers)",
            "batch": {"n": 1},
        },
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": batch,
            "States": {
                batch: phase_task(phase, "$.result", worker_done, worker=True),
                worker_done: loop_choice("$.result", again, finished, too_many),
                again: count_batch(batch),
                too_many: {"Type": "Fail", **TOO_MANY},
                finished: {"Type": "Pass", "OutputPath": "$.result", "End": True},
            },
        },
        "ResultPath": f"$.results.{phase}",
        "Next": after,
    }
    if not in_branch:
        workers["Catch"] = CATCH_ALL
    width = f"{name} width" if phase in LISTED_ONCE else name
    states: dict[str, dict[str, Any]] = {
        width: {
            "Type": "Pass",
            "Parameters": {"workers.$": f"States.ArrayRange(1, ${{MapWorkers}}, {WIDTH_STEP[phase]})"},
            "ResultPath": "$.fanout",
            "Next": f"{name} workers",
        },
        f"{name} workers": workers,
    }
    if phase in LISTED_ONCE:
        listing = invoke(
            arn_var(phase), {"event_id.$": "$.event_id", "run_id.$": "$.run_id", "phase": phase, "list": True}
        )
        states = {name: {**listing, "ResultPath": None, "Next": width}, **states}
    return states


def with_catch(states: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for state in states.values():
        if state["Type"] == "Task":
            state["Catch"] = CATCH_ALL
    return states


def definition() -> dict[str, Any]:
    states: dict[str, dict[str, Any]] = {
        "Has run?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.run_id", "IsPresent": True, "Next": "Init results"}],
            "Default": "Record start",
        },
        "Record start": {
            **invoke(
                "${RecordRunFunctionArn}",
                {"action": "start", "event_id.$": "$.event_id", "phase.$": "$.phase"},
                idempotent=False,  # a retry after a lost reply would open a second run
            ),
            "ResultSelector": {"run_id.$": "$.Payload.run_id"},
            "ResultPath": "$.started",
            "Next": "Keep run id",
        },
        "Keep run id": {
            "Type": "Pass",
            "InputPath": "$.started.run_id",
            "ResultPath": "$.run_id",
            "Next": "Init results",
        },
        "Init results": {"Type": "Pass", "Result": {}, "ResultPath": "$.results", "Next": "First round"},
        "First round": {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.round", "Next": "Route phase"},
        "Route phase": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.phase", "StringEquals": "full", "Next": _branch_entry(PHASES[0])},
                *({"Variable": "$.phase", "StringEquals": p, "Next": _branch_entry(p)} for p in PHASES),
            ],
            "Default": "Unknown phase",
        },
        "Unknown phase": {
            "Type": "Pass",
            "Parameters": {"Error": "UnknownPhase", "Cause.$": "States.Format('No phase {}', $.phase)"},
            "ResultPath": "$.error",
            "Next": "Record failure",
        },
    }
    top = _top_level()
    for i, step in enumerate(top):
        nxt = _entry(top[i + 1]) if i + 1 < len(top) else "More photos?"
        if step == PARALLEL:
            states.update(parallel_states(f"After {PARALLEL.lower()}"))
        else:
            states.update(with_catch(phase_states(step, f"After {step}")))
        choices = [{"Variable": "$.phase", "StringEquals": "full", "Next": nxt}]
        if step in STEPS.values() and nxt == PARALLEL:  # a one-phase analyze run: its transcode step
            choices.append({"Variable": "$.phase", "StringEquals": step, "Next": nxt})
        states[f"After {step if step != PARALLEL else PARALLEL.lower()}"] = {
            "Type": "Choice",
            "Choices": choices,
            "Default": "Record success",
        }
    states.update(rounds_states())
    states["Record success"] = {
        **invoke(
            "${RecordRunFunctionArn}",
            {"action": "finish", "run_id.$": "$.run_id", "status": "completed", "results.$": "$.results"},
        ),
        "ResultPath": None,
        "Next": "Build indexes",
    }
    # The run is over and recorded: an event that grew large gets its own vector index now rather
    # than at the next deploy (db.migrate.build_indexes_between_deploys, as the schema owner). Best
    # effort: whatever it answers, the run succeeded; the next run or deploy builds what is missing.
    states["Build indexes"] = {
        **invoke("${MigrateFunctionArn}", {"action": "build-indexes"}),
        "ResultPath": None,
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.index_error", "Next": "Indexes later"}],
        "Next": "Caught up",
    }
    states["Indexes later"] = {"Type": "Succeed"}
    states["Record failure"] = {
        **invoke(
            "${RecordRunFunctionArn}",
            {
                "action": "finish",
                "run_id.$": "$.run_id",
                "status": "failed",
                "results.$": "$.results",
                "error.$": "$.error",
            },
        ),
        "ResultPath": None,
        "Next": "Failed",
    }
    states["Failed"] = {"Type": "Fail", "Error": "PipelineFailed", "Cause": "A phase failed; see the run."}
    return {
        "Comment": "EventLens pipeline: phases in order, describe beside faces, each looped until done; generated by generate.py",
        "StartAt": "Has run?",
        "States": states,
    }


def rounds_states() -> dict[str, dict[str, Any]]:
    """The end of a full run: photos that arrived while it went join it (one more round), else the
    run is closed already (by the check itself, under the run-start lock) and the execution ends."""
    check = invoke(
        "${RecordRunFunctionArn}",
        {"action": "caught_up", "run_id.$": "$.run_id", "results.$": "$.results"},
    )
    return {
        "More photos?": {
            **check,
            "ResultSelector": {"waiting.$": "$.Payload.waiting"},
            "ResultPath": "$.more",
            "Next": "Another round?",
            "Catch": CATCH_ALL,
        },
        "Another round?": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.more.waiting", "NumericEquals": 0, "Next": "Build indexes"},
                {"Variable": "$.round.n", "NumericGreaterThanEquals": MAX_ROUNDS, "Next": "Record success"},
            ],
            "Default": "Next round",
        },
        "Next round": {
            "Type": "Pass",
            "Parameters": {"n.$": "States.MathAdd($.round.n, 1)"},
            "ResultPath": "$.round",
            "Next": _entry(PHASES[0]),
        },
        "Caught up": {"Type": "Succeed"},
    }


IN_BRANCH: frozenset[str] = frozenset(p for branch in BRANCHES for p in branch)


def _top_level() -> list[str]:
    """The phases in order, those in BRANCHES replaced by the one Parallel state where the first was."""
    top: list[str] = []
    for phase in PHASES:
        if phase not in IN_BRANCH:
            top.append(phase)
        elif PARALLEL not in top:
            top.append(PARALLEL)
    return top


def _check_branches() -> None:
    """Every per-photo prerequisite of a branch's phase runs before the Parallel or earlier in its
    own branch (never in a sibling branch, which would race it)."""
    done_before = set(PHASES[: PHASES.index(min(IN_BRANCH - STEPS.keys(), key=PHASES.index))])
    for branch in BRANCHES:
        for i, phase in enumerate(branch):
            need = needs(phase)
            if need is not None and need not in done_before and need not in branch[:i]:
                raise ValueError(f"{phase} needs {need}, which runs beside it")


def needs(step: str) -> str | None:
    """The phase a step needs done first: a graph phase's prerequisite, or the phase a STEP follows."""
    return STEPS[step] if step in STEPS else prerequisite(step)


def _entry(phase: str) -> str:
    """Where a phase is entered: faces first asks whether face matching is on."""
    return "Faces enabled?" if phase == "faces" else title(phase)


def _branch_entry(phase: str) -> str:
    return PARALLEL if phase in IN_BRANCH else _entry(phase)


def parallel_states(after: str) -> dict[str, dict[str, Any]]:
    """The branches side by side: a `full` run takes every phase of each branch in order; a
    one-phase run enters every branch, and only the branch holding that phase runs it. A failure in
    a branch fails the Parallel, whose Catch records it; the branches' results are merged back into
    `$.results` (each branch carries the results from before it and adds its own phases')."""
    _check_branches()
    branches = []
    for branch in BRANCHES:
        name = title(branch[0])
        route, end = f"Route {branch[0]} branch", f"{name} branch done"
        states: dict[str, dict[str, Any]] = {
            route: {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.phase", "StringEquals": "full", "Next": _entry(branch[0])},
                    *(
                        {"Variable": "$.phase", "StringEquals": STEPS.get(p, p), "Next": _entry(p)}
                        for p in branch
                    ),
                ],
                "Default": end,
            }
        }
        for i, phase in enumerate(branch):
            states.update(phase_states(phase, f"After {phase}", in_branch=True))
            nxt = _entry(branch[i + 1]) if i + 1 < len(branch) else end
            states[f"After {phase}"] = {
                "Type": "Choice",
                "Choices": [{"Variable": "$.phase", "StringEquals": "full", "Next": nxt}],
                "Default": end,
            }
            if phase == "faces":
                states["Faces enabled?"] = faces_gate()
        states[end] = {"Type": "Pass", "OutputPath": "$.results", "End": True}
        branches.append({"StartAt": route, "States": states})
    # Each branch answers its results; ArrayGetItem rather than "$[1]", which moto reads as a list.
    merged = "States.ArrayGetItem($, 0)"
    for i in range(1, len(BRANCHES)):
        merged = f"States.JsonMerge({merged}, States.ArrayGetItem($, {i}), false)"
    return {
        PARALLEL: {
            "Type": "Parallel",
            "Branches": branches,
            "ResultSelector": {"results.$": merged},
            "ResultPath": "$.joined",
            "Catch": CATCH_ALL,
            "Next": "Join results",
        },
        "Join results": {
            "Type": "Pass",
            "InputPath": "$.joined.results",
            "ResultPath": "$.results",
            "Next": after,
        },
    }


def faces_gate() -> dict[str, Any]:
    return {
        "Type": "Choice",
        "Choices": [
            {
                "And": [
                    {"Variable": "$.face_matching", "IsPresent": True},
                    {"Variable": "$.face_matching", "BooleanEquals": False},
                ],
                "Next": "After faces",
            }
        ],
        "Default": title("faces"),
    }


def render() -> str:
    return json.dumps(definition(), indent=2) + "\n"


OUTPUT = Path(__file__).with_name("pipeline.asl.json")

if __name__ == "__main__":
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT}")
