"""Crews through the API: a host in every photo does not dominate anybody's suggestions, teams come
out as Louvain communities, hidden people and faces stay out."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import numpy as np
import psycopg
import pytest


def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler, route_group

    headers = {"host": "test", "content-type": "application/json", "authorization": f"Bearer {token}"}
    data = json.dumps(body).encode() if body is not None else b""
    group = route_group(path.split("?")[0])
    event = http_api_event(method, path, headers, data, "127.0.0.1", None)
    reply = lambda_handler(group)(event, LambdaContext(group, "req-1", deadline_ms=2**62))
    return reply["statusCode"], json.loads(reply["body"])


TEAMS = {"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}


@pytest.fixture
def conference(make_event, people, owner_conn: psycopg.Connection) -> tuple[str, dict[str, UUID]]:
    """Two teams of three, each photographed in every pair and as a whole (4 photos per team), a
    host in every photo, one cross-team photo (a1 with b1); faces as the faces phase leaves them."""
    event = make_event("conf")
    rng = np.random.default_rng(3)
    ids: dict[str, UUID] = {}
    for name in ["host", *TEAMS["a"], *TEAMS["b"]]:
        ids[name] = owner_conn.execute(
            "INSERT INTO face_clusters (event_id, name) VALUES (%s, %s) RETURNING id", (event.id, name)
        ).fetchone()[0]
    photos = []
    for team in TEAMS.values():
        photos += [[team[0], team[1]], [team[0], team[2]], [team[1], team[2]], list(team)]
    photos.append(["a1", "b1"])
    for n, members in enumerate(photos):
        who = ["host", *members]
        photo = owner_conn.execute(
            "INSERT INTO photos (event_id, source_key, content_hash, filename, face_count, analyze_status,"
            " faces_status) VALUES (%s, %s, %s, %s, %s, 'completed', 'completed') RETURNING id",
            (event.id, f"events/conf/originals/{n}.jpg", f"h{n}", f"{n}.jpg", len(who)),
        ).fetchone()[0]
        for index, name in enumerate(who):
            vector = rng.normal(size=128)
            owner_conn.execute(
                "INSERT INTO face_embeddings (event_id, photo_id, face_index, model, bbox, det_score, embedding,"
                " face_cluster_id) VALUES (%s, %s, %s, 'sface', %s, 0.9, %s::vector, %s)",
                (
                    event.id,
                    photo,
                    index,
                    [10.0 * index, 0.0, 50.0, 50.0],
                    "[" + ",".join(map(str, vector / np.linalg.norm(vector))) + "]",
                    ids[name],
                ),
            )
    _, token = people.with_role("EDITOR", event=event.id)
    return token, ids


def test_a_host_in_every_photo_does_not_top_anybodys_suggestions(conference) -> None:
    token, ids = conference
    status, crew = call("GET", f"/api/events/conf/admin/face-clusters/{ids['a2']}/crew", token)
    assert status == 200
    ranked = [m["name"] for m in crew["photographed_with"]]
    assert set(ranked[:2]) == {"a1", "a3"}
    assert ranked.index("host") >= 2
    shared = {m["name"]: m["shared_photos"] for m in crew["photographed_with"]}
    assert shared["host"] == 3  # every photo of a2, counted once per photo
    # The raw count (the obvious alternative) puts the host first: the normalisation is what helps.
    from eventlens.faceclusters.crews import graph

    pairs = [
        (p, n)
        for p, people in enumerate([["host", "a2", "a1"], ["host", "a2", "a3"], ["host", "a2"]])
        for n in people
    ]
    raw = graph(pairs, "count")
    assert max(raw["a2"].items(), key=lambda kv: kv[1]["weight"])[0] == "host"


def test_teams_come_out_as_crews_and_the_same_input_gives_the_same_crews(conference) -> None:
    token, _ids = conference
    status, first = call("GET", "/api/events/conf/admin/crews", token)
    assert status == 200
    crews = [set(c["names"]) for c in first["crews"]]
    team_a = next(c for c in crews if "a1" in c)
    team_b = next(c for c in crews if "b1" in c)
    assert {"a1", "a2", "a3"} <= team_a
    assert {"b1", "b2", "b3"} <= team_b
    assert team_a is not team_b
    assert call("GET", "/api/events/conf/admin/crews", token)[1] == first  # seeded Louvain


def test_hidden_people_and_hidden_faces_are_left_out_of_crews(conference, owner_conn) -> None:
    token, ids = conference
    owner_conn.execute("UPDATE face_clusters SET hidden = true WHERE id = %s", (ids["a3"],))
    owner_conn.execute("UPDATE face_embeddings SET hidden = true WHERE face_cluster_id = %s", (ids["a1"],))
    crew = call("GET", f"/api/events/conf/admin/face-clusters/{ids['a2']}/crew", token)[1]
    assert [m["name"] for m in crew["photographed_with"]] == ["host"]
    crews = call("GET", "/api/events/conf/admin/crews", token)[1]["crews"]
    assert all("a1" not in c["names"] and "a3" not in c["names"] for c in crews)


def test_find_me_shows_who_you_were_photographed_with_and_your_crews_album(conference, owner_conn) -> None:
    """Find me for a2 (one face of theirs matched): their team mates come first, each as a face in a
    photo a2 is in; the crew album holds the team's group photos a2 was not matched in, best first;
    nobody's name or id reaches the visitor."""
    from eventlens.events.service import get_event
    from eventlens.findme.service import match_embedding
    from eventlens.scope import Scope

    _token, ids = conference
    event = get_event("conf")
    photo_of = {
        r[0]: r[1]
        for r in owner_conn.execute("SELECT id, filename FROM photos WHERE event_id = %s", (event.id,))
    }
    (vector,) = owner_conn.execute(
        "SELECT f.embedding::real[] FROM face_embeddings f JOIN photos p ON p.id = f.photo_id"
        " WHERE p.filename = '2.jpg' AND f.face_cluster_id = %s",
        (ids["a2"],),
    ).fetchone()

    reply = match_embedding(Scope.visitor(event), np.array(vector, np.float32), "sface")

    assert [photo_of[m.photo.id] for m in reply.matches] == ["2.jpg"]
    assert reply.crew is not None
    mates = reply.crew.photographed_with
    assert len(mates) >= 2
    a2_photos = {"0.jpg", "2.jpg", "3.jpg"}  # a1+a2, a2+a3, the whole team (the host in each)
    assert all(photo_of[m.cover.id] in a2_photos for m in mates)
    assert [m.shared_photos for m in mates[:2]] == [2, 2]  # a1 and a3: two photos each with a2
    assert mates[0].cover_bbox != mates[1].cover_bbox or mates[0].cover.id != mates[1].cover.id
    album = [photo_of[p.id] for p in reply.crew.photos]
    assert set(album[:2]) == {"1.jpg", "3.jpg"}  # a1 and a3 (and the host) in each
    assert set(album[2:4]) == {"0.jpg", "8.jpg"}  # a1 and the host; team b's photos (the host alone) after
    assert "2.jpg" not in album
    dumped = reply.crew.model_dump_json()
    assert '"name"' not in dumped
    assert not any(str(i) in dumped for i in ids.values())


def test_the_crew_graph_is_built_again_only_when_the_events_appearances_change(conference) -> None:
    from eventlens.events.service import get_event
    from eventlens.faceclusters import service

    token, ids = conference
    event = get_event("conf")
    first = call("GET", "/api/events/conf/admin/crews", token)[1]
    built = service._GRAPHS[event.id][1]
    assert call("GET", f"/api/events/conf/admin/face-clusters/{ids['a2']}/crew", token)[0] == 200
    assert call("GET", "/api/events/conf/admin/crews", token)[1] == first
    assert service._GRAPHS[event.id][1] is built  # the same appearances: the same graph, no Louvain

    status, _ = call("PATCH", f"/api/events/conf/admin/face-clusters/{ids['a3']}", token, {"hidden": True})
    assert status == 200
    after = call("GET", "/api/events/conf/admin/crews", token)[1]
    assert service._GRAPHS[event.id][1] is not built
    assert all("a3" not in c["names"] for c in after["crews"])
