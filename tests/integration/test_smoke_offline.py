"""scripts/smoke_deployed.py, every step, against `eventlens serve` on the embedded database: the
operator function (in-process, as `aws lambda invoke` would call it) creates and deletes the event;
photos go up through the presigned flow and through the real pipeline; search, find-me and the
ZIP download answer; nothing of the event is left."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from typing import Any

from eventlens.devserver import make_server
from eventlens.storage import blob_store

ROOT = Path(__file__).resolve().parents[2]


def _load(path: str, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_smoke_script_passes_end_to_end_and_leaves_nothing_behind(db: str, owner_conn) -> None:
    smoke = _load("scripts/smoke_deployed.py", "smoke_deployed_under_test")
    operator = _load("functions/operator/app.py", "operator_app_under_test")

    class Context:
        function_name = "operator"
        memory_limit_in_mb = 512
        aws_request_id = "req"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:operator"

    httpd = make_server("127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    lines: list[str] = []
    try:
        photos, selfie = smoke.sample_photos()
        run = smoke.Smoke(
            f"http://127.0.0.1:{httpd.server_address[1]}",
            lambda payload: operator.lambda_handler(payload, Context()),
            password="smoke-password-1",
            log=lines.append,
        )
        run.run(photos, selfie, query="astronaut")
    finally:
        httpd.shutdown()
        httpd.server_close()

    assert lines[0].startswith("created event smoke-")
    assert any(line.startswith("search 'astronaut'") for line in lines), lines
    assert any(line.startswith("find-me:") for line in lines), lines
    assert any(line == "downloaded a ZIP of 3 photos" for line in lines), lines
    assert lines[-1].startswith(f"deleted event {run.slug}")
    assert owner_conn.execute("SELECT count(*) FROM events WHERE slug = %s", (run.slug,)).fetchone()[0] == 0
    assert list(blob_store().list(f"events/{run.slug}/")) == []


def test_the_operator_refuses_an_unknown_action_and_a_bad_slug(db: str) -> None:
    operator = _load("functions/operator/app.py", "operator_app_under_test")

    class Context:
        function_name = "operator"
        memory_limit_in_mb = 512
        aws_request_id = "req"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:operator"

    assert operator.lambda_handler({"action": "drop_database"}, Context())["ok"] is False
    reply = operator.lambda_handler({"action": "create_event", "slug": "Bad Slug!", "name": "x"}, Context())
    assert reply["ok"] is False
    assert "slug" in reply["error"]


def test_the_operator_seeds_an_organization_a_profile_and_its_first_admin(db: str, owner_conn) -> None:
    """On AWS the database is not reachable from a laptop: the first ADMIN is granted through the
    operator function; the person's first Cognito sign-in lands on the profile by its email."""
    operator = _load("functions/operator/app.py", "operator_app_under_test")

    class Context:
        function_name = "operator"
        memory_limit_in_mb = 512
        aws_request_id = "req"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:operator"

    def call(**payload: Any) -> dict[str, Any]:
        reply = operator.lambda_handler(payload, Context())
        assert reply["ok"], reply
        return reply

    call(action="create_organization", slug="festival", name="Festival")
    call(action="create_event", slug="main-stage", name="Main stage", organization="festival", private=True)
    call(action="create_person", email="boss@example.org")
    call(action="grant", email="boss@example.org", role="admin", organization="festival")
    assert (
        operator.lambda_handler({"action": "grant", "email": "boss@example.org", "role": "ADMIN"}, Context())[
            "ok"
        ]
        is False
    )  # no place named
    assert owner_conn.execute(
        "SELECT p.email, g.role, o.slug FROM grants g JOIN people p ON p.id = g.person_id"
        " JOIN organizations o ON o.id = g.organization_id"
    ).fetchall() == [("boss@example.org", "ADMIN", "festival")]
    assert call(action="revoke", email="boss@example.org", organization="festival")["revoked"] == "ADMIN"
