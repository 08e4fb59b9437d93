"""The dashboard's Library tab in Chromium against a real `eventlens demo`: the event's videos with
their probe, validity, transcode state and counters, filtered by validity and codec, and locked
(with a reason: the video leaves the public media gallery) and unlocked again."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def _public_videos(page: Page) -> list[str]:
    items = page.request.get("/api/events/demo/media?kind=video&limit=100").json()["items"]
    return sorted(item["filename"] for item in items)


def test_the_library_filters_counts_and_locks_videos(admin_page: Page) -> None:
    page = admin_page
    page.get_by_role("tab", name="Library").click()
    rows = page.locator("#library-table tbody tr")
    expect(rows).to_have_count(2)  # the demo's two clips
    expect(page.locator("#library-totals")).to_contain_text("videos")
    walk = rows.filter(has_text="expo-walkthrough.mp4")
    expect(walk).to_contain_text("mpeg4")
    expect(walk).to_contain_text("Transcode: completed")
    expect(walk).to_contain_text("Valid")

    page.get_by_label("Validity").select_option("false")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("No videos match.")
    page.get_by_label("Validity").select_option("true")
    expect(rows).to_have_count(2)
    page.get_by_label("Codec").select_option("mpeg4")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("expo-walkthrough.mp4")

    page.get_by_label("Reason to lock expo-walkthrough.mp4").fill("Shows a guest who asked not to be filmed")
    page.get_by_role("button", name="Lock expo-walkthrough.mp4").click()
    expect(rows).to_contain_text("Locked: Shows a guest who asked not to be filmed")
    assert _public_videos(page) == ["keynote-recap.mp4"]

    with page.expect_response(lambda r: r.request.method == "DELETE" and "/lock" in r.url) as unlocked:
        page.get_by_role("button", name="Unlock expo-walkthrough.mp4").click()
    assert unlocked.value.status == 200, unlocked.value.text()
    assert unlocked.value.json()["locked"] is False
    expect(page.get_by_role("button", name="Lock expo-walkthrough.mp4")).to_be_visible()
    assert _public_videos(page) == ["expo-walkthrough.mp4", "keynote-recap.mp4"]
