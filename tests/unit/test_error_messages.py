"""Recorded processing errors read as plain words; unknown ones get a general line naming the step."""

from __future__ import annotations

from eventlens.jobs.explain import plain_message


def test_known_technical_messages_become_plain_words() -> None:
    raw = "not a readable image: cannot identify image file <_io.BytesIO object at 0x7f3a2c1b>"
    assert plain_message("analyze", raw) == (
        "This file is not an image we can read (JPEG, PNG, WebP, GIF, TIFF, MP4/MOV…)."
    )
    assert plain_message("analyze", "UnidentifiedImageError: cannot identify image file") == plain_message(
        "analyze", raw
    )
    assert "damaged" in plain_message("analyze", "corrupt or truncated image: image file is truncated")
    assert "in time" in plain_message("describe", "ReadTimeout: HTTPSConnectionPool read timed out")


def test_an_unknown_error_names_the_step_and_what_to_do() -> None:
    message = plain_message("faces", "KeyError: 'bbox'")
    assert "“faces”" in message
    assert "Retry" in message
    assert "KeyError" not in message
