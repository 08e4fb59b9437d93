"""Ingest: S3 ObjectCreated notifications, delivered through SQS, become pending photo rows.

Partial batch failures let one bad message go back to the queue (and on to the DLQ after
maxReceiveCount) without redelivering its neighbours. Idempotency per bucket + key + ETag in
DynamoDB absorbs SQS's at-least-once delivery and the two events a multipart upload raises.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from eventlens.config import settings
from eventlens.events.service import event_by_id
from eventlens.jobs.service import process_new_photos
from eventlens.scope import Scope
from eventlens.sources.service import ingest_object
from eventlens.storage.keys import event_of_original

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
persistence = DynamoDBPersistenceLayer(
    table_name=os.environ.get("IDEMPOTENCY_TABLE", "eventlens-idempotency")
)
idempotency = IdempotencyConfig(event_key_jmespath="[bucket, key, etag]", expires_after_seconds=7 * 24 * 3600)


@idempotent_function(data_keyword_argument="obj", persistence_store=persistence, config=idempotency)
def register(obj: dict[str, Any]) -> dict[str, Any]:
    return ingest_object(obj["bucket"], obj["key"], obj["etag"], obj["size"]).model_dump(mode="json")


def objects_in(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The created objects an S3 notification names; none for the s3:TestEvent sent on setup."""
    if body.get("Event") == "s3:TestEvent":
        return []
    found = [
        {
            "bucket": r["s3"]["bucket"]["name"],
            # S3 URL-encodes keys in notifications: "a+b%2Bc.jpg" is "a b+c.jpg".
            "key": unquote_plus(r["s3"]["object"]["key"]),
            "etag": r["s3"]["object"].get("eTag", ""),
            "size": int(r["s3"]["object"].get("size", 0)),
        }
        for r in body.get("Records", [])
        if r.get("eventName", "").startswith("ObjectCreated")
    ]
    # The bucket notification filters on the events/ prefix; thumbnails share it, only originals count.
    return [o for o in found if event_of_original(o["key"]) and not o["key"].endswith("/")]


_arrived: set[str] = set()
"""Events that got new photos in this invocation's batch."""


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    for obj in objects_in(json.loads(record.body)):
        result = register(obj=obj)
        logger.info("ingested", extra={"key": obj["key"], "result": result})
        metrics.add_metric(name="ObjectsIngested", unit=MetricUnit.Count, value=1)
        if result["status"] in ("added", "updated") and result["event_id"]:
            _arrived.add(result["event_id"])


def start_processing(event_ids: set[str]) -> None:
    """One run per event with new photos, unless one is going (jobs.service.process_new_photos
    debounces across concurrent ingest workers). A start that fails is logged and counted, not
    raised: the photos are registered, and the next upload or the organizer starts it again."""
    if not settings().state_machine_arn:
        logger.warning("no EVENTLENS_STATE_MACHINE_ARN: new photos wait for a run to be started")
        return
    for event_id in sorted(event_ids):
        try:
            run_id = process_new_photos(Scope.pipeline(event_by_id(event_id)))
        except Exception:
            logger.exception("could not start processing", extra={"event_id": event_id})
            metrics.add_metric(name="RunStartFailed", unit=MetricUnit.Count, value=1)
        else:
            logger.info("processing", extra={"event_id": event_id, "run_id": str(run_id)})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    _arrived.clear()
    reply = dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
    start_processing(_arrived)
    return reply
