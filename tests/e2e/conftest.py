"""E2E fixtures: a real `eventlens demo` server in a temporary home, and headless Debian Chromium.

Set EVENTLENS_E2E_URL to run the browser tests against a server that is already running
(its demo event must use the organizer password "demo-password"), and EVENTLENS_E2E_HOME to its
EVENTLENS_HOME for the tests that read its outbox.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "demo-password"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
STARTUP_TIMEOUT_S = 240


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


def _eventlens() -> str:
    local = Path(sys.executable).with_name("eventlens")
    return str(local) if local.exists() else "eventlens"


def start_demo(home: Path) -> tuple[subprocess.Popen[str], str]:
    """Starts `eventlens demo` on a free port with its data in `home`; returns it and its base URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GEMINI_API_KEY")}
    env.update(EVENTLENS_HOME=str(home), PYTHONUNBUFFERED="1")
    log_path = home / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [_eventlens(), "demo", "--port", "0", "--password", DEMO_PASSWORD],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # A thread, not select(): text-mode readline buffers ahead, so select() would miss lines.
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    seen: list[str] = []
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            continue
        seen.append(line)
        if match := re.search(r"gallery:\s+(http://\S+?)/e/demo", line):
            return proc, match.group(1)
    stop_demo(proc)
    raise RuntimeError(f"eventlens demo did not start:\n{''.join(seen)}\n{log_path.read_text()[-4000:]}")


def stop_demo(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo server's EVENTLENS_HOME (its outbox holds the mails it sent): EVENTLENS_E2E_HOME
    for a server that is already running, a fresh folder otherwise."""
    if home := os.environ.get("EVENTLENS_E2E_HOME"):
        return Path(home)
    return tmp_path_factory.mktemp("eventlens-home")


@pytest.fixture(scope="session")
def demo_server(demo_home: Path) -> Iterator[str]:
    """Base URL of `eventlens demo` (event "demo", organizer password "demo-password")."""
    if url := os.environ.get("EVENTLENS_E2E_URL"):
        yield url.rstrip("/")
        return
    proc, url = start_demo(demo_home)
    try:
        yield url
    finally:
        stop_demo(proc)


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => window.__eventlensCspViolation(
  `${e.effectiveDirective} refused ${e.blockedURI || "inline"} (${e.sourceFile || location.href}:${e.lineNumber})`));
"""


def watch_csp(context: BrowserContext) -> list[str]:
    """Every Content-Security-Policy violation in the context's pages, as the page's
    `securitypolicyviolation` event and Chromium's console report it (issue 11: the pages run
    under a policy without 'unsafe-inline', so any inline script, handler or style is a bug)."""
    violations: list[str] = []

    def on_violation(report: str) -> None:
        violations.append(report)

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    context.expose_function("__eventlensCspViolation", on_violation)
    context.add_init_script(CSP_LISTENER)
    context.on("console", on_console)
    return violations


def new_context(browser: Browser, base_url: str, viewport: dict[str, int]) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url,
        viewport=viewport,
        accept_downloads=True,
        device_scale_factor=1,
        has_touch=viewport is PHONE,
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def page(browser: Browser, demo_server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh desktop page; a screenshot lands in tests/e2e/artifacts/ when the test fails.
    An uncaught error or a Content-Security-Policy violation fails the test."""
    context = new_context(browser, demo_server, DESKTOP)
    violations = watch_csp(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
        (ARTIFACTS / f"{name}.log").write_text("\n".join(errors + violations))
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def phone_page(browser: Browser, demo_server: str) -> Iterator[Page]:
    """A fresh page at a phone's size (390×844, touch); a CSP violation fails the test."""
    context = new_context(browser, demo_server, PHONE)
    violations = watch_csp(context)
    yield context.new_page()
    context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def admin_page(page: Page) -> Page:
    """The demo event's dashboard, signed in."""
    page.goto("/e/demo/admin")
    page.get_by_label("Organizer password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("tab", name="Pipeline").wait_for()
    return page


@pytest.fixture(scope="session")
def group_photo() -> Path:
    """insightface's t1.jpg: six people, so not a selfie."""
    spec = importlib.util.find_spec("insightface")
    assert spec is not None
    assert spec.origin is not None
    return Path(spec.origin).parent / "data" / "images" / "t1.jpg"


@pytest.fixture(scope="session")
def face_selfie(group_photo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One face cropped from t1.jpg (the third person from the left), scaled up like a phone selfie."""
    from PIL import Image

    face = Image.open(group_photo).convert("RGB").crop((415, 206, 616, 470))
    path = tmp_path_factory.mktemp("selfie") / "selfie.jpg"
    face.resize((face.width * 2, face.height * 2), Image.Resampling.LANCZOS).save(path, quality=92)
    return path


@pytest.fixture(scope="session")
def hiding_selfie(group_photo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another face of t1.jpg (the rightmost person), for the test that hides its owner: the demo
    server is shared, so the face the other tests search for must stay findable."""
    from PIL import Image

    face = Image.open(group_photo).convert("RGB").crop((1070, 205, 1275, 450))
    path = tmp_path_factory.mktemp("hiding") / "selfie.jpg"
    face.resize((face.width * 2, face.height * 2), Image.Resampling.LANCZOS).save(path, quality=92)
    return path


@pytest.fixture(scope="session")
def faceless_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real photo with no face in it (scikit-image's coffee cup)."""
    from PIL import Image
    from skimage import data

    path = tmp_path_factory.mktemp("noface") / "coffee.jpg"
    Image.fromarray(data.coffee()).save(path, quality=90)
    return path
