"""Given an event whose source is a live folder (added with `eventlens sources add`), the pipeline
builds its gallery from the folder where it is; a rename, a move, a modification and a deletion
followed by `eventlens sources sync` and another run keep the renamed and moved photos' ids and
stored embeddings, recompute the modified one, and take the deleted one out of the gallery."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from eventlens.cli import main
from eventlens.db.photos import PhotoFilter
from eventlens.media.service import list_photos
from eventlens.pipeline.runner import run_pipeline
from eventlens.scope import Scope

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


def vectors(event) -> dict[str, list[float]]:
    with scoped(event.id) as tx:
        rows = tx.execute(
            "SELECT id::text AS id, embedding FROM photos WHERE embedding IS NOT NULL"
        ).fetchall()
    return {r["id"]: np.asarray(r["embedding"]).tolist() for r in rows}


def test_a_live_folder_goes_through_sync_gallery_rename_modify_delete_and_resync(
    make_event, tmp_path: Path
) -> None:
    event = make_event("live-gallery")
    root = tmp_path / "Shared photos"
    (root / "Keynote").mkdir(parents=True)
    (root / "Keynote/group.jpg").write_bytes(real_jpeg("t1"))
    (root / "Keynote/coffee.jpg").write_bytes(real_jpeg("coffee", (320, 240)))
    (root / "cat.jpg").write_bytes(real_jpeg("chelsea", (320, 240)))
    (root / "rocket.jpg").write_bytes(real_jpeg("rocket", (320, 240)))
    assert "now follows" in cli("sources", "add", str(root), "--event", event.slug)
    listed = json.loads(cli("sources", "list", "--json"))
    assert listed == [
        {
            "event": event.slug,
            "kind": "live",
            "location": str(root.resolve()),
            "synced_at": None,
            "error": None,
        }
    ]

    first = run_pipeline(event)

    assert first[0] == {"phase": "sync", "processed": 4, "remaining": 0, "errors": 0, "done": True}
    assert all(r["done"] and r["errors"] == 0 for r in first)
    assert gallery(event) == {
        "group.jpg": "Keynote",
        "coffee.jpg": "Keynote",
        "cat.jpg": "",
        "rocket.jpg": "",
    }
    before = photos_by_name(event.id)
    stored = vectors(event)
    assert len(stored) == 4
    faces = [f["id"] for f in faces_of(event.id, before["group.jpg"]["id"])]
    assert len(faces) >= 4
    assert "in folder 'Keynote'" in before["coffee.jpg"]["scene_description"]

    os.rename(root / "Keynote/group.jpg", root / "Keynote/speakers.jpg")
    (root / "Day 2").mkdir()
    os.rename(root / "Keynote/coffee.jpg", root / "Day 2/coffee.jpg")
    (root / "cat.jpg").write_bytes(real_jpeg("chelsea", (320, 240), quality=50))
    (root / "rocket.jpg").unlink()
    out = cli("sources", "sync", "--event", event.slug)

    assert out.strip() == (
        "3 files: added 0, renamed 1, moved 1, modified 1, removed 1, unchanged 0, 0 ignored, 0 errors (1 read)"
    )
    second = run_pipeline(event)

    assert next(r for r in second if r["phase"] == "analyze")["processed"] == 1  # the modified cat only
    assert next(r for r in second if r["phase"] == "embed")["processed"] == 1
    assert gallery(event) == {"speakers.jpg": "Keynote", "coffee.jpg": "Day 2", "cat.jpg": ""}
    after = photos_by_name(event.id)
    for old, new in (("group.jpg", "speakers.jpg"), ("coffee.jpg", "coffee.jpg"), ("cat.jpg", "cat.jpg")):
        assert after[new]["id"] == before[old]["id"]
    kept = vectors(event)
    assert kept[str(after["speakers.jpg"]["id"])] == stored[str(before["group.jpg"]["id"])]
    assert kept[str(after["coffee.jpg"]["id"])] == stored[str(before["coffee.jpg"]["id"])]
    assert after["cat.jpg"]["content_hash"] != before["cat.jpg"]["content_hash"]
    assert after["cat.jpg"]["updated_at"] > before["cat.jpg"]["updated_at"]
    assert [f["id"] for f in faces_of(event.id, after["speakers.jpg"]["id"])] == faces
    assert "Keynote" not in after["coffee.jpg"]["scene_description"]
    assert "in folder 'Day 2'" in after["coffee.jpg"]["scene_description"]

    # Bytes changed behind the same size and mtime (a restore that kept them): only --rehash sees it.
    cat = root / "cat.jpg"
    stat = cat.stat()
    edited = bytearray(cat.read_bytes())
    edited[-3] ^= 0xFF  # a byte of the last scan line's data
    cat.write_bytes(bytes(edited))
    os.utime(cat, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert "modified 0" in cli("sources", "sync", "--event", event.slug)
    assert "modified 1" in cli("sources", "sync", "--event", event.slug, "--rehash")


def test_watch_syncs_and_processes_what_changed(make_event, tmp_path: Path) -> None:
    event = make_event("live-watch")
    root = tmp_path / "watched"
    root.mkdir()
    (root / "cat.jpg").write_bytes(real_jpeg("chelsea", (160, 120)))
    cli("sources", "add", str(root), "--event", event.slug)

    out = cli("sources", "watch", "--event", event.slug, "--interval", "0.1", "--rounds", "2")

    lines = [line for line in out.splitlines() if line[:2].isdigit()]
    assert "added 1" in lines[0]
    assert "processed: done" in lines[1]
    assert "unchanged 1" in lines[2]
    assert len(lines) == 3
    assert gallery(event) == {"cat.jpg": ""}
    assert photos_by_name(event.id)["cat.jpg"]["embed_status"] == "completed"
