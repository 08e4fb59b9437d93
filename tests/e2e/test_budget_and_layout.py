"""What a first visit costs and how the pages fit: the JS + CSS budget and the phone layout."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Response, expect

BUDGET_BYTES = 150 * 1024


@pytest.mark.parametrize("path", ["/e/demo", "/e/demo/admin"])
def test_first_load_transfers_at_most_150_kb_of_js_and_css(page: Page, path: str) -> None:
    sizes: dict[str, int] = {}

    def count(response: Response) -> None:
        if response.request.resource_type in ("script", "stylesheet"):
            sizes[response.url] = len(response.body())

    page.on("response", count)
    page.goto(path, wait_until="networkidle")

    total = sum(sizes.values())
    assert len(sizes) >= 3, sizes
    assert total <= BUDGET_BYTES, f"{total} bytes of JS + CSS: {sizes}"


def test_phone_gallery_fits_the_screen_without_sideways_scrolling(phone_page: Page) -> None:
    phone_page.goto("/e/demo")
    expect(phone_page.locator(".tile").first).to_be_visible()

    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    box = phone_page.locator(".tile").first.bounding_box()

    assert overflow <= 0
    assert box is not None
    assert box["width"] <= 390


def test_turning_face_matching_off_hides_find_me(page: Page) -> None:
    page.goto("/e/demo/admin#settings")
    page.get_by_label("Organizer password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    switch = page.get_by_label("Face matching")
    expect(switch).to_be_checked()
    try:
        switch.uncheck()
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator("#settings-status")).to_have_text("Saved.")

        page.goto("/e/demo")
        expect(page.locator(".tile").first).to_be_visible()
        expect(page.get_by_role("button", name="Find me")).to_be_hidden()
    finally:
        page.goto("/e/demo/admin#settings")
        page.get_by_label("Face matching").check()
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator("#settings-status")).to_have_text("Saved.")
    page.goto("/e/demo")
    expect(page.get_by_role("button", name="Find me")).to_be_visible()
