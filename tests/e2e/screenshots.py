"""Writes the README screenshots (gallery, find me, lightbox, dashboard) at two widths to docs/screenshots/.

.venv/bin/python tests/e2e/screenshots.py            # starts its own `eventlens demo`
.venv/bin/python tests/e2e/screenshots.py --url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "docs" / "screenshots"


def _support():  # type: ignore[no-untyped-def]
    """The e2e conftest, loaded by path: one definition of the server and browser settings."""
    spec = importlib.util.spec_from_file_location("e2e_support", HERE / "conftest.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


IN_VIEW_LOADED = """() => [...document.images].every((i) => {
  const r = i.getBoundingClientRect();
  return i.complete || r.bottom < 0 || r.top > innerHeight || !r.width;
})"""


def _settle(page: Page) -> None:
    """Waits until every image on screen has loaded (networkidle fires once per page, not per tab);
    a lazy one below the fold never loads, so only those in view count."""
    page.wait_for_function(IN_VIEW_LOADED)
    page.wait_for_timeout(300)


def _gallery(page: Page) -> None:
    page.goto("/e/demo")
    expect(page.locator(".tile").first).to_be_visible()
    _settle(page)


def _find_me(page: Page, selfie: Path) -> None:
    _gallery(page)
    page.get_by_role("button", name="Find me").click()
    page.locator("#selfie-input").set_input_files(selfie)
    consent = page.get_by_role("dialog", name="Before we look for you")
    expect(consent).to_be_visible(timeout=30_000)
    consent.get_by_role("button", name="I agree").click()
    expect(page.locator("#findme-results")).to_be_visible(timeout=30_000)
    _settle(page)


def _lightbox(page: Page) -> None:
    page.goto("/e/demo?q=keynote")
    expect(page.locator(".tile").first).to_be_visible()
    page.locator(".tile-open").first.click()
    expect(page.locator(".lb-media")).to_be_visible()
    _settle(page)


def _dashboard(page: Page, password: str) -> None:
    page.goto("/e/demo/admin")
    page.get_by_label("Organizer password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#phase-table tbody tr").first).to_be_visible()
    _settle(page)


def _review(page: Page, password: str) -> None:
    _dashboard(page, password)
    page.get_by_role("tab", name="Review").click()
    expect(page.locator("#duplicates .cluster").first).to_be_visible()
    _settle(page)


def capture(browser: Browser, base_url: str, support, selfie: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for size, viewport in (("desktop", support.DESKTOP), ("phone", support.PHONE)):
        shots = {
            "gallery": _gallery,
            "find-me": lambda p: _find_me(p, selfie),
            "lightbox": _lightbox,
            "dashboard": lambda p: _dashboard(p, support.DEMO_PASSWORD),
            "review": lambda p: _review(p, support.DEMO_PASSWORD),
        }
        for name, show in shots.items():
            context = support.new_context(browser, base_url, viewport)
            page = context.new_page()
            show(page)
            path = OUT / f"{name}-{size}.png"
            page.screenshot(path=str(path))
            written.append(path)
            context.close()
    return written


def _selfie(folder: Path) -> Path:
    from PIL import Image

    spec = importlib.util.find_spec("insightface")
    assert spec is not None
    assert spec.origin is not None
    photo = Image.open(Path(spec.origin).parent / "data/images/t1.jpg").convert("RGB")
    face = photo.crop((415, 206, 616, 470))
    path = folder / "selfie.jpg"
    face.resize((face.width * 2, face.height * 2)).save(path, quality=92)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running `eventlens demo` (default: start one)")
    args = parser.parse_args()
    support = _support()
    with tempfile.TemporaryDirectory() as tmp:
        proc = None
        url = args.url
        if not url:
            proc, url = support.start_demo(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=support.CHROMIUM, args=support.CHROMIUM_ARGS)
                for path in capture(browser, url, support, _selfie(Path(tmp))):
                    print(path.relative_to(OUT.parents[1]))
                browser.close()
        finally:
            if proc is not None:
                support.stop_demo(proc)


if __name__ == "__main__":
    main()
