"""Given objects that move, vanish, repeat or arrive by upload event, the pipeline reconciles
them: moves keep every derived field, deletions take their faces along, near duplicates are
clustered and exact copies listed, and uploads register once per key and ETag."""

from __future__ import annotations

import io

from eventlens.dedupe.service import duplicate_clusters
from eventlens.pipeline.runner import run_phase, run_pipeline
from eventlens.scope import Scope
from eventlens.sources.service import import_files, ingest_object
from eventlens.storage import blob_store
from PIL import Image

from tests.fixtures_photos import T1, jpeg, real_jpeg
from tests.helpers import scoped
from tests.integration.pipeline.conftest import faces_of, photos_by_name

DERIVED = (
    "dhash",
    "thumbnails",
    "width",
    "height",
    "face_count",
    "visible_text",
    "scene_description",
    "nsfw_score",
    "embedding_model",
    "analyze_status",
    "faces_status",
    "embed_status",
)


def test_sync_keeps_derived_fields_of_a_moved_photo_and_removes_a_deleted_one(make_event, photo_dir) -> None:
    event = make_event("sync")
    import_files(
        Scope.pipeline(event),
        [
            photo_dir(
                {
                    "t1.jpg": T1.read_bytes(),
                    "gone.jpg": real_jpeg("astronaut"),
                    "stay.jpg": real_jpeg("coffee"),
                }
            )
        ],
    )
    run_pipeline(event)
    before = photos_by_name(event.id)
    faces_before = [f["id"] for f in faces_of(event.id, before["t1.jpg"]["id"])]
    store, prefix = blob_store(), "events/sync/originals/"
    store.put(prefix + "Day 2/group.jpg", store.get(prefix + "t1.jpg"))  # a move: copy, then delete
    store.delete(prefix + "t1.jpg")
    store.delete(prefix + "gone.jpg")

    results = run_pipeline(event)

    assert results[0] == {"phase": "sync", "processed": 2, "remaining": 0, "errors": 0, "done": True}
    assert next(r for r in results if r["phase"] == "analyze")["processed"] == 0  # nothing recomputed
    after = photos_by_name(event.id)
    assert set(after) == {"group.jpg", "stay.jpg"}
    moved = after["group.jpg"]
    assert moved["id"] == before["t1.jpg"]["id"]
    assert moved["folder"] == "Day 2"
    assert moved["source_key"] == prefix + "Day 2/group.jpg"
    assert all(moved[k] == before["t1.jpg"][k] for k in DERIVED if k != "embedding_model")
    assert [f["id"] for f in faces_of(event.id, moved["id"])] == faces_before
    assert faces_of(event.id, before["gone.jpg"]["id"]) == []
    assert not any(store.exists(k) for k in before["gone.jpg"]["thumbnails"].values())


def test_sync_keeps_the_analyzed_row_when_an_upload_event_registered_the_new_key_first(
    make_event, photo_dir
) -> None:
    event = make_event("moved-upload")
    import_files(Scope.pipeline(event), [photo_dir({"a.jpg": real_jpeg("chelsea")})])
    run_pipeline(event)
    original = photos_by_name(event.id)["a.jpg"]
    store, prefix = blob_store(), "events/moved-upload/originals/"
    info = store.put(prefix + "b.jpg", store.get(prefix + "a.jpg"))
    ingest_object(None, prefix + "b.jpg", info.etag, info.size)
    store.delete(prefix + "a.jpg")

    run_phase(event, "sync", 60_000)

    rows = photos_by_name(event.id)
    assert list(rows) == ["b.jpg"]
    assert rows["b.jpg"]["id"] == original["id"]
    assert rows["b.jpg"]["analyze_status"] == "completed"
    assert rows["b.jpg"]["dhash"] == original["dhash"]


def test_dedupe_clusters_a_near_duplicate_lists_an_exact_copy_and_hides_nothing(make_event) -> None:
    event = make_event("dupes")
    store, prefix = blob_store(), "events/dupes/originals/"
    photo = real_jpeg("astronaut")
    near = jpeg(Image.open(io.BytesIO(photo)).resize((500, 500)), quality=60)  # re-saved smaller
    for name, data in {
        "a.jpg": photo,
        "copy/a.jpg": photo,
        "a-small.jpg": near,
        "other.jpg": real_jpeg("coffee"),
    }.items():
        store.put(prefix + name, data)

    results = run_pipeline(event)

    assert next(r for r in results if r["phase"] == "scan")["processed"] == 4
    with scoped(event.id) as conn:
        rows = {
            r["source_key"].removeprefix(prefix): r for r in conn.execute("SELECT * FROM photos").fetchall()
        }
    assert set(rows) == {"a.jpg", "a-small.jpg", "other.jpg"}  # copy/a.jpg is a's alias
    assert {rows[k]["duplicate_kind"] for k in ("a.jpg", "a-small.jpg")} == {"near"}
    clusters = {rows[k]["duplicate_cluster"] for k in ("a.jpg", "a-small.jpg")}
    assert len(clusters) == 1
    assert None not in clusters
    assert rows["other.jpg"]["duplicate_cluster"] is None
    assert rows["other.jpg"]["duplicate_kind"] is None
    assert not any(r["hidden"] for r in rows.values())
    listed = duplicate_clusters(Scope.organizer(event, "test"))
    assert [(c.photo.id, c.aliases) for c in listed.exact_copies] == [
        (rows["a.jpg"]["id"], [prefix + "copy/a.jpg"])
    ]
    assert run_phase(event, "dedupe", 10_000)["done"]  # a re-run changes nothing
    with scoped(event.id) as conn:
        again = {
            r["source_key"].removeprefix(prefix): r["duplicate_cluster"]
            for r in conn.execute("SELECT source_key, duplicate_cluster FROM photos").fetchall()
        }
    assert again == {k: r["duplicate_cluster"] for k, r in rows.items()}


def test_ingest_object_registers_an_upload_once_per_key_and_etag(make_event) -> None:
    event = make_event("uploads")
    store, key = blob_store(), "events/uploads/originals/Stage/talk.jpg"
    info = store.put(key, real_jpeg("astronaut"))

    first = ingest_object("bucket", key, f'"{info.etag}"', info.size)
    again = ingest_object("bucket", key, info.etag, info.size)  # multipart uploads send two events
    replaced = store.put(key, real_jpeg("coffee"))
    changed = ingest_object("bucket", key, replaced.etag, replaced.size)
    elsewhere = ingest_object("bucket", "events/uploads/thumbs/x/320.jpg", "e", 1)
    unknown = ingest_object("bucket", "events/nope/originals/a.jpg", "e", 1)

    assert first.status == "added"
    assert first.event_id == event.id
    assert again.status == "unchanged"
    assert again.photo_id == first.photo_id
    assert changed.status == "updated"
    assert changed.photo_id == first.photo_id
    assert elsewhere.status == unknown.status == "ignored"
    row = photos_by_name(event.id)["talk.jpg"]
    assert (row["folder"], row["kind"], row["mime"], row["analyze_status"]) == (
        "Stage",
        "photo",
        "image/jpeg",
        "pending",
    )


def test_import_skips_exact_reimports_by_content(make_event, photo_dir, tmp_path) -> None:
    event = make_event("reimport")
    folder = photo_dir({"a.jpg": real_jpeg("chelsea"), "b.jpg": real_jpeg("coffee")})
    assert import_files(Scope.pipeline(event), [folder]).added == 2
    renamed = tmp_path / "again.jpg"
    renamed.write_bytes((folder / "a.jpg").read_bytes())

    report = import_files(Scope.pipeline(event), [folder, renamed])

    assert (report.added, report.skipped, report.errors) == (0, 3, [])
