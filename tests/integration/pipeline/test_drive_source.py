"""Given an event whose source is a Drive folder (the fake Drive, reached through Google's client
with a service-account key), the pipeline builds its gallery from it, and a rename or a move in
Drive followed by another run keeps every photo's id, faces and embedding; a deletion removes it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from eventlens.cli import main
from eventlens.db.photos import PhotoFilter
from eventlens.media.service import list_photos
from eventlens.pipeline.runner import run_pipeline
from eventlens.scope import Scope
from eventlens.storage import blob_store

from tests.fakes.drive_server import ROOT, FakeDriveServer
from tests.fixtures_photos import real_jpeg
from tests.helpers import scoped
from tests.integration.pipeline.conftest import faces_of, photos_by_name


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def gallery(event) -> dict[str, str]:
    """filename -> folder, as a visitor's gallery lists them."""
    page = list_photos(Scope.visitor(event), PhotoFilter())
    return {p.filename: p.folder for p in page.photos}


def embeddings(event) -> dict[str, list[float]]:
    with scoped(event.id) as tx:
        rows = tx.execute("SELECT id::text AS id, embedding FROM photos").fetchall()
    return {r["id"]: np.asarray(r["embedding"]).tolist() for r in rows}


def test_a_drive_folder_goes_through_sync_gallery_rename_and_resync_with_embeddings_kept(
    make_event, drive: FakeDriveServer, tmp_path: Path
) -> None:
    event = make_event("drive-gallery")
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(drive.service_account_info()))
    day1 = drive.add_folder("Day 1")
    people = drive.add_file("group.jpg", real_jpeg("t1"), parent=day1)
    coffee = drive.add_file("coffee.jpg", real_jpeg("coffee", (320, 240)), parent=day1)
    cat = drive.add_file("cat.jpg", real_jpeg("chelsea", (320, 240)))
    cli("drive", "add", ROOT, "--event", event.slug, "--credentials", str(key))

    first = run_pipeline(event)

    assert first[0] == {"phase": "sync", "processed": 3, "remaining": 0, "errors": 0, "done": True}
    assert all(r["done"] and r["errors"] == 0 for r in first)
    assert gallery(event) == {"group.jpg": "Day 1", "coffee.jpg": "Day 1", "cat.jpg": ""}
    before = photos_by_name(event.id)
    vectors = embeddings(event)
    faces = [f["id"] for f in faces_of(event.id, before["group.jpg"]["id"])]
    assert len(faces) >= 4
    assert all(v for v in vectors.values())
    assert all(before[n]["thumbnails"] for n in before)  # our own renditions, from the fetched original

    day2 = drive.add_folder("Day 2")
    drive.rename(people, "speakers.jpg")
    drive.move(coffee, day2)
    drive.rename(day1, "Keynote")
    second = run_pipeline(event)

    assert second[0]["processed"] == 2
    assert next(r for r in second if r["phase"] == "analyze")["processed"] == 0  # nothing recomputed
    assert next(r for r in second if r["phase"] == "embed")["processed"] == 0
    assert gallery(event) == {"speakers.jpg": "Keynote", "coffee.jpg": "Day 2", "cat.jpg": ""}
    after = photos_by_name(event.id)
    assert after["speakers.jpg"]["id"] == before["group.jpg"]["id"]
    assert after["coffee.jpg"]["id"] == before["coffee.jpg"]["id"]
    assert embeddings(event) == vectors
    assert [f["id"] for f in faces_of(event.id, after["speakers.jpg"]["id"])] == faces

    drive.delete(cat)
    output = cli("drive", "sync", "--event", event.slug)

    assert "removed 1" in output
    assert set(gallery(event)) == {"speakers.jpg", "coffee.jpg"}
    assert not any(blob_store().exists(k) for k in before["cat.jpg"]["thumbnails"].values())
    assert faces_of(event.id, before["cat.jpg"]["id"]) == []
