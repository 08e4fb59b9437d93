"""People in photos: real faces clustered incrementally, and what organizers do with them, through the API.

The faces phase clusters what it stores (faceclusters.service.assign_new_faces); organizers with
`face_clusters.manage` list people (a face crop, photo and face counts), name, hide, merge and
split them; a face hidden by "hide me" is never listed or counted.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import psycopg
import pytest
from eventlens.faceclusters.service import assign_new_faces
from eventlens.scope import Scope


def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler, route_group

    headers = {"host": "test", "content-type": "application/json", "authorization": f"Bearer {token}"}
    data = json.dumps(body).encode() if body is not None else b""
    group = route_group(path.split("?")[0])
    event = http_api_event(method, path, headers, data, "127.0.0.1", None)
    reply = lambda_handler(group)(event, LambdaContext(group, "req-1", deadline_ms=2**62))
    return reply["statusCode"], json.loads(reply["body"])


@pytest.fixture
def party(make_event, add_photo, t1_faces, astronaut_face):
    """The astronaut in three photos (alone twice, once with t1 person 0, the friend); t1's six in one."""
    event = make_event("party")
    ids = {
        "alone": add_photo(event.id, "alone.jpg", faces=[astronaut_face]),
        "again": add_photo(event.id, "again.jpg", faces=[astronaut_face]),
        "pair": add_photo(event.id, "pair.jpg", faces=[astronaut_face, t1_faces[0]]),
        "group": add_photo(event.id, "group.jpg", faces=t1_faces),
    }
    return event, ids


@pytest.fixture
def editor(people, party) -> str:
    event, _ = party
    _, token = people.with_role("EDITOR", event=event.id)
    return token


def clusters_of(owner_conn: psycopg.Connection) -> dict[str, set[str]]:
    """Cluster id -> the filenames of its faces' photos."""
    out: dict[str, set[str]] = {}
    for cluster, filename in owner_conn.execute(
        "SELECT f.face_cluster_id, p.filename FROM face_embeddings f JOIN photos p ON p.id = f.photo_id"
        " WHERE f.embedding IS NOT NULL"
    ).fetchall():
        out.setdefault(str(cluster), set()).add(filename)
    return out


def test_the_faces_phase_clusters_real_photos_into_people(make_event, photo_dir, people, owner_conn) -> None:
    from eventlens.pipeline.runner import run_phase
    from eventlens.sources.service import import_files

    from tests.fixtures_photos import T1, real_jpeg

    event = make_event("gala")
    folder = photo_dir(
        {
            "astronaut.jpg": real_jpeg("astronaut"),
            "astronaut-small.jpg": real_jpeg("astronaut", size=(300, 300)),
            "t1.jpg": T1.read_bytes(),
        }
    )
    import_files(Scope.pipeline(event), [folder])
    for phase in ("analyze", "faces"):
        assert run_phase(event, phase, 120_000)["done"]
    assert owner_conn.execute(
        "SELECT count(*) FROM face_embeddings WHERE embedding IS NOT NULL AND face_cluster_id IS NULL"
    ).fetchone() == (0,)
    _, token = people.with_role("EDITOR", event=event.id)
    status, reply = call("GET", "/api/events/gala/admin/face-clusters", token)
    assert status == 200
    # t1's six people appear once each: under the minimum size; the astronaut twice.
    (person,) = reply["face_clusters"]
    assert (person["faces"], person["photos"]) == (2, 2)
    assert person["cover"]["filename"] == "astronaut.jpg"  # the larger, clearer face
    _x, _y, w, h = person["cover_bbox"]
    assert w > 50
    assert h > 50
    assert len(clusters_of(owner_conn)) == 7


def test_a_photo_arriving_later_joins_the_person_it_shows(
    party, add_photo, astronaut_face, owner_conn
) -> None:
    event, _ = party
    assert assign_new_faces(Scope.pipeline(event)) == 10
    assert assign_new_faces(Scope.pipeline(event)) == 0  # idempotent
    before = clusters_of(owner_conn)
    add_photo(event.id, "later.jpg", faces=[astronaut_face])
    assert assign_new_faces(Scope.pipeline(event)) == 1
    after = clusters_of(owner_conn)
    assert len(after) == len(before) == 7
    assert {"alone.jpg", "again.jpg", "pair.jpg", "later.jpg"} in after.values()


def test_two_batches_clustered_at_once_start_no_duplicate_person(party, owner_conn) -> None:
    event, _ = party
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def work() -> None:
        barrier.wait()
        counts.append(assign_new_faces(Scope.pipeline(event)))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == [0, 10]
    assert owner_conn.execute("SELECT count(*) FROM face_clusters").fetchone() == (7,)


def test_organizers_name_hide_and_list_a_persons_photos(party, editor, owner_conn) -> None:
    event, ids = party
    assign_new_faces(Scope.pipeline(event))
    status, reply = call("GET", "/api/events/party/admin/face-clusters", editor)
    person, friend = reply["face_clusters"]  # most photographed first
    assert (person["photos"], person["name"]) == (3, None)
    assert friend["photos"] == 2

    status, named = call(
        "PATCH", f"/api/events/party/admin/face-clusters/{person['id']}", editor, {"name": "Eileen"}
    )
    assert (status, named["name"]) == (200, "Eileen")
    status, page = call("GET", f"/api/events/party/admin/face-clusters/{person['id']}/photos", editor)
    assert status == 200
    assert {p["id"] for p in page["photos"]} == {str(ids["alone"]), str(ids["again"]), str(ids["pair"])}

    call("PATCH", f"/api/events/party/admin/face-clusters/{person['id']}", editor, {"hidden": True})
    listed = call("GET", "/api/events/party/admin/face-clusters", editor)[1]["face_clusters"]
    assert [p["id"] for p in listed] == [friend["id"]]
    hidden = call("GET", "/api/events/party/admin/face-clusters?hidden=true", editor)[1]["face_clusters"]
    assert [(p["name"], p["hidden"]) for p in hidden] == [("Eileen", True), (None, False)]
    actions = [r[0] for r in owner_conn.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]
    assert actions.count("face_cluster_update") == 2


def test_split_then_merge_round_trips_and_each_is_audited(party, editor, owner_conn) -> None:
    event, ids = party
    assign_new_faces(Scope.pipeline(event))
    person = call("GET", "/api/events/party/admin/face-clusters", editor)[1]["face_clusters"][0]
    status, split = call(
        "POST",
        f"/api/events/party/admin/face-clusters/{person['id']}/split",
        editor,
        {"photo_ids": [str(ids["pair"])]},
    )
    assert status == 200
    assert (split["photos"], split["cover"]["filename"]) == (1, "pair.jpg")
    assert {"alone.jpg", "again.jpg"} in clusters_of(owner_conn).values()

    status, merged = call(
        "POST",
        f"/api/events/party/admin/face-clusters/{person['id']}/merge",
        editor,
        {"face_clusters": [split["id"]]},
    )
    assert (status, merged["photos"]) == (200, 3)
    assert owner_conn.execute(
        "SELECT count(*) FROM face_clusters WHERE id = %s", (split["id"],)
    ).fetchone() == (0,)
    actions = [r[0] for r in owner_conn.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]
    assert actions[-2:] == ["face_cluster_split", "face_cluster_merge"]


def test_bad_merge_and_split_requests_get_clear_errors_and_change_nothing(party, editor, owner_conn) -> None:
    event, ids = party
    assign_new_faces(Scope.pipeline(event))
    person = call("GET", "/api/events/party/admin/face-clusters", editor)[1]["face_clusters"][0]
    base = f"/api/events/party/admin/face-clusters/{person['id']}"
    before = clusters_of(owner_conn)
    assert call("POST", base + "/merge", editor, {"face_clusters": [person["id"]]})[0] == 400
    status, reply = call(
        "POST", base + "/merge", editor, {"face_clusters": ["00000000-0000-0000-0000-00000000000b"]}
    )
    assert status == 404
    assert "No such person" in reply["message"]
    assert call("POST", base + "/split", editor, {"photo_ids": [str(ids["group"])]})[0] == 400
    assert call("POST", base + "/split", editor, {"photo_ids": []})[0] == 422
    assert call("PATCH", base, editor, {"name": ""})[0] == 422
    assert clusters_of(owner_conn) == before


def test_a_face_hidden_by_hide_me_is_never_listed_or_counted(party, editor, owner_conn) -> None:
    event, ids = party
    assign_new_faces(Scope.pipeline(event))
    assert len(call("GET", "/api/events/party/admin/face-clusters", editor)[1]["face_clusters"]) == 2
    # The astronaut and her friend hide themselves in the pair photo; she also in one photo alone.
    owner_conn.execute(
        "UPDATE face_embeddings SET hidden = true WHERE photo_id = ANY(%s)", ([ids["pair"], ids["alone"]],)
    )
    # Each is left with one visible face: under the minimum size, so neither is listed.
    assert call("GET", "/api/events/party/admin/face-clusters?hidden=true", editor)[1]["face_clusters"] == []
