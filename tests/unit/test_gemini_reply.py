"""Gemini description replies, clean and broken, all become a Description."""

from __future__ import annotations

from typing import Any

import pytest
from eventlens.ml.describe import Description
from eventlens.ml.gemini_reply import (
    UnparseableReplyError,
    as_count,
    as_text,
    parse_description_reply,
    parse_reply,
)

CLEAN = """{
  "visible_text": "HAPPY 30TH BIRTHDAY MARIA; Table 7",
  "people_descriptions": "A woman in a red dress holding a glass; a bearded man in a grey suit laughing",
  "scene_description": "Indoor evening party in a decorated hall with balloons and a buffet",
  "face_count": 2
}"""

EXPECTED = Description(
    visible_text="HAPPY 30TH BIRTHDAY MARIA; Table 7",
    people_descriptions="A woman in a red dress holding a glass; a bearded man in a grey suit laughing",
    scene_description="Indoor evening party in a decorated hall with balloons and a buffet",
    face_count=2,
)


# -- level 1: strict JSON ---------------------------------------------------------------------


def test_clean_json_reply_is_read_strictly() -> None:
    parsed = parse_reply(CLEAN)
    assert parsed.level == "json"
    assert parsed.description == EXPECTED


def test_json_inside_a_markdown_fence_is_read_strictly() -> None:
    reply = f"```json\n{CLEAN}\n```"
    assert parse_reply(reply) == parse_reply(CLEAN)


def test_json_with_prose_around_it_is_found() -> None:
    reply = f"Sure! Here is the description of the photo you sent:\n{CLEAN}\nLet me know if you need more."
    parsed = parse_reply(reply)
    assert parsed.level == "json"
    assert parsed.description == EXPECTED


def test_json_wrapped_in_a_one_element_array_is_unwrapped() -> None:
    assert parse_description_reply(f"[{CLEAN}]") == EXPECTED


def test_lists_are_joined_and_counts_read_from_strings() -> None:
    reply = """{"visible_text": ["EXIT", "Gate B", null, ""],
      "people_descriptions": ["child on shoulders", "man waving a flag"],
      "scene_description": "Outdoor concert crowd at dusk", "face_count": "3 people"}"""
    description = parse_description_reply(reply)
    assert description.visible_text == "EXIT; Gate B"
    assert description.people_descriptions == "child on shoulders; man waving a flag"
    assert description.face_count == 3


def test_list_of_person_objects_becomes_readable_text() -> None:
    reply = """{"visible_text": "", "people_descriptions": [
        {"position": "left", "description": "girl in yellow raincoat"},
        {"position": "right", "description": "older man with umbrella"}],
      "scene_description": "Rainy street market", "face_count": 2.0}"""
    description = parse_description_reply(reply)
    assert description.people_descriptions == "left, girl in yellow raincoat; right, older man with umbrella"
    assert description.face_count == 2


def test_nulls_and_missing_fields_become_empty_and_unknown() -> None:
    reply = '{"visible_text": null, "people_descriptions": "None", "scene_description": "Empty stage"}'
    assert parse_description_reply(reply) == Description("", "", "Empty stage", None)


def test_alternative_key_spellings_are_accepted() -> None:
    reply = '{"Visible Text": "SALE", "people": "nobody", "scene": "Shop window", "num_faces": "0"}'
    assert parse_description_reply(reply) == Description("SALE", "nobody", "Shop window", 0)


# -- level 2: truncated JSON ------------------------------------------------------------------


def test_reply_cut_mid_string_keeps_the_partial_value() -> None:
    reply = (
        '```json\n{"visible_text": "WELCOME TO THE 2024 ANNUAL GALA", "face_count": 4,\n'
        ' "people_descriptions": ["woman in a blue gown", "man in a tuxedo adjusting his bow'
    )
    parsed = parse_reply(reply)
    assert parsed.level == "repaired"
    assert parsed.description.visible_text == "WELCOME TO THE 2024 ANNUAL GALA"
    assert parsed.description.people_descriptions == "woman in a blue gown; man in a tuxedo adjusting his bow"
    assert parsed.description.face_count == 4
    assert parsed.description.scene_description == ""


def test_reply_cut_after_a_key_drops_the_dangling_key() -> None:
    reply = '{"visible_text": "FINISH", "people_descriptions": "runners at a line", "scene_description":'
    parsed = parse_reply(reply)
    assert parsed.level == "repaired"
    assert parsed.description == Description("FINISH", "runners at a line", "", None)


def test_reply_cut_inside_a_key_drops_the_half_key() -> None:
    reply = '{"visible_text": "FINISH", "face_count": 12, "scene_desc'
    parsed = parse_reply(reply)
    assert parsed.level == "repaired"
    assert parsed.description == Description("FINISH", "", "", 12)


def test_reply_cut_inside_a_literal_falls_back_to_the_last_complete_member() -> None:
    reply = '{"scene_description": "Wedding ceremony on a beach", "visible_text": nu'
    parsed = parse_reply(reply)
    assert parsed.level == "repaired"
    assert parsed.description == Description("", "", "Wedding ceremony on a beach", None)


def test_reply_cut_after_an_escape_still_closes_the_string() -> None:
    reply = '{"visible_text": "He said \\"cheese\\" and then \\'
    parsed = parse_reply(reply)
    assert parsed.level == "repaired"
    assert parsed.description.visible_text == 'He said "cheese" and then'


def test_trailing_comma_before_the_cut_is_dropped() -> None:
    reply = '{"visible_text": "EXIT", "face_count": 1,\n  '
    assert parse_reply(reply).description == Description("EXIT", "", "", 1)


# -- level 3: mangled text --------------------------------------------------------------------


def test_single_quoted_pseudo_json_is_read_field_by_field() -> None:
    reply = (
        "{'visible_text': 'NO PARKING', 'people_descriptions': 'a cyclist in a helmet', "
        "'scene_description': 'City street at noon', 'face_count': 1}"
    )
    parsed = parse_reply(reply)
    assert parsed.level == "regex"
    assert parsed.description == Description("NO PARKING", "a cyclist in a helmet", "City street at noon", 1)


def test_markdown_bullets_are_read_field_by_field() -> None:
    reply = """Here is what I see:
**Visible text:** "Bar & Grill", "Open 24h"
**People descriptions:** two waiters carrying trays
**Scene description:** A busy restaurant terrace in the evening
**Face count:** three"""
    parsed = parse_reply(reply)
    assert parsed.level == "regex"
    assert parsed.description == Description(
        visible_text="Bar & Grill; Open 24h",
        people_descriptions="two waiters carrying trays",
        scene_description="A busy restaurant terrace in the evening",
        face_count=3,
    )


def test_json_with_unescaped_quotes_is_read_field_by_field() -> None:
    reply = (
        '{"visible_text": ["TEAM "BLUE"", "GO!"], "people_descriptions": "players hugging",\n'
        '"scene_description": "Football pitch after a match", "face_count": "about 5"}'
    )
    parsed = parse_reply(reply)
    assert parsed.level == "regex"
    assert parsed.description.people_descriptions == "players hugging"
    assert parsed.description.scene_description == "Football pitch after a match"
    assert parsed.description.face_count == 5
    assert "GO!" in parsed.description.visible_text


def test_key_value_lines_are_read_field_by_field() -> None:
    reply = "visible_text = none\npeople_descriptions = a toddler with a balloon\nface_count = 1"
    parsed = parse_reply(reply)
    assert parsed.level == "regex"
    assert parsed.description == Description("", "a toddler with a balloon", "", 1)


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   ",
        None,
        "I'm sorry, but I can't help with identifying people in this image.",
        '{"caption": "a photo"}',
    ],
)
def test_reply_without_any_field_is_refused(reply: str | None) -> None:
    with pytest.raises(UnparseableReplyError):
        parse_description_reply(reply)


# -- normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (2.6, 3),
        ("4", 4),
        ("3 people", 3),
        ("approximately 12 faces", 12),
        ("two", 2),
        ("No faces visible", 0),
        ("zero", 0),
        ("", None),
        ("null", None),
        ("None", None),
        (None, None),
        (True, None),
        (-1, None),
        ("many", None),
        ([1, 2], None),
    ],
)
def test_face_count_is_normalised_to_an_int_or_none(value: Any, expected: int | None) -> None:
    assert as_count(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  text  ", "text"),
        (["a", "b"], "a; b"),
        ([["nested", "list"], "c"], "nested; list; c"),
        (None, ""),
        ("NULL", ""),
        ("n/a", ""),
        (42, "42"),
        (False, ""),
    ],
)
def test_text_fields_are_normalised_to_one_string(value: Any, expected: str) -> None:
    assert as_text(value) == expected
