"""Hybrid search over photos described and embedded as the pipeline stores them."""

from __future__ import annotations

import pytest
from eventlens.db.photos import PhotoFilter
from eventlens.scope import Scope
from eventlens.search.service import search_photos


@pytest.fixture
def gallery(make_event, add_photo):
    event = make_event("summit")
    ids = {
        "graduation": add_photo(
            event.id,
            "graduation_042.jpg",
            visible_text="HARVARD UNIVERSITY Class of 2024",
            people="A woman in a crimson gown holding a diploma",
            scene="Graduation ceremony on a lawn",
        ),
        "keynote": add_photo(
            event.id,
            "keynote.jpg",
            visible_text="AI Summit 2024 Main Stage",
            people="A man speaking at a podium",
            scene="Conference keynote speech in a dark auditorium",
        ),
        "dinner": add_photo(
            event.id,
            "dinner.jpg",
            people="Friends laughing around a table",
            scene="Evening dinner party with wine glasses and candles",
        ),
        "robot": add_photo(event.id, "robot.jpg", scene="A yellow rubber duck shaped robot on a workbench"),
        "badge": add_photo(
            event.id,
            "badge.jpg",
            visible_text="HELLO my name is Priyanka",
            people="A woman wearing a name badge",
            scene="Registration desk in a hotel lobby",
        ),
        "band": add_photo(
            event.id, "band.jpg", visible_text="Gala banquet", scene="A band playing at the banquet"
        ),
        "hidden": add_photo(event.id, "hidden.jpg", visible_text="HARVARD ALUMNI", hidden=True),
    }
    return event, ids


def test_typo_harvrd_finds_the_harvard_badge_photo_by_trigram(gallery):
    event, ids = gallery
    response = search_photos(Scope.visitor(event), "Harvrd", PhotoFilter())
    assert response.results[0].photo.id == ids["graduation"]
    assert "trigram" in response.results[0].modalities


def test_stemmed_word_finds_the_photo_by_full_text(gallery):
    event, ids = gallery
    response = search_photos(Scope.visitor(event), "speeches", PhotoFilter())
    assert response.results[0].photo.id == ids["keynote"]
    assert "fulltext" in response.results[0].modalities


def test_purely_semantic_query_finds_the_photo_without_shared_words(gallery):
    event, ids = gallery
    response = search_photos(Scope.visitor(event), "people sharing a meal", PhotoFilter())
    assert response.results[0].photo.id == ids["dinner"]
    assert response.results[0].modalities == ["semantic"]


def test_partial_badge_name_finds_the_badge_photo(gallery):
    event, ids = gallery
    response = search_photos(Scope.visitor(event), "Priyank", PhotoFilter())
    assert [r.photo.id for r in response.results][:1] == [ids["badge"]]


def test_unrelated_query_returns_nothing(gallery):
    event, _ = gallery
    response = search_photos(Scope.visitor(event), "quantum chromodynamics", PhotoFilter())
    assert response.results == []
    assert response.total == 0


def test_word_sharing_only_a_prefix_is_not_a_typo_match(gallery):
    """ "banana" shares half its trigrams with "banquet" and "band" (word similarity exactly 0.5)."""
    event, _ = gallery
    assert search_photos(Scope.visitor(event), "banana", PhotoFilter()).total == 0


def test_hidden_photos_are_never_returned(gallery):
    event, ids = gallery
    response = search_photos(Scope.visitor(event), "Harvard", PhotoFilter())
    assert ids["hidden"] not in {r.photo.id for r in response.results}
    assert ids["graduation"] in {r.photo.id for r in response.results}


def test_cursor_pages_through_every_result_once(gallery):
    event, _ = gallery
    everything = search_photos(Scope.visitor(event), "woman", PhotoFilter(), limit=50)
    assert everything.total >= 2
    seen, cursor = [], None
    while True:
        page = search_photos(Scope.visitor(event), "woman", PhotoFilter(), limit=1, cursor=cursor)
        seen += [r.photo.id for r in page.results]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [r.photo.id for r in everything.results]


def test_modality_counts_report_what_matched(gallery):
    event, _ = gallery
    response = search_photos(Scope.visitor(event), "Harvrd", PhotoFilter())
    assert response.modalities["trigram"] >= 1
    assert set(response.modalities) == {"fulltext", "trigram", "semantic"}


def test_folder_filter_narrows_results(gallery, owner_conn):
    event, ids = gallery
    owner_conn.execute("UPDATE photos SET folder = 'stage' WHERE id = %s", (ids["keynote"],))
    assert search_photos(Scope.visitor(event), "speeches", PhotoFilter(folder="lawn")).results == []
    assert (
        search_photos(Scope.visitor(event), "speeches", PhotoFilter(folder="stage")).results[0].photo.id
        == ids["keynote"]
    )


def test_search_sees_only_its_own_event(gallery, make_event, add_photo):
    event, _ = gallery
    other = make_event("other")
    add_photo(other.id, "other.jpg", visible_text="HARVARD LAW SCHOOL")
    mine = {r.photo.filename for r in search_photos(Scope.visitor(event), "Harvard", PhotoFilter()).results}
    theirs = {r.photo.filename for r in search_photos(Scope.visitor(other), "Harvard", PhotoFilter()).results}
    assert mine == {"graduation_042.jpg"}
    assert theirs == {"other.jpg"}
