"""One definition per rule: the slug pattern, the hex colour pattern and bearer parsing live once."""

from __future__ import annotations

import re
from pathlib import Path

from eventlens.types import HEX_COLOUR_PATTERN, SLUG_PATTERN

ROOT = Path(__file__).resolve().parents[2]
CODE = list((ROOT / "layers" / "core" / "eventlens").rglob("*.py")) + list((ROOT / "functions").rglob("*.py"))


def _files_containing(needle: str) -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in CODE if needle in p.read_text())


def test_the_database_checks_slugs_with_the_same_pattern() -> None:
    sql = (ROOT / "layers/core/eventlens/db/migrations/0001_initial.sql").read_text()
    (checked,) = re.findall(r"CHECK \(slug ~ '([^']+)'\)", sql)
    assert checked == SLUG_PATTERN


def test_slug_and_colour_patterns_are_spelled_once_in_code() -> None:
    assert _files_containing(SLUG_PATTERN[1:-1]) == ["layers/core/eventlens/types.py"]
    assert _files_containing(HEX_COLOUR_PATTERN[1:-1]) == ["layers/core/eventlens/types.py"]


def test_bearer_tokens_are_parsed_in_one_place() -> None:
    assert _files_containing('partition(" ")') == ["layers/core/eventlens/auth/principals.py"]
