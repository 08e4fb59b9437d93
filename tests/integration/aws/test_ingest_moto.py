"""S3 upload -> SQS -> ingest Lambda -> photo row, with moto for S3, SQS and DynamoDB.

moto's SQS event-source mapping ignores `batchItemFailures`, so the queue is read here and
the real handler is called with the batch, as Lambda's poller would.
"""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from eventlens.storage import blob_store
from moto import mock_aws
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]
REGION, BUCKET, TABLE = "us-east-1", "eventlens-originals", "eventlens-idempotency"


class Context:
    function_name = "ingest"
    memory_limit_in_mb = 512
    aws_request_id = "req"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:ingest"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def jpeg(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def aws(db: str, make_event, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "test",
        "IDEMPOTENCY_TABLE": TABLE,
        "EVENTLENS_BLOB_BACKEND": "s3",
        "EVENTLENS_BUCKET": BUCKET,
    }.items():
        monkeypatch.setenv(name, value)
    from eventlens.config import reset_settings

    reset_settings()
    blob_store.cache_clear()
    make_event("demo")
    with mock_aws():
        s3, sqs = boto3.client("s3", region_name=REGION), boto3.client("sqs", region_name=REGION)
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dlq = sqs.create_queue(QueueName="ingest-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        queue = sqs.create_queue(
            QueueName="ingest",
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
            },
        )["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": queue_arn,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "events/"}]}},
                    }
                ]
            },
        )
        yield {"s3": s3, "sqs": sqs, "queue": queue, "dlq": dlq, "handler": _handler()}
    blob_store.cache_clear()
    reset_settings()


def _handler() -> Any:
    spec = importlib.util.spec_from_file_location("ingest_app_under_test", ROOT / "functions/ingest/app.py")
    assert spec is not None
    assert spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # inside mock_aws: its DynamoDB client talks to moto
    return module.lambda_handler


def receive(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message now visible (hidden for 30 s once received, as a poller's batch is)."""
    found: list[dict[str, Any]] = []
    while True:
        reply = aws["sqs"].receive_message(
            QueueUrl=aws["queue"], MaxNumberOfMessages=10, VisibilityTimeout=30, AttributeNames=["All"]
        )
        if not reply.get("Messages"):
            return found
        found += reply["Messages"]


def as_batch(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ingest",
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


def deliver(aws: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What Lambda's SQS poller does: call the handler, delete what succeeded, release the rest."""
    try:
        reply = aws["handler"](as_batch(messages), Context())
    except BatchProcessingError:  # every record failed: the whole batch goes back
        reply = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages]}
    failed = {f["itemIdentifier"] for f in reply["batchItemFailures"]}
    for message in messages:
        if message["MessageId"] in failed:
            aws["sqs"].change_message_visibility(
                QueueUrl=aws["queue"], ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        else:
            aws["sqs"].delete_message(QueueUrl=aws["queue"], ReceiptHandle=message["ReceiptHandle"])
    return reply


def photo_rows(owner_conn) -> list[tuple]:
    return owner_conn.execute("SELECT source_key, analyze_status FROM photos ORDER BY source_key").fetchall()


def test_an_upload_becomes_one_pending_photo_with_its_key_decoded(aws, owner_conn) -> None:
    aws["s3"].put_object(Bucket=BUCKET, Key="events/demo/originals/Stage/keynote 1+2.jpg", Body=jpeg("red"))
    aws["s3"].put_object(Bucket=BUCKET, Key="events/demo/thumbs/x/320.jpg", Body=b"thumb")
    messages = receive(aws)
    bodies = [json.loads(m["Body"]) for m in messages]
    assert any(b.get("Event") == "s3:TestEvent" for b in bodies), "moto sends the setup test event first"
    assert deliver(aws, messages) == {"batchItemFailures": []}
    assert photo_rows(owner_conn) == [("events/demo/originals/Stage/keynote 1+2.jpg", "pending")]


def test_the_same_message_delivered_twice_gives_one_row(aws, owner_conn) -> None:
    aws["s3"].put_object(Bucket=BUCKET, Key="events/demo/originals/a.jpg", Body=jpeg("blue"))
    messages = [m for m in receive(aws) if "Records" in json.loads(m["Body"])]
    deliver(aws, messages)
    deliver(aws, messages)  # SQS at-least-once: the same notification again
    assert photo_rows(owner_conn) == [("events/demo/originals/a.jpg", "pending")]


def test_a_poison_message_fails_alone_and_lands_in_the_dlq(aws, owner_conn) -> None:
    aws["sqs"].purge_queue(QueueUrl=aws["queue"])
    aws["sqs"].send_message(QueueUrl=aws["queue"], MessageBody="{not json")
    aws["s3"].put_object(Bucket=BUCKET, Key="events/demo/originals/good.jpg", Body=jpeg("green"))
    first = receive(aws)
    reply = deliver(aws, first)
    poison_id = next(m["MessageId"] for m in first if m["Body"] == "{not json")
    assert reply["batchItemFailures"] == [{"itemIdentifier": poison_id}]
    assert photo_rows(owner_conn) == [("events/demo/originals/good.jpg", "pending")]
    for _ in range(3):  # redelivered until maxReceiveCount (2), then moved to the DLQ
        messages = receive(aws)
        if messages:
            deliver(aws, messages)
    dead = aws["sqs"].receive_message(QueueUrl=aws["dlq"], MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == ["{not json"]
    assert receive(aws) == []


def test_a_burst_of_uploads_starts_one_execution_and_a_later_one_after_it_ends(
    aws, owner_conn, monkeypatch
) -> None:
    """S3 -> SQS -> ingest starts the event's processing by itself: 30 uploads delivered in three
    batches start one execution while it runs; an upload after it ended starts the next."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name="pipeline",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/states",
    )["stateMachineArn"]
    monkeypatch.setenv("EVENTLENS_STATE_MACHINE_ARN", arn)
    from eventlens.config import reset_settings

    reset_settings()
    aws["sqs"].purge_queue(QueueUrl=aws["queue"])
    for i in range(30):
        aws["s3"].put_object(
            Bucket=BUCKET,
            Key=f"events/demo/originals/burst/{i}.jpg",
            Body=jpeg(f"#{i * 8:02x}{255 - i * 8:02x}40"),
        )
    messages = [m for m in receive(aws) if "Records" in json.loads(m["Body"])]
    for start in range(0, len(messages), 10):
        assert deliver(aws, messages[start : start + 10]) == {"batchItemFailures": []}

    assert len(messages) == 30
    assert len(photo_rows(owner_conn)) == 30
    assert len(sfn.list_executions(stateMachineArn=arn)["executions"]) == 1
    (run_id,) = [r[0] for r in owner_conn.execute("SELECT id FROM pipeline_runs WHERE status = 'running'")]

    from eventlens.jobs.service import finish_run

    finish_run(run_id, "completed", [])  # the state machine's record-run step
    aws["s3"].put_object(Bucket=BUCKET, Key="events/demo/originals/late.jpg", Body=jpeg("white"))
    deliver(aws, [m for m in receive(aws) if "Records" in json.loads(m["Body"])])
    assert len(sfn.list_executions(stateMachineArn=arn)["executions"]) == 2
