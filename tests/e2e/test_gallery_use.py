"""The gallery as people use it (issue 19), in Chromium against a real `eventlens demo`: Back and
Forward, the viewer's focus and touch gestures, the phone layout and long press, range selection,
honest find-me messages and downloads. Each test covers one bullet; few tests, so the folder stays fast."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import DESKTOP, new_context
from tests.e2e.test_gallery import _agree


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _settled(page: Page) -> None:
    page.wait_for_function("() => !document.querySelector('#grid').hasAttribute('aria-busy')")


def _open_gallery(page: Page) -> None:
    page.goto("/e/demo")
    expect(page.locator(".tile").first).to_be_visible()


def test_back_undoes_each_step_and_forward_redoes_it(page: Page) -> None:
    _open_gallery(page)
    viewer = page.get_by_role("dialog", name="Photo viewer")
    search = page.get_by_role("searchbox", name="Search photos")

    page.get_by_role("tab", name="Keynote").click()
    expect(page.locator("#status")).to_contain_text("in Keynote")
    search.fill("keynote")
    expect(page.locator("#status")).to_contain_text("for “keynote”")
    _settled(page)
    page.locator(".tile-open").first.click()
    expect(viewer).to_be_visible()
    photo = _query(page)["photo"][0]

    page.go_back()  # closes the viewer, keeps the search
    expect(viewer).to_be_hidden()
    assert _query(page) == {"folder": ["Keynote"], "q": ["keynote"]}
    page.go_back()  # leaves the search
    expect(search).to_have_value("")
    expect(page.locator("#status")).to_contain_text("in Keynote")
    page.go_back()  # back to all photos
    expect(page.get_by_role("tab", name="All photos")).to_have_attribute("aria-selected", "true")
    assert urlsplit(page.url).path == "/e/demo"
    assert _query(page) == {}

    page.go_forward()
    expect(page.get_by_role("tab", name="Keynote")).to_have_attribute("aria-selected", "true")
    page.go_forward()
    expect(search).to_have_value("keynote")
    page.go_forward()
    expect(viewer).to_be_visible()
    assert _query(page)["photo"] == [photo]

    page.keyboard.press("Escape")  # closing is the same step as Back: Forward reopens
    expect(viewer).to_be_hidden()
    page.wait_for_function("() => !location.search.includes('photo=')")
    page.go_forward()
    expect(viewer).to_be_visible()


def test_phone_back_with_a_photo_open_closes_it_and_stays_on_the_gallery(phone_page: Page) -> None:
    phone_page.goto("/e/demo")
    phone_page.locator(".tile-open").first.click()
    viewer = phone_page.get_by_role("dialog", name="Photo viewer")
    expect(viewer).to_be_visible()

    phone_page.go_back()

    expect(viewer).to_be_hidden()
    assert urlsplit(phone_page.url).path == "/e/demo"
    expect(phone_page.locator(".tile").first).to_be_visible()


def test_arrow_keys_keep_working_after_select_download_and_the_last_photo(page: Page) -> None:
    _open_gallery(page)
    page.locator(".tile-open").first.click()
    viewer = page.get_by_role("dialog", name="Photo viewer")
    title = viewer.locator(".lb-title")
    first = title.inner_text()

    viewer.get_by_role("button", name="Select").click()
    page.keyboard.press("ArrowRight")
    expect(title).not_to_have_text(first)
    second = title.inner_text()
    with page.expect_download():
        viewer.get_by_role("link", name="Download").click()
    page.keyboard.press("ArrowRight")
    expect(title).not_to_have_text(second)

    following = viewer.get_by_role("button", name="Next photo")
    for _ in range(100):  # to the last photo with ›, which then goes disabled under the focus
        if following.is_disabled():
            break
        following.click()
    expect(following).to_be_disabled()
    last = title.inner_text()
    assert page.evaluate("document.getElementById('lightbox').contains(document.activeElement)")
    page.keyboard.press("ArrowLeft")
    expect(title).not_to_have_text(last)


def _pointer(page: Page, kind: str, pointer_id: int, x: float, y: float) -> None:
    page.locator("#lb-stage").dispatch_event(
        kind,
        {
            "pointerId": pointer_id,
            "pointerType": "touch",
            "clientX": x,
            "clientY": y,
            "isPrimary": pointer_id == 1,
        },
    )


def test_phone_viewer_pinch_zooms_and_a_swipe_down_closes_it(phone_page: Page) -> None:
    phone_page.goto("/e/demo")
    phone_page.locator(".tile-open").first.click()
    viewer = phone_page.get_by_role("dialog", name="Photo viewer")
    expect(viewer).to_be_visible()
    scale = "() => new DOMMatrix(getComputedStyle(document.querySelector('#lb-stage img')).transform).a"

    _pointer(phone_page, "pointerdown", 1, 150, 300)
    _pointer(phone_page, "pointerdown", 2, 240, 300)
    _pointer(phone_page, "pointermove", 1, 100, 300)
    _pointer(phone_page, "pointermove", 2, 290, 300)
    _pointer(phone_page, "pointerup", 2, 290, 300)
    _pointer(phone_page, "pointerup", 1, 100, 300)
    assert phone_page.evaluate(scale) > 1.8  # fingers 90 px apart, then 190 px
    expect(viewer).to_be_visible()

    phone_page.locator("#lb-stage").dispatch_event("dblclick")
    assert phone_page.evaluate(scale) == 1
    _pointer(phone_page, "pointerdown", 1, 200, 250)
    _pointer(phone_page, "pointerup", 1, 205, 420)

    expect(viewer).to_be_hidden()


def test_phone_layout_rows_targets_selection_bar_and_long_press(phone_page: Page) -> None:
    phone_page.goto("/e/demo")
    expect(phone_page.locator(".tile").first).to_be_visible()
    tabs = phone_page.locator("#folder-tabs").bounding_box()
    tags = phone_page.locator("#tag-tabs").bounding_box()
    assert tabs
    assert tags
    assert tags["y"] >= tabs["y"] + tabs["height"]  # folders and tags each have their own row
    expo = phone_page.get_by_role("tab", name="Expo").bounding_box()
    assert expo
    assert expo["x"] + expo["width"] <= 390  # the first folders in view; the row scrolls for more
    target = phone_page.locator(".tile-select").first.bounding_box()
    assert target
    assert target["width"] >= 44
    assert target["height"] >= 44

    tile = phone_page.locator(".tile-open").nth(1)
    box = tile.bounding_box()
    assert box
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tile.dispatch_event("pointerdown", {"pointerId": 7, "pointerType": "touch", "clientX": x, "clientY": y})
    phone_page.wait_for_timeout(650)
    tile.dispatch_event("pointerup", {"pointerId": 7, "pointerType": "touch", "clientX": x, "clientY": y})
    tile.dispatch_event("click")

    bar = phone_page.get_by_role("region", name="Selection")
    expect(bar).to_contain_text("1 selected")
    expect(phone_page.get_by_role("dialog", name="Photo viewer")).to_be_hidden()
    expect(phone_page.locator(".tile").nth(1)).to_have_class(re.compile("is-selected"))
    bar_box = bar.bounding_box()
    clear = phone_page.get_by_role("button", name="Clear selection").bounding_box()
    assert bar_box
    assert clear
    assert bar_box["height"] <= 64  # one line
    assert clear["x"] + clear["width"] <= 390
    assert clear["x"] >= 0


def test_shift_click_selects_a_range_kept_out_of_the_url_and_over_reload(page: Page) -> None:
    _open_gallery(page)
    page.locator(".tile").nth(0).hover()
    page.locator(".tile-select").nth(0).click()
    page.locator(".tile").nth(3).hover()
    page.locator(".tile-select").nth(3).click(modifiers=["Shift"])

    expect(page.get_by_role("region", name="Selection")).to_contain_text("4 selected")
    assert "sel" not in _query(page)
    page.reload()
    expect(page.get_by_role("region", name="Selection")).to_contain_text("4 selected")
    expect(page.locator(".tile.is-selected")).to_have_count(4)


def test_select_all_and_the_500_photo_limit_in_plain_words(page: Page) -> None:
    _open_gallery(page)
    total = int(re.match(r"\d+", page.locator("#status").inner_text()).group())  # type: ignore[union-attr]

    page.get_by_role("button", name="Select all").click()
    expect(page.get_by_role("region", name="Selection")).to_contain_text(f"{total} selected")
    expect(page.locator(".tile.is-selected")).to_have_count(total)

    fake = [f"00000000-0000-4000-8000-{n:012d}" for n in range(501)]
    page.evaluate("ids => sessionStorage.setItem('eventlens.selection.demo', JSON.stringify(ids))", fake)
    page.reload()
    bar = page.get_by_role("region", name="Selection")
    expect(bar).to_contain_text("501 selected")
    expect(bar).to_contain_text("At most 500 per download: deselect 1")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.url.endswith("/download") else None)
    page.get_by_role("button", name="Download selected").click()
    expect(page.locator(".toast").last).to_contain_text("A ZIP holds at most 500 photos and 501 are chosen")
    assert requests == []


def test_find_me_says_when_a_filter_hides_my_photos_and_survives_reload(
    page: Page, face_selfie: Path
) -> None:
    _open_gallery(page)
    page.get_by_role("button", name="Find me").click()
    page.locator("#selfie-input").set_input_files(face_selfie)
    _agree(page)
    summary = page.locator("#findme-summary")
    expect(summary).to_contain_text(re.compile(r"^Found you in \d+ photos?\."), timeout=30_000)
    _settled(page)
    found = page.locator(".tile").count()
    assert found > 0
    assert page.evaluate("document.activeElement.id") == "findme-title"  # focus goes to the results
    expect(summary).to_have_text(f"Found you in {found} photo{'s' if found != 1 else ''}.")

    page.get_by_role("tab", name="Expo").click()
    expect(summary).to_have_text(f"None of your {found} photo{'s' if found != 1 else ''} are in Expo.")
    expect(page.locator(".tile")).to_have_count(0)
    expect(page.locator("#empty-title")).to_have_text("None of your photos are in this view")
    page.get_by_role("button", name="Clear filters").click()
    expect(summary).to_have_text(re.compile(rf"^Found you in {found} photos?\.$"))

    page.reload()
    expect(page.locator("#findme-results")).to_be_visible()
    expect(page.locator(".tile-badge")).to_have_count(found)
    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile(r"^Download (all my photos|my photo)")).click()
    with zipfile.ZipFile(io.BytesIO(Path(download_info.value.path()).read_bytes())) as archive:
        assert len(archive.namelist()) == found

    page.go_back()  # the reload kept the history: Back to Expo, then to all my photos, then out
    page.go_back()
    page.go_back()  # before find me
    expect(page.locator("#findme-results")).to_be_hidden()
    expect(page.locator(".tile-badge")).to_have_count(0)


VISIBLE_THUMBNAILS_LOADED = """() => [...document.querySelectorAll('.tile img')]
  .filter((i) => { const r = i.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; })
  .every((i) => i.complete && i.naturalWidth > 0)"""


SOME_THUMBNAILS_ON_SCREEN_LOADED = """() => { const on = [...document.querySelectorAll('.tile img')]
  .filter((i) => { const r = i.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; });
  return on.length > 0 && on.every((i) => i.complete && i.naturalWidth > 0); }"""


def test_a_hundred_thousand_photos_keep_the_dom_small_and_a_jump_loads_where_it_lands(page: Page) -> None:
    """A 100,000-photo event (the photo list answered here, thumbnails from one tiny JPEG): a jump
    to the middle asks for the block where it lands (by offset), not the 250 pages before it; after
    a jump to the end the page holds a few screens of tiles, not 100,000, and the thumbnails on
    screen arrive without queueing behind off-screen ones. (Times: benchmarks/gallery_scale.py.)"""
    from PIL import Image

    total = 100_000
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 200)).save(buf, "JPEG")
    jpeg = buf.getvalue()
    thumbs: list[str] = []
    asked: list[int] = []

    def photos(route: Route) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        start = int(query.get("cursor", query.get("offset", ["0"]))[0])
        asked.append(start)
        end = min(total, start + int(query["limit"][0]))
        listed = [
            {
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "filename": f"IMG_{i:06d}.jpg",
                "kind": "photo",
                "width": (3, 2, 4)[i % 3] * 100,
                "height": 300,
                "thumbnail_url": f"/bench-thumb/{i}.jpg",
                "preview_url": f"/bench-thumb/{i}.jpg",
                "original_url": f"/bench-thumb/{i}.jpg",
                "alt": f"Photo {i}",
            }
            for i in range(start, end)
        ]
        route.fulfill(
            json={"photos": listed, "next_cursor": str(end) if end < total else None, "total": total}
        )

    def thumb(route: Route) -> None:
        thumbs.append(route.request.url)
        route.fulfill(body=jpeg, content_type="image/jpeg")

    page.route(re.compile(r"/api/events/demo/photos\?"), photos)
    page.route(re.compile(r"/bench-thumb/"), thumb)
    page.goto("/e/demo")
    expect(page.locator("#status")).to_have_text("100,000 photos")
    page.wait_for_function(SOME_THUMBNAILS_ON_SCREEN_LOADED)

    asked.clear()
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight / 2)")
    page.wait_for_function(SOME_THUMBNAILS_ON_SCREEN_LOADED, timeout=5_000)
    on_screen = page.evaluate(
        """() => [...document.querySelectorAll('.tile')].filter((t) => {
          const r = t.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; })
          .map((t) => Number(t.dataset.index))"""
    )
    assert 40_000 < min(on_screen) < 60_000, on_screen
    assert asked, "no page was asked for after the jump"
    assert len(asked) <= 6, asked  # the blocks at the landing place, not the pages before it
    assert min(on_screen) - 1000 <= asked[0] <= max(on_screen), (asked, on_screen)

    scrubber = page.get_by_role("slider", name="Jump through the photos")
    scrubber.focus()
    page.keyboard.press("End")
    expect(page.locator(f'.tile[data-index="{total - 1}"]')).to_be_attached()
    # at the end: the label names the last photo, or the first one on the last screen
    expect(scrubber).to_have_attribute("aria-valuetext", re.compile(r"(99,[89]\d\d|100,000) of 100,000$"))
    nodes = page.evaluate("document.getElementsByTagName('*').length")
    assert nodes <= 3000, nodes
    assert page.locator(".tile").count() < 300
    page.wait_for_function(VISIBLE_THUMBNAILS_LOADED, timeout=5_000)
    assert len(thumbs) < 1000  # the thumbnails asked for are those the window passed, not all 100,000


CONTRAST = """(el) => {
  const rgb = (c) => { const v = c.match(/[\\d.]+/g).slice(0, 3).map(Number);
    return c.startsWith('color(') ? v.map((x) => x * 255) : v; };  // color-mix() computes to color(srgb 0..1)
  const lum = (c) => { const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let bg = el, color = getComputedStyle(el).backgroundColor;
  while (bg && (color === 'rgba(0, 0, 0, 0)' || color === 'transparent')) { bg = bg.parentElement; color = bg ? getComputedStyle(bg).backgroundColor : 'rgb(255, 255, 255)'; }
  const [a, b] = [lum(getComputedStyle(el).color), lum(color)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def test_keyboard_order_names_and_contrast(page: Page) -> None:
    """Without axe-core (no Python package ships it), the checks it would make that matter here:
    Tab reaches the selection's buttons before the tiles, every button and tile has a name of its
    own, and the text on the page's own colours has at least 4.5:1 contrast."""
    _open_gallery(page)
    page.locator(".tile").nth(0).hover()
    page.locator(".tile-select").nth(0).click()
    expect(page.get_by_role("region", name="Selection")).to_be_visible()

    page.get_by_role("searchbox", name="Search photos").focus()
    reached: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate("document.activeElement.getAttribute('aria-label') || document.activeElement.id")
        )
        if page.evaluate("document.activeElement.classList.contains('tile-open')"):
            break
    assert reached[-1].startswith("Open "), reached
    assert "Download selected" in reached, reached
    assert "Clear selection" in reached, reached

    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, a[href], select, input')]
             .filter((e) => e.offsetParent !== null)
             .filter((e) => !(e.getAttribute('aria-label') || e.textContent.trim() || e.labels?.length))
             .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    names = page.locator(".tile-open").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert len(names) == len(set(names)), names
    for selector in ("#status", ".chip", "#select-all"):
        ratio = page.locator(selector).first.evaluate(CONTRAST)
        assert ratio >= 4.5, (selector, ratio)


def test_a_high_density_screen_gets_2x_thumbnails_and_a_missing_one_falls_back_to_1x(
    browser: Browser, demo_server: str
) -> None:
    """At device pixel ratio 2 the tiles load the 640 px rendition; one that fails (gone from the
    store) gives way to the 1x thumbnail instead of a broken image."""
    context = browser.new_context(base_url=demo_server, viewport=DESKTOP, device_scale_factor=2)
    page = context.new_page()
    listed = page.request.get("/api/events/demo/photos?limit=2").json()["photos"]
    gone, kept = listed
    assert gone["thumbnail_2x_url"] != gone["thumbnail_url"]
    page.route(re.compile(re.escape(gone["thumbnail_2x_url"]) + "$"), lambda route: route.fulfill(status=404))

    page.goto("/e/demo")
    loaded = "(img) => img.complete && img.naturalWidth > 0 ? img.currentSrc : ''"
    first = page.locator(f'.tile[data-id="{gone["id"]}"] img')
    second = page.locator(f'.tile[data-id="{kept["id"]}"] img')
    expect(first).to_be_attached()
    for img in (first, second):
        expect(img).to_have_js_property("complete", True)
    page.wait_for_function(
        "(ids) => ids.every((id) => document.querySelector(`.tile[data-id='${id}'] img`).naturalWidth > 0)",
        arg=[gone["id"], kept["id"]],
    )
    assert second.evaluate(loaded).endswith(kept["thumbnail_2x_url"])
    assert first.evaluate(loaded).endswith(gone["thumbnail_url"])
    context.close()


def test_find_me_outlines_my_face_in_the_viewer_and_the_outline_can_be_turned_off(
    page: Page, face_selfie: Path
) -> None:
    """The match's face box comes with the results; the viewer draws it over the photo, on the face
    the selfie was cut from (the third person of t1.jpg), and "Outline me" hides it, for the next
    photo too."""
    _open_gallery(page)
    page.get_by_role("button", name="Find me").click()
    with page.expect_response(lambda r: r.url.endswith("/api/events/demo/match") and r.ok) as answered:
        page.locator("#selfie-input").set_input_files(face_selfie)
        _agree(page)
    matches = answered.value.json()["matches"]
    assert matches
    assert all(m["face"] is not None for m in matches)
    _settled(page)

    # a copy of t1.jpg (the demo imports it under other names), whose crop (415, 206)-(616, 470) the
    # selfie is: the middle of that crop is inside the outlined box. Other tests on the shared server
    # may add closer matches of the same person, so it is found by size and box, not by rank.
    def on_the_crop(m: dict[str, Any]) -> bool:
        photo, face = m["photo"], m["face"]
        return (photo["width"], photo["height"]) == (1280, 886) and (
            face["x"] < 515 / 1280 < face["x"] + face["w"] and face["y"] < 338 / 886 < face["y"] + face["h"]
        )

    at = next(i for i, m in enumerate(matches) if on_the_crop(m))
    page.locator(".tile-open").nth(at).click()
    outline = page.locator("#lightbox .lb-face rect")
    expect(outline).to_be_visible()
    expect(page.locator(".lb-title")).to_have_text(matches[at]["photo"]["filename"])
    image = page.locator("#lightbox img.lb-media").bounding_box()
    box = outline.bounding_box()
    assert image is not None
    assert box is not None
    assert image["x"] <= box["x"]
    assert box["x"] + box["width"] <= image["x"] + image["width"]
    assert image["y"] <= box["y"]
    assert box["y"] + box["height"] <= image["y"] + image["height"]

    toggle = page.get_by_role("button", name="Outline me")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(outline).to_be_hidden()
    if len(matches) > 1:
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("button", name="Outline me")).to_have_attribute("aria-pressed", "false")
        expect(page.locator("#lightbox .lb-face rect")).to_be_hidden()


def test_the_ticker_and_most_found_photos_count_searches_without_showing_any(
    browser: Browser, demo_server: str, face_selfie: Path
) -> None:
    """Two visitors find themselves (two tabs: two sessions); a third sees the live counts and the
    photo both searches found among the most found, and opens it, with nothing of either search."""
    for _ in range(2):
        context = new_context(browser, demo_server, DESKTOP)
        searcher = context.new_page()
        _open_gallery(searcher)
        searcher.get_by_role("button", name="Find me").click()
        searcher.locator("#selfie-input").set_input_files(face_selfie)
        _agree(searcher)
        expect(searcher.locator("#findme-summary")).to_contain_text("Found you", timeout=30_000)
        context.close()

    context = new_context(browser, demo_server, DESKTOP)
    page = context.new_page()
    with page.expect_response(re.compile(r"/api/events/demo/activity$")) as answered:
        _open_gallery(page)
    activity = answered.value.json()
    assert activity["recent_found"] >= 2
    ticker = page.locator("#ticker")
    expect(ticker).to_contain_text(
        re.compile(r"searches with Find me in the last hour · \d+ people found themselves")
    )
    hot = page.get_by_role("list").filter(has=page.locator(".hot-photo")).locator(".hot-photo")
    expect(hot.first).to_be_visible()
    assert all(h["sessions"] >= 2 for h in activity["hot_photos"])
    assert set(activity) == {
        "searches",
        "window_minutes",
        "recent_searches",
        "recent_found",
        "hot_photos",
        "min_sessions",
    }
    hot.first.click()
    expect(page.get_by_role("dialog", name="Photo viewer")).to_be_visible()
    expect(page.locator("#lightbox .lb-title")).to_have_text(activity["hot_photos"][0]["photo"]["filename"])

    page.keyboard.press("Escape")
    page.get_by_role("tab", name="Expo").click()
    expect(page.locator("#activity")).to_be_hidden()  # a filtered view is about its photos
    context.close()


def test_a_collage_of_the_selected_photos_downloads_as_one_jpeg(page: Page) -> None:
    """Three photos selected: "Collage" downloads one JPEG holding them in a 2 × 2 grid."""
    from PIL import Image

    _open_gallery(page)
    collage = page.get_by_role("button", name="Download a collage of the selected photos")
    selects = page.locator(".tile-select")
    selects.nth(0).click()
    expect(collage).to_be_hidden()  # one photo is no collage
    selects.nth(1).click()
    selects.nth(2).click()
    with page.expect_download() as download_info:
        collage.click()
    download = download_info.value
    assert download.suggested_filename == "demo-collage.jpg"
    sheet = Image.open(io.BytesIO(Path(download.path()).read_bytes()))
    assert sheet.format == "JPEG"
    assert sheet.size == (2 * 480 + 3 * 8, 2 * 480 + 3 * 8)
    expect(collage).to_be_focused()
