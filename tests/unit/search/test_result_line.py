"""The result line and per-photo reason, in an attendee's words rather than engine names."""

from __future__ import annotations

from eventlens.search.views import reason, summary


def test_reason_names_the_strongest_way_a_photo_matched():
    assert reason(["fulltext", "trigram", "semantic"]) == "has your words"
    assert reason(["trigram", "semantic"]) == "has a word spelt like yours"
    assert reason(["semantic"]) == "is about what you asked"


def test_summary_counts_each_photo_once_by_its_strongest_reason():
    line = summary("cat", [["fulltext", "semantic"], ["semantic"], ["semantic"]])
    assert line == "3 photos for “cat” · 1 has your words, 2 are about what you asked"
    assert summary("cat", [["trigram"]]) == "1 photo for “cat” · 1 has a word spelt like yours"


def test_summary_says_when_nothing_matched_and_what_was_searched_instead():
    assert summary("zebra quantum", []) == "No photos for “zebra quantum”"
    assert summary("dukbot", [["fulltext"]], corrected="DuckBot") == (
        "1 photo for “DuckBot” (nothing for “dukbot”) · 1 has your words"
    )
    assert "trigram" not in summary("x", [["trigram"], ["semantic"]])
