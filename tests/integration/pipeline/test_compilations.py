"""Given the demo's two clips in the library (H.264, and MPEG-4 Part 2 that no browser plays), when an
editor asks for a highlight reel of trimmed clips after a title card, then a job builds a fast-start
H.264/AAC MP4 lasting the title card plus the trims (within a frame), keeps its source ids and
settings, and the reel is a video of the library the player plays."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import av
import pytest
from click.testing import CliRunner
from eventlens.cli import main
from eventlens.pipeline.runner import run_pipeline
from eventlens.scope import Scope
from eventlens.sources.service import import_files
from eventlens.storage import blob_store

from tests.integration.api.conftest import Api
from tests.integration.pipeline.conftest import photos_by_name


@pytest.fixture(scope="module")
def demo_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    from eventlens.demo import demo_photos, demo_videos

    folder = demo_videos(demo_photos(tmp_path_factory.mktemp("demo")))
    return {p.name: p.read_bytes() for p in (folder / "Highlights").glob("*.mp4")}


@pytest.fixture
def library(make_event, photo_dir, demo_clips) -> tuple[Any, dict[str, dict]]:
    event = make_event("reels")
    import_files(Scope.pipeline(event), [photo_dir(demo_clips)])
    run_pipeline(event, "analyze")
    return event, photos_by_name(event.id)


def _wait_ready(api: Api, url: str, token: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, body = api("GET", url, token=token)
        assert status == 200, body
        if body["status"] in ("ready", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"the compilation never finished: {body}")


def test_an_editor_compiles_a_reel_the_player_plays(library, people) -> None:
    event, rows = library
    recap, walk = rows["keynote-recap.mp4"], rows["expo-walkthrough.mp4"]
    assert walk["video_codec"] == "mpeg4"  # the reel reads originals no browser plays too
    api = Api()
    _, editor = people.with_role("EDITOR", event=event.id)
    clips = [
        {"photo_id": str(walk["id"]), "in_s": 0.5, "out_s": 2.3},
        {"photo_id": str(recap["id"]), "in_s": 1.0, "out_s": 4.0},
        {"photo_id": str(walk["id"]), "in_s": 4.2, "out_s": 5.0},
    ]
    status, created = api(
        "POST",
        f"/api/events/{event.slug}/admin/compilations",
        {"title": "Day one highlights", "clips": clips, "title_card_s": 1.5},
        token=editor,
    )
    assert status == 202, created
    assert created["source_ids"] == [str(walk["id"]), str(recap["id"]), str(walk["id"])]
    expected = 1.5 + 1.8 + 3.0 + 0.8

    done = _wait_ready(
        api, f"/api/events/{event.slug}/admin/compilations/{created['compilation_id']}", editor
    )

    assert done["status"] == "ready", done["error"]
    assert (done["fps"], done["width"], done["height"]) == (25, 640, 360)  # the first clip's frame
    assert [c["in_s"] for c in done["clips"]] == [0.5, 1.0, 4.2]
    frame = 1 / done["fps"]
    reel = photos_by_name(event.id)[next(n for n in photos_by_name(event.id) if n.startswith("day-one"))]
    assert reel["folder"] == "Compilations"
    assert str(reel["id"]) == done["photo_id"]
    container: Any
    with av.open(io.BytesIO(blob_store().get(reel["source_key"]))) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, audio.codec_context.name) == ("h264", "aac")
        frames = sum(1 for _ in container.decode(video))
    assert abs(frames * frame - expected) <= frame
    assert abs(reel["duration_s"] - expected) <= frame
    data = blob_store().get(reel["source_key"])
    assert data.find(b"moov") < data.find(b"mdat")  # fast start

    # a video of the library: analyzed, public, and the player's item route hands out its URL
    assert (reel["transcode_status"], reel["is_valid"]) == ("not_needed", True)
    status, item = api("GET", f"/api/events/{event.slug}/media/{reel['id']}")
    assert status == 200
    assert item["play_url"] is not None
    assert done["player_url"] == f"/video.html?event={event.slug}&id={reel['id']}"
    status, listed = api("GET", f"/api/events/{event.slug}/admin/compilations", token=editor)
    assert [c["compilation_id"] for c in listed["compilations"]] == [created["compilation_id"]]


def test_a_recipe_the_library_cannot_make_is_refused_with_why(library, people, owner_conn) -> None:
    event, rows = library
    recap = rows["keynote-recap.mp4"]
    api = Api()
    url = f"/api/events/{event.slug}/admin/compilations"
    _, editor = people.with_role("EDITOR", event=event.id)

    def ask(clips: list[dict], **more: Any) -> tuple[int, dict]:
        return api("POST", url, {"title": "Reel", "clips": clips, **more}, token=editor)

    status, body = ask([{"photo_id": str(recap["id"]), "in_s": 2, "out_s": 9}])
    assert status == 400
    assert "end by 6.00 s" in body["message"]
    status, body = ask([{"photo_id": str(recap["id"]), "in_s": 3, "out_s": 2}])
    assert status == 400
    status, body = ask([{"photo_id": "00000000-0000-0000-0000-000000000001", "in_s": 0, "out_s": 1}])
    assert status == 404
    status, _ = ask([{"photo_id": str(recap["id"]), "in_s": 0, "out_s": 1}], width=640)
    assert status == 422
    status, _ = ask([{"photo_id": str(recap["id"]), "in_s": 0, "out_s": 1}], title_card_s=11)
    assert status == 422
    _, viewer = people.with_role("VIEWER", event=event.id)
    status, _ = api(
        "POST",
        url,
        {"title": "R", "clips": [{"photo_id": str(recap["id"]), "in_s": 0, "out_s": 1}]},
        token=viewer,
    )
    assert status == 403
    assert owner_conn.execute("SELECT count(*) FROM compilations").fetchone()[0] == 0


def test_the_cli_twin_builds_a_reel_in_its_own_process(library, tmp_path: Path) -> None:
    event, rows = library
    recap = rows["keynote-recap.mp4"]
    runner = CliRunner()

    made = runner.invoke(
        main,
        [
            "compilations", "create", "--event", event.slug, "--title", "Keynote", "--title-card-s", "0",
            "--clip", f"{recap['id']}@0.5-2.5", "--clip", str(recap["id"]), "--size", "320x180", "--json",
        ],
    )  # fmt: skip

    assert made.exit_code == 0, made.output
    body = json.loads(made.output)
    assert body["status"] == "ready", body
    assert (body["width"], body["height"]) == (320, 180)
    assert abs(body["duration_s"] - (2.0 + 6.0)) <= 1 / 25
    listed = runner.invoke(main, ["compilations", "list", "--event", event.slug])
    assert "ready" in listed.output
    assert "Keynote" in listed.output
