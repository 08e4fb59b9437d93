"""A private gallery in Chromium: signed out it says so and where to sign in; a VIEWER signed in
with the invited account sees the photos (through a gallery pass, as on AWS)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from tests.e2e.test_members_flow import PASSWORD, _account_with_role, _address, _event_token


@pytest.fixture
def private_demo(page: Page) -> Iterator[APIRequestContext]:
    """The demo event made private for one test, public again afterwards."""
    request = page.request
    headers = {"Authorization": f"Bearer {_event_token(request)}"}
    reply = request.patch("/api/events/demo/admin/settings", data={"visibility": "private"}, headers=headers)
    assert reply.ok, reply.text()
    try:
        yield request
    finally:
        reply = request.patch(
            "/api/events/demo/admin/settings", data={"visibility": "public"}, headers=headers
        )
        assert reply.ok, reply.text()


def test_a_private_gallery_asks_to_sign_in_then_shows_a_viewer_its_photos(
    page: Page, private_demo: APIRequestContext
) -> None:
    viewer = _address("viewer")
    _account_with_role(private_demo, viewer, "VIEWER")

    page.goto("/e/demo")
    expect(page.locator("#event-name")).to_have_text("This gallery is private")
    sign_in = page.get_by_role("link", name="Sign in")
    expect(sign_in).to_be_visible()
    expect(page.locator(".tile")).to_have_count(0)

    sign_in.click()
    page.get_by_label("My account").check()
    page.get_by_label("Email", exact=True).fill(viewer)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#norole-message")).to_contain_text("(VIEWER)")
    page.locator("#norole-gallery").click()

    expect(page.locator(".tile").first).to_be_visible()
    assert page.locator("#event-name").inner_text() != "This gallery is private"
