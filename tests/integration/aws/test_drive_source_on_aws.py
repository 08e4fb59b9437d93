"""On AWS a Drive source's credentials sit in Secrets Manager and its originals in S3: given a
service-account key stored as a secret (moto) and the fake Drive, a sync reads the key by its ARN
and puts each file's bytes under the event's Drive prefix in the bucket."""

from __future__ import annotations

import json

import boto3
import pytest
from eventlens.errors import InvalidDriveSource
from eventlens.scope import Scope
from eventlens.sources.drive.service import add_drive_source, sync_drive
from eventlens.storage import blob_store

from tests.fakes.drive_server import ROOT, FakeDriveServer
from tests.fixtures_photos import real_jpeg
from tests.integration.aws.conftest import BUCKET, REGION


def test_credentials_come_from_secrets_manager_and_originals_go_to_s3(
    s3, drive: FakeDriveServer, make_event
) -> None:
    secrets = boto3.client("secretsmanager", region_name=REGION)
    arn = secrets.create_secret(
        Name="eventlens/drive", SecretString=json.dumps(drive.service_account_info())
    )["ARN"]
    event = make_event("drive-aws")
    cat = drive.add_file("cat.jpg", real_jpeg("chelsea", (64, 48)), parent=drive.add_folder("Day 1"))

    add_drive_source(Scope.organizer(event, "organizer"), ROOT, arn)
    report = sync_drive(Scope.pipeline(event), blob_store())

    assert report is not None
    assert (report.added, report.error) == (1, None)
    stored = boto3.client("s3", region_name=REGION).get_object(
        Bucket=BUCKET, Key=f"events/drive-aws/drive/{cat}"
    )
    assert stored["Body"].read() == real_jpeg("chelsea", (64, 48))
    assert drive.calls("token")[0].query["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"


def test_a_secret_that_cannot_be_read_is_refused_when_the_source_is_added(s3, make_event) -> None:
    event = make_event("drive-aws")
    missing = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:eventlens/none-AbCdEf"

    with pytest.raises(InvalidDriveSource, match="cannot read the Drive credentials"):
        add_drive_source(Scope.organizer(event, "organizer"), ROOT, missing)
