"""Face data in Chromium: the dashboard's settings form sets the consent text, retention, end day,
blur and no biometrics (which asks first); the People tab states the retention; find me shows who
you were photographed with and your crew's album (docs/privacy.md)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Dialog, Page, Route, expect


def test_the_settings_form_saves_the_events_face_data_settings_and_asks_before_no_biometrics(
    admin_page: Page,
) -> None:
    page = admin_page
    before = page.request.get("/api/events/demo/privacy").json()
    page.get_by_role("tab", name="Settings").click()
    form = page.locator("#settings-form")
    expect(form.get_by_label("Keep face data for (days after the event ends)")).to_have_value(
        str(before["face_retention_days"])
    )

    text = "We compute a face template from your selfie to find your photos. Agree?"
    form.get_by_label(re.compile("^Consent text")).fill(text)
    form.get_by_label("Keep face data for (days after the event ends)").fill("90")
    form.get_by_label(re.compile("^The event ends on")).fill("2031-05-01")
    form.get_by_role("checkbox", name=re.compile("Blur the face")).check()
    form.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings-status")).to_have_text("Saved.")
    settings = page.request.get("/api/events/demo").json()["settings"]
    assert (settings["consent_text"], settings["face_retention_days"], settings["ends_on"]) == (
        text,
        90,
        "2031-05-01",
    )
    assert settings["blur_forgotten_faces"] is True
    notice = page.request.get("/api/events/demo/privacy").json()
    assert notice["purge_on"] == "2031-07-30"

    # Emptying the text and the day sets them back: the standard consent text, the last photo's day.
    form.get_by_label(re.compile("^Consent text")).fill("")
    form.get_by_label(re.compile("^The event ends on")).fill("")
    form.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings-status")).to_have_text("Saved.")
    settings = page.request.get("/api/events/demo").json()["settings"]
    assert (settings["consent_text"], settings["ends_on"]) == (None, None)
    form.get_by_label(re.compile("^Consent text")).fill(text)
    form.get_by_label(re.compile("^The event ends on")).fill("2031-05-01")
    form.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings-status")).to_have_text("Saved.")

    # No biometrics deletes the event's face data: the form asks first, and "Cancel" saves nothing.
    asked: list[str] = []

    def cancel(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", cancel)
    form.get_by_role("checkbox", name=re.compile("No biometrics")).check()
    form.get_by_role("button", name="Save settings").click()
    expect(form.get_by_role("checkbox", name=re.compile("No biometrics"))).to_be_focused()
    assert asked
    assert "deletes every face template" in asked[0]
    assert page.request.get("/api/events/demo").json()["settings"]["no_biometrics"] is False

    # The People tab states the schedule the form just set.
    form.get_by_role("checkbox", name=re.compile("No biometrics")).uncheck()
    page.get_by_role("tab", name="People").click()
    expect(page.locator("#people-retention")).to_have_text(
        "Face data is kept until 2031-07-30 (90 days after the event ends), then deleted."
    )

    # The demo server is shared: the gallery's consent text goes back to what it was (the same
    # text agrees to the same version), and blurring off.
    token = page.evaluate("localStorage.getItem('eventlens.token.demo')")
    restored = page.request.patch(
        "/api/events/demo/admin/settings",
        data={
            "consent_text": before["consent_text"],
            "face_retention_days": before["face_retention_days"],
            "blur_forgotten_faces": False,
        },
        headers={"authorization": f"Bearer {token}"},
    )
    assert restored.ok


def test_find_me_shows_who_i_was_photographed_with_and_my_crews_album(page: Page, face_selfie: Path) -> None:
    """The reply's crew (findme.views.CrewAlbum) as the gallery shows it. The demo's people are not
    photographed in crews, so the real reply gets a crew made of its own photos."""

    def with_crew(route: Route) -> None:
        reply = route.fetch()
        if reply.status != 200:  # 428 until the tab agrees to the consent text
            route.fulfill(response=reply)
            return
        body = reply.json()
        photos = [m["photo"] for m in body["matches"]] + [r["photo"] for r in body["recommendations"]]
        crew = {
            "photographed_with": [
                {"shared_photos": 2, "cover": photos[0], "cover_bbox": [415.0, 206.0, 200.0, 260.0]}
            ],
            "photos": photos[:14] * (1 if len(photos) > 12 else 13),
        }
        route.fulfill(response=reply, json={**body, "crew": crew})

    page.route("**/api/events/demo/match", with_crew)
    page.goto("/e/demo")
    expect(page.locator(".tile").first).to_be_visible()
    page.get_by_role("button", name="Find me").click()
    page.locator("#selfie-input").set_input_files(face_selfie)
    consent = page.get_by_role("dialog", name="Before we look for you")
    expect(consent).to_be_visible(timeout=30_000)
    consent.get_by_role("button", name="I agree").click()

    crew = page.locator("#crew-album")
    expect(crew.get_by_role("heading", name="You were photographed with")).to_be_visible(timeout=30_000)
    face = crew.get_by_role(
        "button", name=re.compile("Someone you were photographed with \\(2 photos together\\)")
    )
    expect(face).to_be_visible()
    expect(crew.get_by_role("heading", name=re.compile(r"Your crew's album: \d+ photos"))).to_be_visible()
    expect(crew.locator(".crew-photos li")).to_have_count(12)
    crew.get_by_role("button", name=re.compile("^Show all")).click()
    assert crew.locator(".crew-photos li").count() > 12
    face.click()
    expect(page.get_by_role("dialog", name="Photo viewer")).to_be_visible()
