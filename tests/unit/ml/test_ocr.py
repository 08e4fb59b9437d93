"""RapidOCR through TextReader, on text rendered with Pillow."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from eventlens.ml.ocr import OCR_MAX_SIDE, text_reader

from .images import banner_photo, render_text


def test_reads_the_words_of_a_sign_in_reading_order(reader, sign):
    result = reader.read(sign)

    assert result.text.splitlines() == ["WELCOME", "Keynote Hall B"]
    assert [line.text for line in result.lines] == ["WELCOME", "Keynote Hall B"]
    assert all(line.score >= reader.min_score for line in result.lines)


def test_words_on_a_12_mp_banner_keep_their_spaces(reader, t1):
    photo = banner_photo(t1, "WELCOME TO THE GALA 2024", font_px=60)

    # Detected at OCR_MAX_SIDE, read from the full-size crop: read downscaled, the words merge.
    assert reader.read(photo).text == "WELCOME TO THE GALA 2024"


def test_boxes_are_in_pixels_of_the_given_photo(reader):
    photo = render_text(["WELCOME TO THE GALA"], size=(4000, 3000), font_px=48, origin=(2000, 1500))
    assert max(photo.shape) > OCR_MAX_SIDE

    [line] = reader.read(photo).lines

    assert line.text == "WELCOME TO THE GALA"
    xs, ys = zip(*line.box, strict=True)  # corners in pixels of the given photo
    assert 1970 < min(xs) < 2030
    assert 1490 < min(ys) < 1560
    assert 2500 < max(xs) < 2700


def test_a_photo_without_text_reads_nothing(reader, astronaut):
    sky = np.linspace(90, 230, 640 * 480 * 3).reshape(480, 640, 3).astype(np.uint8)

    result = reader.read(sky)

    assert result.text == ""
    assert result.lines == []


def test_two_threads_read_the_same_text_and_engines_outlive_the_pool(reader, sign):
    expected = reader.read(sign).text

    for _ in range(2):  # the pipeline makes a fresh pool per phase run
        with ThreadPoolExecutor(2) as pool:
            texts = list(pool.map(lambda im: reader.read(im).text, [sign] * 2))
        assert texts == [expected] * 2

    assert 1 <= reader._idle.qsize() <= 2  # at most one engine per concurrent read, reused


def test_factory_loads_once(reader):
    assert text_reader() is reader
