"""ZIP downloads through `eventlens serve`: POST .../download answers 202 at once, a thread builds
the archive in the blob store with its progress, and the archive's media URL downloads it as an
attachment, streamed. Only the visitor holding the archive's id reads it; only public photos go in;
an expired URL, an expired archive or a photo hidden since opens nothing."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any
from uuid import UUID, uuid4

import pytest
import requests
from eventlens.config import reset_settings, settings
from eventlens.media import archives
from eventlens.moderation import service as moderation
from eventlens.scope import Scope
from eventlens.storage.capability import Capability, sign

from tests.fixtures_photos import real_jpeg
from tests.helpers import stored_original


def _download(server: str, ids: list[Any], slug: str = "demo") -> requests.Response:
    return requests.post(
        f"{server}/api/events/{slug}/download", json={"ids": [str(i) for i in ids]}, timeout=10
    )


def _finished(server: str, archive_id: str, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = requests.get(f"{server}/api/events/demo/archives/{archive_id}", timeout=10).json()
        if status["status"] in ("ready", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"archive {archive_id} still {status['status']} after {timeout_s} s")


def _ready_archive(server: str, event: Any) -> tuple[dict[str, Any], list[Any]]:
    photos = [
        stored_original(event.id, f"{name}.jpg", real_jpeg(name, (320, 240)), folder)
        for name, folder in (("coffee", "Day 1"), ("astronaut", "Day 1"), ("chelsea", ""))
    ]
    reply = _download(server, [p.id for p in photos])
    assert reply.status_code == 202, reply.text
    return _finished(server, reply.json()["archive_id"]), photos


def test_three_photos_download_as_one_zip_built_in_the_background(served) -> None:
    server, event = served
    originals = {name: real_jpeg(name, (320, 240)) for name in ("coffee", "astronaut", "chelsea")}
    photos = [
        stored_original(event.id, f"{name}.jpg", originals[name], folder)
        for name, folder in (("coffee", "Day 1"), ("astronaut", "Day 1"), ("chelsea", ""))
    ]

    reply = _download(server, [p.id for p in photos])

    assert reply.status_code == 202
    started = reply.json()
    assert started["status"] in ("pending", "building", "ready")
    assert (started["photo_count"], started["total"]) == (3, 3)
    assert started["bytes_total"] == sum(len(b) for b in originals.values())
    ready = _finished(server, started["archive_id"])
    assert (ready["status"], ready["done"], ready["total"]) == ("ready", 3, 3)
    assert ready["bytes_done"] == ready["bytes_total"]
    assert ready["url"].startswith("/media/")

    zipped = requests.get(server + ready["url"], timeout=10)

    assert zipped.status_code == 200
    assert zipped.headers["Content-Type"] == "application/zip"
    assert zipped.headers["Content-Disposition"].startswith('attachment; filename="demo-photos.zip"')
    assert zipped.headers["Cache-Control"].startswith("private")  # one visitor's, never a shared cache's
    assert "sandbox" in zipped.headers["Content-Security-Policy"]
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["Day 1/coffee.jpg", "Day 1/astronaut.jpg", "chelsea.jpg"]
        assert {name: archive.read(name) for name in archive.namelist()} == {
            "Day 1/coffee.jpg": originals["coffee"],
            "Day 1/astronaut.jpg": originals["astronaut"],
            "chelsea.jpg": originals["chelsea"],
        }


def test_a_hidden_photo_and_another_events_photo_are_left_out(served, make_event) -> None:
    server, event = served
    other = make_event("third")
    visible = stored_original(event.id, "visible.jpg", b"visible bytes")
    hidden = stored_original(event.id, "hidden.jpg", b"hidden bytes", hidden=True)
    elsewhere = stored_original(other.id, "elsewhere.jpg", b"other event's bytes")

    reply = _download(server, [hidden.id, visible.id, elsewhere.id])

    assert reply.status_code == 202
    assert (reply.json()["photo_count"], reply.json()["bytes_total"]) == (1, len(b"visible bytes"))
    ready = _finished(server, reply.json()["archive_id"])
    with zipfile.ZipFile(io.BytesIO(requests.get(server + ready["url"], timeout=10).content)) as archive:
        assert archive.namelist() == ["visible.jpg"]
    assert _download(server, [hidden.id, elsewhere.id]).status_code == 404


def test_only_the_visitor_holding_the_archive_id_reads_it(served, owner_conn) -> None:
    server, event = served
    ready, _ = _ready_archive(server, event)
    archive_id = ready["archive_id"]

    guessed = requests.get(f"{server}/api/events/demo/archives/{uuid4()}", timeout=10)
    elsewhere = requests.get(f"{server}/api/events/other/archives/{archive_id}", timeout=10)

    assert guessed.status_code == 404
    assert elsewhere.status_code == 404
    assert guessed.json() == {"message": guessed.json()["message"]}  # the same shape, nothing more
    counts = {}
    for who, scope in {
        "holder": Scope.visitor(event, subject=archive_id),
        "another visitor": Scope.visitor(event, subject=str(uuid4())),
        "a visitor without an id": Scope.visitor(event),
        "organizer": Scope.organizer(event, "test"),
    }.items():
        with scope.transaction() as tx:
            counts[who] = tx.execute("SELECT count(*) AS n FROM archives").fetchone()["n"]  # type: ignore[index]
    assert counts == {"holder": 1, "another visitor": 0, "a visitor without an id": 0, "organizer": 1}


def test_an_expired_url_or_archive_opens_nothing(served, owner_conn) -> None:
    server, event = served
    ready, _ = _ready_archive(server, event)
    archive_id = ready["archive_id"]
    key = settings().media_key
    expired = sign(key, Capability(event.id, UUID(archive_id), "archive", "public", int(time.time()) - 1))
    as_photo = sign(key, Capability(event.id, UUID(archive_id), "original", "public", int(time.time()) + 60))

    assert requests.get(f"{server}/media/{expired}", timeout=10).status_code == 404
    assert requests.get(f"{server}/media/{as_photo}", timeout=10).status_code == 404
    assert requests.get(server + ready["url"], timeout=10).status_code == 200

    owner_conn.execute("UPDATE archives SET expires_at = now() - interval '1 second'")

    assert requests.get(server + ready["url"], timeout=10).status_code == 404
    assert requests.get(f"{server}/api/events/demo/archives/{archive_id}", timeout=10).status_code == 404


def test_hiding_a_photo_closes_its_archives_url_and_says_so(served) -> None:
    server, event = served
    ready, photos = _ready_archive(server, event)
    assert requests.get(server + ready["url"], timeout=10).status_code == 200

    moderation.update_photo(Scope.organizer(event, "test"), photos[1].id, hidden=True)

    assert requests.get(server + ready["url"], timeout=10).status_code == 404
    status = requests.get(f"{server}/api/events/demo/archives/{ready['archive_id']}", timeout=10).json()
    assert (status["status"], status["url"], status["error"]) == ("failed", None, archives.GONE)


def test_a_selection_past_the_byte_cap_is_a_413_saying_so(served, monkeypatch: pytest.MonkeyPatch) -> None:
    server, event = served
    photos = [stored_original(event.id, f"{n}.jpg", b"x" * 600) for n in range(3)]
    monkeypatch.setenv("EVENTLENS_ARCHIVE_MAX_BYTES", "1000")
    reset_settings()

    reply = _download(server, [p.id for p in photos])

    assert reply.status_code == 413
    assert "one download holds at most" in reply.json()["message"]
    assert _download(server, [photos[0].id]).status_code == 202
