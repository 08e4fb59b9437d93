"""The local describer: OCR for the visible text, metadata for the scene line."""

from __future__ import annotations

from datetime import datetime

import pytest
from eventlens.ml.describe import DescribeContext, LocalDescriber, describer, scene_line
from eventlens.ml.errors import ModelUnavailableError, UnknownModelError


def test_local_description_reads_the_sign_and_states_what_is_known(reader, sign):
    context = DescribeContext(
        filename="IMG_0042.jpg",
        folder="Keynote/",
        taken_at=datetime(2024, 5, 2, 14, 10),
        face_count=3,
        exif={"Make": "Canon", "Model": "Canon EOS R5"},
    )

    description = LocalDescriber(reader).describe(sign, context)

    assert description.visible_text == "WELCOME\nKeynote Hall B"
    assert description.scene_description == (
        "Photo with 3 people, taken 2024-05-02 14:10 in folder 'Keynote' (Canon EOS R5)"
    )
    assert description.people_descriptions == ""
    assert description.face_count == 3


@pytest.mark.parametrize(
    ("context", "line"),
    [
        (DescribeContext("a.jpg", ""), "Photo"),
        (DescribeContext("a.jpg", "", face_count=0), "Photo"),
        (DescribeContext("a.jpg", "Gala", face_count=1), "Photo with 1 person, in folder 'Gala'"),
        (DescribeContext("a.jpg", "", exif={"Make": "FUJIFILM", "Model": "X-T5"}), "Photo (FUJIFILM X-T5)"),
    ],
)
def test_scene_line_says_only_what_is_known(context, line):
    assert scene_line(context) == line


def test_factory_gives_one_local_describer_and_rejects_unknown_names():
    assert isinstance(describer("local"), LocalDescriber)
    assert describer("local") is describer("local")
    with pytest.raises(UnknownModelError):
        describer("llava")


def test_gemini_describer_needs_a_key(without_gemini_key):
    try:
        with pytest.raises(ModelUnavailableError, match="GEMINI_API_KEY"):
            describer("gemini")
        without_gemini_key()
        assert describer("gemini").name == "gemini"
    finally:
        describer.cache_clear()
