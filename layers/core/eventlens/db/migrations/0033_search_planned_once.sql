-- Search planned once, on estimates that hold.
--
-- An event large enough gets its own vector and trigram indexes on photos (migrations 0013, 0032):
-- 474 indexes at 300 events in 1M photos. The planner opens and weighs every one of them for each
-- mention of photos in a statement, 1-2 ms each, so a search (the candidates statement, its full
-- text and its trigram lookups) spent 10 of its 14 ms planning when nothing matched
-- (benchmarks/many_events.py). Now:
--
--   * full text: static SQL, so PL/pgSQL keeps its plan for the session, and the function runs
--     with plan_cache_mode = force_generic_plan, so that plan is reused from the first call. It
--     reads the shared index narrowed by the event's token (migration 0032), a plan that does not
--     depend on the event; its exact event test is written `(...) IS TRUE`, which no btree serves,
--     so the plan never also reads the event's 47k rows from the event index to AND them with the
--     words' (20 -> 15 ms for "dancing" in the largest event). Ranked by ts_rank, not ts_rank_cd: a
--     third less time for a word in 8,000 photos, the same nDCG@10 on benchmarks/search_relevance.py
--     (0.941 either way).
--   * trigrams: still planned per call, because an event with its own index is named as a
--     constant for the planner to prove the partial index applies; but one scan for the similar
--     and the containing photos (an OR of two conditions on the same index), not a union of two.
--     A containing match is similar too, except a fragment too short to share a trigram with the
--     word around it ("im" in "swimming"); the cap is now shared by both, and each match is read
--     once.
--   * the trigram indexes keep no statistics. With them (after any ANALYZE, as autovacuum runs in
--     production) the planner estimated "IMG_004242" to match 90% of a 47k-photo event, so it read
--     the event by its date index and computed word similarity row by row until 300 matched: 41 ms
--     instead of the index's 15 ms. It also evaluated the operator on each histogram entry at every
--     plan, 2-4 ms. Without statistics its default estimate (1%) keeps it on the trigram index. A
--     statistic once gathered stays until its index is dropped, hence the rebuilds here: the shared
--     index's holds writes to photos while it builds (20 s at 1M photos on 2 cores), the events' own
--     are built again concurrently by the owner's statements after the upgrade.

DROP INDEX photos_fuzzy_trgm_idx;
CREATE INDEX photos_fuzzy_trgm_idx ON photos USING gin (
  photo_fuzzy_text(event_id, visible_text, people_descriptions, scene_description, filename) gin_trgm_ops);
ALTER INDEX photos_fuzzy_trgm_idx ALTER COLUMN 1 SET STATISTICS 0;

-- The events' own trigram indexes go too; the owner's statements below build them again, without
-- statistics (until then those events read the shared index).
DO $$
DECLARE
  own record;
BEGIN
  FOR own IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = 'photos'::regclass AND c.relname ~ '^event_[0-9a-f]{32}_fuzzy$' LOOP
    EXECUTE format('DROP INDEX %I', own.relname);
  END LOOP;
END
$$;

-- Migration 0032's statements, and for each event's trigram index one more: no statistics (also
-- for an index built before, should the step after its creation not have run).
CREATE OR REPLACE FUNCTION event_vector_index_ddl() RETURNS SETOF text
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
DECLARE
  s record;
  e record;
  stale record;
  tbl text;
  col text;
  bound integer;
  target smallint;
BEGIN
  FOR stale IN
    SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid IN ('face_embeddings'::regclass, 'photos'::regclass)
       AND c.relname ~ '^event_[0-9a-f]{32}_'
       AND (NOT i.indisvalid OR NOT EXISTS (
             SELECT FROM events ev WHERE replace(ev.id::text, '-', '') = substr(c.relname, 7, 32)))
  LOOP
    RETURN NEXT format('DROP INDEX CONCURRENTLY IF EXISTS %I', stale.relname);
  END LOOP;
  FOR s IN SELECT space, model, dim FROM vector_spaces ORDER BY space, model LOOP
    tbl := CASE s.space WHEN 'face' THEN 'face_embeddings' ELSE 'photos' END;
    col := CASE s.space WHEN 'face' THEN 'model' ELSE 'embedding_model' END;
    bound := event_index_min_rows(s.space);
    FOR e IN SELECT ev.id FROM events ev ORDER BY ev.id LOOP
      IF event_vector_rows(s.space, e.id, bound) >= bound AND NOT EXISTS (
           SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE c.relname = event_vector_index_name(e.id, s.model) AND i.indisvalid) THEN
        RETURN NEXT format(
          'CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %I USING hnsw ((embedding::vector(%s)) vector_cosine_ops)'
          ' WITH (m = 16, ef_construction = 64) WHERE %I = %L AND embedding IS NOT NULL AND event_id = %L',
          event_vector_index_name(e.id, s.model), tbl, s.dim, col, s.model, e.id);
      END IF;
    END LOOP;
  END LOOP;
  bound := event_index_min_rows('fuzzy');
  FOR e IN SELECT ev.id FROM events ev ORDER BY ev.id LOOP
    IF event_vector_rows('description', e.id, bound) >= bound THEN
      target := NULL;  -- no valid index yet
      SELECT coalesce(a.attstattarget, -1) INTO target
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_attribute a ON a.attrelid = i.indexrelid AND a.attnum = 1
       WHERE c.relname = event_vector_index_name(e.id, 'fuzzy') AND i.indisvalid;
      IF target IS NULL THEN
        RETURN NEXT format(
          'CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON photos USING gin ((photo_fuzzy_text(event_id,'
          ' visible_text, people_descriptions, scene_description, filename)) gin_trgm_ops) WHERE event_id = %L',
          event_vector_index_name(e.id, 'fuzzy'), e.id);
      END IF;
      IF target IS DISTINCT FROM 0 THEN
        RETURN NEXT format('ALTER INDEX %I ALTER COLUMN 1 SET STATISTICS 0', event_vector_index_name(e.id, 'fuzzy'));
      END IF;
    END IF;
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION event_vector_index_ddl() FROM PUBLIC;

CREATE OR REPLACE FUNCTION search_text_candidates(
  q text, like_pattern text, n integer, scan_cap integer,
  include_hidden boolean, only_hidden boolean, in_folder text, with_tag text, of_kind text,
  taken_from timestamptz, taken_to timestamptz, photo_ids uuid[]
) RETURNS TABLE (id uuid, fulltext real, trigram real)
  LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 100
  SET search_path = public, pg_temp
  SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  -- The photos policy (may_see_photo) for the one event in scope, decided once rather than per
  -- matching row (migration 0032), and the caller's filters.
  allowed constant text := $w$
    p.event_id = current_event_id() AND $5 AND (p.is_public OR $6)
    AND ($7 OR p.is_public) AND ($8 IS NULL OR p.hidden = $8)
    AND ($9 IS NULL OR p.folder = $9) AND ($10 IS NULL OR p.auto_tag = $10)
    AND ($11 IS NULL OR p.kind = $11) AND ($12 IS NULL OR p.taken_at >= $12)
    AND ($13 IS NULL OR p.taken_at < $13) AND ($14 IS NULL OR p.id = ANY($14))$w$;
  fuzzy constant text :=
    $e$photo_fuzzy_text(p.event_id, p.visible_text, p.people_descriptions, p.scene_description, p.filename)$e$;
  words tsquery := websearch_to_tsquery('english', q);
  token text := photo_event_token(current_event_id());
  may_read boolean := may_read_event(current_event_id());
  staff boolean := actor_is_staff();
  -- The fuzzy scan's narrowing: the event named as a constant where it has its own trigram index
  -- (which the planner then reads), else the event's token in the shared index.
  narrow text := fuzzy || ' LIKE $4';
  matched integer := 0;
BEGIN
  IF token IS NULL OR NOT may_read THEN
    RETURN;
  END IF;
  -- A query of stop words only has no lexeme: `words && token` would be every photo of the event.
  IF numnode(words) > 0 THEN
    RETURN QUERY
      SELECT p.id, ts_rank(p.search_tsv, words, 32), NULL::real
        FROM public.photos p
       WHERE photo_event_tsv(p.event_id, p.search_tsv) @@ (words && token::tsquery)
         AND (p.event_id = current_event_id()) IS TRUE AND may_read AND (p.is_public OR staff)
         AND (include_hidden OR p.is_public) AND (only_hidden IS NULL OR p.hidden = only_hidden)
         AND (in_folder IS NULL OR p.folder = in_folder) AND (with_tag IS NULL OR p.auto_tag = with_tag)
         AND (of_kind IS NULL OR p.kind = of_kind) AND (taken_from IS NULL OR p.taken_at >= taken_from)
         AND (taken_to IS NULL OR p.taken_at < taken_to) AND (photo_ids IS NULL OR p.id = ANY(photo_ids))
       ORDER BY 2 DESC LIMIT n;
    GET DIAGNOSTICS matched = ROW_COUNT;
  END IF;
  IF matched < n THEN
    IF EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE c.relname = event_vector_index_name(current_event_id(), 'fuzzy') AND i.indisvalid) THEN
      narrow := format('p.event_id = %L', current_event_id());
    END IF;
    RETURN QUERY EXECUTE
      $s$SELECT c.id, NULL::real, word_similarity($1, c.doc) FROM (
           SELECT p.id, $s$ || fuzzy || $s$ AS doc FROM public.photos p
            WHERE $s$ || narrow || $s$ AND ($s$ || fuzzy || $s$ %> $1 OR $s$ || fuzzy || $s$ ILIKE $2)
              AND $s$ || allowed || $s$ LIMIT $3) c
         ORDER BY 3 DESC LIMIT $15$s$
    USING q, like_pattern, scan_cap, '%' || token || '%', may_read, staff, include_hidden, only_hidden,
          in_folder, with_tag, of_kind, taken_from, taken_to, photo_ids, n;
  END IF;
END
$fn$;
