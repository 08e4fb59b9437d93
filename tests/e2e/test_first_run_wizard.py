"""The first-run wizard in Chromium against a fresh `eventlens serve` (no events): `/` is the wizard;
with the setup code the server printed it creates the organization, the event, the organizer
account and its live folder, starts the first run, signs in, and the run builds the gallery."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP, ROOT, _eventlens, new_context, stop_demo, watch_csp
from tests.fixtures_photos import real_jpeg


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`eventlens serve` on an empty installation: its base URL and the setup code it printed."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GEMINI_API_KEY")}
    env.update(EVENTLENS_HOME=str(home), PYTHONUNBUFFERED="1")
    with (tmp_path / "server.log").open("w") as log:
        proc = subprocess.Popen(
            [_eventlens(), "serve", "--port", "0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    deadline, url, code = time.monotonic() + 240, None, None
    try:
        while time.monotonic() < deadline and proc.poll() is None and code is None:
            try:
                line = lines.get(timeout=1.0)
            except queue.Empty:
                continue
            if match := re.search(r"serving on (http://\S+?)/\s", line):
                url = match.group(1)
            if match := re.search(r"setup code (\S+)", line):
                code = match.group(1)
        assert url, (tmp_path / "server.log").read_text()[-4000:]
        assert code, (tmp_path / "server.log").read_text()[-4000:]
        yield url, code
    finally:
        stop_demo(proc)


def test_the_wizard_creates_the_event_and_starts_its_first_run(
    browser: Browser, fresh_server: tuple[str, str], tmp_path: Path
) -> None:
    url, code = fresh_server
    photos = tmp_path / "Conference photos"
    (photos / "Keynote").mkdir(parents=True)
    (photos / "Keynote/cat.jpg").write_bytes(real_jpeg("chelsea", (320, 240)))
    (photos / "coffee.jpg").write_bytes(real_jpeg("coffee", (320, 240)))
    context = new_context(browser, url, DESKTOP)
    violations = watch_csp(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    next_step = page.get_by_role("button", name="Next")

    page.goto("/")
    expect(page.get_by_role("heading", name="Setup code")).to_be_visible()
    page.get_by_label("Setup code").fill("wrong-code")
    next_step.click()
    page.get_by_label("Name", exact=True).fill("Acme Conferences")
    expect(page.get_by_label("Short name (in addresses)")).to_have_value("acme-conferences")
    next_step.click()
    page.get_by_label("Event name").fill("Launch 2026")
    next_step.click()
    page.get_by_label("Email").fill("organizer@example.org")
    page.get_by_label("Password (at least 10 characters)").fill("correct horse battery")
    next_step.click()
    page.get_by_label("Folder path").fill(str(photos))
    next_step.click()
    page.get_by_label("Primary").fill("#aa3300")
    next_step.click()
    expect(page.get_by_label("What a visitor agrees to first")).not_to_be_empty()
    next_step.click()
    expect(page.get_by_text("/e/launch-2026 (public)")).to_be_visible()
    start = page.get_by_role("button", name="Create and start the first run")
    start.click()
    expect(page.get_by_role("alert")).to_contain_text(
        "not the setup code", timeout=30_000
    )  # first step again
    page.get_by_label("Setup code").fill(code)
    for _ in range(7):
        next_step.click()
    start.click()

    # Two password hashes and a run started: slow on a loaded 2-core machine.
    expect(page.get_by_text("The first run has started for launch-2026")).to_be_visible(timeout=60_000)
    dashboard = page.get_by_role("link", name="Open the dashboard")
    expect(dashboard).to_have_attribute("href", "/e/launch-2026/admin")
    token = page.evaluate("JSON.parse(localStorage.getItem('eventlens.account')).access_token")
    status = None
    for _ in range(120):  # the first run, in the server's background thread
        status = page.evaluate(
            """async (token) => (await fetch('/api/events/launch-2026/admin/pipeline',
                 {headers: {Authorization: `Bearer ${token}`}})).json()""",
            token,
        )
        if status["runs"] and status["runs"][0]["status"] not in ("queued", "running"):
            break
        time.sleep(1)
    assert status is not None
    assert status["runs"][0]["status"] == "completed", status
    event = page.evaluate("async () => (await fetch('/api/events/launch-2026')).json()")
    assert event["settings"]["theme"]["primary"] == "#aa3300"
    page.goto("/")  # set up: `/` is no longer the wizard
    expect(page.get_by_role("heading", name="Set up EventLens")).to_have_count(0)
    context.close()
    assert not errors, errors
    assert not violations, violations
