"""SQL for search: hybrid text candidates (full text, trigrams, meaning) and similar photos.

Every statement runs inside a scoped transaction and still names `event_id = current_event_id()`
so the planner can use the per-event indexes. Vector queries repeat the exact expression and
predicate of the partial HNSW index (`db.vectors.vector_expr`, `WHERE model = '<literal>' AND
embedding IS NOT NULL`): a parameter instead of the literal model name, or a different cast,
silently turns an index scan into a full scan. Each kNN asks first whether the event is large
(migration 0013): a large event is named as a constant, so its own HNSW index serves; a small
one's rows are read by the event index and every distance is computed (exact, and faster than a
graph shared with every other event; benchmarks/many_events.py).

Text candidates come from `search_text_candidates()` (migrations 0006, 0032, 0033): under row-level
security PostgreSQL uses an index for a condition only when its operator is LEAKPROOF, which `@@`,
`%>` and ILIKE are not (and only a superuser could declare). That function runs as the schema
owner, applies the photos policy itself (the event in scope, no hidden photo for a visitor) and
returns ids and scores; this statement joins them to `photos` under the caller's policies. Its
lookups carry the event's token, so the shared GIN indexes hand back only the event's rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from psycopg import sql

from eventlens.db import Tx
from eventlens.db.photos import PHOTO_COLUMNS, PhotoFilter, PhotoRow
from eventlens.db.vectors import MODEL_DIMS, query_vector, tune_hnsw, vector_expr, vector_literal

if TYPE_CHECKING:
    import numpy as np

CANDIDATES_PER_MODALITY = 100
"""Each modality contributes at most this many candidates to fusion (and so to all pages)."""

TRIGRAM_THRESHOLD = 0.52
"""pg_trgm word similarity a fuzzy hit needs ("Harvrd" vs "Harvard" 0.56, "Stanfrod" 0.56). Just
above 0.5 because pg_trgm's bar is inclusive and half-shared prefixes score exactly 0.5: at 0.5,
"banana" matched 43 photos through "banquet" and "band" (benchmarks/search_relevance.py)."""

TRIGRAM_SCAN_CAP = 200
"""Fuzzy matches scored per query at most (the typo fallback, not an exhaustive ranking): each is
read and its word similarity computed twice (the index's recheck, then the score), 25-50 us for a
query of a few words, and a 50k-photo event has thousands for "people networking with drinks".
200 rather than 300: 4-7 ms less for such a query, and the same nDCG@10 on
benchmarks/search_relevance.py, whose typos match at most 129 photos (benchmarks/many_events.py)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """A photo some modality matched, with each modality's score (None: it did not match)."""

    photo: PhotoRow
    fulltext: float | None
    trigram: float | None
    semantic: float | None


def _large_event(tx: Tx, space: str) -> UUID | None:
    """The event in scope if it has many rows in `space` ('face', 'description'), else None."""
    row = tx.execute(
        "SELECT CASE WHEN event_is_large(%s) THEN current_event_id() END AS event", (space,)
    ).fetchone()
    return None if row is None else row["event"]


def _by_distance(distance: sql.Composable, event_id: sql.Composable, large: UUID | None) -> sql.Composable:
    """`AND <event is the constant> ORDER BY distance` for a large event; for a small one, ORDER BY
    a copy of the distance, which keeps the planner off the HNSW index."""
    if large is None:
        return sql.SQL(" ORDER BY ({}) + 0").format(distance)
    return sql.SQL(" AND {} = {} ORDER BY {}").format(event_id, sql.Literal(large), distance)


def tune(tx: Tx) -> None:
    """Transaction-local settings for the search statements (kNN and text)."""
    tune_hnsw(tx)
    # The planner prices word_similarity() and ILIKE like cheap operators and may filter the
    # whole event rather than use the trigram GIN indexes (300x slower at 10k photos); costlier
    # operators make it weigh per-row filtering honestly.
    tx.execute("SET LOCAL cpu_operator_cost = 0.25")
    tx.execute(
        sql.SQL("SET LOCAL pg_trgm.word_similarity_threshold = {}").format(sql.Literal(TRIGRAM_THRESHOLD))
    )


def hybrid_candidates(
    tx: Tx,
    query: str,
    embedding: np.ndarray | None,
    text_model: str,
    filters: PhotoFilter,
    semantic_floor: float,
    photo_ids: Sequence[UUID] | None = None,
    limit: int = CANDIDATES_PER_MODALITY,
) -> list[Hit]:
    """Photos matching `query` by full text, trigram/ILIKE or meaning, one statement.

    Each row carries the photo columns plus `fulltext`, `trigram` and `semantic` scores (NULL where
    that modality did not match). `photo_ids` narrows the search to those photos (selfie + text).
    """
    where, where_params = filters.where()
    if photo_ids is not None:
        where = sql.SQL("{} AND p.id = ANY(%(ids)s)").format(where)
    params: dict[str, Any] = {f"w{i}": value for i, value in enumerate(where_params)}
    # PhotoFilter renders positional %s; rename them so this statement can use named parameters.
    where = _named(tx, where, len(where_params))
    params.update(
        q=query,
        like=f"%{_escape_like(query)}%",
        n=limit,
        cap=TRIGRAM_SCAN_CAP,
        floor=semantic_floor,
        ids=None if photo_ids is None else list(photo_ids),
        **_text_filter_args(filters),
    )
    semantic: sql.Composable = sql.SQL("SELECT NULL::uuid AS id, NULL::float8 AS score WHERE false")
    if embedding is not None:
        dim = MODEL_DIMS[text_model]
        distance = sql.SQL("{} <=> {}").format(vector_expr("p", dim), query_vector(dim, "emb"))
        semantic = sql.SQL(
            "SELECT id, score FROM (SELECT p.id, 1 - ({d}) AS score FROM photos p"
            " WHERE p.embedding_model = {model} AND p.embedding IS NOT NULL AND {where}{order}"
            " LIMIT {n}) nn WHERE score >= %(floor)s"
        ).format(
            d=distance,
            n=sql.Literal(int(limit)),
            model=sql.Literal(text_model),
            where=where,
            order=_by_distance(distance, sql.SQL("p.event_id"), _large_event(tx, "description")),
        )
        params["emb"] = vector_literal(embedding)
    statement = sql.SQL(
        # One row per photo and modality from the function: one row per photo here.
        "WITH text AS MATERIALIZED (SELECT id, max(fulltext) AS fulltext, max(trigram) AS trigram"
        "  FROM search_text_candidates(%(q)s, %(like)s, %(n)s, %(cap)s, %(include_hidden)s, %(only_hidden)s,"
        "   %(folder)s, %(tag)s, %(kind)s, %(taken_from)s::timestamptz, %(taken_to)s::timestamptz,"
        "   %(ids)s::uuid[]) GROUP BY id),"
        " semantic AS MATERIALIZED ({semantic}),"
        " hits AS (SELECT id FROM text UNION SELECT id FROM semantic)"
        # The photo rows are read under the caller's policies: a candidate the caller may not see
        # (another event's, or a hidden one for a visitor) cannot come back, whatever returned it.
        " SELECT {columns}, t.fulltext, t.trigram, s.score AS semantic"
        " FROM hits JOIN photos p ON p.id = hits.id"
        " LEFT JOIN text t ON t.id = hits.id LEFT JOIN semantic s ON s.id = hits.id"
        " WHERE {where}"
    ).format(where=where, semantic=semantic, columns=sql.SQL(PHOTO_COLUMNS))
    if where_params or photo_ids is not None:
        rows = tx.execute(statement, params).fetchall()
    else:
        # An unfiltered search (what visitors run) is planned once per connection: photos carries
        # every large event's own indexes, and weighing them cost 3-7 ms a search. Its text names a
        # large event and the limit as constants, so the generic plan is the plan a custom one would
        # be. A filter's values are parameters whose selectivity (a date range, hidden photos) only a
        # custom plan sees, so a filtered search is planned each time (migration 0033).
        tx.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        rows = tx.execute(statement, params).fetchall()
        tx.execute("SET LOCAL plan_cache_mode = DEFAULT")
    return [Hit(PhotoRow.of(r), r["fulltext"], r["trigram"], r["semantic"]) for r in rows]


_TEXT_FILTERS = ("folder", "tag", "kind", "taken_from", "taken_to", "include_hidden", "hidden")


def _text_filter_args(filters: PhotoFilter) -> dict[str, Any]:
    """The filter as search_text_candidates() takes it (a new PhotoFilter field must be added there)."""
    known = {f.name for f in dataclasses.fields(filters)}
    if known != set(_TEXT_FILTERS):
        raise NotImplementedError(
            f"search_text_candidates() does not know the filters {known ^ set(_TEXT_FILTERS)}"
        )
    return {
        "include_hidden": filters.include_hidden,
        "only_hidden": filters.hidden,
        "folder": filters.folder,
        "tag": filters.tag,
        "kind": filters.kind,
        "taken_from": filters.taken_from,
        "taken_to": filters.taken_to,
    }


def _named(tx: Tx, where: sql.Composable, count: int) -> sql.Composable:
    """Rewrite the filter's positional placeholders as %(w0)s, %(w1)s, ... ."""
    if count == 0:
        return where
    text = where.as_string(tx)
    parts = text.split("%s")
    assert len(parts) == count + 1
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += f"%(w{i})s" + part
    return sql.SQL(out)  # the filter's own SQL text, no user input


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def similar_photos(
    tx: Tx,
    photo_id: UUID,
    text_model: str,
    face_model: str,
    face_threshold: float,
    limit: int,
    face_weight: float = 0.25,
) -> list[PhotoRow]:
    """Visible photos near `photo_id` by description embedding, plus a bonus per shared face."""
    tdim, fdim = MODEL_DIMS[text_model], MODEL_DIMS[face_model]
    origin = sql.SQL(
        "(SELECT o.embedding::vector({dim}) FROM photos o"
        " WHERE o.id = %(id)s AND o.embedding_model = {model})"
    ).format(dim=sql.Literal(tdim), model=sql.Literal(text_model))
    photo_distance = sql.SQL("{} <=> {}").format(vector_expr("p", tdim), origin)
    face_distance = sql.SQL("{} <=> {}").format(vector_expr("g", fdim), vector_expr("f", fdim))
    statement = sql.SQL(
        "WITH sem AS MATERIALIZED (SELECT p.id, 1 - ({pv} <=> {origin}) AS score FROM photos p"
        "  WHERE p.embedding_model = {tmodel} AND p.embedding IS NOT NULL AND p.event_id = current_event_id()"
        "   AND p.is_public AND p.id <> %(id)s{photo_order} LIMIT %(n)s),"
        " shared AS (SELECT nn.photo_id AS id, count(DISTINCT f.id) AS faces FROM face_embeddings f"
        "  CROSS JOIN LATERAL (SELECT g.photo_id, {gv} <=> {fv} AS distance FROM face_embeddings g"
        "   WHERE g.model = {fmodel} AND g.embedding IS NOT NULL AND NOT g.hidden AND g.event_id = current_event_id()"
        "   {face_order} LIMIT 40) nn"
        "  WHERE f.photo_id = %(id)s AND f.model = {fmodel} AND f.embedding IS NOT NULL AND NOT f.hidden"
        "   AND nn.distance <= 1 - %(thr)s AND nn.photo_id <> %(id)s GROUP BY nn.photo_id),"
        " scored AS (SELECT coalesce(sem.id, shared.id) AS id,"
        "  coalesce(sem.score, 0) + %(fw)s * coalesce(shared.faces, 0) AS score"
        "  FROM sem FULL JOIN shared ON shared.id = sem.id)"
        " SELECT {columns}, scored.score FROM scored JOIN photos p ON p.id = scored.id"
        " WHERE p.event_id = current_event_id() AND p.is_public ORDER BY scored.score DESC, p.id LIMIT %(n)s"
    ).format(
        pv=vector_expr("p", tdim),
        gv=vector_expr("g", fdim),
        fv=vector_expr("f", fdim),
        origin=origin,
        tmodel=sql.Literal(text_model),
        fmodel=sql.Literal(face_model),
        photo_order=_by_distance(photo_distance, sql.SQL("p.event_id"), _large_event(tx, "description")),
        face_order=_by_distance(face_distance, sql.SQL("g.event_id"), _large_event(tx, "face")),
        columns=sql.SQL(PHOTO_COLUMNS),
    )
    params = {"id": photo_id, "n": limit, "thr": face_threshold, "fw": face_weight}
    return [PhotoRow.of(r) for r in tx.execute(statement, params).fetchall()]


def photos_near(
    tx: Tx, vector: Any, text_model: str, limit: int, exclude: UUID | None = None
) -> list[PhotoRow]:
    """Visible photos nearest `vector` in the description space of `text_model`."""
    dim = MODEL_DIMS[text_model]
    distance = sql.SQL("{} <=> {}").format(vector_expr("p", dim), query_vector(dim, "v"))
    statement = sql.SQL(
        "SELECT {columns} FROM photos p WHERE p.embedding_model = {model} AND p.embedding IS NOT NULL"
        " AND p.event_id = current_event_id() AND p.is_public AND p.id IS DISTINCT FROM %(exclude)s{order}"
        " LIMIT %(n)s"
    ).format(
        columns=sql.SQL(PHOTO_COLUMNS),
        model=sql.Literal(text_model),
        order=_by_distance(distance, sql.SQL("p.event_id"), _large_event(tx, "description")),
    )
    params = {"v": vector_literal(vector), "n": limit, "exclude": exclude}
    return [PhotoRow.of(r) for r in tx.execute(statement, params).fetchall()]


VOCABULARY_CAP = 20000
"""Distinct words read for did-you-mean at most (a large event's long tail adds nothing useful)."""


def event_words(tx: Tx, filters: PhotoFilter) -> list[str]:
    """The distinct words the caller's photos carry (text, descriptions, folder, file name), as written."""
    where, params = filters.where()
    statement = sql.SQL(
        "SELECT DISTINCT w.word FROM photos p, regexp_split_to_table("
        " concat_ws(' ', p.visible_text, p.scene_description, p.people_descriptions, p.folder, p.filename),"
        " '[^[:alnum:]]+') AS w(word)"
        " WHERE length(w.word) >= 3 AND {where} LIMIT {cap}"
    ).format(where=where, cap=sql.Literal(VOCABULARY_CAP))
    return [r["word"] for r in tx.execute(statement, params).fetchall()]


def photo_exists(tx: Tx, photo_id: UUID) -> bool:
    row = tx.execute(
        "SELECT 1 FROM photos WHERE id = %s AND event_id = current_event_id()", (photo_id,)
    ).fetchone()
    return row is not None
