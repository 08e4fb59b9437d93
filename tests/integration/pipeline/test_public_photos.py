"""What the public sees: only processed photos, never a failed one, never one held for review.

A photo scored at or above the event's nsfw_threshold is held (review pending) until an organizer
approves it; a rejection keeps it out; the decision survives re-analysis; a new threshold holds or
releases the undecided ones. (Open-NSFW scores these test photos low, so threshold 0 holds them.)
"""

from __future__ import annotations

import pytest
from eventlens.db.photos import PhotoFilter
from eventlens.errors import PhotoNotFound
from eventlens.events.service import update_event
from eventlens.media import service as media
from eventlens.moderation import service as moderation
from eventlens.pipeline.runner import run_pipeline
from eventlens.scope import Scope
from eventlens.sources.service import import_files

from tests.fixtures_photos import real_jpeg
from tests.helpers import scoped
from tests.integration.pipeline.conftest import photos_by_name


def public_names(event) -> set[str]:
    page = media.list_photos(Scope.visitor(event), PhotoFilter(), limit=100)
    return {p.filename for p in page.photos}


def test_a_photo_that_failed_processing_is_never_public(make_event, photo_dir) -> None:
    event = make_event("broken")
    folder = photo_dir(
        {"good.jpg": real_jpeg("coffee", (320, 200)), "bad.jpg": b"\xff\xd8\xff" + b"\0" * 400}
    )
    import_files(Scope.pipeline(event), [folder])
    assert public_names(event) == set()  # nothing is public before it is processed

    run_pipeline(event, "analyze")

    photos = photos_by_name(event.id)
    assert photos["bad.jpg"]["analyze_status"] == "error"
    assert public_names(event) == {"good.jpg"}
    with pytest.raises(PhotoNotFound):
        media.get_photo(Scope.visitor(event), photos["bad.jpg"]["id"])
    staff = media.list_photos(
        Scope.organizer(event, "test-organizer"), PhotoFilter(include_hidden=True), limit=100
    )
    assert {p.filename for p in staff.photos} == {"good.jpg", "bad.jpg"}  # the organizer sees the error


def test_a_photo_at_the_nsfw_threshold_is_held_until_an_organizer_approves_it(make_event, photo_dir) -> None:
    event = make_event("held", nsfw_threshold=0.0)
    folder = photo_dir({"a.jpg": real_jpeg("coffee", (320, 200)), "b.jpg": real_jpeg("rocket", (320, 200))})
    import_files(Scope.pipeline(event), [folder])
    run_pipeline(event, "analyze")

    ids = {name: row["id"] for name, row in photos_by_name(event.id).items()}
    organizer = Scope.organizer(event, "test-organizer")
    assert {p.filename for p in moderation.review_queue(organizer)} == {"a.jpg", "b.jpg"}
    assert public_names(event) == set()
    with pytest.raises(PhotoNotFound):
        media.get_photo(Scope.visitor(event), ids["a.jpg"])

    approved = moderation.update_photo(organizer, ids["a.jpg"], review="approved")
    moderation.update_photo(organizer, ids["b.jpg"], review="rejected")

    assert (approved.review, approved.is_public) == ("approved", True)
    assert public_names(event) == {"a.jpg"}
    assert moderation.review_queue(organizer) == []

    with scoped(event.id) as tx:  # analyzed again (a retry, a new model): decisions stay
        tx.execute("UPDATE photos SET analyze_status = 'pending'")
    run_pipeline(event, "analyze")
    assert {n: r["review"] for n, r in photos_by_name(event.id).items()} == {
        "a.jpg": "approved",
        "b.jpg": "rejected",
    }
    assert public_names(event) == {"a.jpg"}


def test_a_new_threshold_holds_and_releases_undecided_photos_only(make_event, photo_dir) -> None:
    event = make_event("rethreshold")
    folder = photo_dir({"a.jpg": real_jpeg("coffee", (320, 200)), "b.jpg": real_jpeg("rocket", (320, 200))})
    import_files(Scope.pipeline(event), [folder])
    run_pipeline(event, "analyze")
    organizer = Scope.organizer(event, "test-organizer")
    assert public_names(event) == {"a.jpg", "b.jpg"}
    ids = {name: row["id"] for name, row in photos_by_name(event.id).items()}
    moderation.update_photo(organizer, ids["b.jpg"], review="approved")

    event = update_event(organizer, settings_patch={"nsfw_threshold": 0.0})
    moderation.hold_for_review(organizer.at(event))

    assert public_names(event) == {"b.jpg"}  # approved before: stays public
    assert [p.filename for p in moderation.review_queue(organizer)] == ["a.jpg"]

    event = update_event(organizer.at(event), settings_patch={"nsfw_threshold": 1.0})
    moderation.hold_for_review(organizer.at(event))
    assert public_names(event) == {"a.jpg", "b.jpg"}
