"""The dashboard's Albums tab in Chromium, signed in with the event's password: invite a
contributor to an album, approve its upload from the review queue, dismiss a report, ban and
unban a person (who is then refused a rating, and rates again once the ban is lifted); the tab's
text is readable and every control named."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import APIRequestContext, Page, Route, expect

from tests.e2e.test_albums_flow import PASSWORD, _account
from tests.e2e.test_dashboard_organizers import CONTRAST_JS
from tests.fixtures_photos import large_jpeg, real_jpeg


def _bearer(request: APIRequestContext, email: str) -> dict[str, str]:
    session = request.post("/api/account/sign-in", data={"email": email, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {session['access_token']}"}


def _upload(
    request: APIRequestContext, auth: dict[str, str], album_id: str, data: bytes | None = None
) -> str:
    data = data or real_jpeg("coffee", (1000, 800))
    ticket = request.post(
        f"/api/events/demo/albums/{album_id}/uploads",
        data={"filename": "coffee.jpg", "content_type": "image/jpeg", "size": len(data)},
        headers=auth,
    )
    assert ticket.ok, ticket.text()
    put = request.put(ticket.json()["upload_url"], data=data, headers=ticket.json()["headers"])
    assert put.ok, put.text()
    done = request.post(
        f"/api/events/demo/albums/{album_id}/uploads/complete",
        data={"key": ticket.json()["key"]},
        headers=auth,
    )
    assert done.status == 201, done.text()
    assert done.json()["status"] == "pending"
    return str(done.json()["id"])


def test_moderators_review_uploads_reports_contributors_and_bans_from_the_albums_tab(
    admin_page: Page,
) -> None:
    page, request = admin_page, admin_page.request
    owner, contributor, attendee = (_account(request, r) for r in ("CONTRIBUTOR", "VIEWER", "VIEWER"))
    title = f"Dash {uuid4().hex[:6]}"
    album = request.post("/api/events/demo/albums", data={"title": title}, headers=_bearer(request, owner))
    assert album.status == 201, album.text()
    album_id = album.json()["id"]

    page.get_by_role("tab", name="Albums").click()
    row = page.locator(f'#albums-table tr[data-id="{album_id}"]')
    expect(row).to_contain_text(title)
    expect(row.get_by_label(f"Who can add to {title}")).to_have_value("INVITE_ONLY")
    row.get_by_role("button", name=f"Contributors of {title}").click()
    page.get_by_label("Invite a contributor (email)").fill(contributor)
    page.locator("#album-contributor-form").get_by_role("button", name="Invite").click()
    expect(page.locator(f'#album-contributor-list li[data-email="{contributor}"]')).to_be_visible()

    item_id = _upload(request, _bearer(request, contributor), album_id)
    attendee_auth = _bearer(request, attendee)
    reply = request.post(
        f"/api/events/demo/albums/{album_id}/flags", data={"reason": "off topic"}, headers=attendee_auth
    )
    assert reply.status == 201, reply.text()
    page.get_by_role("button", name="Refresh").click()

    card = page.locator(f'#albums-review [data-id="{item_id}"]')
    expect(card).to_contain_text(title)
    page.wait_for_function(
        "(id) => document.querySelector(`#albums-review [data-id='${id}'] img`)?.naturalWidth > 0",
        arg=item_id,
    )
    _readable_and_named(page)
    card.get_by_role("button", name="Approve").click()
    expect(card).to_have_count(0)
    approved = request.get(f"/api/events/demo/albums/{album_id}").json()["items"]
    assert [(i["id"], i["status"]) for i in approved] == [(item_id, "approved")]

    report = page.locator("#albums-flags li", has_text=f"The album {title}")
    expect(report).to_contain_text("off topic")
    report.get_by_role("button", name=f"Dismiss the report on The album {title}").click()
    expect(report).to_have_count(0)

    page.get_by_label("Email address to ban").fill(attendee)
    page.get_by_label("Reason", exact=True).fill("spam ratings")
    page.get_by_role("button", name="Ban", exact=True).click()
    banned = page.locator(f'#albums-bans li[data-email="{attendee}"]')
    expect(banned).to_contain_text("spam ratings")
    refused = request.put(
        f"/api/events/demo/albums/{album_id}/rating", data={"stars": 1}, headers=attendee_auth
    )
    assert refused.status == 403, refused.text()
    banned.get_by_role("button", name=f"Lift the ban on {attendee}").click()
    expect(banned).to_have_count(0)
    rated = request.put(
        f"/api/events/demo/albums/{album_id}/rating", data={"stars": 5}, headers=attendee_auth
    )
    assert rated.ok, rated.text()


def _readable_and_named(page: Page) -> None:
    measured = page.evaluate(CONTRAST_JS, page.locator("body").element_handle())
    assert [m for m in measured if m["ratio"] < 4.5] == []
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, a[href], select, input, [role=tab]')]
             .filter((e) => e.offsetParent !== null)
             .filter((e) => !(e.getAttribute('aria-label') || e.textContent.trim() || e.labels?.length))
             .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []


def test_more_like_this_on_the_album_page_shows_the_nearest_album_photos_and_gallery_photos(
    page: Page,
) -> None:
    """Two approved uploads (an espresso and a cat) and the demo gallery: the espresso's nearest."""
    request = page.request
    owner, editor = _account(request, "CONTRIBUTOR"), _account(request, "EDITOR")
    owner_auth, editor_auth = _bearer(request, owner), _bearer(request, editor)
    album = request.post(
        "/api/events/demo/albums", data={"title": f"Alike {uuid4().hex[:6]}"}, headers=owner_auth
    )
    album_id = album.json()["id"]
    ids = []
    for name in ("coffee", "chelsea"):
        item_id = _upload(request, owner_auth, album_id, real_jpeg(name, (1000, 800)))
        reply = request.patch(
            f"/api/events/demo/album-items/{item_id}", data={"status": "approved"}, headers=editor_auth
        )
        assert reply.ok, reply.text()
        ids.append(item_id)

    page.goto(f"/album.html?event=demo&album={album_id}")
    page.locator(f'#items [data-item="{ids[0]}"]').get_by_role("button", name="More like this").click()

    similar = page.locator("#similar-items")
    expect(similar.locator(f'[data-item="{ids[1]}"]')).to_have_count(1)
    expect(similar.locator("[data-photo]").first).to_contain_text("From the gallery")
    near = request.get(f"/api/events/demo/albums/{album_id}/items/{ids[0]}/similar").json()
    expect(similar.locator("[data-photo]")).to_have_count(len(near["photos"]))
    first = similar.locator("[data-photo]").first
    expect(first).to_have_attribute("data-photo", near["photos"][0]["id"])


def test_a_large_photo_uploads_in_parts_and_resumes_after_a_part_fails(page: Page) -> None:
    owner = _account(page.request, "CONTRIBUTOR")
    album = page.request.post(
        "/api/events/demo/albums",
        data={"title": f"Large {uuid4().hex[:6]}"},
        headers=_bearer(page.request, owner),
    ).json()
    failed: list[str] = []
    resumes: list[str] = []

    def drop_part_two_once(route: Route) -> None:
        if "part=2&" in route.request.url and not failed:
            failed.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/media/**", drop_part_two_once)
    page.on("request", lambda r: resumes.append(r.url) if r.url.endswith("/multipart/resume") else None)
    page.goto(f"/album.html?event=demo&album={album['id']}")
    page.get_by_label("Email", exact=True).fill(owner)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator("#upload-file").set_input_files(
        {"name": "large.jpg", "mimeType": "image/jpeg", "buffer": large_jpeg()}
    )
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("#album-ok")).to_contain_text("Uploaded: pending", timeout=60_000)
    assert len(failed) == 1
    assert len(resumes) == 1
    expect(page.locator("#items [data-status=pending]")).to_have_count(1)
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('eventlens.upload.'))") == []

    # the contributor tags its photo (a banned person could not: tests/integration/api/test_album_content.py)
    item = page.locator("#items [data-status=pending]")
    item.get_by_label("Tag this photo").fill("Main stage")
    item.get_by_role("button", name="Add tag").click()
    expect(page.locator("#items [data-status=pending] .item-tags")).to_have_text("#main stage")


def test_an_unfinished_large_upload_resumes_after_a_page_reload(page: Page, tmp_path) -> None:
    """The connection dies after the first part (every retry fails too): the page says so and keeps
    the upload in localStorage; after a reload, choosing the same file again sends only the parts
    the server does not hold."""
    owner = _account(page.request, "CONTRIBUTOR")
    album = page.request.post(
        "/api/events/demo/albums",
        data={"title": f"Reload {uuid4().hex[:6]}"},
        headers=_bearer(page.request, owner),
    ).json()
    photo = tmp_path / "large.jpg"
    photo.write_bytes(large_jpeg())  # from disk: the same lastModified after the reload
    parts_sent: list[str] = []

    def cut_after_part_one(route: Route) -> None:
        if "part=1&" in route.request.url:
            route.continue_()
        else:
            route.abort("connectionreset")

    page.on("request", lambda r: parts_sent.append(r.url) if "upload_id=" in r.url else None)
    page.route("**/media/**", cut_after_part_one)
    page.goto(f"/album.html?event=demo&album={album['id']}")
    page.get_by_label("Email", exact=True).fill(owner)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator("#upload-file").set_input_files(str(photo))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#album-error")).to_contain_text(
        "choose the same file again to resume it", timeout=60_000
    )
    memo = "Object.keys(localStorage).filter((k) => k.startsWith('eventlens.upload.'))"
    assert len(page.evaluate(memo)) == 1
    assert any("part=1&" in url for url in parts_sent)

    page.unroute("**/media/**")
    page.reload()
    parts_sent.clear()
    resumes: list[str] = []
    page.on("request", lambda r: resumes.append(r.url) if r.url.endswith("/multipart/resume") else None)
    expect(page.locator("#signed-in-as")).to_have_text(f"Signed in as {owner}")
    page.locator("#upload-file").set_input_files(str(photo))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#album-ok")).to_contain_text("Uploaded: pending", timeout=60_000)
    assert len(resumes) == 1
    assert parts_sent
    assert not any("part=1&" in url for url in parts_sent), "the stored part is not sent again"
    assert page.evaluate(memo) == []
    expect(page.locator("#items [data-status=pending]")).to_have_count(1)
