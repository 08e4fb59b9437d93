"""The public gallery in Chromium against a real `eventlens demo`: browse, search, view, find me, select."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Route, expect


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _agree(page: Page) -> None:
    """The first selfie of a tab asks for consent to the event's text (docs/privacy.md)."""
    consent = page.get_by_role("dialog", name="Before we look for you")
    expect(consent).to_be_visible(timeout=30_000)
    consent.get_by_role("button", name="I agree").click()


def _open_gallery(page: Page) -> None:
    page.goto("/e/demo")
    expect(page.locator(".tile").first).to_be_visible()


def test_gallery_shows_event_branding_and_thumbnails_with_alt_text(page: Page) -> None:
    _open_gallery(page)

    expect(page.get_by_role("heading", level=1)).not_to_have_text("Loading…")
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ photos?"))
    alts = page.locator(".tile img").evaluate_all("imgs => imgs.map(i => i.alt)")
    assert alts
    assert all(a.strip() for a in alts)
    primary = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--primary')")
    assert primary.strip().startswith("#")


def test_folder_tab_filters_the_grid_and_is_kept_in_the_url(page: Page) -> None:
    _open_gallery(page)
    everything = page.locator(".tile").count()

    page.get_by_role("tab", name="Keynote").click()

    expect(page.get_by_role("tab", name="Keynote")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#status")).to_contain_text("in Keynote")
    page.wait_for_function("() => !document.querySelector('#grid').hasAttribute('aria-busy')")
    assert 0 < page.locator(".tile").count() < everything
    assert _query(page)["folder"] == ["Keynote"]


def test_search_reports_the_result_count_and_how_they_matched_in_an_attendees_words(page: Page) -> None:
    _open_gallery(page)

    page.get_by_role("searchbox", name="Search photos").fill("keynote")

    status = page.locator("#status")
    expect(status).to_contain_text(re.compile(r"\d+ photos? for “keynote” · \d+ (has|have) your words"))
    assert not re.search(r"full ?text|trigram|semantic|modalit|matched by", status.inner_text(), re.I)
    assert _query(page)["q"] == ["keynote"]
    names = page.locator(".tile-select").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert "Select keynote-banner.jpg" in names


def test_lightbox_opens_full_size_and_follows_arrow_keys_and_escape(page: Page) -> None:
    _open_gallery(page)

    page.locator(".tile-open").first.click()
    viewer = page.get_by_role("dialog", name="Photo viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".lb-media")).to_be_visible()
    first = _query(page)["photo"][0]
    expect(viewer.get_by_role("link", name="Download")).to_have_attribute(
        "href", re.compile(r"^/media/|^https?://")
    )

    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => !location.search.includes('photo={first}')")
    second = _query(page)["photo"][0]
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => location.search.includes('photo={first}')")
    page.keyboard.press("Escape")

    expect(viewer).to_be_hidden()
    page.wait_for_function("() => !location.search.includes('photo=')")
    assert second != first
    focused = page.evaluate("document.activeElement.closest('.tile')?.dataset.index")
    assert focused == "0"


def test_shared_link_reopens_the_photo_in_the_viewer(page: Page) -> None:
    photos = page.request.get("/api/events/demo/photos?limit=3").json()["photos"]
    target = photos[-1]

    page.goto(f"/e/demo?photo={target['id']}")

    viewer = page.get_by_role("dialog", name="Photo viewer")
    expect(viewer).to_be_visible()
    expect(viewer.get_by_role("heading", name=target["filename"])).to_be_visible()


def test_keyboard_alone_reaches_and_opens_a_photo(page: Page) -> None:
    _open_gallery(page)

    page.locator(".tile-open").first.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("dialog", name="Photo viewer")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "lb-close"


def test_find_me_with_a_selfie_lists_my_photos_with_confidence(page: Page, face_selfie: Path) -> None:
    _open_gallery(page)

    page.get_by_role("button", name="Find me").click()
    page.locator("#selfie-input").set_input_files(face_selfie)
    _agree(page)

    results = page.locator("#findme-results")
    expect(results.get_by_role("heading", name="Your photos")).to_be_visible(timeout=30_000)
    expect(page.locator("#findme-summary")).to_contain_text(re.compile(r"[Ff]ound you in \d+ photos?"))
    badges = page.locator(".tile-badge").all_inner_texts()
    assert badges
    assert all(re.fullmatch(r"\d{1,3}%", b) for b in badges)
    names = page.locator(".tile img").evaluate_all("imgs => imgs.map(i => i.closest('.tile').dataset.id)")
    assert len(names) == len(badges)

    page.get_by_role("button", name="Back to all photos").click()
    expect(results).to_be_hidden()
    expect(page.locator(".tile-badge")).to_have_count(0)


def test_find_me_says_so_when_the_selfie_has_no_face(page: Page, faceless_photo: Path) -> None:
    _open_gallery(page)

    page.get_by_role("button", name="Find me").click()
    page.locator("#selfie-input").set_input_files(faceless_photo)
    _agree(page)

    expect(page.locator("#findme-message")).to_have_text(re.compile(r"^No face found", re.I), timeout=30_000)
    expect(page.get_by_role("dialog", name="Find your photos")).to_be_visible()


def test_selected_photos_download_as_one_zip_the_server_builds(page: Page) -> None:
    """The server builds the ZIP (202, then its progress until ready) and the browser downloads it
    from the archive's media URL: no ZIP is put together in the tab."""
    _open_gallery(page)
    page.locator(".tile").nth(0).hover()
    page.locator(".tile-select").nth(0).click()
    page.locator(".tile").nth(1).hover()
    page.locator(".tile-select").nth(1).click()

    expect(page.get_by_role("region", name="Selection")).to_contain_text("2 selected")
    assert "sel" not in _query(page)
    with (
        page.expect_response(re.compile(r"/api/events/demo/download$")) as started,
        page.expect_response(re.compile(r"/api/events/demo/archives/[0-9a-f-]+$")) as followed,
        page.expect_download() as download_info,
    ):
        page.get_by_role("button", name="Download selected").click()
    download = download_info.value

    assert started.value.status == 202
    assert followed.value.json()["status"] in ("pending", "building", "ready")
    assert urlsplit(download.url).path.startswith("/media/")
    assert download.suggested_filename == "demo-photos.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        assert len(archive.namelist()) == 2
        assert archive.testzip() is None
    expect(page.get_by_role("button", name="Download selected")).to_be_enabled()
    expect(page.locator(".selection-progress")).to_have_count(0)
    expect(page.locator(".toast").last).to_contain_text("Downloading 2 photos")


def test_the_download_button_shows_the_servers_progress_until_the_zip_is_ready(page: Page) -> None:
    """The first progress reply is held at "building, 1 of 2" (as a large archive would be) for as
    long as the page keeps it: the bar and the button say so, then the ZIP downloads."""
    _open_gallery(page)
    for n in (0, 1):
        page.locator(".tile").nth(n).hover()
        page.locator(".tile-select").nth(n).click()
    held: list[str] = []
    seen = False  # every status reply is held at "1 of 2" until the test has seen the progress

    def halfway(route: Route) -> None:
        if seen:
            route.continue_()
            return
        reply = route.fetch()
        archive = {**reply.json(), "status": "building", "done": 1, "url": None}
        held.append(archive["archive_id"])
        route.fulfill(response=reply, json=archive)

    page.route(re.compile(r"/api/events/demo/archives/[0-9a-f-]+$"), halfway)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download selected").click()
        expect(page.locator("#selection-download")).to_have_text(re.compile(r"^Preparing ZIP… 1 of 2 photos"))
        meter = page.get_by_role("progressbar", name="ZIP being prepared")
        expect(meter).to_have_attribute("value", "1")
        expect(meter).to_have_attribute("max", "2")
        seen = True

    assert download_info.value.suggested_filename == "demo-photos.zip"
    assert held
    expect(page.get_by_role("button", name="Download selected")).to_have_text("Download selected")


def test_find_me_lets_me_pick_my_face_when_the_selfie_shows_several(page: Page, group_photo: Path) -> None:
    """t1.jpg has six faces: the page asks which is mine, and a tap on the third from the left
    (where the face_selfie fixture is cut from) finds the photos that face is in."""
    _open_gallery(page)

    page.get_by_role("button", name="Find me").click()
    page.locator("#selfie-input").set_input_files(group_photo)
    _agree(page)

    expect(page.locator("#findme-message")).to_have_text(
        re.compile(r"more than one face", re.I), timeout=30_000
    )
    picker = page.get_by_role("group", name="Which face is yours?")
    expect(picker).to_be_visible()
    image = picker.locator("img").bounding_box()
    assert image is not None
    x = image["x"] + image["width"] * (515 / 1280)  # the middle of the face at (415, 206)-(616, 470)
    y = image["y"] + image["height"] * (338 / 886)
    page.mouse.click(x, y)

    expect(page.locator("#findme-summary")).to_contain_text(
        re.compile(r"^Found you in \d+ photos?"), timeout=30_000
    )
    expect(page.get_by_role("dialog", name="Find your photos")).to_be_hidden()


def test_find_me_combines_with_the_text_query(page: Page, face_selfie: Path) -> None:
    _open_gallery(page)
    page.get_by_role("button", name="Find me").click()
    page.locator("#selfie-input").set_input_files(face_selfie)
    _agree(page)
    expect(page.locator("#findme-results")).to_be_visible(timeout=30_000)
    unfiltered = page.locator(".tile").count()

    with page.expect_response(lambda r: r.url.endswith("/match")) as reply:
        page.get_by_role("searchbox", name="Search photos").fill("keynote")

    assert reply.value.request.post_data_json["q"] == "keynote"
    expect(page.locator("#findme-summary")).to_contain_text("keynote")
    page.wait_for_function("() => !document.querySelector('#grid').hasAttribute('aria-busy')")
    assert page.locator(".tile").count() <= unfiltered


def test_swiping_the_viewer_moves_to_the_next_photo(phone_page: Page) -> None:
    phone_page.goto("/e/demo")
    phone_page.locator(".tile-open").first.click()
    first = _query(phone_page)["photo"][0]
    stage = phone_page.locator("#lb-stage")

    stage.dispatch_event("pointerdown", {"clientX": 300, "clientY": 300, "pointerType": "touch"})
    stage.dispatch_event("pointerup", {"clientX": 80, "clientY": 310, "pointerType": "touch"})

    phone_page.wait_for_function(f"() => !location.search.includes('photo={first}')")
    assert _query(phone_page)["photo"][0] != first


def test_find_me_asks_for_consent_first_and_hide_me_removes_me_from_the_results(
    page: Page, hiding_selfie: Path
) -> None:
    _open_gallery(page)
    page.get_by_role("button", name="Find me").click()
    page.locator("#selfie-input").set_input_files(hiding_selfie)
    consent = page.get_by_role("dialog", name="Before we look for you")
    expect(consent).to_contain_text("face template", timeout=30_000)
    consent.get_by_role("button", name="Not now").click()
    expect(page.locator("#findme-message")).to_contain_text("needs your consent")
    page.get_by_role("button", name="Cancel").click()

    page.get_by_role("button", name="Find me").click()
    page.locator("#selfie-input").set_input_files(hiding_selfie)
    _agree(page)
    expect(page.locator("#findme-summary")).to_contain_text(
        re.compile(r"[Ff]ound you in \d+ photos?"), timeout=30_000
    )

    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Hide me").click()
    expect(page.locator("#findme-summary")).to_contain_text(
        "hidden from other people's searches", timeout=30_000
    )
