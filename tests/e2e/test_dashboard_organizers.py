"""The dashboard as organizers use it (issue 19): errors in plain words that can be ignored and
retried for real, readable contrast, and a phone layout that cuts nothing off."""

from __future__ import annotations

import base64
import re
import secrets
from pathlib import Path

from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.test_albums_flow import PASSWORD, _account
from tests.fixtures_photos import real_jpeg

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


def _upload_broken_file(page: Page, name: str = "broken-upload.jpg", data: bytes = BROKEN) -> None:
    page.get_by_role("tab", name="Upload").click()
    page.locator("#file-input").set_input_files(
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": data}]
    )
    expect(page.locator(".upload-item", has_text=name).locator(".upload-state")).to_have_text("uploaded")
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
    failed = page.request.get("/api/events/demo/admin/errors", headers=_auth(page)).json()["errors"]
    page.get_by_role("button", name="Retry errors").click()

    expect(page.locator(".toast", has_text="queued again")).to_contain_text("processing started")
    # the retried file stays listed, being processed, until it fails again or goes through
    expect(page.locator(".error-item.is-retrying", has_text="broken-upload.jpg")).to_contain_text("Retrying…")
    expect(page.locator("#run-status")).to_have_text("Pipeline finished.", timeout=120_000)
    runs = page.request.get("/api/events/demo/admin/pipeline", headers=_auth(page)).json()["runs"]
    assert len(runs) == min(runs_before + 1, 10)
    assert (runs[0]["phase"], runs[0]["status"]) == ("retry", "completed")
    # only the per-photo phases of the failed files (analyze first), no sync, scan, dedupe or tag
    phases = [r["phase"] for r in runs[0]["results"]]
    assert phases[0] == "analyze"
    assert set(phases) <= {"analyze", "describe", "embed", "faces"}
    analyze = runs[0]["results"][0]
    # the failed files alone were processed again (and failed again)
    assert analyze["processed"] == len({e["photo_id"] for e in failed if e["phase"] == "analyze"})
    assert analyze["errors"] == analyze["processed"]
    expect(page.locator(".error-item", has_text="broken-upload.jpg")).not_to_have_class(
        re.compile("is-retrying")
    )


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


def test_a_sign_in_holds_in_a_second_tab_and_log_out_ends_it_there_too(admin_page: Page) -> None:
    second = admin_page.context.new_page()
    second.goto("/e/demo/admin")
    expect(second.get_by_role("tab", name="Pipeline")).to_be_visible()
    expect(second.get_by_label("Organizer password")).to_be_hidden()

    admin_page.get_by_role("button", name="Log out").click()
    expect(admin_page.get_by_label("Organizer password")).to_be_visible()
    second.reload()
    expect(second.get_by_label("Organizer password")).to_be_visible()


def test_a_failed_file_can_be_deleted_for_good_with_its_stored_object(
    admin_page: Page, demo_home: Path
) -> None:
    page = admin_page
    name = f"broken-{secrets.token_hex(4)}.jpg"
    _upload_broken_file(page, name, BROKEN + secrets.token_bytes(8))  # its own bytes: not an alias
    item = page.locator(".error-item", has_text=name)
    expect(item).to_be_visible(timeout=120_000)
    (stored,) = (demo_home / "blobs/events/demo/originals/uploads").glob(f"*-{name}")

    dialogs: list[str] = []

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    item.get_by_role("button", name=re.compile(rf"^Delete .*{re.escape(name)}$")).click()

    expect(page.locator(".toast", has_text=re.compile(rf"{re.escape(name)} is deleted"))).to_be_visible()
    expect(item).to_have_count(0)
    assert len(dialogs) == 1
    assert re.match(rf"Delete .*{re.escape(name)} for good\?", dialogs[0]), dialogs
    assert not stored.exists()
    errors = page.request.get("/api/events/demo/admin/errors", headers=_auth(page)).json()["errors"]
    assert not [e for e in errors if e["filename"].endswith(name)]
    audit = page.request.get("/api/events/demo/admin/audit?action=photo_delete", headers=_auth(page)).json()
    assert any(e["detail"].get("filename", "").endswith(name) for e in audit["entries"]), audit
    page.get_by_role("tab", name="Activity").click()
    expect(page.locator("#audit-table tbody")).to_contain_text("Failed file deleted")


def test_an_upload_from_the_dashboard_can_go_into_an_album(admin_page: Page) -> None:
    page = admin_page
    owner = _account(page.request, "CONTRIBUTOR")
    session = page.request.post("/api/account/sign-in", data={"email": owner, "password": PASSWORD}).json()
    title = f"Stage {secrets.token_hex(3)}"
    album = page.request.post(
        "/api/events/demo/albums",
        data={"title": title},
        headers={"Authorization": f"Bearer {session['access_token']}"},
    ).json()
    name = f"stage-{secrets.token_hex(4)}.jpg"

    page.get_by_role("tab", name="Upload").click()
    page.get_by_label("Add them to an album too").select_option(label=title)
    page.locator("#file-input").set_input_files(
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": real_jpeg("astronaut", (640, 480))}]
    )

    expect(page.locator("#upload-summary")).to_contain_text(f"Added to the album “{title}”: 1 photo.")
    items = page.request.get(f"/api/events/demo/albums/{album['id']}").json()["items"]
    assert [(i["status"], i["reason"]) for i in items] == [("approved", "uploaded")]
    photo = page.request.get(items[0]["url"])
    assert photo.ok
    assert photo.body()[:3] == b"\xff\xd8\xff"
