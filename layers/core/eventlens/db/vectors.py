"""Embedding spaces: each (space, model) pair has one dimension, recorded and indexed.

Vectors of different models never mix: every row carries its model, each model gets its own
partial HNSW index over `embedding::vector(dim)`, and a model whose dimension disagrees with
the recorded one is refused.
"""

from __future__ import annotations

from typing import Any

import psycopg

from eventlens.config import Settings, settings

SPACES: dict[str, str] = {"face": "face_embeddings", "description": "photos"}
"""Embedding space -> the table holding its vectors (in its `embedding` column)."""

MODEL_DIMS: dict[str, int] = {
    "sface": 128,
    "buffalo_l": 512,
    "minilm-l6-v2": 384,
    "gemini-embedding-001": 768,
}


class VectorSpaceMismatch(RuntimeError):
    pass


def model_column(space: str) -> str:
    return "model" if space == "face" else "embedding_model"


def index_name(space: str, model: str) -> str:
    return f"{SPACES[space]}_{model.replace('-', '_')}_hnsw"


def ensure_space(conn: psycopg.Connection[Any], space: str, model: str, dim: int) -> list[str]:
    """Record (space, model, dim) and build its HNSW index; raise on a dimension mismatch."""
    row = conn.execute(
        "SELECT dim FROM vector_spaces WHERE space = %s AND model = %s", (space, model)
    ).fetchone()
    if row is not None and row[0] != dim:
        raise VectorSpaceMismatch(
            f"{space} vectors of model {model} are recorded as {row[0]}-d, but the model gives {dim}-d: "
            "re-embed into a new model name instead of mixing spaces"
        )
    if row is None:
        conn.execute("INSERT INTO vector_spaces (space, model, dim) VALUES (%s, %s, %s)", (space, model, dim))
    name = index_name(space, model)
    conn.execute(
        psycopg.sql.SQL(
            "CREATE INDEX IF NOT EXISTS {name} ON {table} USING hnsw "
            "((embedding::vector({dim})) vector_cosine_ops) WITH (m = 16, ef_construction = 64) "
            "WHERE {column} = {model} AND embedding IS NOT NULL"
        ).format(
            name=psycopg.sql.Identifier(name),
            table=psycopg.sql.Identifier(SPACES[space]),
            dim=psycopg.sql.Literal(dim),
            column=psycopg.sql.Identifier(model_column(space)),
            model=psycopg.sql.Literal(model),
        )
    )
    return [] if row is not None else [f"vector space {space}/{model} ({dim}-d)"]


def ensure_configured_spaces(conn: psycopg.Connection[Any], cfg: Settings | None = None) -> list[str]:
    cfg = cfg or settings()
    created = ensure_space(conn, "face", cfg.face_model, MODEL_DIMS[cfg.face_model])
    created += ensure_space(conn, "description", cfg.text_embedder, MODEL_DIMS[cfg.text_embedder])
    return created


def check_dim(conn: psycopg.Connection[Any], space: str, model: str, dim: int) -> None:
    """Refuse to write vectors whose dimension differs from the space's recorded one."""
    row = conn.execute(
        "SELECT dim FROM vector_spaces WHERE space = %s AND model = %s", (space, model)
    ).fetchone()
    recorded = None if row is None else (row["dim"] if isinstance(row, dict) else row[0])
    if recorded is None:
        raise VectorSpaceMismatch(f"no {space} vector space for model {model}: run `eventlens db upgrade`")
    if recorded != dim:
        raise VectorSpaceMismatch(f"{space}/{model} is {recorded}-d, got a {dim}-d vector")


# -- querying a space (the SQL pieces every kNN statement repeats) ------------------------------

HNSW_EF_SEARCH = 100
"""Candidate list size of an HNSW scan; benchmarks/search.py measures recall and p95 against it."""


def tune_hnsw(tx: psycopg.Connection[Any], ef_search: int = HNSW_EF_SEARCH) -> None:
    """Transaction-local HNSW settings: iterative scans keep filtered kNN queries (event, hidden) full."""
    tx.execute(psycopg.sql.SQL("SET LOCAL hnsw.ef_search = {}").format(psycopg.sql.Literal(int(ef_search))))
    tx.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")


def vector_expr(alias: str, dim: int) -> psycopg.sql.Composable:
    """`alias.embedding::vector(dim)`: the exact expression the partial HNSW index is built on."""
    return psycopg.sql.SQL("{}.embedding::vector({})").format(
        psycopg.sql.Identifier(alias), psycopg.sql.Literal(dim)
    )


def query_vector(dim: int, name: str) -> psycopg.sql.Composable:
    return psycopg.sql.SQL("%({})s::vector({})").format(psycopg.sql.SQL(name), psycopg.sql.Literal(dim))


def vector_literal(values: Any) -> str:
    """A float32 vector as pgvector's text form (`[0.1,0.2]`)."""
    import numpy as np

    return "[" + ",".join(f"{v:.7g}" for v in np.asarray(values, np.float32).ravel()) + "]"
