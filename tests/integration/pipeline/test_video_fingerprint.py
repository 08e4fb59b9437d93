"""Given a video in the library, when the same bytes arrive again (an import under another name, an
upload to the bucket), then the fingerprint index (duration, size, width, height) finds it among the
event's videos and the content hash confirms it: nothing is added. A video with the same fingerprint
but other bytes is a candidate the hash refuses: it is a video of its own."""

from __future__ import annotations

from pathlib import Path

from eventlens.scope import Scope
from eventlens.sources.registry import content_of, duplicate_of
from eventlens.sources.service import import_files, ingest_object
from eventlens.storage import blob_store
from PIL import Image

from tests.fixtures_photos import real_image
from tests.helpers import scoped
from tests.integration.pipeline.conftest import photos_by_name


def _clip(tmp_path: Path) -> bytes:
    from eventlens.media.video import slideshow

    out = tmp_path / "clip.mp4"
    slideshow([real_image("chelsea"), Image.new("RGB", (64, 64), (90, 90, 90))], out, codec="mpeg4")
    return out.read_bytes()


def _twin(data: bytes) -> bytes:
    """The same size, header and length, one byte of picture data changed: another content."""
    at = data.find(b"mdat") + 200
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def test_a_video_is_registered_with_its_fingerprint_before_analyze(make_event, photo_dir, tmp_path) -> None:
    event = make_event("prints")
    import_files(Scope.pipeline(event), [photo_dir({"a.mp4": _clip(tmp_path)})])

    row = photos_by_name(event.id)["a.mp4"]
    assert row["analyze_status"] == "pending"
    assert (row["width"], row["height"], round(row["duration_s"])) == (640, 360, 2)


def test_the_same_video_again_is_found_by_fingerprint_and_confirmed_by_hash(
    make_event, photo_dir, tmp_path
) -> None:
    event = make_event("dupes")
    scope = Scope.pipeline(event)
    data = _clip(tmp_path)
    import_files(scope, [photo_dir({"keynote.mp4": data})])

    copy = tmp_path / "renamed" / "keynote-copy.mp4"
    copy.parent.mkdir()
    copy.write_bytes(data)
    again = import_files(scope, [copy])
    assert (again.added, again.skipped) == (0, 1)

    key = f"events/{event.slug}/originals/uploads/phone-copy.mp4"
    blob_store().put(key, data, "video/mp4")
    uploaded = ingest_object(None, key, blob_store().head(key).etag, len(data))
    assert uploaded.status == "alias"
    assert uploaded.photo_id == photos_by_name(event.id)["keynote.mp4"]["id"]
    assert list(photos_by_name(event.id)) == ["keynote.mp4"]


def test_a_fingerprint_twin_with_other_bytes_is_refused_by_the_hash(make_event, photo_dir, tmp_path) -> None:
    event = make_event("twins")
    scope = Scope.pipeline(event)
    data = _clip(tmp_path)
    twin = _twin(data)
    import_files(scope, [photo_dir({"a.mp4": data})])

    with scoped(event.id) as tx:
        content = content_of(twin, "")
        assert content.fingerprint == content_of(data, "").fingerprint  # stage 1: a candidate
        assert duplicate_of(tx, content) is None  # stage 2: the hash says no

    (tmp_path / "b.mp4").write_bytes(twin)
    report = import_files(scope, [tmp_path / "b.mp4"])
    assert report.added == 1
    assert sorted(photos_by_name(event.id)) == ["a.mp4", "b.mp4"]


def test_the_fingerprint_lookup_reads_the_fingerprint_index(
    make_event, photo_dir, tmp_path, owner_conn
) -> None:
    event = make_event("plan")
    data = _clip(tmp_path)
    import_files(Scope.pipeline(event), [photo_dir({"a.mp4": data})])
    fp = content_of(data, "").fingerprint
    assert fp is not None

    owner_conn.execute("SET enable_seqscan = off")
    plan = owner_conn.execute(
        "EXPLAIN SELECT id FROM photos WHERE event_id = %s AND kind = 'video'"
        " AND round(duration_s) = round(%s::double precision) AND size_bytes = %s AND width = %s AND height = %s",
        (event.id, fp.duration_s, len(data), fp.width, fp.height),
    ).fetchall()
    assert "photos_video_fingerprint" in " ".join(line for (line,) in plan)
