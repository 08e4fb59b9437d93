"""Many events in one database: find-me and hybrid search for an event of any size among 300.

    .venv/bin/python benchmarks/many_events.py               # 1M faces, 1M photos, 300 events
    .venv/bin/python benchmarks/many_events.py --scale 0.1   # quick: 100k faces, 100k photos

On AWS every event shares one Aurora database, one face table and one HNSW index per model; the
other benchmarks give each event a database of its own. Here 300 events of mixed sizes (a few of
20-50k faces, most of a few hundred to a few thousand; lognormal, summing to --faces) share one
database, built once and cached under benchmarks/.data/many: an embedded server of its own with
shared_buffers SHARED_BUFFERS, set up with the roles of production as in scale_data.py.

Data: per event, people are random unit vectors in SFace's 128-d space and each face is its
person plus noise (scale_data.FACE_NOISE: a person's faces at cosine ~0.6, strangers near 0);
people appear in a lognormal number of photos (12 on average). Photos carry scale_data's
descriptions and topic-clustered 384-d MiniLM vectors; one face per photo on average, a sentinel
face row (no embedding) for each photo without one, as the faces phase writes. Rows go in by binary
COPY in chunks of 100 interleaved across events (events are processed at overlapping times, so an
event's rows are spread over the table), then the migrations' indexes are built.

Then the schema owner builds the events' own indexes (the statements of migration 0013's
event_vector_index_ddl(), as in production), and every query runs as production runs it: logged in as
eventlens_app, under row-level security, for events of several sizes (the smallest, the median,
the 90th and 97th percentiles and the largest):

* find-me face kNN, k = find-me's MATCH_K, nearest first, for selfies of people with >= 10 faces
  in the event: recall@10 against an exact scan of the event; "matches": the share of the exact
  scan's faces above find-me's cut (threshold - NEAR_MISS) that the design returns; p50/p95 of
  the statement (shipped: findme.repo.face_knn_ids, the size check included). Designs, in turn
  for each selfie in the same run (the first WARM_UP not counted; the shared-HNSW ones, up to
  seconds a query, on SLOW_DESIGN_SELFIES selfies):
    main: planner's pick  main's statement: the shared HNSW with the event as a filter (relaxed
                          iterative scan, ef_search 100) or the event's rows and a sort, whichever
                          the planner prices lower for that event
    (a) shared hnsw       the same, always through the shared HNSW (iterative scan)
    (a) strict 100k       ... with strict_order and hnsw.max_scan_tuples 100k
    (b) exact scan        the event's rows by the event index, every distance computed
    shipped               findme.repo now: (b) for a small event, the event's own HNSW (c) for a
                          large one; before the owner has built it, a large event gets main's pick
  and find-me as a whole (findme.service.match_embedding: kNN, companions, session record).
* hybrid search, benchmarks/search.py's 20 queries: its semantic kNN by design (recall@10 of the
  semantic candidates vs exact), the text candidates as shipped against main's before migration
  0032 and migration 0032's function (BEFORE_TEXT), the candidates statement as shipped (text and
  semantic, search.repo.hybrid_candidates) and the whole search as a visitor runs it (ranked
  candidates, fusion, a page of photo views).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_data
import search as search_bench

EVENTS = 300
LARGEST = 50_000
"""Faces of the largest event at full scale (--scale multiplies it)."""
SMALLEST = 100
FACES_PER_PERSON = 12
"""Mean faces per attendee; each person's count is lognormal around it."""
CHUNK = 100
"""Rows written per event before another event's (interleaving, as concurrent pipelines write)."""
WARM_UP = 10
"""Queries per event and design run first and not counted (the server starts with cold caches)."""
SLOW_DESIGN_SELFIES = 30
"""Selfies per event for the designs that walk the shared HNSW (up to seconds a query)."""
QUERY_MIN_FACES = 10
"""A selfie's person has at least this many faces in the event, so its top 10 are that person."""
DATA_VERSION = 1
SHARED_BUFFERS = "4GB"
"""The database's cache: all of 1M faces and their index, most of 1M photos (Aurora gives shared
buffers three quarters of the instance's memory; pgserver's default 128MB would measure the OS's
page cache instead)."""


@dataclass(frozen=True)
class Shape:
    faces: int
    photos: int
    events: int

    @property
    def database(self) -> str:
        return f"many_{self.faces}f_{self.photos}p_{self.events}e_v{DATA_VERSION}"


def event_sizes(total: int, events: int, largest: int, smallest: int, seed: int = 11) -> list[int]:
    """`events` lognormal sizes (sigma 1.3), largest first, within [smallest, largest], summing to `total`."""
    raw = np.sort(np.random.default_rng(seed).lognormal(0.0, 1.3, events))[::-1]
    low, high = 0.0, float(total)
    for _ in range(100):  # the scale at which the clipped sizes sum to `total`
        mid = (low + high) / 2
        if np.clip(raw * mid, smallest, largest).sum() < total:
            low = mid
        else:
            high = mid
    sizes = np.clip(np.round(raw * high), smallest, largest).astype(int)
    sizes[events // 2] += total - int(sizes.sum())  # rounding goes to the median event
    return [int(s) for s in sizes]


@dataclass
class EventData:
    index: int
    id: UUID
    faces: int
    photos: int

    @property
    def slug(self) -> str:
        return f"many-{self.index:03d}"

    def rng(self, purpose: int) -> np.random.Generator:
        return np.random.default_rng([DATA_VERSION, self.index, purpose])

    def people(self) -> tuple[np.ndarray, np.ndarray]:
        """(identities, owner of each face): deterministic, so selfies can be made of them later."""
        rng = self.rng(1)
        count = max(2, round(self.faces / FACES_PER_PERSON))
        identities = scale_data.unit(rng.normal(size=(count, scale_data.FACE_DIM)))
        weights = rng.lognormal(0.0, 0.8, count)
        owner = rng.choice(count, self.faces, p=weights / weights.sum())
        return identities, owner

    def face_photos(self) -> np.ndarray:
        """The photo (0..photos-1) of each face, sorted so a photo's faces are written together."""
        return np.sort(self.rng(2).integers(self.photos, size=self.faces))


def shape_events(shape: Shape) -> list[tuple[int, int]]:
    """(faces, photos) per event."""
    scale = shape.faces / 1_000_000
    faces = event_sizes(
        shape.faces, shape.events, max(1, round(LARGEST * scale)), max(1, round(SMALLEST * scale))
    )
    photos = [max(1, round(f * shape.photos / shape.faces)) for f in faces]
    return list(zip(faces, photos, strict=True))


def server(shared_buffers: str = SHARED_BUFFERS) -> Any:
    """This benchmark's own embedded server (benchmarks/.data/many), with `shared_buffers`."""
    import pgserver

    path = scale_data.DATA / "many"
    path.parent.mkdir(parents=True, exist_ok=True)
    srv = pgserver.get_server(path, cleanup_mode="stop")
    if srv.psql("SHOW shared_buffers;").split("\n")[2].strip() != shared_buffers:
        srv.psql(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}';")
        srv.cleanup()  # stops the server this process started; the next start reads the setting
        srv = pgserver.get_server(path, cleanup_mode="stop")
    return srv


def admin_url(database: str = "postgres") -> str:
    return str(server().get_uri(database))


def build(shape: Shape) -> tuple[str, list[EventData]]:
    """Create and fill the shape's database unless it is complete; return its URL and events."""
    from eventlens.db.embedded import provision
    from eventlens.db.migrate import upgrade

    srv = server()
    url = provision(admin_url(), shape.database)
    upgrade(url)
    with psycopg.connect(url, autocommit=True) as conn:
        done = conn.execute("SELECT to_regclass('many_events_done') IS NOT NULL").fetchone()
        if done and done[0]:
            return url, load_events(conn)
    srv.psql(f'DROP DATABASE "{shape.database}";')
    url = provision(admin_url(), shape.database)
    upgrade(url)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        from pgvector.psycopg import register_vector

        register_vector(conn)
        events = [
            EventData(i, uuid4(), faces, photos) for i, (faces, photos) in enumerate(shape_events(shape))
        ]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO events (id, slug, name, organization_id)"
                " VALUES (%s, %s, %s, (SELECT id FROM organizations WHERE slug = 'default'))",
                [(e.id, e.slug, f"Event {e.index}") for e in events],
            )
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('photos', 'face_embeddings')"
            " AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        photo_ids = load_photos(conn, events)
        print(f"  photos loaded in {time.perf_counter() - started:.0f} s", flush=True)
        load_faces(conn, events, photo_ids)
        print(f"  faces loaded in {time.perf_counter() - started:.0f} s", flush=True)
        conn.execute("SET maintenance_work_mem = '2GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        for name, definition in indexes:
            began = time.perf_counter()
            conn.execute(definition)
            print(f"  index {name}: {time.perf_counter() - began:.0f} s", flush=True)
        conn.execute("VACUUM (ANALYZE) photos")
        conn.execute("VACUUM (ANALYZE) face_embeddings")
        conn.execute("CREATE TABLE many_events_done (seconds real)")
        conn.execute("INSERT INTO many_events_done VALUES (%s)", (time.perf_counter() - started,))
        conn.execute(
            "CREATE TABLE many_events_sizes (index int PRIMARY KEY, event_id uuid, faces int, photos int)"
        )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO many_events_sizes VALUES (%s, %s, %s, %s)",
                [(e.index, e.id, e.faces, e.photos) for e in events],
            )
    return url, events


def build_event_indexes(url: str) -> tuple[int, float]:
    """As the schema owner: migration 0013's statements for the events' own indexes, one by one."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        statements = [row[0] for row in conn.execute("SELECT event_vector_index_ddl()").fetchall()]
        for statement in statements:
            conn.execute(statement)
    return len(statements), time.perf_counter() - started


def load_events(conn: psycopg.Connection[Any]) -> list[EventData]:
    rows = conn.execute("SELECT index, event_id, faces, photos FROM many_events_sizes ORDER BY index")
    return [EventData(int(i), UUID(str(e)), int(f), int(p)) for i, e, f, p in rows.fetchall()]


def interleaved(
    events: list[EventData], count: Callable[[EventData], int]
) -> Iterator[tuple[EventData, int]]:
    """(event, first row) of every CHUNK-row chunk of every event, events interleaved at random."""
    chunks = [(e, start) for e in events for start in range(0, count(e), CHUNK)]
    order = np.random.default_rng(DATA_VERSION).permutation(len(chunks))
    return (chunks[i] for i in order)


PHOTO_COLUMNS = (
    ("id", "uuid"),
    ("event_id", "uuid"),
    ("source_key", "text"),
    ("content_hash", "text"),
    ("filename", "text"),
    ("visible_text", "text"),
    ("people_descriptions", "text"),
    ("scene_description", "text"),
    ("dhash", "int8"),
    ("face_count", "int4"),
    ("embedding", "vector"),
    ("embedding_model", "text"),
    ("analyze_status", "text"),
    ("describe_status", "text"),
    ("embed_status", "text"),
    ("faces_status", "text"),
)


def load_photos(conn: psycopg.Connection[Any], events: list[EventData]) -> dict[int, list[UUID]]:
    centres = scale_data.topics()
    texts, hashes, ids, face_counts = {}, {}, {}, {}
    for e in events:
        rng = e.rng(3)
        texts[e.index] = scale_data.text_rows(rng, e.photos)
        hashes[e.index] = scale_data.phashes(rng, e.photos)[0]
        ids[e.index] = [uuid4() for _ in range(e.photos)]
        face_counts[e.index] = np.bincount(e.face_photos(), minlength=e.photos)
    noise = np.random.default_rng([DATA_VERSION, 4])
    columns = ", ".join(name for name, _ in PHOTO_COLUMNS)
    with conn.cursor().copy(f"COPY photos ({columns}) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types([kind for _, kind in PHOTO_COLUMNS])
        for e, start in interleaved(events, lambda e: e.photos):
            rows = texts[e.index][start : start + CHUNK]
            vectors = scale_data.unit(
                centres[[r[4] for r in rows]]
                + noise.normal(scale=0.06, size=(len(rows), scale_data.TEXT_DIM))
            )
            for offset, (filename, sign, people, scene, _) in enumerate(rows):
                i = start + offset
                content = hashlib.sha256(f"{e.index}/{i}".encode()).hexdigest()
                copy.write_row(
                    (
                        ids[e.index][i],
                        e.id,
                        f"events/{e.slug}/originals/{filename}",
                        content,
                        filename,
                        sign,
                        people,
                        scene,
                        int(hashes[e.index][i]),
                        int(face_counts[e.index][i]),
                        vectors[offset],
                        scale_data.TEXT_MODEL,
                        "completed",
                        "completed",
                        "completed",
                        "completed",
                    )
                )
    return ids


def load_faces(
    conn: psycopg.Connection[Any], events: list[EventData], photo_ids: dict[int, list[UUID]]
) -> None:
    """Faces as the faces phase writes them: per photo, its faces or one sentinel row."""
    plans: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for e in events:
        identities, owner = e.people()
        on_photo = e.face_photos()
        faceless = np.setdiff1d(np.arange(e.photos), on_photo)
        # Rows: faces (owner >= 0) then sentinels (owner -1), each with its photo; in photo order.
        photo = np.concatenate([on_photo, faceless])
        who = np.concatenate([owner, np.full(len(faceless), -1)])
        order = np.argsort(photo, kind="stable")
        plans[e.index] = (identities, photo[order], who[order])
    noise = np.random.default_rng([DATA_VERSION, 5])
    with conn.cursor().copy(
        "COPY face_embeddings (event_id, photo_id, face_index, model, bbox, det_score, embedding)"
        " FROM STDIN WITH (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["uuid", "uuid", "int4", "text", "float4[]", "float4", "vector"])
        for e, start in interleaved(events, lambda e: len(plans[e.index][1])):
            identities, photo, who = plans[e.index]
            chunk_photo, chunk_who = photo[start : start + CHUNK], who[start : start + CHUNK]
            vectors = scale_data.unit(
                identities[np.maximum(chunk_who, 0)]
                + noise.normal(scale=scale_data.FACE_NOISE, size=(len(chunk_who), scale_data.FACE_DIM))
            )
            for offset, (p, person) in enumerate(zip(chunk_photo, chunk_who, strict=True)):
                row = start + offset
                # Index within the photo: rows of one photo are adjacent and sentinels are alone.
                first = row
                while first > 0 and photo[first - 1] == p:
                    first -= 1
                if person < 0:
                    copy.write_row((e.id, photo_ids[e.index][p], -1, scale_data.FACE_MODEL, None, None, None))
                    continue
                box = [float(v) for v in noise.uniform(20, 400, 4)]
                copy.write_row(
                    (
                        e.id,
                        photo_ids[e.index][p],
                        row - first,
                        scale_data.FACE_MODEL,
                        box,
                        float(noise.uniform(0.6, 1.0)),
                        vectors[offset],
                    )
                )


SHARED_TEXT_DDL = (
    "CREATE INDEX IF NOT EXISTS bench_shared_tsv ON photos USING gin (search_tsv)",
    *(
        f"CREATE INDEX IF NOT EXISTS bench_shared_{column}_trgm ON photos USING gin ({column} gin_trgm_ops)"
        for column in ("visible_text", "people_descriptions", "scene_description", "filename")
    ),
    """CREATE OR REPLACE FUNCTION bench_shared_text_candidates(q text, like_pattern text, n integer, scan_cap integer)
  RETURNS TABLE (id uuid, fulltext real, trigram real)
  LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 100 SET search_path = public, pg_temp
AS $fn$
DECLARE
  matched integer;
BEGIN
  RETURN QUERY EXECUTE
    $s$SELECT p.id, ts_rank_cd(p.search_tsv, websearch_to_tsquery('english', $1), 32), NULL::real
         FROM public.photos p WHERE p.event_id = current_event_id() AND may_see_photo(p.event_id, p.is_public)
          AND p.is_public AND p.search_tsv @@ websearch_to_tsquery('english', $1)
        ORDER BY 2 DESC LIMIT $3$s$ USING q, like_pattern, n, scan_cap;
  GET DIAGNOSTICS matched = ROW_COUNT;
  IF matched < n THEN
    RETURN QUERY EXECUTE
      $s$SELECT fuzzy.id, NULL::real, fuzzy.score FROM (
           SELECT p.id, greatest(word_similarity($1, p.visible_text), word_similarity($1, p.people_descriptions),
                                 word_similarity($1, p.scene_description), word_similarity($1, p.filename)) AS score
             FROM public.photos p WHERE p.event_id = current_event_id() AND may_see_photo(p.event_id, p.is_public)
              AND p.is_public
              AND (p.visible_text %> $1 OR p.visible_text ILIKE $2
                OR p.people_descriptions %> $1 OR p.people_descriptions ILIKE $2
                OR p.scene_description %> $1 OR p.scene_description ILIKE $2
                OR p.filename %> $1 OR p.filename ILIKE $2)
            LIMIT $4) fuzzy
         ORDER BY fuzzy.score DESC LIMIT $3$s$ USING q, like_pattern, n, scan_cap;
  END IF;
END
$fn$""",
    "GRANT EXECUTE ON FUNCTION bench_shared_text_candidates(text, text, integer, integer) TO eventlens_app",
)
"""Main's text candidates before migration 0032, for comparison in the same run: the shared GIN indexes
(full text; trigrams per column) filtered by event, and the photos policy checked per row."""

SHARED_TEXT_DROP = (
    "DROP FUNCTION IF EXISTS bench_shared_text_candidates(text, text, integer, integer)",
    "DROP FUNCTION IF EXISTS bench_0032_text_candidates(text, text, integer, integer, boolean, boolean, text, text,"
    " text, timestamptz, timestamptz, uuid[])",
    "DROP INDEX IF EXISTS bench_shared_tsv, bench_shared_visible_text_trgm, bench_shared_people_descriptions_trgm,"
    " bench_shared_scene_description_trgm, bench_shared_filename_trgm",
)


def migration_0032_text_candidates() -> str:
    """Migration 0032's search_text_candidates() as it shipped, renamed: planned at every call, ranked
    by ts_rank_cd, two trigram scans of 300 each (migration 0033 replaced it)."""
    from importlib import resources

    text = (resources.files("eventlens.db") / "migrations" / "0032_event_scoped_text_search.sql").read_text()
    start = text.index("CREATE OR REPLACE FUNCTION search_text_candidates(")
    body = text[start : text.index("$fn$;", start) + len("$fn$;")]
    return body.replace("FUNCTION search_text_candidates(", "FUNCTION bench_0032_text_candidates(")


BEFORE_TEXT = {
    "text candidates (before 0032)": "SELECT id FROM bench_shared_text_candidates(%(q)s, %(like)s, %(n)s, 1000)",
    "text candidates (0032)": "SELECT id FROM bench_0032_text_candidates(%(q)s, %(like)s, %(n)s, 300, false, NULL,"
    " NULL, NULL, NULL, NULL, NULL, NULL)",
}
"""The text designs the shipped one is timed against, in the same run: main's before migration 0032
(the shared indexes filtered by event) and migration 0032's function."""


# -- measuring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """A way to run the kNN: transaction-local settings and the ORDER BY of the event's rows."""

    label: str
    settings: tuple[str, ...]
    order: str  # "index": ORDER BY the distance the HNSW index orders by; "exact": by a copy of it


MAIN_SETTINGS = ("SET LOCAL hnsw.ef_search = 100", "SET LOCAL hnsw.iterative_scan = relaxed_order")
DESIGNS = (
    Design("main: planner's pick", MAIN_SETTINGS, "index"),
    # No sort allowed: only the index can order the rows.
    Design("(a) shared hnsw", (*MAIN_SETTINGS, "SET LOCAL enable_sort = off"), "index"),
    Design(
        "(a) strict 100k",
        (
            *MAIN_SETTINGS[:1],
            "SET LOCAL hnsw.iterative_scan = strict_order",
            "SET LOCAL hnsw.max_scan_tuples = 100000",
            "SET LOCAL enable_sort = off",
        ),
        "index",
    ),
    Design("(b) exact scan", (), "exact"),
)


def knn_sql(table: str, order: str, where: str) -> str:
    """The k nearest rows of `table` in the event in scope, as the repos wrote them on main."""
    dim, model_column, model = (
        (scale_data.FACE_DIM, "model", scale_data.FACE_MODEL)
        if table == "face_embeddings"
        else (scale_data.TEXT_DIM, "embedding_model", scale_data.TEXT_MODEL)
    )
    distance = f"x.embedding::vector({dim}) <=> %(emb)s::vector({dim})"
    columns = "x.id, x.photo_id" if table == "face_embeddings" else "x.id, x.id AS photo_id"
    return (
        f"SELECT {columns}, {distance} AS distance FROM {table} x"
        f" WHERE x.{model_column} = '{model}' AND x.embedding IS NOT NULL AND x.event_id = current_event_id()"
        f" {where} ORDER BY {distance if order == 'index' else f'({distance}) + 0'} LIMIT %(k)s"
    )


def knn_ids_sql(table: str, order: str, where: str) -> str:
    """A design's kNN, nearest first (a relaxed iterative scan returns them only roughly sorted)."""
    return f"SELECT id, distance FROM ({knn_sql(table, order, where)}) nn ORDER BY distance"


@dataclass
class Tally:
    recall: list[float]
    matches: list[float]
    seconds: list[float]

    def row(self, faces: int, label: str) -> str:
        matches = f"{np.mean(self.matches):.3f}" if self.matches else "-"
        recall = f"{np.mean(self.recall):.3f} ({min(self.recall):.2f})"
        return (
            f"{faces:>9} | {label:<30} | {recall:<15} | {matches:>7} |"
            f" {percentile(self.seconds, 50):6.1f} | {percentile(self.seconds, 95):6.1f}"
        )


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - started, out


def fetch(tx: Any, statement: str, params: dict[str, Any]) -> list[Any]:
    """Planned afresh each time: a prepared statement would keep the plan of the first design
    (enable_sort) and of the first event (the planner folds current_event_id() into its estimates)."""
    return list(tx.execute(statement, params, prepare=False).fetchall())


def percentile(seconds: list[float], q: float) -> float:
    return float(np.percentile(np.array(seconds) * 1000, q))


def selfies(e: EventData, count: int) -> list[np.ndarray]:
    """Selfies of people with at least QUERY_MIN_FACES faces in `e` (its most photographed person
    in an event too small to have one)."""
    identities, owner = e.people()
    faces = np.bincount(owner, minlength=len(identities))
    eligible = np.flatnonzero(faces >= QUERY_MIN_FACES)
    if len(eligible) == 0:
        eligible = np.array([int(np.argmax(faces))])
    rng = e.rng(6)
    return [scale_data.selfie(identities[rng.choice(eligible)], rng) for _ in range(count)]


def overlap(got: list[Any], exact: list[Any], n: int = 10) -> float:
    """recall@n; a query whose exact answer is empty scores 1 when the design returns nothing too."""
    if not exact:
        return float(not got)
    return len(set(got[:n]) & set(exact[:n])) / min(n, len(exact))


def bench_find_me(e: EventData, count: int) -> dict[str, Tally]:
    """Each selfie runs every design in turn, so background load hits them alike; the first WARM_UP
    selfies warm the caches and are not counted, and the shared-HNSW designs (seconds a query in a
    small event) run on SLOW_DESIGN_SELFIES of them."""
    from eventlens.db.vectors import tune_hnsw, vector_literal
    from eventlens.findme import repo as findme_repo
    from eventlens.findme.service import MATCH_K, NEAR_MISS
    from eventlens.findme.thresholds import face_threshold
    from eventlens.scope import Scope
    from eventlens.types import Event

    event = Event(id=e.id, slug=e.slug, name=f"Event {e.index}")
    scope = Scope.visitor(event)
    cut = face_threshold(event, scale_data.FACE_MODEL) - NEAR_MISS
    tallies = {label: Tally([], [], []) for label in [d.label for d in DESIGNS] + ["shipped"]}

    def record(label: str, seconds: float, ids: list[int], exact: list[int], above: set[int]) -> None:
        tallies[label].seconds.append(seconds)
        tallies[label].recall.append(overlap(ids, exact))
        tallies[label].matches.append(len(above & set(ids)) / len(above) if above else 1.0)

    for i, q in enumerate(selfies(e, WARM_UP + count)):
        counted = i >= WARM_UP
        params = {"emb": vector_literal(q), "k": MATCH_K}
        with scope.transaction() as tx:
            exact = fetch(tx, knn_ids_sql("face_embeddings", "exact", ""), params)
        exact_ids = [r["id"] for r in exact]
        above = {r["id"] for r in exact if r["distance"] <= 1 - cut}
        for design in DESIGNS:
            if design.label.startswith("(a)") and i >= WARM_UP + SLOW_DESIGN_SELFIES:
                continue
            with scope.transaction() as tx:
                for setting in design.settings:
                    tx.execute(setting)
                seconds, got = timed(fetch, tx, knn_ids_sql("face_embeddings", design.order, ""), params)
            if counted:
                record(design.label, seconds, [r["id"] for r in got], exact_ids, above)
        with scope.transaction() as tx:
            tune_hnsw(tx)  # as findme.service does
            seconds, ids = timed(findme_repo.face_knn_ids, tx, q, scale_data.FACE_MODEL, MATCH_K)
        if counted:
            record("shipped", seconds, ids, exact_ids, above)
    return tallies


def bench_whole_find_me(e: EventData, count: int) -> list[float]:
    """findme.service.match_embedding: kNN, companions, the session record (the selfie's decode and
    embedding excluded)."""
    from eventlens.findme.service import match_embedding
    from eventlens.findme.session import find_me_scope
    from eventlens.types import Event

    scope = find_me_scope(Event(id=e.id, slug=e.slug, name=f"Event {e.index}"), "many-events-benchmark")
    queries = selfies(e, count)
    for q in queries[:5]:
        match_embedding(scope, q, scale_data.FACE_MODEL)
    return [timed(match_embedding, scope, q, scale_data.FACE_MODEL)[0] for q in queries]


def bench_hybrid(e: EventData, rounds: int) -> tuple[dict[str, Tally], list[float]]:
    """Semantic kNN designs (recall@10 of the candidates vs exact), the candidates statement as
    shipped, then hybrid search as a visitor runs it; round 0 warms the caches and is not counted."""
    from eventlens.db.photos import PhotoFilter
    from eventlens.db.vectors import vector_literal
    from eventlens.scope import Scope
    from eventlens.search import repo as search_repo
    from eventlens.search.service import SEMANTIC_FLOOR
    from eventlens.types import Event

    event = Event(id=e.id, slug=e.slug, name=f"Event {e.index}")
    scope = Scope.visitor(event)
    rng = np.random.default_rng(5)
    centres = scale_data.topics()
    vectors = [
        scale_data.unit(
            (centres[rng.integers(len(centres))] + rng.normal(scale=0.05, size=scale_data.TEXT_DIM))[None]
        )[0]
        for _ in search_bench.QUERIES
    ]
    tallies = {
        label: Tally([], [], [])
        for label in [d.label for d in DESIGNS]
        + [*BEFORE_TEXT, "text candidates (shipped)", "candidates (shipped)"]
    }
    limit = search_repo.CANDIDATES_PER_MODALITY
    for round_ in range(rounds + 1):
        for text, vector in zip(search_bench.QUERIES, vectors, strict=True):
            params = {"emb": vector_literal(vector), "k": limit}
            with scope.transaction() as tx:
                exact = [
                    r["id"]
                    for r in fetch(tx, knn_ids_sql("photos", "exact", "AND x.is_public"), params)
                    if 1 - r["distance"] >= SEMANTIC_FLOOR
                ]
            for design in DESIGNS:
                if design.label.startswith("(a)") and round_ > 1:
                    continue  # one counted round of the shared-HNSW designs (up to seconds a query)
                with scope.transaction() as tx:
                    for setting in design.settings:
                        tx.execute(setting)
                    seconds, got = timed(
                        fetch,
                        tx,
                        f"SELECT id FROM ({knn_sql('photos', design.order, 'AND x.is_public')}) nn"
                        " WHERE 1 - distance >= %(floor)s ORDER BY distance",
                        {**params, "floor": SEMANTIC_FLOOR},
                    )
                if round_:
                    tallies[design.label].seconds.append(seconds)
                    tallies[design.label].recall.append(overlap([r["id"] for r in got], exact))
            for label in (*BEFORE_TEXT, "text candidates (shipped)"):
                with scope.transaction() as tx:
                    search_repo.tune(tx)
                    if label == "text candidates (shipped)":
                        seconds, _ = timed(
                            search_repo.hybrid_candidates,
                            tx,
                            text,
                            None,
                            scale_data.TEXT_MODEL,
                            PhotoFilter(),
                            SEMANTIC_FLOOR,
                        )
                    else:
                        like = f"%{search_repo._escape_like(text)}%"
                        seconds, _ = timed(
                            fetch, tx, BEFORE_TEXT[label], {"q": text, "like": like, "n": limit}
                        )
                if round_:
                    tallies[label].seconds.append(seconds)
                    tallies[label].recall.append(1.0)
            with scope.transaction() as tx:
                search_repo.tune(tx)
                seconds, hits = timed(
                    search_repo.hybrid_candidates,
                    tx,
                    text,
                    vector,
                    scale_data.TEXT_MODEL,
                    PhotoFilter(),
                    SEMANTIC_FLOOR,
                )
            semantic = sorted((h for h in hits if h.semantic is not None), key=lambda h: -(h.semantic or 0))
            if round_:
                tallies["candidates (shipped)"].seconds.append(seconds)
                tallies["candidates (shipped)"].recall.append(overlap([h.photo.id for h in semantic], exact))
    one = search_bench.hybrid_query(event)
    for i in range(len(search_bench.QUERIES)):
        one(i)  # warm-up
    hybrid = [
        timed(functools.partial(one, i))[0] for _ in range(rounds) for i in range(len(search_bench.QUERIES))
    ]
    return tallies, hybrid


def picked(events: list[EventData]) -> list[EventData]:
    """The smallest, median, 90th and 97th percentile and largest events by faces."""
    by_size = sorted(events, key=lambda e: e.faces)
    return [by_size[min(len(by_size) - 1, int(q * len(by_size)))] for q in (0.0, 0.5, 0.9, 0.97, 1.0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=1_000_000)
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies --faces and --photos")
    parser.add_argument("--selfies", type=int, default=100, help="find-me queries per event")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the hybrid queries per event")
    parser.add_argument("--only", choices=["find-me", "hybrid", "build"], action="append")
    args = parser.parse_args()
    shape = Shape(round(args.faces * args.scale), round(args.photos * args.scale), args.events)
    began = time.perf_counter()
    print(
        f"$ {' '.join(sys.argv)}\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
        f" load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, embedded PostgreSQL"
        f" (pgserver) in {scale_data.DATA / 'many'}, shared_buffers {SHARED_BUFFERS}"
    )
    os.environ["EVENTLENS_HOME"] = str(scale_data.DATA / "home")
    os.environ.setdefault("EVENTLENS_TOKEN_SECRET", "benchmark-" + "x" * 32)
    url, events = build(shape)
    print(f"data: {shape.database}, ready in {time.perf_counter() - began:.0f} s")
    built, seconds = build_event_indexes(url)
    with psycopg.connect(url) as conn:
        own = conn.execute(
            "SELECT count(*) FILTER (WHERE indrelid = 'face_embeddings'::regclass),"
            " count(*) FILTER (WHERE indrelid = 'photos'::regclass),"
            " event_index_min_rows('face'), event_index_min_rows('description') FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'event\\_%'"
        ).fetchone()
    assert own is not None
    print(
        f"events' own indexes: {built} statements run in {seconds:.0f} s; {own[0]} face and {own[1]}"
        f" photo indexes (events of >= {own[2]} face rows, >= {own[3]} photos)"
    )
    os.environ["DATABASE_URL"] = url
    from eventlens.config import reset_settings
    from eventlens.db import close_pool

    close_pool()
    reset_settings()
    with psycopg.connect(url) as conn:
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        server_version = conn.execute("SHOW server_version").fetchone()
    by_size = sorted(events, key=lambda e: e.faces)
    print(
        f"{len(events)} events, {sum(e.faces for e in events)} faces, {sum(e.photos for e in events)} photos;"
        f" faces per event: min {by_size[0].faces}, median {by_size[len(by_size) // 2].faces},"
        f" p90 {by_size[int(len(by_size) * 0.9)].faces}, max {by_size[-1].faces};"
        f" PostgreSQL {server_version and server_version[0]}, pgvector {version and version[0]}"
    )
    only = set(args.only or ["find-me", "hybrid"])
    if only == {"build"}:
        return
    header = f"{'faces':>9} | {'design':<30} | recall@10 (min) | matches | p50 ms | p95 ms"
    if "find-me" in only:
        print(
            f"\nfind-me face kNN (k = MATCH_K), {args.selfies} selfies per event of people with >="
            f" {QUERY_MIN_FACES} faces; recall@10 and matches (faces above the cut found) vs an exact scan\n{header}"
        )
        for e in picked(events):
            for label, tally in bench_find_me(e, args.selfies).items():
                print(tally.row(e.faces, label), flush=True)
            whole = bench_whole_find_me(e, min(args.selfies, 30))
            print(
                f"{e.faces:>9} | {'whole find-me (shipped)':<30} | {'':15} | {'':7} |"
                f" {percentile(whole, 50):6.1f} | {percentile(whole, 95):6.1f}",
                flush=True,
            )
    if "hybrid" in only:
        print(
            f"\nhybrid search, {len(search_bench.QUERIES)} queries x {args.rounds} rounds per event: its semantic"
            " kNN by design (recall@10 of the semantic candidates vs exact); the candidates statement as"
            " shipped (text and semantic, search.repo.hybrid_candidates); the whole search as a visitor runs it\n"
            f"{'photos':>9} | {'design':<30} | recall@10 (min) | matches | p50 ms | p95 ms"
        )
        with psycopg.connect(url, autocommit=True) as owner:
            for statement in (*SHARED_TEXT_DDL, migration_0032_text_candidates()):
                owner.execute(statement)
            owner.execute(
                "GRANT EXECUTE ON FUNCTION bench_0032_text_candidates(text, text, integer, integer, boolean, boolean,"
                " text, text, text, timestamptz, timestamptz, uuid[]) TO eventlens_app"
            )
        for e in picked(events):
            tallies, hybrid = bench_hybrid(e, args.rounds)
            for label, tally in tallies.items():
                print(
                    tally.row(e.photos, label if "candidates" in label else f"semantic {label}"), flush=True
                )
            print(
                f"{e.photos:>9} | {'hybrid search (shipped)':<30} | {'':15} | {'':7} |"
                f" {percentile(hybrid, 50):6.1f} | {percentile(hybrid, 95):6.1f}",
                flush=True,
            )
        with psycopg.connect(url, autocommit=True) as owner:
            for statement in SHARED_TEXT_DROP:
                owner.execute(statement)
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
