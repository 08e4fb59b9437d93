"""All search SQL: hybrid candidates, face kNN, similar photos, duplicates, match sessions.

Every function runs inside `scoped(event_id)` and still names `event_id = current_event_id()`
so the planner can use the per-event indexes. Vector queries repeat the exact expression and
predicate of the partial HNSW index (`embedding::vector(dim)`, `WHERE model = '<literal>' AND
embedding IS NOT NULL`, see db/vectors.py): a parameter instead of the literal model name, or a
different cast, silently turns an index scan into a full scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import numpy as np
import psycopg
from psycopg import sql

from eventlens.db.photos_repo import PhotoFilter
from eventlens.db.vectors import MODEL_DIMS
from eventlens.photos import PHOTO_COLUMNS

CANDIDATES_PER_MODALITY = 100
"""Each modality contributes at most this many candidates to fusion (and so to all pages)."""

TRIGRAM_THRESHOLD = 0.52
"""pg_trgm word similarity a fuzzy hit needs ("Harvrd" vs "Harvard" 0.56, "Stanfrod" 0.56). Just
above 0.5 because pg_trgm's bar is inclusive and half-shared prefixes score exactly 0.5: at 0.5,
"banana" matched 43 photos through "banquet" and "band" (benchmarks/search_relevance.py)."""

TRIGRAM_SCAN_CAP = 1000
"""Fuzzy matches scored per query at most (the typo fallback, not an exhaustive ranking)."""

HNSW_EF_SEARCH = 100
"""Candidate list size of an HNSW scan; benchmarks/search.py measures recall and p95 against it."""


def tune_hnsw(conn: psycopg.Connection[Any], ef_search: int = HNSW_EF_SEARCH) -> None:
    """Transaction-local HNSW settings: iterative scans keep filtered kNN queries (event, hidden) full."""
    conn.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(int(ef_search))))
    # The planner prices word_similarity() and ILIKE like cheap operators and may filter the
    # whole event rather than use the trigram GIN indexes (300x slower at 10k photos); costlier
    # operators make it weigh per-row filtering honestly (see also migration 0004).
    conn.execute("SET LOCAL cpu_operator_cost = 0.25")
    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    conn.execute(
        sql.SQL("SET LOCAL pg_trgm.word_similarity_threshold = {}").format(sql.Literal(TRIGRAM_THRESHOLD))
    )


def _vector_expr(alias: str, dim: int) -> sql.Composable:
    return sql.SQL("{}.embedding::vector({})").format(sql.Identifier(alias), sql.Literal(dim))


def _query_vector(dim: int, name: str) -> sql.Composable:
    return sql.SQL("%({})s::vector({})").format(sql.SQL(name), sql.Literal(dim))


def _vec(values: np.ndarray) -> str:
    return "[" + ",".join(f"{v:.7g}" for v in np.asarray(values, np.float32).ravel()) + "]"


def hybrid_candidates(
    conn: psycopg.Connection[Any],
    query: str,
    embedding: np.ndarray | None,
    text_model: str,
    filters: PhotoFilter,
    semantic_floor: float,
    photo_ids: Sequence[UUID] | None = None,
    limit: int = CANDIDATES_PER_MODALITY,
) -> list[dict[str, Any]]:
    """Photos matching `query` by full text, trigram/ILIKE or meaning, one statement.

    Each row carries the photo columns plus `fulltext`, `trigram` and `semantic` scores (NULL where
    that modality did not match). `photo_ids` narrows the search to those photos (selfie + text).
    """
    where, where_params = filters.where()
    if photo_ids is not None:
        where = sql.SQL("{} AND p.id = ANY(%(ids)s)").format(where)
    params: dict[str, Any] = {f"w{i}": value for i, value in enumerate(where_params)}
    # PhotoFilter renders positional %s; rename them so this statement can use named parameters.
    where = _named(conn, where, len(where_params))
    params.update(
        q=query,
        like=f"%{_escape_like(query)}%",
        n=limit,
        cap=TRIGRAM_SCAN_CAP,
        floor=semantic_floor,
        ids=list(photo_ids or []),
    )
    columns = ("visible_text", "people_descriptions", "scene_description", "filename")
    fuzzy = sql.SQL(" OR ").join(
        sql.SQL("p.{c} %%> %(q)s OR p.{c} ILIKE %(like)s").format(c=sql.Identifier(c)) for c in columns
    )
    closeness = sql.SQL(", ").join(
        sql.SQL("word_similarity(%(q)s, p.{})").format(sql.Identifier(c)) for c in columns
    )
    semantic: sql.Composable = sql.SQL("SELECT NULL::uuid AS id, NULL::float8 AS score WHERE false")
    if embedding is not None:
        dim = MODEL_DIMS[text_model]
        distance = sql.SQL("{} <=> {}").format(_vector_expr("p", dim), _query_vector(dim, "emb"))
        semantic = sql.SQL(
            "SELECT id, score FROM (SELECT p.id, 1 - ({d}) AS score FROM photos p"
            " WHERE p.embedding_model = {model} AND p.embedding IS NOT NULL AND {where}"
            " ORDER BY {d} LIMIT %(n)s) nn WHERE score >= %(floor)s"
        ).format(d=distance, model=sql.Literal(text_model), where=where)
        params["emb"] = _vec(embedding)
    statement = sql.SQL(
        # The tsquery is spelled inline, not joined from a CTE: only a constant lets GIN be used.
        "WITH fulltext AS (SELECT p.id,"
        "  ts_rank_cd(p.search_tsv, websearch_to_tsquery('english', %(q)s), 32) AS score FROM photos p"
        "  WHERE {where} AND p.search_tsv @@ websearch_to_tsquery('english', %(q)s)"
        "  ORDER BY score DESC LIMIT %(n)s),"
        # Trigrams are the fallback for typos and partial words: when full text already fills
        # the candidate list, the one-time filter skips scoring thousands of fuzzy matches.
        # A fuzzy query can match thousands of near-identical captions: rank the first
        # TRIGRAM_SCAN_CAP matches rather than score every one of them.
        " trigram AS (SELECT id, score FROM (SELECT p.id, greatest({closeness}) AS score FROM photos p"
        "  WHERE (SELECT count(*) FROM fulltext) < %(n)s AND {where} AND ({fuzzy}) LIMIT %(cap)s) fuzzy"
        "  ORDER BY score DESC LIMIT %(n)s),"
        " semantic AS MATERIALIZED ({semantic}),"
        " hits AS (SELECT id FROM fulltext UNION SELECT id FROM trigram UNION SELECT id FROM semantic)"
        " SELECT {columns}, f.score AS fulltext, t.score AS trigram, s.score AS semantic"
        " FROM hits JOIN photos p ON p.id = hits.id"
        " LEFT JOIN fulltext f ON f.id = hits.id LEFT JOIN trigram t ON t.id = hits.id"
        " LEFT JOIN semantic s ON s.id = hits.id"
    ).format(where=where, closeness=closeness, fuzzy=fuzzy, semantic=semantic, columns=sql.SQL(PHOTO_COLUMNS))
    return conn.execute(statement, params).fetchall()


def _named(conn: psycopg.Connection[Any], where: sql.Composable, count: int) -> sql.Composable:
    """Rewrite the filter's positional placeholders as %(w0)s, %(w1)s, ... ."""
    if count == 0:
        return where
    text = where.as_string(conn)
    parts = text.split("%s")
    assert len(parts) == count + 1
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += f"%(w{i})s" + part
    return sql.SQL(out)  # the filter's own SQL text, no user input


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def face_neighbours(
    conn: psycopg.Connection[Any], embedding: np.ndarray, model: str, min_similarity: float, k: int
) -> list[dict[str, Any]]:
    """Visible photos holding a face within `min_similarity` of `embedding`, best face per photo.

    The k nearest faces come from the HNSW index (sentinel rows have no embedding and are outside
    the partial index); the distance cut is applied after, as pgvector recommends for iterative scans.
    """
    dim = MODEL_DIMS[model]
    distance = sql.SQL("{} <=> {}").format(_vector_expr("f", dim), _query_vector(dim, "emb"))
    statement = sql.SQL(
        "WITH nn AS MATERIALIZED (SELECT f.photo_id, {d} AS distance FROM face_embeddings f"
        "  WHERE f.model = {model} AND f.embedding IS NOT NULL AND f.event_id = current_event_id()"
        "  ORDER BY {d} LIMIT %(k)s),"
        " best AS (SELECT photo_id, max(1 - distance) AS similarity FROM nn"
        "  WHERE distance <= 1 - %(min)s GROUP BY photo_id)"
        " SELECT {columns}, best.similarity FROM best JOIN photos p ON p.id = best.photo_id"
        " WHERE p.event_id = current_event_id() AND NOT p.hidden ORDER BY best.similarity DESC, p.id"
    ).format(d=distance, model=sql.Literal(model), columns=sql.SQL(PHOTO_COLUMNS))
    return conn.execute(statement, {"emb": _vec(embedding), "k": k, "min": min_similarity}).fetchall()


def face_knn_ids(
    conn: psycopg.Connection[Any], embedding: np.ndarray, model: str, k: int, exact: bool = False
) -> list[int]:
    """Ids of the k nearest faces: the index scan find-me uses, or (exact) a full scan for recall."""
    dim = MODEL_DIMS[model]
    distance = sql.SQL("{} <=> {}").format(_vector_expr("f", dim), _query_vector(dim, "emb"))
    if exact:
        # Sorting by an expression the index does not order by forces the exact scan.
        distance = sql.SQL("({}) + 0").format(distance)
    statement = sql.SQL(
        "SELECT f.id FROM face_embeddings f WHERE f.model = {model} AND f.embedding IS NOT NULL"
        " AND f.event_id = current_event_id() ORDER BY {d} LIMIT %(k)s"
    ).format(d=distance, model=sql.Literal(model))
    return [row["id"] for row in conn.execute(statement, {"emb": _vec(embedding), "k": k}).fetchall()]


def companion_photos(
    conn: psycopg.Connection[Any],
    embedding: np.ndarray,
    model: str,
    threshold: float,
    my_photos: Sequence[UUID],
    companions: int = 8,
    k: int = 50,
    limit: int = 12,
) -> list[dict[str, Any]]:
    """Photos without me that show people photographed with me, most shared companions first.

    Companions are the largest other faces in my matched photos; each is looked up by kNN and its
    photos that are not already mine are counted.
    """
    dim = MODEL_DIMS[model]
    mine = _query_vector(dim, "emb")
    statement = sql.SQL(
        "WITH companion AS (SELECT row_number() OVER () AS n, c.e FROM ("
        "  SELECT {fv} AS e FROM face_embeddings f"
        "  WHERE f.event_id = current_event_id() AND f.model = {model} AND f.embedding IS NOT NULL"
        "   AND f.photo_id = ANY(%(mine)s) AND ({fv} <=> {me}) > 1 - %(thr)s"
        "  ORDER BY f.bbox[3] * f.bbox[4] DESC NULLS LAST LIMIT %(c)s) c),"
        " seen AS (SELECT companion.n, nn.photo_id FROM companion CROSS JOIN LATERAL ("
        "  SELECT g.photo_id, {gv} <=> companion.e AS distance FROM face_embeddings g"
        "  WHERE g.model = {model} AND g.embedding IS NOT NULL AND g.event_id = current_event_id()"
        "  ORDER BY {gv} <=> companion.e LIMIT %(k)s) nn"
        "  WHERE nn.distance <= 1 - %(thr)s AND NOT nn.photo_id = ANY(%(mine)s))"
        " SELECT {columns}, count(DISTINCT seen.n) AS companions"
        " FROM seen JOIN photos p ON p.id = seen.photo_id"
        " WHERE p.event_id = current_event_id() AND NOT p.hidden"
        " GROUP BY p.id ORDER BY companions DESC, p.id LIMIT %(limit)s"
    ).format(
        fv=_vector_expr("f", dim),
        gv=_vector_expr("g", dim),
        me=mine,
        model=sql.Literal(model),
        columns=sql.SQL(PHOTO_COLUMNS),
    )
    params = {
        "emb": _vec(embedding),
        "mine": list(my_photos),
        "thr": threshold,
        "c": companions,
        "k": k,
        "limit": limit,
    }
    return conn.execute(statement, params).fetchall()


def similar_photos(
    conn: psycopg.Connection[Any],
    photo_id: UUID,
    text_model: str,
    face_model: str,
    face_threshold: float,
    limit: int,
    face_weight: float = 0.25,
) -> list[dict[str, Any]]:
    """Visible photos near `photo_id` by description embedding, plus a bonus per shared face."""
    tdim, fdim = MODEL_DIMS[text_model], MODEL_DIMS[face_model]
    origin = sql.SQL(
        "(SELECT o.embedding::vector({dim}) FROM photos o"
        " WHERE o.id = %(id)s AND o.embedding_model = {model})"
    ).format(dim=sql.Literal(tdim), model=sql.Literal(text_model))
    statement = sql.SQL(
        "WITH sem AS MATERIALIZED (SELECT p.id, 1 - ({pv} <=> {origin}) AS score FROM photos p"
        "  WHERE p.embedding_model = {tmodel} AND p.embedding IS NOT NULL AND p.event_id = current_event_id()"
        "   AND NOT p.hidden AND p.id <> %(id)s ORDER BY {pv} <=> {origin} LIMIT %(n)s),"
        " shared AS (SELECT nn.photo_id AS id, count(DISTINCT f.id) AS faces FROM face_embeddings f"
        "  CROSS JOIN LATERAL (SELECT g.photo_id, {gv} <=> {fv} AS distance FROM face_embeddings g"
        "   WHERE g.model = {fmodel} AND g.embedding IS NOT NULL AND g.event_id = current_event_id()"
        "   ORDER BY {gv} <=> {fv} LIMIT 40) nn"
        "  WHERE f.photo_id = %(id)s AND f.model = {fmodel} AND f.embedding IS NOT NULL"
        "   AND nn.distance <= 1 - %(thr)s AND nn.photo_id <> %(id)s GROUP BY nn.photo_id),"
        " scored AS (SELECT coalesce(sem.id, shared.id) AS id,"
        "  coalesce(sem.score, 0) + %(fw)s * coalesce(shared.faces, 0) AS score"
        "  FROM sem FULL JOIN shared ON shared.id = sem.id)"
        " SELECT {columns}, scored.score FROM scored JOIN photos p ON p.id = scored.id"
        " WHERE p.event_id = current_event_id() AND NOT p.hidden ORDER BY scored.score DESC, p.id LIMIT %(n)s"
    ).format(
        pv=_vector_expr("p", tdim),
        gv=_vector_expr("g", fdim),
        fv=_vector_expr("f", fdim),
        origin=origin,
        tmodel=sql.Literal(text_model),
        fmodel=sql.Literal(face_model),
        columns=sql.SQL(PHOTO_COLUMNS),
    )
    params = {"id": photo_id, "n": limit, "thr": face_threshold, "fw": face_weight}
    return conn.execute(statement, params).fetchall()


def photo_exists(conn: psycopg.Connection[Any], photo_id: UUID) -> bool:
    row = conn.execute(
        "SELECT 1 FROM photos WHERE id = %s AND event_id = current_event_id()", (photo_id,)
    ).fetchone()
    return row is not None


def stored_duplicates(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Photos the dedupe phase put in a cluster, grouped by cluster (hidden ones too: organizers see all)."""
    return conn.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id()"
        " AND p.duplicate_cluster IS NOT NULL ORDER BY p.duplicate_cluster, p.filename, p.id"
    ).fetchall()


def hashes(conn: psycopg.Connection[Any]) -> list[tuple[UUID, str, int | None]]:
    """(id, content_hash, phash) of every photo of the event: what clustering needs, nothing more."""
    with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        return cur.execute(
            "SELECT id, content_hash, phash FROM photos WHERE event_id = current_event_id()"
        ).fetchall()


def photos_by_id(conn: psycopg.Connection[Any], photo_ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
    rows = conn.execute(
        "SELECT " + PHOTO_COLUMNS + " FROM photos p WHERE p.event_id = current_event_id() AND p.id = ANY(%s)",
        (list(photo_ids),),
    ).fetchall()
    return {row["id"]: row for row in rows}


def nearest_session(
    conn: psycopg.Connection[Any], embedding: np.ndarray, model: str
) -> dict[str, Any] | None:
    """The earlier find-me session whose face is closest to this one (sessions are few per event)."""
    dim = MODEL_DIMS[model]
    distance = sql.SQL("m.embedding::vector({}) <=> {}").format(sql.Literal(dim), _query_vector(dim, "emb"))
    return conn.execute(
        sql.SQL(
            "SELECT m.id, m.match_count, m.created_at, 1 - ({d}) AS similarity FROM match_sessions m"
            " WHERE m.event_id = current_event_id() AND m.model = %(model)s ORDER BY {d} LIMIT 1"
        ).format(d=distance),
        {"emb": _vec(embedding), "model": model},
    ).fetchone()


def record_session(
    conn: psycopg.Connection[Any],
    embedding: np.ndarray,
    model: str,
    tier: str,
    photo_ids: Sequence[UUID],
    top_confidence: float | None,
    query_text: str | None,
) -> None:
    conn.execute(
        "INSERT INTO match_sessions (event_id, model, embedding, tier, match_count, top_confidence,"
        " query_text, photo_ids) VALUES (current_event_id(), %s, %s::vector, %s, %s, %s, %s, %s)",
        (model, _vec(embedding), tier, len(photo_ids), top_confidence, query_text, list(photo_ids)),
    )


def session_stats(conn: psycopg.Connection[Any], recent: int, hot: int) -> dict[str, Any]:
    """Sessions count, the latest sessions and the photos most often returned."""
    count = conn.execute(
        "SELECT count(*) AS n FROM match_sessions WHERE event_id = current_event_id()"
    ).fetchone()
    latest = conn.execute(
        "SELECT created_at AS at, tier, match_count, top_confidence, query_text FROM match_sessions"
        " WHERE event_id = current_event_id() ORDER BY created_at DESC LIMIT %s",
        (recent,),
    ).fetchall()
    hot_rows = conn.execute(
        "WITH hits AS (SELECT unnest(photo_ids) AS id FROM match_sessions"
        "  WHERE event_id = current_event_id()),"
        " counted AS (SELECT id, count(*) AS matches FROM hits GROUP BY id)"
        " SELECT " + PHOTO_COLUMNS + ", counted.matches FROM counted JOIN photos p ON p.id = counted.id"
        " WHERE NOT p.hidden ORDER BY counted.matches DESC, p.id LIMIT %s",
        (hot,),
    ).fetchall()
    return {"sessions": int(count["n"]) if count else 0, "recent": latest, "hot": hot_rows}


def session_embeddings(conn: psycopg.Connection[Any], model: str, limit: int = 5000) -> np.ndarray:
    """The latest session embeddings of one model, as a (n, dim) array, to count distinct faces."""
    rows = conn.execute(
        "SELECT embedding::text AS e FROM match_sessions WHERE event_id = current_event_id() AND model = %s"
        " ORDER BY created_at DESC LIMIT %s",
        (model, limit),
    ).fetchall()
    if not rows:
        return np.zeros((0, MODEL_DIMS[model]), np.float32)
    return np.array([[float(v) for v in r["e"].strip("[]").split(",")] for r in rows], np.float32)
