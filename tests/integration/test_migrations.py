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


def test_migrations_need_no_superuser(db_url: str) -> None:
    """The owner is what Aurora's master user is: CREATEROLE, no superuser (extensions pre-created)."""
    from eventlens.db.migrate import available

    with psycopg.connect(db_url) as conn:
        assert conn.execute(
            "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone() == (False, True)
    applied = upgrade(db_url)
    assert applied[: len(available())] == [m.name for m in available()]
    with psycopg.connect(db_url) as conn:
        # 0004's superuser-only branch did nothing: text search is fast without LEAKPROOF.
        assert conn.execute(
            "SELECT count(*) FROM pg_proc WHERE proleakproof"
            " AND proname IN ('ts_match_vq', 'word_similarity_commutator_op', 'texticlike')"
        ).fetchone() == (0,)
        assert conn.execute(
            "SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'eventlens_app'"
        ).fetchone() == (True, False, False)


def test_every_table_the_app_reads_is_row_level_secured(db: str, owner_conn) -> None:
    """A new table the app may read must come with policies (vector_spaces is schema metadata)."""
    readable = owner_conn.execute(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c"
        " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')"
        "  AND (has_table_privilege('eventlens_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE')"
        "   OR has_any_column_privilege('eventlens_app', c.oid, 'SELECT, INSERT, UPDATE'))"
        " ORDER BY 1"
    ).fetchall()
    assert {name for name, _, _ in readable} == {
        "album_bans",
        "album_contributors",
        "album_events",
        "album_face_opt_outs",
        "album_flags",
        "album_item_faces",
        "album_item_tags",
        "album_items",
        "album_links",
        "album_ratings",
        "album_subjects",
        "albums",
        "archives",
        "audit_log",
        "compilations",
        "deleted_sources",
        "drive_items",
        "drive_sources",
        "events",
        "face_clusters",
        "face_data_purges",
        "face_embeddings",
        "face_opt_outs",
        "find_me_consents",
        "grants",
        "invitations",
        "live_items",
        "live_listing",
        "live_sources",
        "match_sessions",
        "media_comment_flags",
        "media_comments",
        "media_reactions",
        "media_upvotes",
        "media_views",
        "media_watch",
        "organizations",
        "people",
        "person_links",
        "person_sessions",
        "photo_aliases",
        "photos",
        "pipeline_run_events",
        "pipeline_runs",
        "role_rights",
        "sign_in_failures",
        "stored_objects",
        "subjects",
        "vector_spaces",
    }
    for name, secured, forced in readable:
        assert secured or name == "vector_spaces", f"{name} has no row-level security"
        assert not forced, f"{name}: the owner (migrations, search functions) is not bound by policies"
    policies = {r[0] for r in owner_conn.execute("SELECT DISTINCT tablename FROM pg_policies").fetchall()}
    assert policies == {name for name, secured, _ in readable if secured}


def test_functions_that_read_past_the_policies_are_pinned_and_granted_to_the_app_only(
    db: str, owner_conn
) -> None:
    rows = owner_conn.execute(
        "SELECT proname, proconfig, has_function_privilege('eventlens_app', oid, 'EXECUTE'),"
        " has_function_privilege('public', oid, 'EXECUTE') FROM pg_proc"
        " WHERE prosecdef AND pronamespace = 'public'::regnamespace ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("acting_person_banned", ["search_path=public, pg_temp"], True, False),
        ("album_flags_count", ["search_path=public, pg_temp"], False, False),
        ("album_items_references", ["search_path=public, pg_temp"], False, False),
        ("album_link_allows", ["search_path=public, pg_temp"], True, False),
        ("album_ratings_rollup", ["search_path=public, pg_temp"], False, False),
        ("audit_log_append", ["search_path=public, pg_temp"], False, False),
        ("audit_verify", ["search_path=public, pg_temp"], True, False),
        ("event_is_large", ["search_path=public, pg_temp"], True, False),
        ("event_moved", ["search_path=public, pg_temp"], False, False),
        ("event_password_hash", ["search_path=public, pg_temp"], True, False),
        ("event_vector_rows", ["search_path=public, pg_temp"], False, False),
        ("findme_activity", ["search_path=public, pg_temp"], True, False),
        ("findme_hot_photos", ["search_path=public, pg_temp"], True, False),
        ("gemini_rate_hold", ["search_path=public, pg_temp"], True, False),
        ("gemini_rate_take", ["search_path=public, pg_temp"], True, False),
        ("grants_changed", ["search_path=public, pg_temp"], False, False),
        ("media_comment_flagged", ["search_path=public, pg_temp"], False, False),
        ("media_comments_changed", ["search_path=public, pg_temp"], False, False),
        ("media_count_changed", ["search_path=public, pg_temp"], False, False),
        ("media_watch_changed", ["search_path=public, pg_temp"], False, False),
        ("person_password_hash", ["search_path=public, pg_temp"], True, False),
        ("person_signed_out", ["search_path=public, pg_temp"], False, False),
        (
            "search_text_candidates",
            ["search_path=public, pg_temp", "plan_cache_mode=force_generic_plan"],
            True,
            False,
        ),
    ]
