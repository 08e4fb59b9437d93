"""The album flow in Chromium, each step through the album page: an owner creates an album and
invites a contributor, the contributor uploads a photo (pending, told so), an editor approves it
from the review queue, an attendee sees it, rates the album and reports it; the album then shows
on its subject's page."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import APIRequestContext, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.fixtures_photos import real_jpeg

PASSWORD = "a long enough passphrase"


def _account(request: APIRequestContext, role: str) -> str:
    """A new account (signed up through the API) holding `role` in the demo event."""
    email = f"{role.lower()}-{uuid4().hex[:10]}@example.org"
    reply = request.post("/api/account/sign-up", data={"email": email, "password": PASSWORD})
    assert reply.status == 201, reply.text()
    token = request.post("/api/events/demo/login", data={"password": DEMO_PASSWORD}).json()["token"]
    reply = request.post(
        "/api/events/demo/admin/members",
        data={"email": email, "role": role},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.ok, reply.text()
    return email


def _sign_in(page: Page, email: str) -> None:
    if page.get_by_role("button", name="Sign out").is_visible():
        page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#signed-in-as")).to_have_text(f"Signed in as {email}")


def test_create_invite_upload_approve_rate_and_report(page: Page) -> None:
    owner, contributor = _account(page.request, "CONTRIBUTOR"), _account(page.request, "VIEWER")
    editor, attendee = _account(page.request, "EDITOR"), _account(page.request, "VIEWER")
    title = f"Backstage {uuid4().hex[:6]}"

    page.goto("/album.html?event=demo")
    _sign_in(page, owner)
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Create album").click()
    expect(page.locator("#album-title")).to_have_text(title)
    page.get_by_label("Invite a contributor").fill(contributor)
    page.get_by_role("button", name="Invite").click()
    expect(page.locator("#album-ok")).to_have_text(f"{contributor} can now add photos.")
    album_url = page.url

    _sign_in(page, contributor)
    page.locator("#upload-file").set_input_files(
        {"name": "backstage.jpg", "mimeType": "image/jpeg", "buffer": real_jpeg("astronaut", (1200, 1200))}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#album-ok")).to_contain_text("Uploaded: pending")
    expect(page.locator("#items [data-status=pending]")).to_have_count(1)

    _sign_in(page, editor)
    expect(page.locator("#review-items [data-status=pending]")).to_have_count(1)
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#album-ok")).to_have_text("Approved.")
    expect(page.locator("#review-items")).to_contain_text("Nothing to review.")

    page.goto(album_url)
    _sign_in(page, attendee)
    photo = page.locator("#items [data-status=approved] img")
    expect(photo).to_have_count(1)
    page.wait_for_function("() => document.querySelector('#items img').naturalWidth > 0")
    page.get_by_role("button", name="4★").click()
    expect(page.locator("#album-rating")).to_have_text("Rated 4.0★ by 1 · your rating 4★")
    page.get_by_label("Report this album").fill("Not from this event")
    page.get_by_role("button", name="Report").click()
    expect(page.locator("#album-ok")).to_have_text("Reported: a moderator will look at it.")

    page.goto("/album.html?event=demo")
    expect(page.locator("#album-list")).to_contain_text(title)
    expect(page.locator("#album-list")).to_contain_text("4.0★ from 1 rating")

    # an editor names what the album shows (API); the subject's page lists it
    session = page.request.post("/api/account/sign-in", data={"email": editor, "password": PASSWORD}).json()
    bearer = {"Authorization": f"Bearer {session['access_token']}"}
    speaker = page.request.post(
        "/api/events/demo/subjects", data={"kind": "person", "name": f"Speaker {title}"}, headers=bearer
    ).json()
    album_id = album_url.split("album=")[1]
    reply = page.request.patch(
        f"/api/events/demo/albums/{album_id}", data={"subject_ids": [speaker["id"]]}, headers=bearer
    )
    assert reply.ok, reply.text()
    page.goto("/album.html?event=demo")
    page.get_by_role("link", name=f"Speaker {title}").click()
    expect(page.locator("#list-title")).to_have_text(f"Albums of Speaker {title}")
    expect(page.locator("#album-list")).to_contain_text(title)
