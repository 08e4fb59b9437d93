"""A folder ingest accounts for every file it was given: what became a photo is `added`, what is
already there `skipped`, what it leaves out on purpose `ignored` with why, what failed `errors`."""

from __future__ import annotations

import dataclasses
import os

from eventlens.scope import Scope
from eventlens.sources.service import import_files
from eventlens.storage import blob_store

from tests.fixtures_photos import real_jpeg
from tests.integration.pipeline.conftest import photos_by_name


def stored_originals(slug: str) -> list[str]:
    prefix = f"events/{slug}/originals/"
    return sorted(info.key[len(prefix) :] for info in blob_store().list(prefix))


def test_folder_ingest_reports_what_it_ignores_and_adds_only_photos(make_event, photo_dir) -> None:
    event = make_event("dotfiles")
    folder = photo_dir(
        {
            "a.jpg": real_jpeg("chelsea", (320, 200)),
            "Day 1/b.jpg": real_jpeg("coffee", (320, 200)),
            ".DS_Store": b"\0\0\0\1Bud1" + b"\0" * 64,  # Finder's folder settings
            "Day 1/._b.jpg": b"\0\5\26\7" + b"\0" * 60,  # macOS AppleDouble metadata of b.jpg
            "Day 1/.hidden.jpg": real_jpeg("astronaut", (320, 200)),  # a real photo, hidden by its owner
            ".thumbnails/a.jpg": real_jpeg("rocket", (320, 200)),  # a viewer's cache folder
            ".thumbnails/small/a.jpg": real_jpeg("rocket", (160, 100)),
        }
    )
    (folder / ".empty").mkdir()  # holds nothing: nothing to report
    (folder / "Day 1" / "gone.jpg").symlink_to(folder / "nowhere.jpg")  # a broken link

    report = import_files(Scope.pipeline(event), [folder])

    assert (report.added, report.skipped, report.errors) == (2, 0, [])
    assert sorted(report.ignored) == [
        f"{folder / '.DS_Store'}: hidden file (name starts with '.')",
        f"{folder / '.thumbnails'}: hidden folder (name starts with '.'), 2 file(s) not imported",
        f"{folder / 'Day 1' / '._b.jpg'}: hidden file (name starts with '.')",
        f"{folder / 'Day 1' / '.hidden.jpg'}: hidden file (name starts with '.')",
        f"{folder / 'Day 1' / 'gone.jpg'}: not a regular file (a broken link, a pipe or a device)",
    ]
    assert sorted(photos_by_name(event.id)) == ["a.jpg", "b.jpg"]
    assert stored_originals("dotfiles") == ["Day 1/b.jpg", "a.jpg"]


def test_a_dot_file_named_on_its_own_is_ignored_not_added(make_event, photo_dir) -> None:
    """`eventlens ingest .DS_Store` used to store the blob and say `added 1`, with no photo."""
    event = make_event("dotfile")
    folder = photo_dir({".DS_Store": b"\0\0\0\1Bud1" + b"\0" * 64})

    report = import_files(Scope.pipeline(event), [folder / ".DS_Store"])

    assert (report.added, report.skipped, report.errors) == (0, 0, [])
    assert report.ignored == [f"{folder / '.DS_Store'}: hidden file (name starts with '.')"]
    assert photos_by_name(event.id) == {}
    assert stored_originals("dotfile") == []


def test_the_report_keeps_its_json_shape_and_adds_ignored(make_event, photo_dir) -> None:
    event = make_event("shape")
    folder = photo_dir({"a.jpg": real_jpeg("coffee", (320, 200)), ".DS_Store": b"\0"})
    first = import_files(Scope.pipeline(event), [folder])
    again = import_files(Scope.pipeline(event), [folder])

    assert dataclasses.asdict(first) == {
        "added": 1,
        "skipped": 0,
        "errors": [],
        "ignored": [f"{folder / '.DS_Store'}: hidden file (name starts with '.')"],
    }
    assert (again.added, again.skipped, len(again.ignored)) == (0, 1, 1)
    assert os.path.exists(folder / ".DS_Store")  # left where it was: nothing is deleted at the source


def test_an_ingest_refuses_active_and_undecodable_files_by_their_bytes(make_event, photo_dir) -> None:
    """Stored XSS class: an SVG, an HTML page (even named .jpg) is never stored; a HEIC is said to
    be unprocessable; a JPEG with HTML appended is a JPEG (and served as one, sandboxed)."""
    event = make_event("active")
    heic = b"\0\0\0\x18ftypheic" + b"\0" * 64
    folder = photo_dir(
        {
            "script.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "page.jpg": b"<html><script>alert(1)</script></html>",
            "IMG_1.HEIC": heic,
            "polyglot.jpg": real_jpeg("coffee", (64, 40)) + b"<html><script>alert(1)</script></html>",
        }
    )

    report = import_files(Scope.pipeline(event), [folder])

    assert (report.added, report.errors) == (1, [])
    reasons = {line.split(": ", 1)[0].rsplit("/", 1)[-1]: line.split(": ", 1)[1] for line in report.ignored}
    assert set(reasons) == {"script.svg", "page.jpg", "IMG_1.HEIC"}
    assert reasons["script.svg"].startswith("markup")
    assert reasons["page.jpg"].startswith("markup")
    assert reasons["IMG_1.HEIC"].startswith("HEIC photos cannot be processed")
    assert stored_originals("active") == ["polyglot.jpg"]
    assert photos_by_name(event.id)["polyglot.jpg"]["mime"] == "image/jpeg"
