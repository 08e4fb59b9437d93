"""Starting a run on AWS: one execution for a burst of uploads, a name Step Functions accepts,
and a run whose execution could not start is closed, never left "running"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from eventlens.jobs.service import execution_name, get_run, process_new_photos, start_run
from eventlens.scope import Scope
from moto import mock_aws

from tests.helpers import scoped

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/states"


@pytest.fixture
def state_machine(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name="pipeline", definition=json.dumps(definition), roleArn=ROLE
        )["stateMachineArn"]
        monkeypatch.setenv("EVENTLENS_STATE_MACHINE_ARN", arn)
        from eventlens.config import reset_settings

        reset_settings()
        yield arn
    reset_settings()


def executions(arn: str) -> list[dict]:
    return boto3.client("stepfunctions", region_name=REGION).list_executions(stateMachineArn=arn)[
        "executions"
    ]


def test_a_burst_of_concurrent_uploads_starts_one_execution(state_machine: str, make_event) -> None:
    event = make_event("burst")
    with ThreadPoolExecutor(max_workers=8) as pool:
        started = list(pool.map(lambda _: process_new_photos(Scope.pipeline(event)), range(24)))

    assert len(set(started)) == 1
    assert len(executions(state_machine)) == 1
    with scoped(event.id) as tx:
        assert tx.execute("SELECT count(*) AS n FROM pipeline_runs").fetchone()["n"] == 1  # type: ignore[index]


def test_an_execution_name_fits_step_functions_for_the_longest_slug(state_machine: str, make_event) -> None:
    slug = "a" * 63
    event = make_event(slug)
    run = start_run(Scope.organizer(event, "test"), "full")

    (execution,) = executions(state_machine)
    assert execution["name"] == execution_name(slug, run.id)
    assert len(execution["name"]) <= 80
    assert execution["name"].endswith(str(run.id))


def test_a_run_whose_execution_cannot_start_is_closed_as_failed(
    state_machine: str, make_event, monkeypatch
) -> None:
    event = make_event("nostart")
    monkeypatch.setenv("EVENTLENS_STATE_MACHINE_ARN", state_machine + "-gone")
    from eventlens.config import reset_settings

    reset_settings()
    with pytest.raises(Exception, match="StateMachineDoesNotExist"):
        process_new_photos(Scope.pipeline(event))

    with scoped(event.id) as tx:
        (row,) = tx.execute("SELECT id, status, error FROM pipeline_runs").fetchall()
    assert row["status"] == "failed"
    assert "could not start" in row["error"]
    assert get_run(Scope.organizer(event, "test"), row["id"]).status == "failed"

    monkeypatch.setenv("EVENTLENS_STATE_MACHINE_ARN", state_machine)
    reset_settings()
    assert process_new_photos(Scope.pipeline(event)) is not None  # the next upload starts one


def test_cancelling_a_job_on_aws_stops_its_execution_and_closes_it_cancelled(
    state_machine: str, make_event
) -> None:
    from eventlens.jobs.service import cancel_job, get_job

    event = make_event("stop-me")
    organizer = Scope.organizer(event, "test")
    run = start_run(organizer, "full")
    job = get_job(organizer, run.id)
    (execution,) = executions(state_machine)
    assert job.execution_arn == execution["executionArn"]

    cancelled = cancel_job(organizer, run.id)

    sfn = boto3.client("stepfunctions", region_name=REGION)
    assert sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "ABORTED"
    assert (cancelled.status, cancelled.cancel_requested) == ("cancelled", True)
    assert cancelled.finished_at is not None
