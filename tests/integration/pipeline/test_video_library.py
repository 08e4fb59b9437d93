"""Given real clips (MPEG-4 Part 2 that no browser plays, H.264 that plays, a broken one), when
analyze runs, then each video carries its library facts, a poster that is not its black first
frame, its validity, and the MPEG-4 clip a fast-start H.264/AAC MP4 beside its kept original."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import numpy as np
from eventlens.pipeline.runner import run_pipeline
from eventlens.scope import Scope
from eventlens.sources.service import import_files
from eventlens.storage import blob_store
from PIL import Image

from tests.fixtures_photos import real_image
from tests.integration.api.conftest import Api
from tests.integration.pipeline.conftest import photos_by_name


def _clip(tmp_path: Path, name: str, codec: str, size: tuple[int, int]) -> bytes:
    from eventlens.media.video import slideshow

    black = Image.new("RGB", (640, 480), (0, 0, 0))
    out = tmp_path / name
    slideshow([black, real_image("chelsea"), real_image("coffee")], out, codec=codec, size=size)
    return out.read_bytes()


def test_analyze_probes_validates_posters_and_transcodes_videos(make_event, photo_dir, tmp_path) -> None:
    event = make_event("clips")
    files = {
        "old-camera.mp4": _clip(tmp_path, "a.mp4", "mpeg4", (640, 360)),
        "phone.mp4": _clip(tmp_path, "b.mp4", "libx264", (360, 640)),
        "broken.mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00garbage" * 100,
    }
    import_files(Scope.pipeline(event), [photo_dir(files)])

    run_pipeline(event, "analyze")

    rows = photos_by_name(event.id)
    old, phone, broken = rows["old-camera.mp4"], rows["phone.mp4"], rows["broken.mp4"]
    assert (old["video_codec"], old["audio_codec"], old["quality"], old["frame_rate"]) == (
        "mpeg4",
        "aac",
        "360p",
        25,
    )
    assert (old["width"], old["height"], old["aspect"], round(old["duration_s"])) == (
        640,
        360,
        "landscape",
        3,
    )
    assert (old["is_valid"], old["invalid_reason"]) == (True, None)
    assert old["validated_at"] is not None
    assert (phone["video_codec"], phone["quality"], phone["aspect"]) == ("h264", "360p", "portrait")
    assert (phone["transcode_status"], phone["playable_key"]) == ("not_needed", None)
    assert broken["is_valid"] is False
    assert "not a readable video" in broken["invalid_reason"]

    # the original is kept; the rendition is H.264/AAC with its index before the media data
    assert old["transcode_status"] == "completed", old["transcode_error"]
    assert blob_store().get(old["source_key"]) == files["old-camera.mp4"]
    playable = blob_store().get(old["playable_key"])
    assert playable.find(b"moov") < playable.find(b"mdat")
    container: Any
    with av.open(io.BytesIO(playable)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
        assert abs(float(container.duration) / 1_000_000 - 3.0) < 0.2

    # the poster is a picture, not the black first second
    poster = Image.open(io.BytesIO(blob_store().get(old["thumbnails"]["320"]))).convert("L")
    assert np.asarray(poster).mean() > 35

    status, item = Api()("GET", f"/api/events/clips/media/{old['id']}")
    assert status == 200
    assert (item["quality"], item["video_codec"], item["is_valid"]) == ("360p", "mpeg4", True)
    assert item["play_url"] is not None
    assert item["play_url"] != item["poster_url"]
    from eventlens.media.service import open_media

    grant = open_media(item["play_url"].rsplit("/", 1)[-1])
    assert (grant.key, grant.content_type) == (old["playable_key"], "video/mp4")


def test_the_imported_name_is_kept_when_the_file_is_renamed(make_event, owner_conn) -> None:
    event = make_event("names")
    owner_conn.execute(
        "INSERT INTO photos (event_id, source_key, content_hash, filename, kind)"
        " VALUES (%s, 'events/names/originals/IMG_0001.MOV', 'h', 'IMG_0001.MOV', 'video')",
        (event.id,),
    )
    owner_conn.execute("UPDATE photos SET filename = 'keynote-opening.mov' WHERE event_id = %s", (event.id,))
    row = owner_conn.execute(
        "SELECT filename, original_filename FROM photos WHERE event_id = %s", (event.id,)
    )
    assert row.fetchone() == ("keynote-opening.mov", "IMG_0001.MOV")


def test_a_poster_is_the_sharpest_frame_of_acceptable_brightness() -> None:
    from eventlens.media.video import frame_score

    black = Image.new("RGB", (320, 180), (2, 2, 2))
    white = Image.new("RGB", (320, 180), (250, 250, 250))
    sharp = real_image("chelsea")
    blurred = sharp.resize((20, 12)).resize(sharp.size)
    assert frame_score(sharp) > frame_score(blurred) > max(frame_score(black), frame_score(white))


def test_the_transcode_job_takes_pending_videos_and_retries_failed_ones(
    make_event, photo_dir, tmp_path
) -> None:
    from click.testing import CliRunner
    from eventlens.cli import main

    from tests.helpers import scoped

    event = make_event("job")
    import_files(
        Scope.pipeline(event), [photo_dir({"old.mp4": _clip(tmp_path, "c.mp4", "mpeg4", (320, 180))})]
    )
    with scoped(event.id) as tx:  # as if analyze had left it (a video longer than INLINE_MAX_S)
        tx.execute("UPDATE photos SET transcode_status = 'error', transcode_error = 'earlier failure'")
    done = CliRunner().invoke(main, ["video", "transcode", "--event", "job"])
    assert "transcoded 0 videos" in done.output, done.output
    done = CliRunner().invoke(main, ["video", "transcode", "--event", "job", "--retry"])
    assert done.exit_code == 0, done.output
    assert "transcoded 1 videos (0 failed), 0 waiting" in done.output
    row = photos_by_name(event.id)["old.mp4"]
    assert (row["transcode_status"], row["transcode_error"]) == ("completed", None)
    assert blob_store().get(row["playable_key"])[4:8] == b"ftyp"


def test_the_demo_gains_two_short_videos_one_needing_a_transcode(tmp_path) -> None:
    from eventlens.demo import demo_photos, demo_videos
    from eventlens.media.video import probe

    folder = demo_videos(demo_photos(tmp_path / "demo"))
    recap = probe((folder / "Highlights" / "keynote-recap.mp4").read_bytes(), "video/mp4")
    walk = probe((folder / "Highlights" / "expo-walkthrough.mp4").read_bytes(), "video/mp4")
    assert (recap.video_codec, recap.playable, round(recap.duration_s or 0)) == ("h264", True, 6)
    assert (walk.video_codec, walk.playable, walk.has_audio) == ("mpeg4", False, True)


def test_the_job_leaves_a_video_whose_transcode_would_not_fit_in_the_budget_for_the_next_run(
    make_event, photo_dir, tmp_path, monkeypatch
) -> None:
    from eventlens.pipeline.phases import transcode as job
    from eventlens.resilience import WallClockGuard

    from tests.helpers import scoped

    event = make_event("budget")
    clips = {
        f"{n}.mp4": _clip(tmp_path, f"{n}.mp4", "mpeg4", (320, h)) for n, h in (("one", 180), ("two", 240))
    }
    import_files(Scope.pipeline(event), [photo_dir(clips)])
    with scoped(event.id) as tx:
        tx.execute("UPDATE photos SET transcode_status = 'pending', duration_s = 3")
    now = [0.0]
    real = job.transcode_one

    def transcode_taking_25_s(*args: object) -> str | None:
        now[0] += 25.0  # the clock the guard reads: this transcode "took" 25 s of a 60 s budget
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(job, "transcode_one", transcode_taking_25_s)
    report = job.run(Scope.pipeline(event), blob_store(), WallClockGuard(60_000, clock=lambda: now[0]))
    assert (report.processed, report.remaining, report.done) == (1, 1, False)
    statuses = sorted(r["transcode_status"] for r in photos_by_name(event.id).values())
    assert statuses == ["completed", "pending"]


def test_analyze_spends_its_spare_time_on_videos_still_waiting_for_a_transcode(
    make_event, photo_dir, tmp_path
) -> None:
    from tests.helpers import scoped

    event = make_event("spare")
    import_files(
        Scope.pipeline(event), [photo_dir({"long.mp4": _clip(tmp_path, "l.mp4", "mpeg4", (320, 180))})]
    )
    run_pipeline(event, "analyze")
    with scoped(event.id) as tx:  # as if it had been too long to transcode inline
        tx.execute("UPDATE photos SET transcode_status = 'pending', playable_key = NULL")
    run_pipeline(event, "analyze")
    row = photos_by_name(event.id)["long.mp4"]
    assert (row["transcode_status"], row["playable_key"] is not None) == ("completed", True)
