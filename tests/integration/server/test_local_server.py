"""`eventlens serve`: HTTP in, API Gateway v2 events to the real handlers, blobs with ranges."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests
from eventlens.devserver import make_server, parse_range
from eventlens.storage import blob_store


@pytest.fixture
def server(db: str, make_event) -> Iterator[str]:
    make_event("demo")
    make_event("other")
    httpd = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _token(server: str, slug: str = "demo") -> str:
    reply = requests.post(
        f"{server}/api/events/{slug}/login", json={"password": f"password-{slug}"}, timeout=10
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["token"])


def test_health_and_openapi_over_http(server: str) -> None:
    assert requests.get(f"{server}/api/health", timeout=10).json() == {"status": "ok", "database": "ok"}
    spec = requests.get(f"{server}/api/openapi.json", timeout=10).json()
    assert spec["info"]["title"] == "EventLens API"


def test_admin_routes_are_refused_before_the_handler_without_a_valid_token(server: str) -> None:
    missing = requests.get(f"{server}/api/events/demo/admin/pipeline", timeout=10)
    forged = requests.get(
        f"{server}/api/events/demo/admin/pipeline",
        headers={"Authorization": "Bearer abc.def.ghi"},
        timeout=10,
    )
    assert (missing.status_code, forged.status_code) == (401, 401)
    assert missing.json()["message"].startswith("Unauthorized")


def test_admin_route_with_a_valid_token_reaches_the_handler(server: str) -> None:
    reply = requests.get(
        f"{server}/api/events/demo/admin/errors",
        headers={"Authorization": f"Bearer {_token(server)}"},
        timeout=10,
    )
    assert reply.status_code == 200
    assert reply.json() == {"errors": []}


def test_concurrent_requests_each_act_on_their_own_body(server: str, owner_conn: psycopg.Connection) -> None:
    """Powertools keeps the current event on the module's resolver; Lambda runs one invocation per
    instance, so the server must too, or one request reads another's body (seen: "keep this one")."""
    event_id = owner_conn.execute("SELECT id FROM events WHERE slug = 'demo'").fetchone()[0]  # type: ignore[index]
    photos = [uuid.uuid4() for _ in range(24)]
    for i, photo_id in enumerate(photos):
        owner_conn.execute(
            "INSERT INTO photos (id, event_id, source_key, filename, kind, content_hash)"
            " VALUES (%s, %s, %s, %s, 'photo', %s)",
            (photo_id, event_id, f"events/demo/originals/{i}.jpg", f"{i}.jpg", f"hash-{i}"),
        )
    headers = {"Authorization": f"Bearer {_token(server)}"}
    wanted = {photo_id: i % 2 == 0 for i, photo_id in enumerate(photos)}

    def patch(photo_id: uuid.UUID) -> bool:
        reply = requests.patch(
            f"{server}/api/events/demo/admin/photos/{photo_id}",
            json={"hidden": wanted[photo_id]},
            headers=headers,
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        return bool(reply.json()["hidden"])

    with ThreadPoolExecutor(max_workers=12) as pool:
        answered = dict(zip(photos, pool.map(patch, photos), strict=True))
    stored = dict(
        owner_conn.execute("SELECT id, hidden FROM photos WHERE event_id = %s", (event_id,)).fetchall()
    )
    assert answered == wanted
    assert stored == wanted


def test_media_refuses_path_traversal(server: str) -> None:
    reply = requests.get(f"{server}/media/..%2F..%2Fetc%2Fpasswd", timeout=10)
    assert reply.status_code == 404


def test_upload_put_needs_the_events_organizer(server: str) -> None:
    url = f"{server}/media/events/demo/originals/uploads/new.jpg"
    assert requests.put(url, data=b"jpeg", timeout=10).status_code == 401
    other = requests.put(
        url, data=b"jpeg", headers={"Authorization": f"Bearer {_token(server, 'other')}"}, timeout=10
    )
    assert other.status_code == 403
    jpeg = b"\xff\xd8\xff\xe0 a JPEG as far as sniffing goes"
    ok = requests.put(url, data=jpeg, headers={"Authorization": f"Bearer {_token(server)}"}, timeout=10)
    assert ok.status_code == 200
    assert blob_store().get("events/demo/originals/uploads/new.jpg") == jpeg


def test_gallery_pages_are_served(server: str) -> None:
    page = requests.get(f"{server}/e/demo", timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert requests.get(f"{server}/e/demo/admin", timeout=10).status_code == 200
    assert requests.get(f"{server}/../pyproject.toml", timeout=10).status_code == 404


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 9)),
        ("bytes=-10", (90, 99)),
        ("bytes=95-200", (95, 99)),
        ("bytes=100-", "invalid"),
        ("items=0-1", None),
    ],
)
def test_parse_range(header: str | None, expected: object) -> None:
    assert parse_range(header, 100) == expected
