"""The cover window: the largest 4:3 rectangle of the photo, slid to keep its faces in frame."""

from __future__ import annotations

from eventlens.albums.cover import ASPECT, crop_box


def _inside(
    window: tuple[int, int, int, int], box: tuple[float, float, float, float], w: int, h: int
) -> bool:
    left, top, right, bottom = window
    x, y, bw, bh = box[0] * w, box[1] * h, box[2] * w, box[3] * h
    return left <= x and top <= y and x + bw <= right and y + bh <= bottom


def test_a_tall_photo_keeps_a_face_near_its_top() -> None:
    face = (0.3, 0.05, 0.4, 0.12)
    window = crop_box(300, 900, [face])
    assert (window[2] - window[0]) / (window[3] - window[1]) == ASPECT
    assert _inside(window, face, 300, 900)


def test_a_wide_photo_keeps_faces_at_its_right_edge_and_both_of_two() -> None:
    right = (0.85, 0.4, 0.1, 0.15)
    assert _inside(crop_box(2000, 600, [right]), right, 2000, 600)
    pair = [(0.55, 0.3, 0.08, 0.2), (0.7, 0.35, 0.08, 0.2)]
    window = crop_box(2000, 600, pair)
    assert all(_inside(window, face, 2000, 600) for face in pair)


def test_faces_wider_than_the_tile_keep_the_largest_whole() -> None:
    small, large = (0.02, 0.4, 0.05, 0.1), (0.8, 0.3, 0.1, 0.3)
    window = crop_box(3000, 600, [small, large])
    assert _inside(window, large, 3000, 600)
    assert not _inside(window, small, 3000, 600)


def test_without_faces_the_window_is_centred_across_and_a_third_down() -> None:
    assert crop_box(400, 300, []) == (0, 0, 400, 300)
    assert crop_box(800, 300, []) == (200, 0, 600, 300)
    left, top, right, bottom = crop_box(300, 900, [])
    assert (left, right, bottom - top) == (0, 300, 225)
    assert top == 300 - 112
