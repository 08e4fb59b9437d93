"""The `eventlens` command line against the real database, blobs and pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from eventlens.cli import main
from PIL import Image


@pytest.fixture
def run(db: str):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
        result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def test_every_command_has_help(run) -> None:
    for command in (
        [],
        ["db", "upgrade"],
        ["event", "create"],
        ["ingest"],
        ["drive", "add"],
        ["drive", "sync"],
        ["sources", "add"],
        ["sources", "list"],
        ["sources", "sync"],
        ["sources", "watch"],
        ["pipeline", "run"],
        ["serve"],
        ["demo"],
        ["search"],
        ["match"],
        ["duplicates"],
        ["org", "create"],
        ["user", "create"],
        ["grant"],
        ["revoke"],
    ):
        code, output = run(*command, "--help")
        assert code == 0
        assert "Usage:" in output


def test_db_upgrade_twice_reports_nothing_to_do(run) -> None:
    assert run("db", "upgrade") == (0, "database is up to date\n")


def test_event_create_with_password_flag_then_login_works(run) -> None:
    code, output = run(
        "event", "create", "gala", "--name", "Gala Night", "--password", "correct-horse", "--json"
    )
    assert code == 0
    assert json.loads(output)["slug"] == "gala"
    from eventlens.auth.service import login

    token, _ = login("gala", "correct-horse")
    assert token


def test_event_create_without_password_and_terminal_fails_clearly(run, monkeypatch) -> None:
    monkeypatch.delenv("EVENTLENS_ORGANIZER_PASSWORD", raising=False)
    code, output = run("event", "create", "gala", "--name", "Gala")
    assert code != 0
    assert "--password" in output


def test_event_create_refuses_a_duplicate_slug_and_a_bad_slug(run) -> None:
    run("event", "create", "gala", "--name", "Gala", "--password", "correct-horse")
    code, output = run("event", "create", "gala", "--name", "Gala", "--password", "correct-horse")
    assert code != 0
    assert "already exists" in output
    code, output = run("event", "create", "Bad Slug!", "--name", "Gala", "--password", "correct-horse")
    assert code != 0


def test_ingest_skips_exact_reimports_and_pipeline_reports_json(run, tmp_path: Path) -> None:
    run("event", "create", "gala", "--name", "Gala", "--password", "correct-horse")
    folder = tmp_path / "photos" / "Stage"
    folder.mkdir(parents=True)
    for i, colour in enumerate(["red", "blue"]):
        Image.new("RGB", (64, 48), colour).save(folder / f"p{i}.jpg")
    code, output = run("ingest", str(tmp_path / "photos"), "--event", "gala", "--json")
    assert code == 0, output
    assert json.loads(output)["added"] == 2
    code, output = run("ingest", str(tmp_path / "photos"), "--event", "gala", "--json")
    assert (json.loads(output)["added"], json.loads(output)["skipped"]) == (0, 2)
    code, output = run("pipeline", "run", "--event", "gala", "--phase", "analyze", "--json")
    assert code == 0, output
    report = json.loads(output)
    assert report["phase"] == "analyze"
    assert report["results"][0] == {**report["results"][0], "phase": "analyze", "processed": 2, "done": True}


def test_commands_on_an_unknown_event_fail_clearly(run, tmp_path: Path) -> None:
    code, output = run("pipeline", "run", "--event", "nope")
    assert code != 0
    assert "no event 'nope'" in output


def test_match_json_is_the_apis_match_response(run, tmp_path: Path) -> None:
    """`match --json` prints the API's MatchResponse as is (it used to flatten each match's photo)."""
    import io

    import numpy as np
    from eventlens.findme.views import MatchResponse
    from eventlens.ml.faces import face_model

    from tests.integration.search.conftest import T1

    run("event", "create", "gala", "--name", "Gala", "--password", "correct-horse")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "group.jpg").write_bytes(T1.read_bytes())
    run("ingest", str(tmp_path / "photos"), "--event", "gala")
    code, output = run("pipeline", "run", "--event", "gala", "--json")
    assert code == 0, output
    group = Image.open(T1).convert("RGB")
    x, y, w, h = face_model("sface").detect(np.asarray(group))[0].bbox
    selfie = tmp_path / "selfie.jpg"
    buffer = io.BytesIO()
    group.crop((int(x - w / 2), int(y - h / 2), int(x + 1.5 * w), int(y + 1.5 * h))).save(buffer, "JPEG")
    selfie.write_bytes(buffer.getvalue())

    code, output = run("match", str(selfie), "--event", "gala", "--json")

    assert code == 0, output
    payload = json.loads(output)
    assert MatchResponse.model_validate(payload).model_dump(mode="json") == payload
    assert [m["photo"]["filename"] for m in payload["matches"]] == ["group.jpg"]
    assert 0 < payload["matches"][0]["confidence"] <= 100


def test_an_operator_creates_an_organization_an_event_an_account_and_grants_a_role(run, owner_conn) -> None:
    assert run("org", "create", "festival", "--name", "Summer Festival")[0] == 0
    code, output = run(
        "event",
        "create",
        "day-one",
        "--name",
        "Day One",
        "--password",
        "pw-123456",
        "--org",
        "festival",
        "--private",
    )
    assert code == 0, output
    assert run("user", "create", "ana@example.org", "--name", "Ana")[0] == 0
    code, output = run("grant", "editor", "ana@example.org", "--event", "day-one")
    assert (code, output.strip()) == (0, "ana@example.org is EDITOR of day-one")
    code, output = run("grant", "SUPER_ADMIN", "ana@example.org", "--event", "day-one")
    assert code == 1
    assert "SUPER_ADMIN is held for the installation" in output
    code, output = run("grant", "boss", "ana@example.org", "--org", "festival")
    assert code == 1
    assert "no role 'boss'" in output
    code, output = run("grant", "ADMIN", "ghost@example.org", "--org", "festival")
    assert code == 1
    assert "no account for ghost@example.org" in output
    assert owner_conn.execute(
        "SELECT g.role, e.slug, e.visibility, o.slug FROM grants g JOIN events e ON e.id = g.event_id"
        " JOIN organizations o ON o.id = e.organization_id"
    ).fetchall() == [("EDITOR", "day-one", "private", "festival")]
    code, output = run("revoke", "ana@example.org", "--event", "day-one")
    assert (code, output.strip()) == (0, "ana@example.org was EDITOR there; no longer")
    assert owner_conn.execute("SELECT count(*) FROM grants").fetchone() == (0,)


def test_a_cli_run_is_recorded_and_its_summary_agrees_with_the_phase_counts(run, tmp_path: Path) -> None:
    """The dashboard lists runs the CLI (and `eventlens demo`) made, and a run's per-phase
    `processed` counts what analyze did for the phases it fused in (not "describe: 0")."""
    from eventlens.events.service import get_event
    from eventlens.jobs.service import pipeline_status
    from eventlens.scope import Scope

    run("event", "create", "fair", "--name", "Fair", "--password", "correct-horse")
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, colour in enumerate(["red", "blue", "green"]):
        Image.new("RGB", (64, 48), colour).save(folder / f"p{i}.jpg")
    assert run("ingest", str(folder), "--event", "fair", "--json")[0] == 0

    code, output = run("pipeline", "run", "--event", "fair", "--json")

    assert code == 0, output
    status = pipeline_status(Scope.organizer(get_event("fair"), "test"))
    assert [(r.phase, r.status) for r in status.runs] == [("full", "completed")]
    processed = {r.phase: r.processed for r in status.runs[0].results}
    finished = {c.phase: c.completed + c.error for c in status.phases}
    assert finished == {"analyze": 3, "describe": 3, "embed": 3, "faces": 3}
    assert {p: processed[p] for p in finished} == finished


def test_the_demos_own_run_is_listed_on_its_dashboard(run) -> None:
    from eventlens.events.service import get_event
    from eventlens.jobs.service import pipeline_status
    from eventlens.scope import Scope

    code, output = run("demo", "--no-serve", "--password", "demo-password")

    assert code == 0, output
    runs = pipeline_status(Scope.organizer(get_event("demo"), "test")).runs
    assert [(r.phase, r.status) for r in runs] == [("full", "completed")]
    assert {r.phase for r in runs[0].results} >= {"sync", "analyze", "tag"}
