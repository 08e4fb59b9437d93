"""`eventlens jobs …`: list, show, re-prioritise, cancel and retry the event's jobs from the shell."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from eventlens.cli import main
from eventlens.jobs import repo
from eventlens.jobs.service import finish_run, open_run
from eventlens.scope import Scope


@pytest.fixture
def run(db: str):
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def test_jobs_are_listed_reprioritised_cancelled_and_retried_from_the_command_line(run, make_event) -> None:
    event = make_event("shell")
    pipeline = Scope.pipeline(event)
    running = open_run(pipeline, "full")
    with pipeline.transaction() as tx:
        queued = repo.insert_queued(tx, event.id, "tag", 0)

    code, output = run("jobs", "list", "--event", "shell")
    assert code == 0, output
    assert output.splitlines()[0].startswith(f"{queued}  pipeline tag      queued")
    assert "#1 waits for the running full job" in output

    code, output = run("jobs", "priority", str(queued), "9", "--event", "shell", "--json")
    assert (code, json.loads(output)["priority"]) == (0, 9)

    code, output = run("jobs", "cancel", str(queued), "--event", "shell", "--json")
    assert (code, json.loads(output)["status"]) == (0, "cancelled")
    code, output = run("jobs", "cancel", str(queued), "--event", "shell")
    assert code != 0
    assert "already cancelled" in output

    finish_run(running, "failed", [], "the worker stopped")
    code, output = run("jobs", "retry", str(running), "--event", "shell", "--json")
    assert code == 0, output
    again = json.loads(output)
    assert (again["status"], again["phase"]) == ("completed", "full")
    assert again["id"] != str(running)

    code, output = run("jobs", "show", str(running), "--event", "shell")
    assert code == 0, output
    assert "failed: the worker stopped" in output


def test_an_unknown_job_is_a_clear_error(run, make_event) -> None:
    make_event("shell")
    code, output = run("jobs", "show", "00000000-0000-0000-0000-000000000000", "--event", "shell")
    assert code != 0
    assert "no job" in output
