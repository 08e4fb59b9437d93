"""Blob keys are relative, clean paths: nothing escapes the store."""

from __future__ import annotations

import pytest
from eventlens.storage import InvalidKey, validate_key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/etc/passwd",
        "a/../b",
        "../a",
        "a/./b",
        "a//b",
        "a/",
        "a\x00b",
        "a\\b",
        "C:/x",
        "a/\nb",
        "x" * 1025,
    ],
)
def test_unsafe_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidKey):
        validate_key(key)


@pytest.mark.parametrize("key", ["a.jpg", "events/demo/originals/Keynote/ü ñ 写真.jpg", "a/b/c..d.jpg"])
def test_ordinary_keys_pass(key: str) -> None:
    assert validate_key(key) == key
