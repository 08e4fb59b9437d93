"""A resumable album upload embedded, over HTTP through the local server: the API hands out signed
part URLs (S3's multipart protocol), a part PUT that fails is resumed from what the server says is
stored, completion joins the parts and passes the moderation gate; a forged or another upload's
part URL is refused, an aborted upload is gone."""

from __future__ import annotations

from typing import Any

import requests
from eventlens.albums.service import PART_SIZE
from eventlens.storage import blob_store

from tests.fixtures_photos import large_jpeg


def _call(base: str, token: str, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{base}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=120
    )


def test_a_large_upload_resumes_after_a_failed_part_and_completes_through_the_gate(served, people) -> None:
    base, event = served
    _, token = people.with_role("CONTRIBUTOR", event=event.id)
    album = _call(base, token, "/api/events/demo/albums", {"title": "Large"}).json()
    uploads = f"/api/events/demo/albums/{album['id']}/uploads/multipart"
    data = large_jpeg()
    assert len(data) > 2 * PART_SIZE
    pieces = [data[i : i + PART_SIZE] for i in range(0, len(data), PART_SIZE)]

    ticket = _call(
        base, token, uploads, {"filename": "large.jpg", "content_type": "image/jpeg", "size": len(data)}
    )
    assert ticket.status_code == 200, ticket.text
    ticket = ticket.json()
    assert [p["number"] for p in ticket["parts"]] == list(range(1, len(pieces) + 1))
    first = requests.put(base + ticket["parts"][0]["url"], data=pieces[0], timeout=60)
    assert first.status_code == 200
    forged = ticket["parts"][1]["url"].replace("signature=", "signature=00")
    assert requests.put(base + forged, data=pieces[1], timeout=60).status_code == 403  # the failed part

    resumed = _call(
        base,
        token,
        uploads + "/resume",
        {"key": ticket["key"], "upload_id": ticket["upload_id"], "size": len(data)},
    ).json()
    assert [(p["number"], p["etag"]) for p in resumed["done"]] == [(1, first.headers["ETag"].strip('"'))]
    assert [p["number"] for p in resumed["parts"]] == list(range(2, len(pieces) + 1))
    etags = {p["number"]: p["etag"] for p in resumed["done"]}
    for part in resumed["parts"]:
        reply = requests.put(base + part["url"], data=pieces[part["number"] - 1], timeout=60)
        assert reply.status_code == 200
        etags[part["number"]] = reply.headers["ETag"]
    parts = [{"number": n, "etag": e} for n, e in sorted(etags.items())]
    done = _call(
        base,
        token,
        uploads + "/complete",
        {"key": ticket["key"], "upload_id": ticket["upload_id"], "parts": parts},
    )
    assert done.status_code == 201, done.text
    assert done.json()["status"] == "pending"
    assert blob_store().get(ticket["key"]) == data

    again = _call(
        base, token, uploads, {"filename": "again.jpg", "content_type": "image/jpeg", "size": len(data)}
    ).json()
    other_upload = ticket["parts"][0]["url"].replace(ticket["upload_id"], again["upload_id"])
    assert requests.put(base + other_upload, data=pieces[0], timeout=60).status_code == 403
    ended = {"key": again["key"], "upload_id": again["upload_id"]}
    assert _call(base, token, uploads + "/abort", ended).status_code == 204
    gone = _call(base, token, uploads + "/resume", {**ended, "size": len(data)})
    assert gone.status_code == 400, gone.text
    assert requests.put(base + again["parts"][0]["url"], data=pieces[0], timeout=60).status_code == 404
