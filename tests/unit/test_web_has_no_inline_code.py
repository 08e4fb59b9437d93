"""Issue 11: the pages run under a Content-Security-Policy without 'unsafe-inline' (`PAGE_HEADERS`),
so web/ holds no inline script, inline event handler, style block or style attribute, and its
scripts never build markup from strings (the way stored text would become script).

The browser tests prove the same at run time (every one fails on a CSP violation); this one names
the file and line before a browser starts.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
PAGES = sorted(WEB.rglob("*.html"))
SCRIPTS = sorted(WEB.rglob("*.js"))

JS_SINKS = {
    r"\.(inner|outer)HTML\b": "markup from a string (use h() and textContent)",
    r"\binsertAdjacentHTML\b|\bdocument\.write": "markup from a string (use h() and textContent)",
    r"\beval\s*\(|\bnew\s+Function\b|\bset(Timeout|Interval)\s*\(\s*[\"'`]": "code from a string",
    r"setAttribute\(\s*[\"']style[\"']|\bstyle\s*:\s*[\"'`]": "a style attribute (set el.style instead)",
    r"setAttribute\(\s*[\"']on": "an inline event handler (use addEventListener)",
    r"javascript:": "a javascript: URL",
}


class InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = f"line {self.getpos()[0]}: <{tag}>"
        names = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and "src" not in names:
            self.found.append(f"{where} an inline script")
        if tag == "style":
            self.found.append(f"{where} a style block")
        for name, value in names.items():
            if name.startswith("on"):
                self.found.append(f"{where} an inline handler {name}")
            if name == "style":
                self.found.append(f"{where} a style attribute")
            if value.strip().lower().startswith("javascript:"):
                self.found.append(f"{where} a javascript: URL in {name}")


def test_there_are_pages_and_scripts_to_check() -> None:
    assert {p.name for p in PAGES} >= {"index.html", "admin.html"}
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(WEB)))
def test_a_page_has_no_inline_script_handler_or_style(page: Path) -> None:
    finder = InlineFinder()
    finder.feed(page.read_text())

    assert finder.found == []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(WEB)))
def test_a_script_builds_no_markup_code_or_style_attribute_from_strings(script: Path) -> None:
    found = [
        f"line {number}: {why}: {line.strip()}"
        for number, line in enumerate(script.read_text().splitlines(), 1)
        for pattern, why in JS_SINKS.items()
        if re.search(pattern, line) and not line.lstrip().startswith(("*", "//"))
    ]

    assert found == []
