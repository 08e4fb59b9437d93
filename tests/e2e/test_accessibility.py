"""axe-core over every page of the gallery and the dashboard, at 1366×900 and on a 390×844 touch
phone (issue 19's target: no serious or critical violation anywhere).

axe-core 4.12 comes from the axe-playwright-python wheel (its axe.min.js). The pages run under a
Content-Security-Policy without 'unsafe-inline', which refuses the inline <script> that
`add_script_tag` writes; Playwright's evaluate runs in the page through the DevTools protocol, which
the policy does not govern, so axe is evaluated there and the pages keep their policy.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, DESKTOP, PHONE, new_context, watch_csp
from tests.e2e.test_albums_flow import _account, _sign_in

SERIOUS = ("serious", "critical")
DASHBOARD_TABS = (
    "Pipeline",
    "Upload",
    "Review",
    "Settings",
    "Activity",
    "Members",
    "People",
    "Find me",
    "Library",
    "Albums",
    "Jobs",
)


def _axe_source() -> str:
    spec = importlib.util.find_spec("axe_playwright_python")
    assert spec is not None
    assert spec.origin is not None
    return (Path(spec.origin).parent / "axe.min.js").read_text()


AXE = _axe_source()

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${(n.failureSummary || "").replace(/\\s+/g, " ")}`) }));
}"""


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now (dialogs and panels open)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE)
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]


def _gallery_states(page: Page, selfie: Path) -> list[tuple[str, Callable[[], None]]]:
    def index() -> None:
        page.goto("/e/demo")
        expect(page.locator(".tile").first).to_be_visible()

    def selection() -> None:
        page.locator(".tile").nth(0).hover()
        page.locator(".tile-select").nth(0).click()
        expect(page.get_by_role("region", name="Selection")).to_be_visible()

    def viewer() -> None:
        page.locator(".tile-open").first.click()
        expect(page.locator(".lb-media")).to_be_visible()

    def find_me_dialog() -> None:
        page.keyboard.press("Escape")
        expect(page.locator("#lightbox")).to_be_hidden()
        page.get_by_role("button", name="Find me").click()
        expect(page.locator("#findme-dialog")).to_be_visible()

    def consent() -> None:
        page.locator("#selfie-input").set_input_files(selfie)
        expect(page.get_by_role("dialog", name="Before we look for you")).to_be_visible(timeout=30_000)

    def find_me_results() -> None:
        consent = page.get_by_role("dialog", name="Before we look for you")
        consent.get_by_role("button", name="I agree").click()
        expect(page.locator("#findme-results")).to_be_visible(timeout=60_000)

    def videos() -> None:
        page.goto("/e/demo?kind=video")
        expect(page.locator(".tile").first).to_be_visible()

    def video_player() -> None:
        clip = page.request.get("/api/events/demo/media?kind=video&limit=1").json()["items"][0]
        page.goto(f"/video.html?event=demo&id={clip['id']}")
        expect(page.locator("#reactions button").first).to_be_visible()
        expect(page.locator("#heatmap button").first).to_be_attached()

    return [
        ("gallery", index),
        ("gallery with a selection", selection),
        ("viewer", viewer),
        ("find-me dialog", find_me_dialog),
        ("find-me consent", consent),
        ("find-me results", find_me_results),
        ("videos", videos),
        ("video player", video_player),
    ]


def _album_states(page: Page) -> list[tuple[str, Callable[[], None]]]:
    def albums() -> None:
        page.goto("/album.html?event=demo")
        expect(page.locator("#list-view")).to_be_visible()

    def album() -> None:
        _sign_in(page, _account(page.request, "CONTRIBUTOR"))
        page.get_by_label("Title").fill(f"Axe {uuid4().hex[:6]}")
        page.get_by_role("button", name="Create album").click()
        expect(page.locator("#album-view")).to_be_visible()

    return [("albums", albums), ("album", album)]


def _account_states(page: Page) -> list[tuple[str, Callable[[], None]]]:
    def reset() -> None:
        page.goto("/account/reset")
        expect(page.locator("#request-reset-form")).to_be_visible()

    def invitation() -> None:
        page.goto("/account/invitation")
        expect(page.locator("#step-title")).not_to_have_text("One moment…")

    def setup() -> None:
        page.goto("/setup")
        expect(page.locator("h1").first).to_be_visible()
        page.wait_for_timeout(500)  # its first request settles the page

    return [("account: reset", reset), ("account: invitation", invitation), ("setup wizard", setup)]


def _upload_a_file_that_fails(page: Page) -> str:
    """A file that is no image, uploaded through the API: the pipeline lists it among the errors,
    with its Hide and Delete buttons. Its name."""
    token = page.request.post("/api/events/demo/login", data={"password": DEMO_PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    name, data = f"axe-{uuid4().hex[:8]}.jpg", b"\xff\xd8\xff\xe0 not a photo " + uuid4().bytes
    ticket = page.request.post(
        "/api/events/demo/admin/uploads",
        data={"filename": name, "content_type": "image/jpeg", "size": len(data)},
        headers=auth,
    ).json()
    assert page.request.put(ticket["upload_url"], data=data, headers={**ticket["headers"], **auth}).ok
    done = page.request.post(
        "/api/events/demo/admin/uploads/complete", data={"keys": [ticket["key"]]}, headers=auth
    )
    assert done.ok, done.text()
    return name


def _dashboard_states(page: Page) -> list[tuple[str, Callable[[], None]]]:
    def sign_in() -> None:
        page.goto("/e/demo/admin")
        expect(page.get_by_label("Organizer password")).to_be_visible()

    def signed_in() -> None:
        failing = _upload_a_file_that_fails(page)
        page.get_by_label("Organizer password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#phase-table tbody tr").first).to_be_visible()
        expect(page.locator(".error-item", has_text=failing)).to_be_visible(timeout=120_000)
        page.locator(".error-detail summary").first.click()

    def tab(name: str) -> Callable[[], None]:
        def show() -> None:
            button = page.get_by_role("tab", name=name, exact=True)
            button.click()
            expect(page.locator(f"#{button.get_attribute('aria-controls')}")).to_be_visible()
            page.wait_for_timeout(800)  # the panel's first load

        return show

    return [("dashboard sign-in", sign_in), ("dashboard", signed_in)] + [
        (f"dashboard tab {name}", tab(name)) for name in DASHBOARD_TABS
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_page_has_a_serious_or_critical_axe_violation(
    browser: Browser, demo_server: str, face_selfie: Path, viewport: dict[str, int]
) -> None:
    context = new_context(browser, demo_server, viewport)
    csp = watch_csp(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    states = (
        _gallery_states(page, face_selfie)
        + _account_states(page)
        + _dashboard_states(page)
        + _album_states(page)  # last: its account's sign-in would hold on the dashboard too
    )
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        for name, show in states:
            show()
            if violations := serious_violations(page):
                found[name] = violations
    finally:
        context.close()

    assert len(states) == 15 + len(DASHBOARD_TABS)
    assert found == {}
    assert errors == []
    assert csp == []
