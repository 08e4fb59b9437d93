"""More like this, and duplicate clusters stored by the dedupe phase or recomputed at another distance."""

from __future__ import annotations

import pytest
from eventlens.dedupe.service import duplicate_clusters
from eventlens.errors import PhotoNotFound
from eventlens.scope import Scope
from eventlens.search.service import similar_photos


def test_similar_photos_rank_shared_faces_and_meaning_and_skip_hidden(make_event, add_photo, astronaut_face):
    event = make_event("similar")
    origin = add_photo(
        event.id, "a.jpg", scene="An astronaut in a spacesuit in front of a flag", faces=[astronaut_face]
    )
    same_person = add_photo(event.id, "b.jpg", scene="A plate of pasta on a table", faces=[astronaut_face])
    same_topic = add_photo(event.id, "c.jpg", scene="An astronaut in a space suit before launch")
    add_photo(event.id, "d.jpg", scene="A bowl of ramen on a wooden table")
    hidden = add_photo(event.id, "e.jpg", scene="An astronaut in a spacesuit by a flag", hidden=True)
    found = [p.id for p in similar_photos(Scope.visitor(event), origin, limit=3)]
    assert set(found[:2]) == {same_person, same_topic}  # pasta beats ramen only by the shared face
    assert origin not in found
    assert hidden not in found


def test_similar_photos_of_an_unknown_photo_is_an_error(make_event):
    from uuid import uuid4

    with pytest.raises(PhotoNotFound):
        similar_photos(Scope.visitor(make_event("nothing")), uuid4())


@pytest.fixture
def copies(make_event, add_photo):
    event = make_event("dupes")  # near_duplicate_distance defaults to 6
    ids = {
        "a": add_photo(
            event.id, "a.jpg", content_hash="h1", dhash=0x0F0F_0000_0000_0000, duplicate_cluster="near-a"
        ),
        "a2": add_photo(  # the same picture saved again: other bytes, the same dHash
            event.id,
            "a-again.jpg",
            content_hash="h1b",
            dhash=0x0F0F_0000_0000_0000,
            duplicate_cluster="near-a",
        ),
        "b": add_photo(event.id, "b.jpg", content_hash="h2", dhash=0x0F0F_0000_0000_00FF),  # 8 bits from a
        "c": add_photo(event.id, "c.jpg", content_hash="h3", dhash=0x7777_7777_7777_7777),
    }
    return event, ids


def test_duplicates_at_the_stored_distance_come_from_the_dedupe_phase(copies):
    event, ids = copies
    (cluster,) = duplicate_clusters(Scope.organizer(event, "test"), None).clusters
    assert cluster.cluster_id == "near-a"
    assert cluster.duplicate_kind == "near"
    assert {p.id for p in cluster.photos} == {ids["a"], ids["a2"]}


def test_duplicates_at_another_distance_are_recomputed(copies):
    event, ids = copies
    (cluster,) = duplicate_clusters(Scope.organizer(event, "test"), 8).clusters
    assert {p.id for p in cluster.photos} == {ids["a"], ids["a2"], ids["b"]}
    (same_dhash,) = duplicate_clusters(Scope.organizer(event, "test"), 0).clusters
    assert {p.id for p in same_dhash.photos} == {ids["a"], ids["a2"]}


def test_exact_copies_name_the_other_files_that_held_a_photos_bytes(copies, owner_conn):
    """Given files with a's bytes recorded as its aliases, the organizer is told which they were."""
    event, ids = copies
    for key in ("events/dupes/originals/copy/a.jpg", "events/dupes/originals/a (2).jpg"):
        owner_conn.execute(
            "INSERT INTO photo_aliases (event_id, source_key, photo_id) VALUES (%s, %s, %s)",
            (event.id, key, ids["a"]),
        )

    result = duplicate_clusters(Scope.organizer(event, "test"), None)

    (copies_of_a,) = result.exact_copies
    assert copies_of_a.photo.id == ids["a"]
    assert copies_of_a.aliases == ["events/dupes/originals/a (2).jpg", "events/dupes/originals/copy/a.jpg"]
    assert duplicate_clusters(Scope.organizer(event, "test"), 8).exact_copies == result.exact_copies


def test_the_dedupe_phase_and_the_admin_recompute_give_the_same_clusters(make_event, add_photo):
    """One rule: what the phase stores at the event's distance is what a recompute at it finds."""
    from eventlens.pipeline.runner import run_phase

    event = make_event("one-rule", near_duplicate_distance=8)
    add_photo(event.id, "a.jpg", content_hash="h1", dhash=0x0F0F_0000_0000_0000)
    add_photo(event.id, "a2.jpg", content_hash="h1b", dhash=0x0F0F_0000_0000_0000)
    add_photo(event.id, "b.jpg", content_hash="h2", dhash=0x0F0F_0000_0000_00FF)
    add_photo(event.id, "x.jpg", content_hash="h4", dhash=0x1111_2222_3333_4444)
    add_photo(event.id, "x2.jpg", content_hash="h4b", dhash=0x1111_2222_3333_4444)
    assert run_phase(event, "dedupe", 10_000)["done"]

    stored = duplicate_clusters(Scope.organizer(event, "test"), None)
    elsewhere = event.model_copy(
        update={"settings": event.settings.model_copy(update={"near_duplicate_distance": 7})}
    )
    recomputed = duplicate_clusters(Scope.organizer(elsewhere, "test"), 8)

    def shape(result):
        return [(c.cluster_id, c.duplicate_kind, [p.filename for p in c.photos]) for c in result.clusters]

    assert shape(stored) == shape(recomputed)
    assert [len(photos) for _, _, photos in shape(stored)] == [3, 2]
