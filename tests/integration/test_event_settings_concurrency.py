"""Settings are a read-modify-write of one jsonb: concurrent changes of different keys all land."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from eventlens.events.service import get_event, update_event
from eventlens.scope import Scope


def test_concurrent_partial_settings_changes_all_land_and_the_scopes_stale_copy_loses_nothing(
    make_event,
) -> None:
    event = make_event("busy-settings")
    stale = Scope.organizer(event, "admin")  # made before any change: its copy of the event is old

    changes = [
        {"face_threshold": 0.41},
        {"nsfw_threshold": 0.66},
        {"near_duplicate_distance": 7},
        {"theme": {"accent": "#123456"}},
        {"face_matching": False},
    ]
    with ThreadPoolExecutor(len(changes)) as pool:
        list(pool.map(lambda change: update_event(stale, settings_patch=change), changes))

    stored = get_event("busy-settings").settings
    assert stored.face_threshold == 0.41
    assert stored.nsfw_threshold == 0.66
    assert stored.near_duplicate_distance == 7
    assert stored.theme.accent == "#123456"
    assert stored.face_matching is False
