"""The ML container image's pipeline entry point: faces (SFace or buffalo_l) and analyze (NSFW, thumbnails) batches,
and (`transcode_handler`) the transcode step and compilation builds, which need its PyAV and libx264.

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


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def transcode_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The transcode function (template.yaml TranscodeFunction), two callers:

    - the state machine's transcode step, {"event_id", "run_id", "phase": "transcode"}, beside
      describe and faces: videos analyze left pending (too long for its spare time), one invocation
      of up to 15 minutes at a time, looped until done; a video whose estimate exceeds a whole
      invocation is marked failed naming `eventlens video transcode`, never left pending;
    - the admin function, asynchronously, {"job": "compilation", "event_id", "compilation_id"}: one
      reel, claimed once (a second invocation for it does nothing), refused with a message naming
      `eventlens compilations build` when it could not be encoded within this invocation.
    """
    from eventlens.resilience import WallClockGuard

    if event.get("job") == "compilation":
        from eventlens.compilations.service import build_compilation

        logger.append_keys(event_id=event["event_id"], compilation_id=event["compilation_id"])
        outcome = build_compilation(
            event["event_id"],
            event["compilation_id"],
            WallClockGuard.for_lambda(context),
            refuse_longer=True,
        )
        logger.info("compilation built", extra={"outcome": outcome})
        return {"compilation_id": event["compilation_id"], "status": outcome}
    if event.get("phase") != "transcode":
        raise ValueError(f"this function runs the transcode step, not {event.get('phase')!r}")
    from eventlens.events.service import event_by_id
    from eventlens.jobs.service import beat
    from eventlens.pipeline.phases.transcode import run
    from eventlens.scope import Scope
    from eventlens.storage import blob_store

    logger.append_keys(event_id=event["event_id"], phase="transcode")
    scope = Scope.pipeline(event_by_id(event["event_id"]))
    report = run(
        scope, blob_store(), WallClockGuard.for_lambda(context), first_regardless=False, refuse_longer=True
    )
    if event.get("run_id") is not None:
        beat(scope, event["run_id"])
    metrics.add_metric(name="VideosTranscoded", unit=MetricUnit.Count, value=report.processed)
    # done when nothing is left that a fresh invocation could take: a video another worker holds
    # (an analyze batch, the command line) is theirs to finish
    return {
        "phase": "transcode",
        "processed": report.processed,
        "remaining": report.remaining,
        "errors": report.errors,
        "done": not report.more,
    }
