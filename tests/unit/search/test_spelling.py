"""Did-you-mean from the event's own words: compound and short typos that trigrams miss."""

from __future__ import annotations

import pytest
from eventlens.search.spelling import correct, edit_distance, vocabulary

EVENT = vocabulary(
    [
        "HELLO my\nDuckBot\nHarvard",
        "KEYNOTE:Serverless at Scale",
        "Photo of cat (tiger cat, Egyptian cat, tabby), in folder 'Expo'",
        "Photo of rocket (missile, projectile), in folder 'Expo'",
        "coffee-break.jpg",
    ]
)


def test_vocabulary_keeps_words_as_written_and_points_camelcase_parts_at_their_word():
    assert EVENT["duckbot"] == "DuckBot"
    assert EVENT["duck"] == EVENT["bot"] == "DuckBot"
    assert EVENT["keynote"] == "KEYNOTE"
    assert "my" not in EVENT  # too short to correct towards


@pytest.mark.parametrize("query", ["dukbot", "duk bot", "duck bot", "duk robot", "DUKBOT"])
def test_compound_and_short_typos_lead_to_the_badge_word(query):
    assert correct(query, EVENT) == "DuckBot"


@pytest.mark.parametrize(
    ("query", "fixed"), [("keynot", "KEYNOTE"), ("rockit", "rocket"), ("Harvrd", "Harvard")]
)
def test_one_letter_typos_are_fixed(query, fixed):
    assert correct(query, EVENT) == fixed


@pytest.mark.parametrize("query", ["zebra quantum", "banana", "cap", "card players", "xx", "", "duckbot"])
def test_nothing_is_suggested_for_words_the_event_lacks_or_already_has(query):
    # "cap" is one substitution from "cat": another word, not a typo; "duckbot" needs no fixing.
    assert correct(query, EVENT) is None


def test_edit_distance_counts_swaps_as_one_and_stops_at_the_cap():
    assert edit_distance("kofee", "coffee", 3) == 2
    assert edit_distance("espreso", "espresso", 2) == 1
    assert edit_distance("teh", "the", 2) == 1
    assert edit_distance("abcdefgh", "zzzzzzzz", 2) == 3
