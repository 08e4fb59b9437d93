"""On AWS a Drive source's credentials sit in Secrets Manager and its originals in S3: given a
service-account key stored as a secret (moto) and the fake Drive, a sync reads the key by its ARN
and puts each file's bytes under the event's Drive prefix in the bucket. The sync phase's role may
read only the stack's Drive secrets (`<stack>/drive/...`, one per source), and a later run asks the
Changes API from the page token the first one kept, so a rename keeps the photo."""

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
from tests.infra.iam import Names, secrets_call, statements
from tests.integration.aws.conftest import BUCKET, REGION, Calls

STACK = "eventlens"
"""The stack name tests/infra/iam.py's Names stands in for `AWS::StackName`."""


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


def refused(function: str, calls: list[tuple[str, str, str | None]]) -> list[tuple[str, str, str | None]]:
    allowed = statements(function, Names(BUCKET, REGION, stack=STACK))
    return [call for call in calls if not any(s.allows(*call) for s in allowed)]


def test_the_sync_phase_reads_its_secret_and_follows_a_rename_through_the_changes_api(
    s3: Calls, drive: FakeDriveServer, make_event, owner_conn
) -> None:
    from eventlens.pipeline.runner import run_phase

    arn = (
        boto3.session.Session(region_name=REGION)  # the operator's, not the functions': not recorded
        .client("secretsmanager")
        .create_secret(Name=f"{STACK}/drive/gala", SecretString=json.dumps(drive.service_account_info()))[
            "ARN"
        ]
    )
    boto3.DEFAULT_SESSION.events.register(  # type: ignore[union-attr]
        "before-parameter-build.secrets-manager",
        lambda model, params, **_: s3.seen.append(secrets_call(model.name, params)),
    )
    event = make_event("gala")
    cat = drive.add_file("cat.jpg", real_jpeg("chelsea", (64, 48)), parent=drive.add_folder("Day 1"))
    add_drive_source(Scope.organizer(event, "organizer"), ROOT, arn)
    assert refused("AdminFunction", s3.seen) == []  # the wizard reads the secret once, when it is added
    s3.seen.clear()

    assert run_phase(event, "sync", 120_000)["done"]
    (token,) = owner_conn.execute(
        "SELECT page_token FROM drive_sources WHERE event_id = %s", (event.id,)
    ).fetchone()
    assert token is not None
    (photo_id,) = owner_conn.execute("SELECT id FROM photos WHERE event_id = %s", (event.id,)).fetchone()
    drive.rename(cat, "stage-cat.jpg")
    listed = len(drive.calls("files.list"))

    assert run_phase(event, "sync", 120_000)["done"]

    assert [c.query.get("pageToken") for c in drive.calls("changes.list")][:1] == [token]
    assert len(drive.calls("files.list")) == listed  # nothing listed again: the change said it
    assert owner_conn.execute(
        "SELECT id, filename, folder FROM photos WHERE event_id = %s", (event.id,)
    ).fetchall() == [(photo_id, "stage-cat.jpg", "Day 1")]
    assert {call[0] for call in s3.seen} >= {"secretsmanager:GetSecretValue", "s3:PutObject"}
    assert refused("SyncFunction", s3.seen) == []
    elsewhere = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:someone-else/drive/gala-AbCdEf"
    assert refused("SyncFunction", [("secretsmanager:GetSecretValue", elsewhere, None)]) != []
