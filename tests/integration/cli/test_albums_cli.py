"""The album CLI twins: list, review queue, decision (audited), subjects; a resumable upload of a
local file (an interrupted run continues from the stored parts), item tags, more like this."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from eventlens.albums.service import PART_SIZE
from eventlens.cli import main
from eventlens.storage import blob_store

from tests.fixtures_photos import large_jpeg, real_jpeg
from tests.helpers import stored_photo


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _json(*args: str) -> tuple[object, str]:
    """`--json`'s stdout as parsed, and what the command said on stderr."""
    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_the_operator_lists_albums_reviews_and_decides(db: str, make_event, owner_conn) -> None:
    event = make_event("fest")
    album = owner_conn.execute(
        "INSERT INTO albums (organization_id, event_id, title) VALUES (%s, %s, 'Backstage') RETURNING id",
        (event.organization_id, event.id),
    ).fetchone()[0]
    photo = stored_photo(event.id, "a.jpg", real_jpeg("coffee", (320, 240)))
    obj = owner_conn.execute(
        "INSERT INTO stored_objects (organization_id, key, photo_id, owned) VALUES (%s, %s, %s, false) RETURNING id",
        (event.organization_id, photo.source_key, photo.id),
    ).fetchone()[0]
    item = owner_conn.execute(
        "INSERT INTO album_items (album_id, event_id, object_id) VALUES (%s, %s, %s) RETURNING id",
        (album, event.id, obj),
    ).fetchone()[0]

    code, out = _run("albums", "list", "--event", "fest")
    assert code == 0
    assert "Backstage" in out
    assert out.strip().endswith("1 albums")
    code, out = _run("albums", "review", "--event", "fest")
    assert str(item) in out
    code, out = _run("albums", "decide", str(item), "--event", "fest", "--reject", "--reason", "blurry")
    assert (code, out.strip()) == (0, f"{item} rejected")
    assert _run("albums", "review", "--event", "fest")[1].strip() == "0 items to review"
    reason = owner_conn.execute("SELECT reason FROM album_items WHERE id = %s", (item,)).fetchone()[0]
    assert reason == "blurry"
    audited = owner_conn.execute(
        "SELECT action, target FROM audit_log WHERE action = 'album_item_reject'"
    ).fetchall()
    assert audited == [("album_item_reject", str(item))]

    code, out = _run("subjects", "create", "Main stage", "--event", "fest", "--kind", "place")
    assert code == 0
    assert "place Main stage" in out
    assert "Main stage" in _run("subjects", "list", "--event", "fest")[1]


def test_an_upload_from_the_command_line_resumes_from_the_stored_parts(
    db: str, make_event, owner_conn, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    event = make_event("fest")
    album = owner_conn.execute(
        "INSERT INTO albums (organization_id, event_id, title, contribution_policy)"
        " VALUES (%s, %s, 'Backstage', 'CLOSED') RETURNING id",
        (event.organization_id, event.id),
    ).fetchone()[0]
    data = large_jpeg()
    parts = -(-len(data) // PART_SIZE)
    assert parts >= 3
    photo = tmp_path / "large.jpg"
    photo.write_bytes(data)
    upload = ("albums", "upload", str(photo), "--album", str(album), "--event", "fest")

    code, out = _run(*upload, "--max-parts", "1")
    assert (code, out.strip()) == (0, "stopped after 1 parts: run the command again to continue")
    assert owner_conn.execute("SELECT count(*) FROM album_items").fetchone()[0] == 0
    item, said = _json(*upload)
    assert said.strip() == f"resuming: 1 of {parts} parts stored"
    assert isinstance(item, dict)
    assert (item["album_id"], item["status"], item["contributor_id"]) == (str(album), "pending", None)
    key = owner_conn.execute(
        "SELECT o.key FROM album_items i JOIN stored_objects o ON o.id = i.object_id WHERE i.id = %s",
        (item["id"],),
    ).fetchone()[0]
    assert blob_store().get(key) == data
    assert not list((tmp_path / "cache" / "eventlens" / "uploads").iterdir()), "done: nothing to resume"

    code, out = _run(*upload)
    assert code == 0
    assert "rejected: duplicate of item " + item["id"] in out, "the gate: an exact copy is refused"


def test_tags_and_more_like_this_from_the_command_line(
    db: str, make_event, owner_conn, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    event = make_event("fest")
    album = owner_conn.execute(
        "INSERT INTO albums (organization_id, event_id, title) VALUES (%s, %s, 'Backstage') RETURNING id",
        (event.organization_id, event.id),
    ).fetchone()[0]
    items = {}
    for name in ("coffee", "chelsea", "astronaut"):
        path = tmp_path / f"{name}.jpg"
        path.write_bytes(real_jpeg(name))
        code, out = _run("albums", "upload", str(path), "--album", str(album), "--event", "fest", "--json")
        assert code == 0, out
        items[name] = json.loads(out)["id"]
        assert _run("albums", "decide", items[name], "--event", "fest", "--approve")[0] == 0
    where = ("--album", str(album), "--event", "fest")

    code, out = _run("albums", "tag", items["coffee"], "  Stage  ", *where)
    assert (code, out.strip()) == (0, "stage")
    assert _run("albums", "tag", items["coffee"], "espresso", *where)[1].strip() == "espresso stage"
    assert _run("albums", "tags", items["coffee"], *where)[1].split() == ["espresso", "stage"]
    code, out = _run("albums", "untag", items["coffee"], "stage", *where)
    assert code == 0
    assert _run("albums", "tags", items["coffee"], *where)[1].split() == ["espresso"]
    code, out = _run("albums", "untag", items["coffee"], "stage", *where)
    assert code == 1
    assert "no tag 'stage'" in out

    code, out = _run("albums", "similar", items["chelsea"], *where, "--json")
    assert code == 0, out
    near = json.loads(out)
    assert {i["id"] for i in near["items"]} == {items["coffee"], items["astronaut"]}
    code, out = _run("albums", "similar", items["chelsea"], *where)
    assert out.strip().endswith("2 items, 0 photos")
    other = "00000000-0000-0000-0000-000000000001"
    code, out = _run("albums", "similar", items["chelsea"], "--album", other, "--event", "fest")
    assert code == 1
    assert "no item" in out
