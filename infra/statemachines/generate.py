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
from eventlens.pipeline.graph import GRAPH, PHASES

FAN_OUT: frozenset[str] = frozenset(p.name for p in GRAPH if p.fan_out)
"""Per-photo phases whose batches run as parallel Map workers: CPU- or API-latency-bound, and each
worker claims its own rows. The others (listing, event-wide clustering, tagging) stay single."""

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
    payload: dict[str, Any] = {"event_id.$": "$.event_id", "run_id.$": "$.run_id", "phase": phase}
    if worker:
        payload["worker.$"] = "$.worker"
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


def phase_states(phase: str, after: str) -> dict[str, dict[str, Any]]:
    """The states of one phase, entered at title(phase), leaving to `after`."""
    name = title(phase)
    if phase not in FAN_OUT:
        task, again, too_many = f"{name} batch", f"{name} again", f"{name} never finished"
        return {
            name: {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.batch", "Next": task},
            task: phase_task(phase, f"$.results.{phase}", f"{name} done?", worker=False),
            f"{name} done?": loop_choice(f"$.results.{phase}", again, after, too_many),
            again: count_batch(task),
            too_many: {"Type": "Pass", "Result": TOO_MANY, "ResultPath": "$.error", "Next": "Record failure"},
        }
    batch, worker_done, finished = f"{name} batch", f"{name} batch done?", f"{name} worker finished"
    again, too_many = f"{name} batch again", f"{name} worker never finished"
    return {
        name: {
            "Type": "Pass",
            "Parameters": {"workers.$": "States.ArrayRange(1, ${MapWorkers}, 1)"},
            "ResultPath": "$.fanout",
            "Next": f"{name} workers",
        },
        f"{name} workers": {
            "Type": "Map",
            "ItemsPath": "$.fanout.workers",
            "ItemSelector": {
                "event_id.$": "$.event_id",
                "run_id.$": "$.run_id",
                "worker.$": "$$.Map.Item.Value",
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
            "Catch": CATCH_ALL,
            "Next": after,
        },
    }


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
        "Init results": {"Type": "Pass", "Result": {}, "ResultPath": "$.results", "Next": "Route phase"},
        "Route phase": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.phase", "StringEquals": "full", "Next": title(PHASES[0])},
                *({"Variable": "$.phase", "StringEquals": p, "Next": _entry(p)} for p in PHASES),
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
    for i, phase in enumerate(PHASES):
        after = f"After {phase}"
        states.update(with_catch(phase_states(phase, after)))
        nxt = _entry(PHASES[i + 1]) if i + 1 < len(PHASES) else "Record success"
        states[after] = {
            "Type": "Choice",
            "Choices": [{"Variable": "$.phase", "StringEquals": "full", "Next": nxt}],
            "Default": "Record success",
        }
    states["Faces enabled?"] = {
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
    states["Record success"] = {
        **invoke(
            "${RecordRunFunctionArn}",
            {"action": "finish", "run_id.$": "$.run_id", "status": "succeeded", "results.$": "$.results"},
        ),
        "ResultPath": None,
        "End": True,
    }
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
        "Comment": "EventLens pipeline: phases in order, each looped until done; generated by generate.py",
        "StartAt": "Has run?",
        "States": states,
    }


def _entry(phase: str) -> str:
    """Where a phase is entered: faces first asks whether face matching is on."""
    return "Faces enabled?" if phase == "faces" else title(phase)


def render() -> str:
    return json.dumps(definition(), indent=2) + "\n"


OUTPUT = Path(__file__).with_name("pipeline.asl.json")

if __name__ == "__main__":
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT}")
