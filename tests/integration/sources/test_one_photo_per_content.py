"""One content, one photo per event, kept by the database (migration 0011): files with the same
bytes, however they arrive and however many writers register them at once, are one photo and
that photo's aliases; nothing is lost and a re-sync adds nothing."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from eventlens.db.migrate import upgrade
from eventlens.pipeline.runner import run_phase, run_pipeline
from eventlens.scope import Scope
from eventlens.sources.service import import_files, ingest_object
from eventlens.storage import blob_store

from tests.fixtures_photos import real_jpeg
from tests.helpers import scoped

SCENES = ("astronaut", "coffee", "chelsea", "rocket", "cat")


def distinct_photos(n: int) -> list[bytes]:
    """n real photos, each with bytes of its own (different sizes)."""
    return [real_jpeg(SCENES[i % len(SCENES)], (160 + 4 * i, 120)) for i in range(n)]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def photos_of(event_id: UUID) -> dict[str, dict]:
    """source_key -> the photo row."""
    with scoped(event_id) as tx:
        return {r["source_key"]: r for r in tx.execute("SELECT * FROM photos").fetchall()}


def aliases_of(event_id: UUID) -> dict[str, UUID]:
    """source_key -> the photo it is an alias of."""
    with scoped(event_id) as tx:
        rows = tx.execute("SELECT source_key, photo_id FROM photo_aliases").fetchall()
    return {r["source_key"]: r["photo_id"] for r in rows}


def all_at_once(*work: Callable[[], object]) -> None:
    """Each callable in a thread of its own (each transaction on a pooled connection of its own),
    released together; re-raises the first failure."""
    start = threading.Barrier(len(work))
    failures: list[BaseException] = []

    def run(fn: Callable[[], object]) -> None:
        try:
            start.wait(timeout=60)
            fn()
        except BaseException as exc:  # handed to the test thread below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not any(t.is_alive() for t in threads)
    if failures:
        raise failures[0]


def assert_one_photo_per_content(event_id: UUID, prefix: str) -> tuple[dict[str, dict], dict[str, UUID]]:
    """Every object under the originals is a photo or an alias of the photo with its bytes."""
    store = blob_store()
    photos, aliases = photos_of(event_id), aliases_of(event_id)
    hashes = [row["content_hash"] for row in photos.values()]
    assert len(hashes) == len(set(hashes))
    assert not set(photos) & set(aliases)
    assert {info.key for info in store.list(prefix)} == set(photos) | set(aliases)
    by_id = {row["id"]: row for row in photos.values()}
    for key, photo_id in aliases.items():
        assert sha256(store.get(key)) == by_id[photo_id]["content_hash"], key
    for key, row in photos.items():
        assert sha256(store.get(key)) == row["content_hash"], key
    return photos, aliases


@pytest.mark.parametrize("third", ["the folder", "its parent"])
def test_three_concurrent_ingests_of_one_folder_give_exactly_one_photo_per_distinct_content(
    make_event, photo_dir, third: str
) -> None:
    """Before: each import saw no photo for a content another was adding, chose `name (2).jpg`,
    and added it again (69 photos for 66 files). Given the parent, an import names the same files
    `photos/<name>`: other keys, the same bytes."""
    event = make_event("three-ingests")
    contents = distinct_photos(24)
    files = {f"p{i:02d}.jpg": data for i, data in enumerate(contents)}
    files["Day 2/p00 copy.jpg"] = contents[0]
    folder = photo_dir(files)
    reports = []

    def ingest(path: Path) -> Callable[[], None]:
        return lambda: reports.append(import_files(Scope.pipeline(event), [path]))

    all_at_once(ingest(folder), ingest(folder), ingest(folder if third == "the folder" else folder.parent))

    photos, _ = assert_one_photo_per_content(event.id, "events/three-ingests/originals/")
    assert sorted(row["content_hash"] for row in photos.values()) == sorted(map(sha256, contents))
    assert [r.errors for r in reports] == [[], [], []]
    assert sum(r.added for r in reports) == len(contents)
    assert sum(r.added + r.skipped for r in reports) == 3 * len(files)


def test_two_files_with_the_same_bytes_give_one_photo_with_an_alias(make_event) -> None:
    event = make_event("same-bytes")
    store, prefix = blob_store(), "events/same-bytes/originals/"
    photo = real_jpeg("chelsea")
    first = store.put(prefix + "a.jpg", photo)
    second = store.put(prefix + "Day 2/a copy.jpg", photo)

    added = ingest_object(None, prefix + "a.jpg", first.etag, first.size)
    aliased = ingest_object(None, prefix + "Day 2/a copy.jpg", second.etag, second.size)
    again = ingest_object(None, prefix + "Day 2/a copy.jpg", second.etag, second.size)

    assert (added.status, aliased.status, again.status) == ("added", "alias", "unchanged")
    assert added.photo_id == aliased.photo_id == again.photo_id
    assert list(photos_of(event.id)) == [prefix + "a.jpg"]
    assert aliases_of(event.id) == {prefix + "Day 2/a copy.jpg": added.photo_id}
    # A re-sync neither deletes the alias nor registers it again.
    resync = run_pipeline(event, "sync") + run_pipeline(event, "scan")
    assert [r["processed"] for r in resync] == [0, 0]
    assert_one_photo_per_content(event.id, prefix)
    assert aliases_of(event.id) == {prefix + "Day 2/a copy.jpg": added.photo_id}


def test_a_photo_whose_file_is_deleted_moves_to_a_file_with_the_same_bytes(make_event) -> None:
    event = make_event("alias-left")
    store, prefix = blob_store(), "events/alias-left/originals/"
    photo = real_jpeg("astronaut")
    store.put(prefix + "a.jpg", photo)
    store.put(prefix + "backup/a.jpg", photo)
    run_pipeline(event, "scan")
    run_pipeline(event, "analyze")
    before = photos_of(event.id)[prefix + "a.jpg"]
    assert aliases_of(event.id) == {prefix + "backup/a.jpg": before["id"]}

    store.delete(prefix + "a.jpg")
    moved = run_phase(event, "sync", 60_000)

    assert moved["processed"] == 1
    (after,) = photos_of(event.id).values()
    assert (after["id"], after["source_key"], after["folder"]) == (
        before["id"],
        prefix + "backup/a.jpg",
        "backup",
    )
    assert all(after[k] == before[k] for k in ("dhash", "thumbnails", "width", "analyze_status"))
    assert aliases_of(event.id) == {}
    assert run_phase(event, "scan", 60_000)["processed"] == 0

    store.delete(prefix + "backup/a.jpg")  # the last file with these bytes
    run_phase(event, "sync", 60_000)
    assert photos_of(event.id) == {}
    assert not any(store.exists(k) for k in before["thumbnails"].values())


def test_files_replaced_in_place_keep_one_photo_per_content(make_event) -> None:
    """An alias that takes bytes of its own is a photo; a replaced photo whose old bytes live on
    under an alias moves there; a file that takes another photo's bytes becomes its alias."""
    event = make_event("replaced")
    store, prefix = blob_store(), "events/replaced/originals/"
    x, y, z, w = distinct_photos(4)

    def put(name: str, data: bytes):
        info = store.put(prefix + name, data)
        return ingest_object(None, prefix + name, info.etag, info.size)

    a, b = put("a.jpg", x), put("b.jpg", y)
    assert [put("a-copy.jpg", x).status, put("b-copy.jpg", y).status] == ["alias", "alias"]

    a_copy = put("a-copy.jpg", w)  # the alias now holds other bytes: a photo of its own
    b_new = put("b.jpg", z)  # b's old bytes are b-copy's: the photo moves there
    a_taken = put("a.jpg", z)  # a takes b's new bytes: its own are gone, a.jpg is an alias

    assert (a_copy.status, b_new.status, a_taken.status) == ("added", "added", "alias")
    photos = {key.removeprefix(prefix): row["id"] for key, row in photos_of(event.id).items()}
    assert photos == {"a-copy.jpg": a_copy.photo_id, "b-copy.jpg": b.photo_id, "b.jpg": b_new.photo_id}
    assert a.photo_id not in photos.values()
    assert aliases_of(event.id) == {prefix + "a.jpg": b_new.photo_id}
    assert_one_photo_per_content(event.id, prefix)


def test_two_concurrent_pipeline_runs_and_an_import_converge_on_one_photo_per_content(
    make_event, photo_dir
) -> None:
    event = make_event("converge")
    store, prefix = blob_store(), "events/converge/originals/"
    contents = distinct_photos(16)
    for i, data in enumerate(contents[:10]):  # two cameras' cards, copied to the bucket twice
        store.put(prefix + f"cam1/p{i}.jpg", data)
        store.put(prefix + f"cam2/p{i}.jpg", data)
    folder = photo_dir({f"p{i}.jpg": data for i, data in enumerate(contents[4:])})

    def pipeline() -> None:
        run_pipeline(event, "sync")
        run_pipeline(event, "scan")

    all_at_once(pipeline, pipeline, lambda: import_files(Scope.pipeline(event), [folder]))

    photos, _ = assert_one_photo_per_content(event.id, prefix)
    assert sorted(row["content_hash"] for row in photos.values()) == sorted(map(sha256, contents))
    resync = run_pipeline(event, "sync") + run_pipeline(event, "scan")
    assert [r["processed"] for r in resync] == [0, 0]
    assert photos_of(event.id).keys() == photos.keys()


def test_upgrading_merges_photos_with_the_same_bytes_into_the_earliest_visible_one(db_url: str) -> None:
    """0011 on an event that already holds copies: one photo stays, the others' keys become its
    aliases and their faces go with them; another event's copy of the bytes is its own photo."""
    upgrade(db_url, to=10)
    with psycopg.connect(db_url, autocommit=True) as conn:
        event, other_event = (
            conn.execute(
                "INSERT INTO events (slug, name) VALUES (%s, %s) RETURNING id", (slug, slug)
            ).fetchone()[0]
            for slug in ("merged", "elsewhere")
        )

        def photo(
            event_id: UUID, key: str, content: str, age_s: int, hidden: bool = False, **extra: str
        ) -> UUID:
            return conn.execute(
                "INSERT INTO photos (event_id, source_key, content_hash, filename, hidden, etag, created_at,"
                " duplicate_cluster, duplicate_kind)"
                " VALUES (%s, %s, %s, %s, %s, %s, now() - make_interval(secs => %s), %s, %s) RETURNING id",
                (
                    event_id,
                    key,
                    content,
                    key,
                    hidden,
                    "etag-" + key,
                    age_s,
                    extra.get("cluster"),
                    extra.get("kind"),
                ),
            ).fetchone()[0]

        exact = {"cluster": "exact-h1", "kind": "exact"}
        hidden_first = photo(event, "first.jpg", "h1", 300, hidden=True, **exact)
        kept = photo(event, "second.jpg", "h1", 200, **exact)
        third = photo(event, "third.jpg", "h1", 100, **exact)
        lone = photo(event, "lone.jpg", "h2", 400, cluster="near-lone", kind="near")
        elsewhere = photo(other_event, "first.jpg", "h1", 500)
        for photo_id in (kept, third):
            conn.execute(
                "INSERT INTO face_embeddings (event_id, photo_id, face_index, model) VALUES (%s, %s, -1, 'sface')",
                (event, photo_id),
            )

        assert [name for name in upgrade(db_url) if name.startswith("0011")] == [
            "0011_one_photo_per_content.sql"
        ]

        rows = conn.execute(
            "SELECT id, source_key, duplicate_cluster, duplicate_kind FROM photos WHERE event_id = %s ORDER BY 2",
            (event,),
        ).fetchall()
        assert rows == [(lone, "lone.jpg", "near-lone", "near"), (kept, "second.jpg", None, None)]
        aliases = conn.execute(
            "SELECT source_key, photo_id, etag FROM photo_aliases WHERE event_id = %s ORDER BY 1", (event,)
        ).fetchall()
        assert aliases == [("first.jpg", kept, "etag-first.jpg"), ("third.jpg", kept, "etag-third.jpg")]
        faces = conn.execute("SELECT photo_id FROM face_embeddings WHERE event_id = %s", (event,)).fetchall()
        assert faces == [(kept,)]
        assert hidden_first != kept
        assert conn.execute("SELECT id FROM photos WHERE event_id = %s", (other_event,)).fetchall() == [
            (elsewhere,)
        ]
        with pytest.raises(psycopg.errors.UniqueViolation, match="photos_one_per_content"):
            photo(event, "fourth.jpg", "h1", 0)


def test_aliases_are_read_and_written_by_the_events_staff_only(make_event, owner_conn) -> None:
    from eventlens import db

    event, other = make_event("own"), make_event("other")
    photo_id = owner_conn.execute(
        "INSERT INTO photos (event_id, source_key, content_hash, filename) VALUES (%s, 'k', 'h', 'k') RETURNING id",
        (event.id,),
    ).fetchone()[0]
    owner_conn.execute(
        "INSERT INTO photo_aliases (event_id, source_key, photo_id) VALUES (%s, 'copy', %s)",
        (event.id, photo_id),
    )

    def visible(event_id: UUID, actor: str, role: str | None = None) -> int:
        with db.transaction(event_id, actor, role=role) as tx:
            return tx.execute("SELECT count(*) AS n FROM photo_aliases").fetchone()["n"]

    assert [visible(event.id, actor) for actor in ("pipeline", "system")] == [1, 1]
    assert visible(event.id, "organizer", "EDITOR") == 1  # event.inspect
    assert visible(event.id, "organizer", "CONTRIBUTOR") == 0
    assert visible(event.id, "visitor") == 0
    assert visible(other.id, "system") == 0
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction(event.id, "visitor") as tx:
        tx.execute(
            "INSERT INTO photo_aliases (event_id, source_key, photo_id) VALUES (%s, 'x', %s)",
            (event.id, photo_id),
        )
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction(other.id, "pipeline") as tx:
        tx.execute(
            "INSERT INTO photo_aliases (event_id, source_key, photo_id) VALUES (%s, 'x', %s)",
            (event.id, photo_id),
        )
