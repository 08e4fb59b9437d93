"""Given real photos imported into an event, when the full pipeline runs, then every photo is
analyzed, described, embedded and face-indexed, and a run cut short resumes without redoing work."""

from __future__ import annotations

from eventlens.jobs.service import pipeline_status
from eventlens.pipeline.graph import PHOTO_PHASES
from eventlens.pipeline.runner import run_pipeline
from eventlens.scope import Scope
from eventlens.sources.service import import_files
from eventlens.storage import blob_store

from tests.fixtures_photos import T1, real_jpeg, text_photo, video_mp4
from tests.helpers import scoped
from tests.integration.pipeline.conftest import faces_of, photos_by_name


def test_full_run_completes_every_photo_with_faces_text_hashes_and_thumbnails(make_event, photo_dir) -> None:
    event = make_event("full")
    folder = photo_dir(
        {
            "t1.jpg": T1.read_bytes(),
            "Keynote/astronaut.jpg": real_jpeg("astronaut"),
            "Lunch/coffee.jpg": real_jpeg("coffee"),
            "sign.jpg": text_photo("WELCOME TO EVENTLENS"),
            "clip.mp4": video_mp4(),
        }
    )
    report = import_files(Scope.pipeline(event), [folder])
    assert (report.added, report.skipped, report.errors) == (5, 0, [])

    progress: list[tuple[str, int, int]] = []
    results = run_pipeline(event, on_progress=lambda *a: progress.append(a))

    assert [r["phase"] for r in results] == [
        "sync",
        "scan",
        "analyze",
        "describe",
        "embed",
        "faces",
        "dedupe",
        "tag",
    ]
    assert all(r["done"] and r["errors"] == 0 for r in results), results
    photos = photos_by_name(event.id)
    for name, row in photos.items():
        assert [row[f"{p}_status"] for p in PHOTO_PHASES] == ["completed"] * 4, name
        assert row["dhash"] is not None, name
        assert row["embedding"] is not None, name
        assert set(row["thumbnails"]) == {"320", "640", "1920"}, name
        assert all(blob_store().exists(key) for key in row["thumbnails"].values()), name

    t1 = photos["t1.jpg"]
    faces = faces_of(event.id, t1["id"])
    assert t1["face_count"] == 6
    assert len(faces) == 6
    for face in faces:
        x, y, w, h = face["bbox"]
        assert 0 <= x < 1280
        assert 0 <= y < 886
        assert 10 < w < 400
        assert 10 < h < 400
        assert face["embedding"] is not None
        assert face["model"] == "sface"
    assert [f["face_index"] for f in faces_of(event.id, photos["coffee.jpg"]["id"])] == [-1]
    assert "WELCOME" in photos["sign.jpg"]["visible_text"].upper()
    assert photos["coffee.jpg"]["folder"] == "Lunch"
    assert photos["astronaut.jpg"]["auto_tag"] == "Stage & Keynotes"
    assert photos["t1.jpg"]["auto_tag"] == "Group Photos"

    clip = photos["clip.mp4"]
    assert clip["kind"] == "video"
    assert clip["mime"] == "video/mp4"
    assert (clip["width"], clip["height"], clip["has_audio"]) == (320, 240, True)
    assert 0.5 < clip["duration_s"] < 2

    assert ("analyze", 5, 5) in progress
    assert all(c.completed == 5 for c in pipeline_status(Scope.organizer(event, "test")).phases)


def test_interrupted_run_resumes_without_recomputing_or_duplicating_faces(make_event, photo_dir) -> None:
    event = make_event("resume")
    folder = photo_dir(
        {
            "t1.jpg": T1.read_bytes(),
            "b.jpg": real_jpeg("astronaut"),
            "c.jpg": real_jpeg("chelsea"),
            "d.jpg": real_jpeg("coffee"),
        }
    )
    import_files(Scope.pipeline(event), [folder])

    first = run_pipeline(event, budget_ms=1)  # the budget runs out inside analyze

    assert first[-1]["phase"] == "analyze"
    assert not first[-1]["done"]
    done_first = first[-1]["processed"]
    assert 1 <= done_first < 4
    assert first[-1]["remaining"] == 4 - done_first
    before = {
        name: row for name, row in photos_by_name(event.id).items() if row["analyze_status"] == "completed"
    }
    faces_before = {name: [f["id"] for f in faces_of(event.id, row["id"])] for name, row in before.items()}
    # A process killed mid-photo leaves its row `processing`: the next run takes it back.
    with scoped(event.id) as conn:
        conn.execute(
            "UPDATE photos SET analyze_status = 'processing' WHERE analyze_status = 'pending' "
            "AND filename = (SELECT min(filename) FROM photos WHERE analyze_status = 'pending')"
        )

    second = run_pipeline(event)

    analyze = next(r for r in second if r["phase"] == "analyze")
    assert analyze["processed"] == 4 - done_first  # nothing analyzed twice
    assert all(r["done"] for r in second)
    after = photos_by_name(event.id)
    for name, row in before.items():
        assert after[name]["thumbnails"] == row["thumbnails"]
        assert [f["id"] for f in faces_of(event.id, row["id"])] == faces_before[name]  # same rows, not redone
    assert len(faces_of(event.id, after["t1.jpg"]["id"])) == 6
    with scoped(event.id) as conn:
        dupes = conn.execute(
            "SELECT photo_id, face_index FROM face_embeddings GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall()
    assert dupes == []
    assert all(row["faces_status"] == "completed" for row in after.values())
