"""moto's S3 as the blob store, with every S3 call botocore sends recorded (tests/infra/iam.py
checks them against the calling function's role in template.yaml)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from eventlens.storage import blob_store
from moto import mock_aws

from tests.infra.iam import s3_calls

REGION, BUCKET = "us-east-1", "eventlens-media"


class Calls:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str | None]] = []

    def record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.seen.extend(s3_calls(model.name, params))


@pytest.fixture
def s3(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "EVENTLENS_BLOB_BACKEND": "s3",
        "EVENTLENS_BUCKET": BUCKET,
    }.items():
        monkeypatch.setenv(name, value)
    from eventlens.config import reset_settings

    reset_settings()
    blob_store.cache_clear()
    calls = Calls()
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        boto3.setup_default_session(region_name=REGION)
        boto3.DEFAULT_SESSION.events.register("before-parameter-build.s3", calls.record)  # type: ignore[union-attr]
        yield calls
    boto3.setup_default_session()
    blob_store.cache_clear()
    reset_settings()


ROOT = Path(__file__).resolve().parents[3]


def function_handler(app: str, handler: str = "lambda_handler") -> Any:
    """A function's handler from its file (functions/<name>/app.py), imported as a module of its
    own, as a fresh Lambda instance imports it."""
    path = ROOT / "functions" / app / "app.py"
    spec = importlib.util.spec_from_file_location(f"{app}_app_under_test", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, handler)


class Invocations:
    """Stands in for the Lambda client: records each invoke, as the calling function makes it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        return {"StatusCode": 202}
