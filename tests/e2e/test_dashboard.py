"""The organizer dashboard in Chromium: sign in, run the pipeline, review duplicates, upload."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, Route, expect

DEMO_PASSWORD = "demo-password"


def test_wrong_password_is_refused_and_the_right_one_signs_in(page: Page) -> None:
    page.goto("/e/demo/admin")
    page.get_by_label("Organizer password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_be_visible()

    page.get_by_label("Organizer password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("tab", name="Pipeline")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#phase-table tbody tr")).not_to_have_count(0)
    token = page.evaluate("localStorage.getItem('eventlens.token.demo')")
    assert token


def test_an_embedded_event_asks_for_its_password_only(page: Page) -> None:
    page.goto("/e/demo/admin")

    expect(page.get_by_label("Organizer password")).to_be_visible()
    expect(page.locator("#username")).to_be_hidden()


def test_a_cognito_event_asks_for_the_organizers_email_and_sends_it(page: Page) -> None:
    """On AWS the event says organizer_login "cognito" (faked here: the demo server is embedded)."""

    def as_cognito(route: Route) -> None:
        reply = route.fetch()
        route.fulfill(response=reply, json={**reply.json(), "organizer_login": "cognito"})

    sent: list[object] = []

    def refuse(route: Route) -> None:
        sent.append(route.request.post_data_json)
        route.fulfill(status=401, json={"message": "wrong username or password"})

    page.route("**/api/events/demo", as_cognito)
    page.route("**/api/events/demo/login", refuse)
    page.goto("/e/demo/admin")

    page.get_by_label("Email", exact=True).fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("Organizer-Passw0rd")
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("#login-error")).to_have_text("Wrong username or password")
    assert sent == [{"username": "ada@example.com", "password": "Organizer-Passw0rd"}]


def test_an_expired_session_returns_to_sign_in_with_a_message(admin_page: Page) -> None:
    admin_page.evaluate("localStorage.setItem('eventlens.token.demo', 'forged.token.value')")

    admin_page.get_by_role("tab", name="Review").click()

    expect(admin_page.locator("#login-error")).to_have_text(re.compile("session expired", re.I))
    expect(admin_page.get_by_label("Organizer password")).to_be_visible()


def test_logout_forgets_the_token(admin_page: Page) -> None:
    admin_page.get_by_role("button", name="Log out").click()

    expect(admin_page.get_by_label("Organizer password")).to_be_visible()
    assert admin_page.evaluate("localStorage.getItem('eventlens.token.demo')") is None


def test_running_the_pipeline_shows_progress_until_it_finishes(admin_page: Page) -> None:
    admin_page.get_by_role("button", name="Run full pipeline").click()

    expect(admin_page.locator("#run-status")).to_contain_text(re.compile("Started|Running"))
    expect(admin_page.locator("#run-status")).to_have_text("Pipeline finished.", timeout=120_000)
    expect(admin_page.locator("#runs .run").first).to_contain_text("completed")
    bars = admin_page.get_by_role("progressbar")
    assert bars.count() == admin_page.locator("#phase-table tbody tr:not(.event-phase)").count()
    assert bars.count() >= 4
    expect(admin_page.get_by_role("button", name="Run full pipeline")).to_be_enabled()


def test_keeping_one_duplicate_hides_the_others(admin_page: Page) -> None:
    admin_page.get_by_role("tab", name="Review").click()
    cluster = admin_page.locator("#duplicates .cluster").first
    expect(cluster).to_be_visible()
    cards = cluster.locator(".review-card")
    ids = [cards.nth(i).get_attribute("data-id") for i in range(cards.count())]
    assert len(ids) >= 2

    cluster.get_by_role("button", name="Keep this one").first.click()

    try:
        expect(cards.first).not_to_have_class(re.compile("is-hidden"))
        for i in range(1, len(ids)):
            expect(cards.nth(i)).to_have_class(re.compile("is-hidden"))
        public = {
            p["id"] for p in admin_page.request.get("/api/events/demo/photos?limit=200").json()["photos"]
        }
        assert ids[0] in public
        assert not public & set(ids[1:])
    finally:
        for i in range(1, len(ids)):
            cards.nth(i).get_by_role("button", name=re.compile("^Unhide")).click()
            expect(cards.nth(i)).not_to_have_class(re.compile("is-hidden"))


def test_uploading_a_photo_shows_progress_and_starts_processing(admin_page: Page, face_selfie: Path) -> None:
    before = admin_page.request.get("/api/events/demo").json()["photo_count"]
    admin_page.get_by_role("tab", name="Upload").click()

    admin_page.locator("#file-input").set_input_files(face_selfie)

    item = admin_page.locator(".upload-item").first
    expect(item).to_contain_text("selfie.jpg")
    expect(item.locator(".upload-state")).to_have_text("uploaded")
    expect(admin_page.locator("#upload-summary")).to_contain_text("Processing has started")
    admin_page.wait_for_function(
        f"() => fetch('/api/events/demo').then(r => r.json()).then(e => e.photo_count > {before})",
        timeout=120_000,
        polling=1000,
    )


def test_photos_held_for_review_stay_out_of_the_gallery_until_approved(admin_page: Page) -> None:
    """Threshold 0 holds every undecided photo; Approve makes one public, Reject keeps one out."""
    api = admin_page.request
    token = api.post("/api/events/demo/login", data={"password": DEMO_PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}

    def public() -> set[str]:
        return {p["id"] for p in api.get("/api/events/demo/photos?limit=200").json()["photos"]}

    before = public()
    second: str | None = None
    assert api.patch("/api/events/demo/admin/settings", data={"nsfw_threshold": 0.0}, headers=auth).ok
    try:
        assert public() == set()
        admin_page.get_by_role("tab", name="Review").click()
        held = admin_page.locator("#flagged .review-card")
        expect(held.first).to_be_visible()
        first, second = held.nth(0).get_attribute("data-id"), held.nth(1).get_attribute("data-id")

        held.nth(0).get_by_role("button", name=re.compile("^Approve")).click()
        expect(admin_page.locator(f'#flagged .review-card[data-id="{first}"]')).to_have_count(0)
        admin_page.locator(f'#flagged .review-card[data-id="{second}"]').get_by_role(
            "button", name=re.compile("^Reject")
        ).click()
        expect(admin_page.locator(f'#flagged .review-card[data-id="{second}"]')).to_have_count(0)

        assert public() == {first}
    finally:
        assert api.patch("/api/events/demo/admin/settings", data={"nsfw_threshold": 0.8}, headers=auth).ok
        if second:
            api.patch(f"/api/events/demo/admin/photos/{second}", data={"review": "approved"}, headers=auth)
    assert public() == before


def test_the_activity_tab_shows_sign_ins_and_moderation_newest_first(admin_page: Page) -> None:
    admin_page.get_by_role("tab", name="Activity").click()
    rows = admin_page.locator("#audit-table tbody tr")
    expect(rows.first).to_be_visible()
    expect(admin_page.locator("#audit-table")).to_contain_text("Sign-in")
    # the event's creation is older than the first page once other tests have signed in often
    admin_page.get_by_label("Show").select_option("event_create")
    expect(admin_page.locator("#audit-table")).to_contain_text("Event created")
    admin_page.get_by_label("Show").select_option("sign_in")
    expect(admin_page.locator("#audit-table")).not_to_contain_text("Event created")
    assert all("Sign-in" in text for text in rows.all_inner_texts())


def test_the_people_tab_lists_the_people_in_the_photos_and_their_crews(admin_page: Page) -> None:
    with admin_page.expect_response(lambda r: "/admin/face-clusters" in r.url) as listed:
        admin_page.get_by_role("tab", name="People").click()
    assert listed.value.status == 200
    people = listed.value.json()["face_clusters"]
    assert people  # the demo photos show some people more than once
    expect(admin_page.get_by_role("heading", name="People in the photos")).to_be_visible()
    cards = admin_page.locator("#people-grid li.person")
    expect(cards).to_have_count(len(people))
    expect(cards.first.get_by_role("img")).to_be_visible()
    cards.first.get_by_role("textbox", name="Name").fill("Keynote speaker")
    with admin_page.expect_response(lambda r: r.request.method == "PATCH") as saved:
        cards.first.get_by_role("button", name="Save").click()
    assert saved.value.json()["name"] == "Keynote speaker"
    expect(admin_page.get_by_role("button", name="Merge selected")).to_be_disabled()
