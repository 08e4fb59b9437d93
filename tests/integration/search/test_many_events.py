"""Many events in one database: each event's kNN reads its own rows (migration 0013).

A small event's faces and photos are read by the event index and every distance is computed; a
large event is named as a constant so its own HNSW index serves it. The bound is lowered here with
`eventlens.event_index_min_rows` so a few hundred rows make an event large.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID, uuid4

import numpy as np
import psycopg
import pytest
from eventlens.db.photos import PhotoFilter
from eventlens.findme import repo as findme_repo
from eventlens.scope import Scope
from eventlens.search import repo as search_repo
from eventlens.types import Event

LARGE = 200
"""Rows from which an event counts as large in these tests."""


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def vector(values: np.ndarray) -> str:
    return "[" + ",".join(f"{v:.7g}" for v in values) + "]"


class Recording:
    """A transaction that keeps every statement it runs, so a test can EXPLAIN the kNN it ran."""

    def __init__(self, tx: Any) -> None:
        self.tx = tx
        self.statements: list[tuple[Any, Any]] = []

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        self.statements.append((query, params))
        return self.tx.execute(query, params, **kwargs)

    def plan(self, containing: str) -> str:
        """The plan of the last statement whose text contains `containing`."""
        query, params = next((q, p) for q, p in reversed(self.statements) if containing in _text(self.tx, q))
        rows = self.tx.execute(b"EXPLAIN " + _text(self.tx, query).encode(), params).fetchall()
        return "\n".join(next(iter(r.values())) for r in rows)


def _text(tx: Any, query: Any) -> str:
    return query if isinstance(query, str) else query.as_string(tx)


@pytest.fixture
def seed(owner_conn: psycopg.Connection) -> Callable[..., dict[str, Any]]:
    """An event's photos (MiniLM-sized vectors) and faces: `person` in `mine` photos, strangers in
    the others (one face each), some photos hidden. Returns the person's face vector and ids."""
    rng = np.random.default_rng(7)

    def make(event: Event, photos: int, mine: int, hidden: int = 0) -> dict[str, Any]:
        person = unit(rng.normal(size=128))
        topic = unit(rng.normal(size=384))
        ids: list[UUID] = []
        with owner_conn.cursor() as cur:
            for i in range(photos):
                photo_id = uuid4()
                ids.append(photo_id)
                text_vector = unit(topic + rng.normal(scale=0.5, size=384))
                cur.execute(
                    "INSERT INTO photos (id, event_id, source_key, content_hash, filename, face_count, hidden,"
                    " embedding, embedding_model, analyze_status, describe_status, embed_status, faces_status)"
                    " VALUES (%s, %s, %s, %s, %s, 1, %s, %s::vector, 'minilm-l6-v2',"
                    " 'completed', 'completed', 'completed', 'completed')",
                    (
                        photo_id,
                        event.id,
                        f"events/{event.slug}/originals/{i}.jpg",
                        hashlib.sha256(f"{event.id}/{i}".encode()).hexdigest(),
                        f"{i}.jpg",
                        i < hidden,
                        vector(text_vector),
                    ),
                )
                face = (
                    unit(person + rng.normal(scale=0.07, size=128))
                    if i < mine
                    else unit(rng.normal(size=128))
                )
                cur.execute(
                    "INSERT INTO face_embeddings (event_id, photo_id, face_index, model, bbox, det_score, embedding)"
                    " VALUES (%s, %s, 0, 'sface', '{10,10,50,50}', 0.9, %s::vector)",
                    (event.id, photo_id, vector(face)),
                )
        owner_conn.execute("ANALYZE photos")
        owner_conn.execute("ANALYZE face_embeddings")
        return {"person": unit(person + rng.normal(scale=0.07, size=128)), "topic": topic, "ids": ids}

    return make


@pytest.fixture
def events(make_event: Callable[..., Event], seed: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A large event (600 photos and faces) and a small one (60) in the same database."""
    large, small = make_event("large"), make_event("small")
    return {
        "large": (large, seed(large, 600, mine=30, hidden=5)),
        "small": (small, seed(small, 60, mine=12)),
    }


@pytest.fixture
def visitor() -> Callable[[Event], Iterator[Recording]]:
    from contextlib import contextmanager

    @contextmanager
    def open_(event: Event) -> Iterator[Recording]:
        with Scope.visitor(event).transaction() as tx:
            tx.execute(f"SET LOCAL eventlens.event_index_min_rows = {LARGE}")
            search_repo.tune(tx)
            yield Recording(tx)

    return open_


def build_event_indexes(owner_conn: psycopg.Connection) -> list[str]:
    """What the schema owner runs after migrating: migration 0013's statements, one by one."""
    owner_conn.execute(f"SET eventlens.event_index_min_rows = {LARGE}")
    statements = [row[0] for row in owner_conn.execute("SELECT event_vector_index_ddl()").fetchall()]
    for statement in statements:
        owner_conn.execute(statement)
    return statements


def test_a_small_event_beside_a_large_one_reads_its_own_faces_exactly(events, visitor):
    # Given a small event in a database whose face table is mostly another event's
    event, data = events["small"]
    # When find-me looks for the person's faces, even with the planner told to avoid sorting
    with visitor(event) as tx:
        tx.execute("SET LOCAL enable_sort = off")
        found = findme_repo.face_knn_ids(tx, data["person"], "sface", 300)
        plan = tx.plan("SELECT nn.id")
        exact = findme_repo.face_knn_ids(tx, data["person"], "sface", 300, exact=True)
    # Then it computed every distance of the event's own faces (no index-ordered walk) and missed none
    assert "Order By" not in plan
    assert "Sort Key" in plan
    assert found == exact
    assert len(found) == 60


def test_a_large_event_is_searched_through_its_own_index(events, visitor, owner_conn):
    # Given the owner has built the large event's own indexes (one per model in use)
    event, data = events["large"]
    built = build_event_indexes(owner_conn)
    hex_id = event.id.hex
    assert sorted(built) == sorted(
        [
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS event_{hex_id}_sface ON face_embeddings USING hnsw"
            " ((embedding::vector(128)) vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
            f" WHERE model = 'sface' AND embedding IS NOT NULL AND event_id = '{event.id}'",
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS event_{hex_id}_minilm_l6_v2 ON photos USING hnsw"
            " ((embedding::vector(384)) vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
            f" WHERE embedding_model = 'minilm-l6-v2' AND embedding IS NOT NULL AND event_id = '{event.id}'",
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS event_{hex_id}_fuzzy ON photos USING gin"
            " ((photo_fuzzy_text(event_id, visible_text, people_descriptions, scene_description, filename))"
            f" gin_trgm_ops) WHERE event_id = '{event.id}'",
            f"ALTER INDEX event_{hex_id}_fuzzy ALTER COLUMN 1 SET STATISTICS 0",
        ]
    )
    # When find-me and the semantic half of search run in it
    with visitor(event) as tx:
        found = findme_repo.face_knn_ids(tx, data["person"], "sface", 10)
        face_plan = tx.plan("SELECT nn.id")
        search_repo.hybrid_candidates(tx, "zzz", data["topic"], "minilm-l6-v2", PhotoFilter(), 0.0, limit=20)
        photo_plan = tx.plan("photos p")
        exact = findme_repo.face_knn_ids(tx, data["person"], "sface", 10, exact=True)
    # Then each reads the event's own index, and finds what an exact scan finds
    assert f"event_{hex_id}_sface" in face_plan
    assert f"event_{hex_id}_minilm_l6_v2" in photo_plan
    assert found == exact
    # And the owner's next run has nothing left to build
    assert build_event_indexes(owner_conn) == []


def test_find_me_in_a_large_event_still_hides_what_a_visitor_may_not_see(events, visitor, owner_conn):
    # Given the large event's own index, and hidden photos showing the person
    event, data = events["large"]
    build_event_indexes(owner_conn)
    hidden = set(data["ids"][:5])
    # When a visitor runs find-me and the companions query through that index
    with visitor(event) as tx:
        found = findme_repo.face_neighbours(tx, data["person"], "sface", 0.4, 300)
        companions = findme_repo.companion_photos(
            tx, data["person"], "sface", 0.4, [n.photo.id for n in found]
        )
        plan = tx.plan("face_embeddings f")
    # Then only the event's public photos come back: 25 of the person's 30, none hidden
    assert f"event_{event.id.hex}_sface" in plan
    assert {n.photo.event_id for n in found} == {event.id}
    assert len(found) == 25
    assert not hidden & {n.photo.id for n in found}
    assert not hidden & {row.id for row, _ in companions}


def test_the_owner_drops_the_indexes_of_a_deleted_event(events, owner_conn):
    # Given a large event with its own indexes
    event, _ = events["large"]
    build_event_indexes(owner_conn)
    # When the event is deleted
    owner_conn.execute("DELETE FROM events WHERE id = %s", (event.id,))
    # Then the owner's next run drops them
    assert sorted(build_event_indexes(owner_conn)) == [
        f"DROP INDEX CONCURRENTLY IF EXISTS event_{event.id.hex}_fuzzy",
        f"DROP INDEX CONCURRENTLY IF EXISTS event_{event.id.hex}_minilm_l6_v2",
        f"DROP INDEX CONCURRENTLY IF EXISTS event_{event.id.hex}_sface",
    ]


def test_upgrading_builds_the_own_index_of_an_event_that_grew_large(events, owner_conn, db, monkeypatch):
    """`eventlens db upgrade` (every deploy, every embedded command) runs the owner's statements."""
    from eventlens.db.migrate import upgrade

    monkeypatch.setenv("PGOPTIONS", f"-c eventlens.event_index_min_rows={LARGE}")
    large, _ = events["large"]

    built = upgrade(db)

    own = f"event_{large.id.hex}"
    assert any(own in name for name in built), built
    names = [
        r[0]
        for r in owner_conn.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", (own + "%",))
    ]
    assert names
    assert not [n for n in upgrade(db) if own in n]  # built once


def test_the_pipelines_last_step_builds_a_grown_events_index_unless_an_upgrade_holds_the_lock(
    events, owner_conn, db, monkeypatch
):
    """The Migrate function's `build-indexes` action, which the state machine invokes after a run:
    the same statements as an upgrade, skipped (not queued) while another build or upgrade runs."""
    import importlib.util
    from pathlib import Path

    from eventlens.db.migrate import _LOCK_KEY, build_indexes_between_deploys

    path = Path(__file__).parents[3] / "functions" / "migrate" / "app.py"
    spec = importlib.util.spec_from_file_location("migrate_app_under_test", path)
    assert spec
    assert spec.loader
    migrate_function = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migrate_function)
    monkeypatch.setenv("PGOPTIONS", f"-c eventlens.event_index_min_rows={LARGE}")
    large, _ = events["large"]
    own = f"event_{large.id.hex}"

    with psycopg.connect(db, autocommit=True) as upgrading:
        upgrading.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        assert build_indexes_between_deploys(db) is None
        # Released here, not left to the disconnect, which the server may process after the next try
        upgrading.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))

    reply = migrate_function.build_indexes({"action": "build-indexes"})

    assert reply["skipped"] is False
    assert any(own in name for name in reply["built"]), reply
    assert build_indexes_between_deploys(db) == []


# -- the text half: the shared GIN indexes hand back only the event's rows (migration 0032) -------


@pytest.fixture
def worded(make_event: Callable[..., Event], owner_conn: psycopg.Connection) -> dict[str, Event]:
    """A small event of 20 photos beside a big one of 600, every photo showing the same words."""

    def fill(event: Event, photos: int) -> None:
        with owner_conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO photos (event_id, source_key, content_hash, filename, visible_text,"
                " scene_description, analyze_status) VALUES (%s, %s, %s, %s, 'Harvard University',"
                " 'keynote speech on the main stage', 'completed')",
                [
                    (
                        event.id,
                        f"events/{event.slug}/originals/{i}.jpg",
                        f"{event.slug}-{i}",
                        f"IMG_{i:04d}.jpg",
                    )
                    for i in range(photos)
                ],
            )
        owner_conn.execute("ANALYZE photos")

    small, big = make_event("small"), make_event("big")
    fill(small, 20)
    fill(big, 600)
    return {"small": small, "big": big}


def counted(owner_conn: psycopg.Connection, statistic: str, run: Callable[[], Any]) -> int:
    """How much the statistics view's figure (`statistic`, a SELECT of one number) grew while `run()` ran."""
    import time

    def now() -> int:
        owner_conn.execute("SELECT pg_stat_clear_snapshot()")
        row = owner_conn.execute(statistic).fetchone()
        assert row is not None
        return int(row[0])

    before = now()
    run()
    deadline = time.monotonic() + 5
    while (after := now()) == before and time.monotonic() < deadline:
        time.sleep(0.05)  # a backend reports its counts once idle after the transaction
    return after - before


ROWS_READ = (
    "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables"
    " WHERE relname = 'photos'"
)


def searcher(event: Event, query: str, found: list[Any]) -> Callable[[], None]:
    def search() -> None:
        with Scope.visitor(event).transaction() as tx:
            search_repo.tune(tx)
            found.extend(search_repo.hybrid_candidates(tx, query, None, "minilm-l6-v2", PhotoFilter(), 0.0))
            tx.execute("SELECT pg_stat_force_next_flush()")

    return search


@pytest.mark.parametrize("query", ["speech", "Harvrd", "IMG_001"])
def test_text_search_in_a_small_event_reads_only_its_own_rows(worded, owner_conn, query):
    # Given a small event whose words are also on every photo of a big one
    small = worded["small"]
    found: list[Any] = []
    # When a visitor searches it by a word, a typo or a part of a file name
    read = counted(owner_conn, ROWS_READ, searcher(small, query, found))
    # Then it found the small event's photos, reading a few times its 20 rows, never the big one's 600
    assert {hit.photo.event_id for hit in found} == {small.id}
    assert len(found) >= 10 if query == "IMG_001" else len(found) == 20
    assert 0 < read <= 5 * 20


def test_a_typo_in_a_large_event_is_looked_up_in_its_own_trigram_index(worded, owner_conn):
    # Given the owner has built the big event's own indexes, and statistics were gathered since (as
    # autovacuum does): every photo has the word, which statistics would call a 100% match
    big = worded["big"]
    built = build_event_indexes(owner_conn)
    own = f"event_{big.id.hex}_fuzzy"
    assert any(own in statement for statement in built)
    owner_conn.execute("ANALYZE photos")
    found: list[Any] = []
    # When a visitor searches it with a typo, which full text cannot match
    scans = counted(
        owner_conn,
        f"SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = '{own}'",
        searcher(big, "Harvrd", found),
    )
    # Then the similar photos were looked up in the event's own index
    assert scans >= 1
    assert len(found) == 100
    assert {hit.photo.event_id for hit in found} == {big.id}
    assert all(hit.trigram is not None and hit.trigram > 0.5 for hit in found)


def test_the_trigram_indexes_keep_no_statistics(worded, owner_conn):
    """With statistics the planner priced word similarity on a sample of texts at every plan and,
    for a query most texts resemble, read the event by date filtering row by row (migration 0033)."""
    # Given the big event's own trigram index, and statistics gathered after it was built
    big = worded["big"]
    build_event_indexes(owner_conn)
    owner_conn.execute("ANALYZE photos")
    # When the statistics of the trigram indexes are looked up
    rows = owner_conn.execute(
        "SELECT DISTINCT tablename FROM pg_stats"
        " WHERE tablename IN ('photos_fuzzy_trgm_idx', %s, 'photos_event_tsv_idx')",
        (f"event_{big.id.hex}_fuzzy",),
    ).fetchall()
    # Then there are none (where the full-text index, on an expression too, has its own), and the
    # owner has nothing left to set on them
    assert rows == [("photos_event_tsv_idx",)]
    assert build_event_indexes(owner_conn) == []


def test_an_own_trigram_index_that_gathered_statistics_loses_them_on_the_owners_next_run(worded, owner_conn):
    # Given the big event's own trigram index was given statistics (built before migration 0033)
    big = worded["big"]
    own = f"event_{big.id.hex}_fuzzy"
    build_event_indexes(owner_conn)
    owner_conn.execute(f"ALTER INDEX {own} ALTER COLUMN 1 SET STATISTICS 100")
    # When the owner runs its statements
    built = build_event_indexes(owner_conn)
    # Then the index is told to keep none again
    assert built == [f"ALTER INDEX {own} ALTER COLUMN 1 SET STATISTICS 0"]


def test_the_search_statement_is_planned_once_per_connection(events, owner_conn):
    """Planning weighs every index of photos, each large event's own ones included: 3-7 ms a search
    at 300 events. After psycopg prepares the statement (its fifth run on a connection) PostgreSQL
    reuses one generic plan, which still reads the large event's own HNSW index."""
    # Given the large event's own indexes
    event, data = events["large"]
    build_event_indexes(owner_conn)
    own = f"event_{event.id.hex}_minilm_l6_v2"
    statements: list[Any] = []

    def search_ten_times() -> None:
        with Scope.visitor(event).transaction() as tx:
            tx.execute(f"SET LOCAL eventlens.event_index_min_rows = {LARGE}")
            search_repo.tune(tx)
            for _ in range(10):
                search_repo.hybrid_candidates(
                    tx, "zzz", data["topic"], "minilm-l6-v2", PhotoFilter(), 0.0, limit=20
                )
            statements.extend(
                tx.execute(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE 'WITH text AS MATERIALIZED%'"
                ).fetchall()
            )
            tx.execute("SELECT pg_stat_force_next_flush()")

    # When a visitor searches ten times on one connection
    scans = counted(
        owner_conn,
        f"SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = '{own}'",
        search_ten_times,
    )
    # Then the statement was prepared and never planned for its values, and every run read the own index
    assert len(statements) == 1
    assert statements[0]["custom_plans"] == 0
    assert statements[0]["generic_plans"] >= 1
    assert scans >= 10


def test_a_filtered_search_is_planned_for_its_filters_values(events):
    """A date range's selectivity is only known with its values: a filtered search is not given
    the generic plan, whose guess could read a large event by date instead of its own index."""
    from datetime import UTC, datetime

    event, data = events["large"]
    dates = PhotoFilter(
        taken_from=datetime(2026, 1, 1, tzinfo=UTC), taken_to=datetime(2026, 2, 1, tzinfo=UTC)
    )
    # When a visitor runs the same filtered search ten times on one connection
    with Scope.visitor(event).transaction() as tx:
        search_repo.tune(tx)
        for _ in range(10):
            search_repo.hybrid_candidates(tx, "zzz", data["topic"], "minilm-l6-v2", dates, 0.0, limit=20)
        plans = tx.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE 'WITH text AS MATERIALIZED%'"
        ).fetchall()
    # Then each run after its preparation was planned for its values
    assert len(plans) == 1
    assert plans[0]["generic_plans"] == 0
    assert plans[0]["custom_plans"] >= 1
