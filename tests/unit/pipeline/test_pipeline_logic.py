"""Pure pipeline logic: content sniffing, decoding rules, tags, documents."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from eventlens.dedupe.rule import hamming
from eventlens.errors import BadMedia
from eventlens.media import decode as media
from eventlens.media import formats
from eventlens.pipeline.phases.embed import document
from eventlens.pipeline.phases.tag import auto_tag
from eventlens.pipeline.repo import TagInput

from tests.fixtures_photos import bad_inputs, exif_jpeg, odd_but_good_inputs, real_jpeg, video_mp4


@pytest.mark.parametrize(
    ("head", "kind", "mime"),
    [
        (b"\xff\xd8\xff\xe0" + b"\0" * 8, "photo", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "photo", "image/png"),
        (b"\0\0\0\x18ftypheic" + b"\0" * 4, "photo", "image/heic"),
        (b"\0\0\0\x18ftypisom" + b"\0" * 4, "video", "video/mp4"),
        (b"\0\0\0\x14ftypqt  " + b"\0" * 4, "video", "video/quicktime"),
        (b"%PDF-1.4", "photo", None),
    ],
)
def test_kind_comes_from_the_first_bytes_not_the_name(head: bytes, kind: str, mime: str | None) -> None:
    assert formats.sniff(head) == (kind, mime)


def test_a_real_mp4_is_sniffed_as_video() -> None:
    assert formats.sniff(video_mp4(frames=2, audio=False)[:64])[0] == "video"


def test_every_bad_input_raises_bad_media_with_a_reason() -> None:
    for name, data in bad_inputs(4_000_000).items():
        with pytest.raises(BadMedia) as caught:
            media.decode_image(data, max_pixels=4_000_000)
        assert len(caught.value.message.strip()) > 10, f"{name}: no reason given ({caught.value.message!r})"


def test_odd_encodings_decode_to_rgb() -> None:
    for name, data in odd_but_good_inputs().items():
        decoded = media.decode_image(data, max_pixels=4_000_000)
        assert decoded.image.mode == "RGB", name
        assert decoded.rgb.shape[2] == 3, name


def test_draft_decoding_shrinks_a_large_jpeg_but_reports_original_dimensions() -> None:
    data = real_jpeg("coffee", (4000, 3000))
    fast = media.decode_image(data, max_pixels=100_000_000)
    full = media.decode_image(data, max_pixels=100_000_000, draft=False)
    assert (fast.width, fast.height) == (full.width, full.height) == (4000, 3000)
    assert max(fast.image.size) == max(full.image.size) == media.WORK_SIDE
    assert int(hamming(np.array([media.dhash64(fast.image)]), np.array([media.dhash64(full.image)]))[0]) <= 4


def _exif_time(moment: datetime) -> str:
    return moment.strftime("%Y:%m:%d %H:%M:%S")


@pytest.mark.parametrize(
    "taken",
    [
        "9999:12:31 23:59:59",  # a camera's "unset" maximum
        "0001:01:01 00:00:00",  # the minimum
        "1900:01:01 00:00:00",  # the default some cameras write after a battery change
        "1970:01:01 00:00:00",  # a clock at epoch zero
        "1989:12:31 23:59:59",
        _exif_time(datetime.now(UTC) + timedelta(days=2)),  # a live event is never in the future
    ],
    ids=["year-9999", "year-1", "year-1900", "epoch", "before-1990", "two-days-ahead"],
)
def test_implausible_capture_times_are_not_taken_at(taken: str) -> None:
    decoded = media.decode_image(exif_jpeg(taken), max_pixels=10**8)
    assert decoded.exif["DateTimeOriginal"] == taken  # what the file says is kept as it says it
    assert decoded.taken_at is None  # the gallery sorts it by created_at instead


@pytest.mark.parametrize(
    ("taken", "offset", "expected"),
    [
        ("2024:05:02 14:10:00", "+02:00", datetime(2024, 5, 2, 12, 10, tzinfo=UTC)),
        ("2024:05:02 14:10:00", None, datetime(2024, 5, 2, 14, 10, tzinfo=UTC)),
        ("1990:01:01 00:00:00", None, datetime(1990, 1, 1, tzinfo=UTC)),
    ],
)
def test_plausible_capture_times_are_taken_at(taken: str, offset: str | None, expected: datetime) -> None:
    assert media.decode_image(exif_jpeg(taken, offset), max_pixels=10**8).taken_at == expected


def test_a_camera_clock_a_few_hours_ahead_is_still_taken_at() -> None:
    """No offset and a clock set to a zone east of UTC reads as up to 14 hours in the future."""
    ahead = (datetime.now(UTC) + timedelta(hours=14)).replace(microsecond=0)
    assert media.decode_image(exif_jpeg(_exif_time(ahead)), max_pixels=10**8).taken_at == ahead


def test_dhash_is_a_signed_64_bit_integer() -> None:
    value = media.dhash64(media.decode_image(real_jpeg("astronaut"), max_pixels=10**8).image)
    assert -(2**63) <= value < 2**63


@pytest.mark.parametrize(
    ("row", "tag"),
    [
        ({"folder": "Keynote", "face_count": 1}, "Stage & Keynotes"),
        ({"visible_text": "Hands-on WORKSHOP room 2"}, "Workshops"),
        ({"scene_description": "people at the sponsor booth"}, "Expo & Booths"),
        ({"filename": "lunch_buffet_03.jpg"}, "Food & Drinks"),
        ({"folder": "Evening reception"}, "Networking"),
        ({"face_count": 6, "scene_description": "Photo with 6 people"}, "Group Photos"),
        ({"face_count": 1}, "Portraits"),
        ({"face_count": 0, "folder": "collaboration classic"}, None),
    ],
)
def test_auto_tag_prefers_themes_then_face_count(row: dict, tag: str | None) -> None:
    blank = {f.name: None for f in dataclasses.fields(TagInput)}
    text = {
        "filename": "",
        "folder": "",
        "visible_text": "",
        "people_descriptions": "",
        "scene_description": "",
    }
    assert auto_tag(TagInput(**{**blank, **text, **row})) == tag


def test_document_joins_what_a_photo_is_found_by() -> None:
    row = {
        "scene_description": "Photo with 2 people",
        "people_descriptions": "",
        "visible_text": "EXPO 2024",
        "folder": "Day 1/Hall",
        "filename": "img_1.jpg",
    }
    assert document(SimpleNamespace(**row)) == "Photo with 2 people\nEXPO 2024\nDay 1 Hall img_1.jpg"  # type: ignore[arg-type]
