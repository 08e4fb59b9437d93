"""`eventlens serve` runs several warm instances of each function, as Lambda does: invocations run
side by side, each instance still runs one at a time, and no request ever reads another's path or
body (Powertools keeps the current request where every resolver of the process reads it)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import jwt
import psycopg
import pytest
import requests
from eventlens import db as db_module
from eventlens.config import reset_settings
from eventlens.devserver import instances, make_server, reset_instances


@pytest.fixture
def serve(db: str, make_event, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], str]]:
    """Start the server with `instances` warm instances per function; returns its URL."""
    servers = []
    make_event("demo")
    make_event("other")

    def start(count: int) -> str:
        monkeypatch.setenv("EVENTLENS_SERVE_INSTANCES", str(count))
        reset_settings()
        reset_instances()
        httpd = make_server("127.0.0.1", 0)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()
    reset_instances()


def test_two_invocations_of_one_function_run_at_once_on_two_instances(serve, monkeypatch) -> None:
    """Given two instances, when two health checks arrive together, then both are inside the handler
    at the same moment (neither passes the barrier alone) and each ran on an instance of its own."""
    both_inside = threading.Barrier(2, timeout=10)
    ran_on: list[str] = []

    def ping() -> None:
        ran_on.append(threading.current_thread().name)
        both_inside.wait()

    monkeypatch.setattr(db_module, "ping", ping)
    url = serve(2)
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda _: requests.get(f"{url}/api/health", timeout=30), range(2)))

    assert [r.status_code for r in replies] == [200, 200], [r.text for r in replies]
    assert len(set(ran_on)) == 2
    assert len(instances("api_gallery").started) == 2


def test_each_instance_runs_one_invocation_at_a_time(serve, monkeypatch) -> None:
    """Given 1 and then 3 instances, when 9 slow requests arrive at once, then at most that many
    run together, never two on one instance, and no more instances start than were allowed."""
    lock = threading.Lock()
    inside: Counter[str] = Counter()
    most: dict[str, int] = {"all": 0}

    def slow_ping() -> None:
        me = threading.current_thread().name
        with lock:
            inside[me] += 1
            most[me] = max(most.get(me, 0), inside[me])
            most["all"] = max(most["all"], sum(inside.values()))
        threading.Event().wait(0.3)
        with lock:
            inside[me] -= 1

    monkeypatch.setattr(db_module, "ping", slow_ping)
    for count in (1, 3):
        url = serve(count)
        most.clear()
        most["all"] = 0
        with ThreadPoolExecutor(9) as pool:
            statuses = list(
                pool.map(lambda u: requests.get(u, timeout=30).status_code, [f"{url}/api/health"] * 9)
            )
        assert statuses == [200] * 9
        assert most.pop("all") == count
        assert set(most.values()) == {1}  # per instance (thread): one at a time
        assert len(instances("api_gallery").started) == count


def test_concurrent_requests_across_instances_and_functions_each_act_on_their_own(
    serve, owner_conn: psycopg.Connection
) -> None:
    """Given 4 instances per function, when organizer PATCHes (admin) and logins to two events
    (gallery) all run at once, then every reply and every stored row is the one its own request
    asked for: no request read another's path or body, within a function or across functions."""
    url = serve(4)
    event_id = owner_conn.execute("SELECT id FROM events WHERE slug = 'demo'").fetchone()[0]  # type: ignore[index]
    photos = [uuid.uuid4() for _ in range(32)]
    for i, photo_id in enumerate(photos):
        owner_conn.execute(
            "INSERT INTO photos (id, event_id, source_key, filename, kind, content_hash)"
            " VALUES (%s, %s, %s, %s, 'photo', %s)",
            (photo_id, event_id, f"events/demo/originals/{i}.jpg", f"{i}.jpg", f"hash-{i}"),
        )
    token = requests.post(f"{url}/api/events/demo/login", json={"password": "password-demo"}, timeout=10)
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    wanted = {photo_id: i % 3 == 0 for i, photo_id in enumerate(photos)}

    def patch(photo_id: uuid.UUID) -> tuple[str, bool]:
        reply = requests.patch(
            f"{url}/api/events/demo/admin/photos/{photo_id}",
            json={"hidden": wanted[photo_id]},
            headers=headers,
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()["id"], bool(reply.json()["hidden"])

    def login(slug: str) -> str:
        reply = requests.post(
            f"{url}/api/events/{slug}/login", json={"password": f"password-{slug}"}, timeout=30
        )
        assert reply.status_code == 200, reply.text
        return str(jwt.decode(reply.json()["token"], options={"verify_signature": False})["event"])

    slugs = ["demo", "other"] * 8
    with ThreadPoolExecutor(max_workers=12) as pool:
        patched = pool.map(patch, photos)
        logged_in = pool.map(login, slugs)
        answered = {uuid.UUID(photo_id): hidden for photo_id, hidden in patched}
        events = list(logged_in)
    stored = dict(
        owner_conn.execute("SELECT id, hidden FROM photos WHERE event_id = %s", (event_id,)).fetchall()
    )

    assert answered == wanted
    assert stored == wanted
    assert events == slugs
    assert len(instances("api_admin").started) > 1  # the requests did run on several instances


def test_requests_resolved_at_the_same_moment_each_read_their_own(serve, monkeypatch) -> None:
    """Given two instances, when both are inside a route at once, then the route reads its own
    request (Powertools alone keeps one current request per process: both would read the last)."""
    from eventlens.api.gallery import router

    both_inside = threading.Barrier(2, timeout=10)
    seen: list[str] = []

    def ping() -> None:
        both_inside.wait()
        seen.append(router.current_event.headers["x-probe"])

    monkeypatch.setattr(db_module, "ping", ping)
    url = serve(2)
    with ThreadPoolExecutor(2) as pool:
        probes = ["first", "second"]
        replies = list(
            pool.map(lambda p: requests.get(f"{url}/api/health", headers={"X-Probe": p}, timeout=30), probes)
        )

    assert [r.status_code for r in replies] == [200, 200]
    assert sorted(seen) == probes
