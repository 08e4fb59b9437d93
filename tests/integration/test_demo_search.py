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
    # Purely semantic: "motorcycle" appears in no text, file name or folder of the photo.
    assert _search(demo_event, "motorcycle")[0] == ("motorbike-booth.jpg", ["semantic"])
    # Nothing related: nothing returned.
    assert _search(demo_event, "zebra quantum") == []


def test_demo_photos_are_found_by_what_they_show(demo_event) -> None:
    # Words in no file name, folder or sign: only the image tagger's description has them.
    for query, photo in [("cat", "office-cat.jpg"), ("coffee", "coffee-break.jpg"), ("rocket", "rocket-exhibit.jpg")]:
        names = [name for name, _ in _search(demo_event, query)]
        assert names[:1] == [photo], (query, names)
    assert [name for name, _ in _search(demo_event, "kitten")][:1] == ["office-cat.jpg"]
    assert [name for name, _ in _search(demo_event, "espresso")][:1] == ["coffee-break.jpg"]


def test_keynote_finds_the_keynote_not_unrelated_meanings(demo_event) -> None:
    names = [name for name, _ in _search(demo_event, "KEYNOTE")]
    assert names[0] == "keynote-banner.jpg"
    assert not {"office-cat.jpg", "rocket-exhibit.jpg", "coffee-break.jpg"} & set(names), names
