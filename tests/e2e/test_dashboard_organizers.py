"""The dashboard as organizers use it (issue 19): errors in plain words that can be ignored and
retried for real, readable contrast, and a phone layout that cuts nothing off."""

from __future__ import annotations

import base64
import re
import secrets
from pathlib import Path

from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD

BROKEN = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"this is not a photo at all " * 40

CONTRAST_JS = """
(root) => {
  // WCAG 2 contrast of each text-bearing element against the first opaque background behind it.
  const canvas = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  const rgba = (css) => {  // any CSS colour (color-mix too) to [r, g, b, a] through a canvas
    canvas.clearRect(0, 0, 1, 1);
    canvas.fillStyle = "#000"; canvas.fillStyle = css; canvas.fillRect(0, 0, 1, 1);
    const d = canvas.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0.5) return c;
    }
    return rgba(getComputedStyle(document.body).backgroundColor);
  };
  const out = [];
  for (const el of root.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || !box.width || getComputedStyle(el).visibility === "hidden") continue;
    const fg = lum(rgba(getComputedStyle(el).color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    out.push({ text: el.textContent.trim().slice(0, 40), cls: el.className, ratio: Math.round(ratio * 100) / 100 });
  }
  return out;
}
"""


def _upload_broken_file(page: Page) -> None:
    page.get_by_role("tab", name="Upload").click()
    page.locator("#file-input").set_input_files(
        files=[{"name": "broken-upload.jpg", "mimeType": "image/jpeg", "buffer": BROKEN}]
    )
    expect(page.locator(".upload-item").first.locator(".upload-state")).to_have_text("uploaded")
    page.get_by_role("tab", name="Pipeline").click()


def test_a_broken_file_reads_in_plain_words_can_be_ignored_and_retry_runs_again(admin_page: Page) -> None:
    page = admin_page
    _upload_broken_file(page)
    item = page.locator(".error-item", has_text="broken-upload.jpg")
    expect(item).to_be_visible(timeout=120_000)

    expect(item.locator(".error-message")).to_have_text(
        "This file is not an image we can read (JPEG, PNG, WebP, GIF, TIFF, MP4/MOV…)."
    )
    assert "<_io" not in item.inner_text()
    item.get_by_text("Technical detail").click()
    expect(item.locator(".error-detail code")).to_contain_text(re.compile("not a readable image|truncated"))

    item.get_by_role("button", name=re.compile(r"^Hide .*broken-upload\.jpg$")).click()
    expect(item.locator(".ignored-badge")).to_have_text("Ignored: hidden from the gallery")
    item.get_by_role("button", name=re.compile(r"^Unhide .*broken-upload\.jpg$")).click()
    expect(item.locator(".ignored-badge")).to_have_count(0)

    expect(page.locator("#run-status")).not_to_contain_text("Running", timeout=120_000)
    runs_before = len(page.request.get("/api/events/demo/admin/pipeline", headers=_auth(page)).json()["runs"])
    page.get_by_role("button", name="Retry errors").click()

    expect(page.locator(".toast", has_text="queued again")).to_contain_text("processing started")
    expect(page.locator("#run-status")).to_have_text("Pipeline finished.", timeout=120_000)
    runs = page.request.get("/api/events/demo/admin/pipeline", headers=_auth(page)).json()["runs"]
    assert len(runs) == min(runs_before + 1, 10)
    assert runs[0]["status"] == "completed"
    analyze = next(r for r in runs[0]["results"] if r["phase"] == "analyze")
    assert analyze["processed"] >= 1  # the run processed the failed file again (and it failed again)
    expect(page.locator(".error-item", has_text="broken-upload.jpg")).to_be_visible()


def _auth(page: Page) -> dict[str, str]:
    token = page.evaluate("localStorage.getItem('eventlens.token.demo')")
    return {"Authorization": f"Bearer {token}"}


def test_pipeline_text_and_badges_have_at_least_4_5_to_1_contrast(admin_page: Page) -> None:
    page = admin_page
    expect(page.locator("#runs .run").first).to_be_visible(timeout=60_000)
    expect(page.locator("#phase-table tbody tr").first).to_be_visible()
    if page.locator(".error-item").count():
        page.locator(".error-detail summary").first.click()

    measured = page.evaluate(CONTRAST_JS, page.locator("#panel-pipeline").element_handle())

    assert len(measured) > 20
    low = [m for m in measured if m["ratio"] < 4.5]
    assert not low, low
    badges = [m for m in measured if "run-badge" in str(m["cls"])]
    assert badges


def test_on_a_phone_the_error_column_and_every_tab_are_in_view(phone_page: Page) -> None:
    page = phone_page
    page.goto("/e/demo/admin")
    page.get_by_label("Organizer password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#phase-table tbody tr").first).to_be_visible()

    width = page.viewport_size["width"] if page.viewport_size else 390
    for name in ("Pipeline", "Upload", "Review", "Settings", "Activity", "Members", "Find me"):
        box = page.get_by_role("tab", name=name).bounding_box()
        assert box is not None
        assert box["x"] >= 0, (name, box)
        assert box["x"] + box["width"] <= width, (name, box)
    for cell in (page.locator("#phase-table thead th").last, page.locator("#phase-table tbody tr td").last):
        box = cell.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= width, box
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_role("tab", name="Settings").click()
    expect(page.locator("#settings-form")).to_be_visible()
    box = page.locator("#settings-form button[type=submit]").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width


def test_settings_refuse_unreadable_text_and_warn_before_leaving_unsaved_edits(admin_page: Page) -> None:
    page = admin_page
    before = page.request.get("/api/events/demo").json()["settings"]["theme"]
    page.get_by_role("tab", name="Settings").click()
    form = page.locator("#settings-form")
    expect(form.locator("input[name=text]")).to_have_value(before["text"])

    form.locator("input[name=text]").fill(before["background"])
    expect(page.locator("#settings-status")).to_contain_text("contrast 1.00:1")
    saves: list[str] = []
    page.on("request", lambda r: saves.append(r.url) if r.method == "PATCH" else None)
    form.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings-status")).to_contain_text("Text colour too close to the background")
    assert saves == []  # refused before it was sent
    assert page.request.get("/api/events/demo").json()["settings"]["theme"] == before
    # the page kept a readable theme while the unreadable one was only typed in
    assert page.evaluate("getComputedStyle(document.body).color") != page.evaluate(
        "getComputedStyle(document.body).backgroundColor"
    )

    dialogs: list[str] = []

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert not page.is_closed()  # staying was chosen: the edit is still there
    expect(form.locator("input[name=text]")).to_have_value(before["background"])


def test_the_phase_table_lists_the_phases_of_the_menu_in_the_same_order(admin_page: Page) -> None:
    page = admin_page
    expect(page.locator("#phase-table tbody tr").first).to_be_visible()
    menu = page.locator("#phase-select option").all_inner_texts()
    rows = page.locator("#phase-table tbody tr th").all_inner_texts()

    assert menu == rows
    assert {"sync", "analyze", "faces", "dedupe", "tag"} <= set(rows)
    tag = page.locator('#phase-table tbody tr[data-phase="tag"]')
    expect(tag).to_contain_text(re.compile("whole event · last run (done|paused)"))


def test_the_find_me_tab_shows_searches_hot_photos_and_recent_activity(
    admin_page: Page, face_selfie: Path
) -> None:
    page = admin_page
    auth = _auth(page)
    before = page.request.get("/api/events/demo/admin/analytics", headers=auth).json()["sessions"]
    image = base64.b64encode(face_selfie.read_bytes()).decode()
    consent = page.request.get("/api/events/demo/match/consent").json()["consent_version"]
    reply = page.request.post(
        "/api/events/demo/match",
        data={"image_base64": image},
        headers={
            "X-EventLens-Session": f"dash-analytics-{secrets.token_hex(8)}",
            "X-EventLens-Consent": consent,
        },
    )
    assert reply.ok, reply.text()
    assert reply.json()["matches"]
    data = page.request.get("/api/events/demo/admin/analytics", headers=auth).json()
    assert data["sessions"] == before + 1

    page.get_by_role("tab", name="Find me").click()

    searches = page.locator("#findme-totals .total", has_text="searches")
    expect(searches.locator("strong")).to_have_text(f"{data['sessions']:,}")
    expect(page.locator("#findme-recent tbody tr")).to_have_count(len(data["recent"]))
    expect(page.locator("#findme-hot .hot-photo")).to_have_count(len(data["hot_photos"]))
    assert data["hot_photos"]
    top = data["hot_photos"][0]
    expect(page.locator("#findme-hot .hot-photo").first).to_contain_text(top["photo"]["filename"])


TABS = ("Pipeline", "Upload", "Review", "Settings", "Activity", "Members", "Find me")


def test_every_dashboard_tab_has_readable_text_and_named_controls(admin_page: Page) -> None:
    """What axe-core would check (no Python package ships it): text contrast >= 4.5:1 and a name
    for every visible control, on every tab."""
    _check_every_tab(admin_page)


def test_on_a_phone_every_tab_has_readable_text_and_named_controls(phone_page: Page) -> None:
    phone_page.goto("/e/demo/admin")
    phone_page.get_by_label("Organizer password").fill(DEMO_PASSWORD)
    phone_page.get_by_role("button", name="Sign in").click()
    _check_every_tab(phone_page)


def _check_every_tab(page: Page) -> None:
    expect(page.locator("#phase-table tbody tr").first).to_be_visible()
    for name in TABS:
        page.get_by_role("tab", name=name).click()
        panel = page.locator(f"#{page.get_by_role('tab', name=name).get_attribute('aria-controls')}")
        expect(panel).to_be_visible()
        page.wait_for_timeout(800)  # the panel's first load
        measured = page.evaluate(CONTRAST_JS, page.locator("body").element_handle())
        low = [m for m in measured if m["ratio"] < 4.5]
        assert not low, (name, low)
        unnamed = page.evaluate(
            """() => [...document.querySelectorAll('button, a[href], select, input, [role=tab]')]
                 .filter((e) => e.offsetParent !== null)
                 .filter((e) => !(e.getAttribute('aria-label') || e.textContent.trim() || e.labels?.length))
                 .map((e) => e.outerHTML.slice(0, 80))"""
        )
        assert unnamed == [], (name, unnamed)


def test_a_sign_in_holds_in_a_second_tab_and_log_out_ends_it_there_too(admin_page: Page) -> None:
    second = admin_page.context.new_page()
    second.goto("/e/demo/admin")
    expect(second.get_by_role("tab", name="Pipeline")).to_be_visible()
    expect(second.get_by_label("Organizer password")).to_be_hidden()

    admin_page.get_by_role("button", name="Log out").click()
    expect(admin_page.get_by_label("Organizer password")).to_be_visible()
    second.reload()
    expect(second.get_by_label("Organizer password")).to_be_visible()
