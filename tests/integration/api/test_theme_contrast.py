"""Settings refuse a theme whose text is too close to its background (WCAG < 4.5:1) with a 400
that says why, and the stored theme is left as it was."""

from __future__ import annotations

import pytest
from eventlens.events.contrast import contrast_ratio


def test_the_contrast_ratio_follows_wcag() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#123456", "#123456") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_text_too_close_to_the_background_is_refused_and_nothing_changes(api, seeded) -> None:
    status, reply = api("POST", "/api/events/demo/login", body={"password": "password-demo"})
    assert status == 200, reply
    auth = {"Authorization": f"Bearer {reply['token']}"}

    def theme() -> dict[str, str]:
        status, event = api("GET", "/api/events/demo")
        assert status == 200
        return dict(event["settings"]["theme"])

    before = theme()
    status, reply = api(
        "PATCH",
        "/api/events/demo/admin/settings",
        body={"theme": {"text": before["background"]}},
        headers=auth,
    )
    assert status == 400, reply
    assert "contrast 1.00:1" in reply["message"]
    assert "4.5:1" in reply["message"]
    status, reply = api(
        "PATCH",
        "/api/events/demo/admin/settings",
        body={"theme": {"text": "#777777", "background": "#888888"}, "name": "Renamed"},
        headers=auth,
    )
    assert status == 400, reply
    assert theme() == before

    status, reply = api(
        "PATCH",
        "/api/events/demo/admin/settings",
        body={"theme": {"text": "#111111"}, "name": "x"},
        headers=auth,
    )
    assert status == 400  # dark text on the default dark background
    status, reply = api(
        "PATCH",
        "/api/events/demo/admin/settings",
        body={"theme": {"text": "#111111", "background": "#fafafa"}},
        headers=auth,
    )
    assert status == 200, reply
    assert reply["settings"]["theme"]["background"] == "#fafafa"
    status, reply = api(
        "PATCH", "/api/events/demo/admin/settings", body={"face_matching": False}, headers=auth
    )
    assert status == 200, reply  # a change that leaves the theme alone is not checked again
