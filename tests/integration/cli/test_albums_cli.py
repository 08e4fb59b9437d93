"""The album CLI twins: list, review queue, decision (audited), subjects."""

from __future__ import annotations

from click.testing import CliRunner
from eventlens.cli import main

from tests.fixtures_photos import real_jpeg
from tests.helpers import stored_photo


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


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
