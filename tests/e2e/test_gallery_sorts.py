"""The gallery's sort menu in Chromium against a real `eventlens demo`: the engagement sorts (recently
added, most upvoted, most viewed, trending, top rated) list the public media gallery (`/media`) in
its order, and the choice stays in the address."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect


def test_most_upvoted_lists_the_upvoted_video_first(page: Page) -> None:
    videos = page.request.get("/api/events/demo/media?kind=video&sort=recent").json()["items"]
    target = videos[-1]  # the one listed last by date
    for _ in range(3):
        answer = page.request.post(
            f"/api/events/demo/media/{target['id']}/upvote", data={"session_id": secrets.token_urlsafe(18)}
        )
        assert answer.ok, answer.text()
    page.goto("/e/demo?kind=video")
    expect(page.locator(".tile-open").first).to_be_visible()

    with page.expect_response(re.compile(r"/api/events/demo/media\?.*sort=popular")) as listed:
        page.get_by_label("Sort").select_option(label="Most upvoted")

    assert listed.value.json()["total"] == len(videos)
    expect(page).to_have_url(re.compile(r"sort=popular"))
    expect(page.locator(".tile")).to_have_count(len(videos))
    page.locator(".tile-open").first.click()
    expect(page.locator(".lb-title")).to_have_text(target["filename"])

    page.goto("/e/demo?kind=video&sort=popular")  # a shared link keeps the sort
    expect(page.get_by_label("Sort")).to_have_value("popular")
    page.locator(".tile-open").first.click()
    expect(page.locator(".lb-title")).to_have_text(target["filename"])
    page.keyboard.press("Escape")
    for label, sort in (("Most viewed", "most_viewed"), ("Trending", "trending"), ("Top rated", "top_rated")):
        with page.expect_response(re.compile(rf"/api/events/demo/media\?.*sort={sort}")) as listed:
            page.get_by_label("Sort").select_option(label=label)
        assert listed.value.ok
        expect(page.locator(".tile")).to_have_count(len(videos))
