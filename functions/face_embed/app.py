"""The ML container image's pipeline entry point: faces (SFace or buffalo_l) and analyze (NSFW, thumbnails) batches.

The same image also serves the selfie match route (functions/api_match/app.py, copied in by the
Dockerfile): one build and one set of baked weights, while template.yaml still gives each use its
own function, memory, timeout and IAM role (ImageConfig.Command, PIPELINE_PHASE).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.pipeline.runner import run_phase
from eventlens.resilience import WallClockGuard

logger = Logger()
tracer = Tracer()
metrics = Metrics()

PHASE = os.environ.get("PIPELINE_PHASE", "faces")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One phase batch for the state machine (same contract as functions/pipeline_phase)."""
    if event["phase"] != PHASE:
        raise ValueError(f"this function runs phase {PHASE!r}, not {event['phase']!r}")
    logger.append_keys(event_id=event["event_id"], phase=PHASE, worker=event.get("worker"))
    metrics.add_dimension(name="phase", value=PHASE)
    result = run_phase(
        event["event_id"], PHASE, WallClockGuard.for_lambda(context), run_id=event.get("run_id")
    )
    metrics.add_metric(name="PhotosProcessed", unit=MetricUnit.Count, value=result["processed"])
    return result
