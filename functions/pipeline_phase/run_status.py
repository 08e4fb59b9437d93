"""The state machine's "record run" step: opens a run, closes it as completed or failed, and at the
end of a full run says how many photos arrived meanwhile (closing it when none did).

Closing it from the state machine (also on the Catch path) means a run the admin page shows as
running really is running: a phase that crashed still ends its run as failed, with the error.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.events.service import event_by_id
from eventlens.jobs.service import close_if_caught_up, finish_run, open_run
from eventlens.pipeline.graph import PHASES
from eventlens.scope import Scope

logger = Logger()
tracer = Tracer()


def merge_workers(phase: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """One phase result from its parallel Map workers' last results."""
    return {
        "phase": phase,
        "processed": sum(r["processed"] for r in results),
        "remaining": max((r["remaining"] for r in results), default=0),
        "errors": sum(r["errors"] for r in results),
        "done": all(r["done"] for r in results),
    }


def results_list(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The state machine keeps results by phase (a dict, or a list per Map); runs store a list."""
    return [
        merge_workers(p, results[p]) if isinstance(results[p], list) else results[p]
        for p in PHASES
        if p in results
    ]


def error_text(error: dict[str, Any] | None) -> str | None:
    """A Catch gives {"Error", "Cause"}; a Lambda's Cause is its JSON error payload."""
    if not error:
        return None
    cause = error.get("Cause") or ""
    with contextlib.suppress(ValueError, AttributeError):
        cause = json.loads(cause).get("errorMessage", cause)
    return f"{error.get('Error', 'Error')}: {cause}" if cause else str(error.get("Error"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event["action"] == "start":
        scope = Scope.pipeline(event_by_id(event["event_id"]))
        return {"run_id": str(open_run(scope, event["phase"]))}
    if event["action"] == "caught_up":
        waiting = close_if_caught_up(event["run_id"], results_list(event.get("results") or {}))
        return {"run_id": event["run_id"], "waiting": waiting}
    finish_run(
        event["run_id"],
        event["status"],
        results_list(event.get("results") or {}),
        error_text(event.get("error")),
    )
    return {"run_id": event["run_id"], "status": event["status"]}
