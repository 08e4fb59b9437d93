"""One pipeline phase per invocation, for the Step Functions state machine.

Every phase function runs this handler; template.yaml pins each to its phase with PIPELINE_PHASE,
so a faces payload can never reach the small describe function by mistake. The phase stops before
the Lambda timeout and answers done:false; the state machine's Choice calls it again.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.pipeline.context import PipelineOptions
from eventlens.pipeline.runner import list_for_scan, run_phase
from eventlens.resilience import WallClockGuard

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    phase = event["phase"]
    pinned = os.environ.get("PIPELINE_PHASE")
    if pinned and pinned != phase:
        raise ValueError(f"this function runs phase {pinned!r}, not {phase!r}")
    logger.append_keys(event_id=event["event_id"], phase=phase, worker=event.get("worker"))
    if event.get("list"):  # scan: the one listing its Map workers share
        listed = list_for_scan(event["event_id"])
        logger.info("listed for scan", extra={"listed": listed})
        return {"phase": phase, "listed": listed}
    shard = (int(event["worker"]), int(event["workers"])) if event.get("workers") else None
    # a run of this phase alone (not "full"): analyze does not fuse faces and the describer in
    alone = event.get("run_phase", "full") != "full"
    result = run_phase(
        event["event_id"],
        phase,
        WallClockGuard.for_lambda(context),
        options=PipelineOptions(fuse=False) if alone else None,
        run_id=event.get("run_id"),
        shard=shard,
    )
    metrics.add_dimension(name="phase", value=phase)
    metrics.add_metric(name="PhotosProcessed", unit=MetricUnit.Count, value=result["processed"])
    metrics.add_metric(name="PhotoErrors", unit=MetricUnit.Count, value=result["errors"])
    logger.info("phase batch", extra={"result": result})
    return result
