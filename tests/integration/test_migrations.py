"""Migrations apply once, are recorded, and refuse a mixed vector space."""

from __future__ import annotations

import psycopg
import pytest
from eventlens.db.migrate import upgrade
from eventlens.db.vectors import VectorSpaceMismatch, ensure_space


def _schema(conn: psycopg.Connection) -> list[tuple]:
    return (
        conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2"
        ).fetchall()
        + conn.execute("SELECT indexname, indexdef FROM pg_indexes ORDER BY 1").fetchall()
    )


def test_upgrade_twice_changes_nothing_the_second_time(db: str, owner_conn) -> None:
    before = _schema(owner_conn)
    assert upgrade(db) == []
    assert _schema(owner_conn) == before
    from eventlens.db.migrate import available

    versions = owner_conn.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    assert versions == [(m.version,) for m in available()]


def test_configured_vector_spaces_are_recorded_and_indexed(db: str, owner_conn) -> None:
    spaces = owner_conn.execute("SELECT space, model, dim FROM vector_spaces ORDER BY 1").fetchall()
    assert spaces == [("description", "minilm-l6-v2", 384), ("face", "sface", 128)]
    indexes = {r[0] for r in owner_conn.execute("SELECT indexname FROM pg_indexes").fetchall()}
    assert {"face_embeddings_sface_hnsw", "photos_minilm_l6_v2_hnsw"} <= indexes


def test_a_model_with_another_dimension_is_refused(db: str, owner_conn) -> None:
    with pytest.raises(VectorSpaceMismatch, match="re-embed"):
        ensure_space(owner_conn, "face", "sface", 512)
