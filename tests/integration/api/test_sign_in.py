"""Sign-in: failed attempts back off per client and per event (429 + Retry-After), and a password
change or "sign out everywhere" revokes every earlier organizer token."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PASSWORD = "password-demo"


def login(slug: str, password: str, ip: str = "203.0.113.7") -> tuple[int, dict[str, Any], dict[str, str]]:
    """POST /login through the real gallery handler, from `ip`, returning status, body and headers."""
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler

    body = json.dumps({"password": password}).encode()
    headers = {"host": "test", "content-type": "application/json"}
    event = http_api_event("POST", f"/api/events/{slug}/login", headers, body, ip, None)
    reply = lambda_handler("api_gallery")(event, LambdaContext("api_gallery", "req", deadline_ms=2**62))
    return reply["statusCode"], json.loads(reply["body"]), reply.get("headers") or {}


def test_concurrent_guessing_is_cut_off_after_a_few_tries(api, seeded) -> None:
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda i: login("demo", f"guess-{i}")[0], range(40)))

    assert statuses.count(401) <= 6, statuses  # 5 free failures, then the 6th starts a wait
    assert statuses.count(429) >= 34
    status, reply, headers = login("demo", "another-guess")
    assert status == 429
    assert int(headers["Retry-After"]) >= 1
    assert "try again in" in reply["message"]


def test_a_blocked_client_does_not_block_another_client_of_the_event(api, seeded) -> None:
    for i in range(8):
        login("demo", f"guess-{i}", ip="198.51.100.1")
    assert login("demo", PASSWORD, ip="198.51.100.1")[0] == 429
    assert login("demo", PASSWORD, ip="198.51.100.2")[0] == 200


def test_an_unknown_event_is_throttled_like_a_known_one(api, seeded) -> None:
    known = [login("demo", "wrong", ip="192.0.2.1")[0] for _ in range(8)]
    unknown = [login("nope", "wrong", ip="192.0.2.2")[0] for _ in range(8)]
    assert known == unknown


def test_success_resets_the_clients_count(api, seeded) -> None:
    for _ in range(4):
        assert login("demo", "wrong")[0] == 401
    assert login("demo", PASSWORD)[0] == 200
    assert [login("demo", "wrong")[0] for _ in range(5)] == [401] * 5


def test_a_password_change_revokes_earlier_tokens(api, seeded) -> None:
    from eventlens.auth.service import set_password
    from eventlens.events.service import get_event
    from eventlens.scope import Scope

    _, reply, _ = login("demo", PASSWORD)
    old = reply["token"]
    assert api("GET", "/api/events/demo/admin/errors", token=old)[0] == 200

    set_password(Scope.system(get_event("demo")), "a-brand-new-password")

    status, refused = api("GET", "/api/events/demo/admin/errors", token=old)
    assert status == 401
    assert "signed out" in refused["message"]
    _, fresh, _ = login("demo", "a-brand-new-password")
    assert api("GET", "/api/events/demo/admin/errors", token=fresh["token"])[0] == 200


def test_sign_out_everywhere_revokes_every_token_of_the_event(api, seeded) -> None:
    first, second = (login("demo", PASSWORD)[1]["token"] for _ in range(2))
    other = login("other", "password-other")[1]["token"]

    assert api("POST", "/api/events/demo/admin/sign-out-everywhere", token=first)[0] == 204

    assert api("GET", "/api/events/demo/admin/errors", token=first)[0] == 401
    assert api("GET", "/api/events/demo/admin/errors", token=second)[0] == 401
    assert api("GET", "/api/events/other/admin/errors", token=other)[0] == 200  # another event's stay
    again = login("demo", PASSWORD)[1]["token"]
    assert api("GET", "/api/events/demo/admin/errors", token=again)[0] == 200
