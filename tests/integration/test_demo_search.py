"""Search over real pipeline output: the demo photos, through every local model."""

from __future__ import annotations

from pathlib import Path

import pytest
from eventlens.db.photos import PhotoFilter
from eventlens.demo import demo_photos
from eventlens.pipeline.runner import run_pipeline
from eventlens.scope import Scope
from eventlens.search.service import search_photos
from eventlens.sources.service import import_files


@pytest.fixture
def demo_event(make_event, tmp_path: Path):
    event = make_event("demo")
    report = import_files(Scope.pipeline(event), [demo_photos(tmp_path / "photos")])
    assert (report.added, report.skipped) == (12, 1)  # the exact copy of coffee-break.jpg is skipped
    results = run_pipeline(event, "full")
    assert all(r["done"] for r in results)
    assert sum(r["errors"] for r in results) == 0
    return event


def _search(event, query: str) -> list[tuple[str, list[str]]]:
    response = search_photos(Scope.visitor(event), query, PhotoFilter())
    return [(hit.photo.filename, hit.modalities) for hit in response.results]


def test_text_typo_stem_meaning_and_nonsense_queries(demo_event) -> None:
    # A typo of the name badge's OCR text, found by trigrams only.
    assert _search(demo_event, "Harvrd") == [("name-badge.jpg", ["trigram"])]
    # A stemmed word: the banner says "Scale".
    assert [name for name, _ in _search(demo_event, "scaling")] == ["keynote-banner.jpg"]
    # By meaning: "motorbike" is not a word of any photo; the tagger wrote "motorcycle (moped, ...)".
    assert _search(demo_event, "scooter")[0][0] == "motorbike-booth.jpg"
    # Nothing related: nothing returned.
    assert _search(demo_event, "zebra quantum") == []


def test_demo_photos_are_found_by_what_they_show_and_not_by_what_they_do_not(demo_event) -> None:
    # Words in no file name, folder or sign: only the image tagger's description has them.
    coffee = {"coffee-break.jpg", "coffee-break-copy.jpg"}  # one photo, two files: either name
    for query, photos in [
        ("cat", {"office-cat.jpg"}),
        ("coffee", coffee),
        ("rocket", {"rocket-exhibit.jpg"}),
        ("espresso", coffee),
        ("motorcycle", {"motorbike-booth.jpg"}),
        ("kitten", {"office-cat.jpg"}),  # meaning alone
    ]:
        names = [name for name, _ in _search(demo_event, query)]
        assert len(names) == 1, (query, names)
        assert names[0] in photos, (query, names)
    # ... and not by what they do not show: no cat or rocket for the keynote, no empty room for people.
    names = {name for name, _ in _search(demo_event, "KEYNOTE")}
    assert "keynote-banner.jpg" in names
    assert names <= {"keynote-banner.jpg", "team-on-stage.jpg", "team-on-stage-2.jpg", "speaker-portrait.jpg"}
    names = {name for name, _ in _search(demo_event, "people")}
    assert {"team-on-stage.jpg", "team-on-stage-2.jpg"} <= names
    assert not {"office-cat.jpg", "rocket-exhibit.jpg", "coffee-break-copy.jpg"} & names


def test_compound_typos_find_the_badge_and_the_result_line_says_so_in_plain_words(demo_event) -> None:
    for query in ("dukbot", "duk bot", "duk robot"):
        response = search_photos(Scope.visitor(demo_event), query, PhotoFilter())
        assert [hit.photo.filename for hit in response.results] == ["name-badge.jpg"], query
        assert response.corrected_query == "DuckBot"
        assert response.summary == f"1 photo for “DuckBot” (nothing for “{query}”) · 1 has your words"
    # The result line speaks an attendee's words, not the engine's.
    response = search_photos(Scope.visitor(demo_event), "cat", PhotoFilter())
    assert response.summary == "1 photo for “cat” · 1 has your words"
    assert response.results[0].reason == "has your words"
    assert search_photos(Scope.visitor(demo_event), "zebra quantum", PhotoFilter()).summary == (
        "No photos for “zebra quantum”"
    )
