-- Many events in one database: the text half of search reads only the event's own rows.
--
-- Every event shares the photos table and its GIN indexes (full text and trigrams). A search in
-- one event fetched every event's matches from them and threw the others away: at 300 events in
-- 1M photos a common word ("speech") brought back 100k rows to keep 300, and a typo's trigrams
-- most of the table. A composite (event, text) GIN index needs btree_gin, which managed and
-- embedded servers alike may not ship, and one index per event needs DDL as events grow. So the
-- event goes into the indexed values themselves, and every text lookup asks for it:
--
--   * full text: the index holds each photo's words and its event's token (a lexeme no word can
--     be), and the query is `words && token`; GIN intersects the word's rows with the event's.
--   * trigrams: one index over the event's token followed by the four searchable texts, queried
--     with `LIKE '%token%' AND (%> q | ILIKE q)`; the token's trigrams narrow the scan to the
--     event the same way. It replaces the four per-column trigram indexes (one GIN to write per
--     photo, not four), and a match is scored on that text: word similarity to the query's best
--     stretch of it, where before the best of the four columns' (at least as high, and four
--     times the work).
--
-- benchmarks/many_events.py measures both against the shared indexes filtered by event.

-- The event's token: 'ev' and the first 12 hex digits of its id. A collision between two events
-- only costs the other's rows being rechecked (every statement still names the event).
CREATE FUNCTION photo_event_token(event uuid) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN 'ev' || left(replace(event::text, '-', ''), 12);

-- What the trigram index holds: the event's token, then visible text, people, scene and file name. A word
-- similar to the query in any of them is similar to it here (trigrams are taken word by word).
CREATE FUNCTION photo_fuzzy_text(event uuid, visible_text text, people text, scene text, filename text)
  RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN photo_event_token(event) || ' ' || coalesce(visible_text, '') || ' ' || coalesce(people, '')
         || ' ' || coalesce(scene, '') || ' ' || coalesce(filename, '');

-- What the full-text index holds: the photo's words and its event's token. An index on an
-- expression, not a new stored column: the upgrade builds two indexes and rewrites no row (a
-- rewrite would rebuild every vector index of the table, for many minutes under lock).
CREATE FUNCTION photo_event_tsv(event uuid, words tsvector) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN words || array_to_tsvector(ARRAY[photo_event_token(event)]);

DROP INDEX photos_tsv_idx;
CREATE INDEX photos_event_tsv_idx ON photos USING gin (photo_event_tsv(event_id, search_tsv));

DROP INDEX photos_visible_text_trgm_idx, photos_people_trgm_idx, photos_scene_trgm_idx,
  photos_filename_trgm_idx;
CREATE INDEX photos_fuzzy_trgm_idx ON photos USING gin (
  photo_fuzzy_text(event_id, visible_text, people_descriptions, scene_description, filename) gin_trgm_ops);

-- The shared trigram index still reads every event's postings of the query's trigrams (a common
-- one is in most of 1M rows) before the token narrows them: 30-50 ms for a typo or a few words.
-- An event of event_index_min_rows('fuzzy') photos or more gets its own trigram index, built by
-- the owner with the events' vector indexes (migration 0013): event_vector_index_name(id, 'fuzzy'),
-- event_<id hex>_fuzzy, on its rows only. Below that the shared index narrowed by the token serves
-- well enough: a 100-photo event's text candidates in p95 21 ms (benchmarks/many_events.py).
CREATE OR REPLACE FUNCTION event_index_min_rows(space text) RETURNS integer
  LANGUAGE sql STABLE
  RETURN coalesce(
    nullif(current_setting('eventlens.event_index_min_rows', true), '')::integer,
    CASE space WHEN 'face' THEN 10000 WHEN 'description' THEN 1000 WHEN 'fuzzy' THEN 500 END);

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
    IF event_vector_rows('description', e.id, bound) >= bound AND NOT EXISTS (
         SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relname = event_vector_index_name(e.id, 'fuzzy') AND i.indisvalid) THEN
      RETURN NEXT format(
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON photos USING gin ((photo_fuzzy_text(event_id,'
        ' visible_text, people_descriptions, scene_description, filename)) gin_trgm_ops) WHERE event_id = %L',
        event_vector_index_name(e.id, 'fuzzy'), e.id);
    END IF;
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION event_vector_index_ddl() FROM PUBLIC;

-- Same signature, grants and policy as migration 0010's; only the lookups change. The statements
-- are dynamic so each is planned with the event's token and the query known.
CREATE OR REPLACE FUNCTION search_text_candidates(
  q text, like_pattern text, n integer, scan_cap integer,
  include_hidden boolean, only_hidden boolean, in_folder text, with_tag text, of_kind text,
  taken_from timestamptz, taken_to timestamptz, photo_ids uuid[]
) RETURNS TABLE (id uuid, fulltext real, trigram real)
  LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 100
  SET search_path = public, pg_temp
AS $fn$
DECLARE
  -- The photos policy (may_see_photo) for the one event in scope, decided once (as $15 and $16)
  -- rather than per matching row: per row it cost more than the lookup itself in a large event.
  allowed constant text := $w$
    p.event_id = current_event_id() AND $15 AND (p.is_public OR $16)
    AND ($5 OR p.is_public) AND ($6 IS NULL OR p.hidden = $6)
    AND ($7 IS NULL OR p.folder = $7) AND ($8 IS NULL OR p.auto_tag = $8)
    AND ($9 IS NULL OR p.kind = $9) AND ($10 IS NULL OR p.taken_at >= $10)
    AND ($11 IS NULL OR p.taken_at < $11) AND ($12 IS NULL OR p.id = ANY($12))$w$;
  fuzzy constant text :=
    $e$photo_fuzzy_text(p.event_id, p.visible_text, p.people_descriptions, p.scene_description, p.filename)$e$;
  words tsquery := websearch_to_tsquery('english', q);
  token text := photo_event_token(current_event_id());
  may_read boolean := may_read_event(current_event_id());
  staff boolean := actor_is_staff();
  -- The fuzzy scans' narrowing: the event named as a constant where it has its own trigram index
  -- (which the planner then reads), else the event's token in the shared index.
  narrow text := fuzzy || ' LIKE $13';
  matched integer := 0;
BEGIN
  IF token IS NULL OR NOT may_read THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE c.relname = event_vector_index_name(current_event_id(), 'fuzzy') AND i.indisvalid) THEN
    narrow := format('p.event_id = %L', current_event_id());
  END IF;
  -- A query of stop words only has no lexeme: `words && token` would be every photo of the event.
  IF numnode(words) > 0 THEN
    RETURN QUERY EXECUTE
      $s$SELECT p.id, ts_rank_cd(p.search_tsv, $13, 32), NULL::real
           FROM public.photos p WHERE $s$ || allowed || $s$
            AND photo_event_tsv(p.event_id, p.search_tsv) @@ ($13 && $14::tsquery)
          ORDER BY 2 DESC LIMIT $3$s$
    USING q, like_pattern, n, scan_cap, include_hidden, only_hidden, in_folder, with_tag, of_kind,
          taken_from, taken_to, photo_ids, words, token, may_read, staff;
    GET DIAGNOSTICS matched = ROW_COUNT;
  END IF;
  IF matched < n THEN
    -- The similar and the containing photos come from two scans of one index (the event's own, or
    -- the shared one narrowed by the token), and are scored on the indexed text: a word similar to
    -- the query in any of the four texts is similar to it there.
    RETURN QUERY EXECUTE
      $s$SELECT c.id, NULL::real, word_similarity($1, c.doc) FROM (
           (SELECT p.id, $s$ || fuzzy || $s$ AS doc FROM public.photos p
             WHERE $s$ || narrow || $s$ AND $s$ || fuzzy || $s$ %> $1 AND $s$ || allowed || $s$ LIMIT $4)
           UNION
           (SELECT p.id, $s$ || fuzzy || $s$ AS doc FROM public.photos p
             WHERE $s$ || narrow || $s$ AND $s$ || fuzzy || $s$ ILIKE $2 AND $s$ || allowed || $s$ LIMIT $4)) c
         ORDER BY 3 DESC LIMIT $3$s$
    USING q, like_pattern, n, scan_cap, include_hidden, only_hidden, in_folder, with_tag, of_kind,
          taken_from, taken_to, photo_ids, '%' || token || '%', NULL::text, may_read, staff;
  END IF;
END
$fn$;

-- The read policies of the two tables a search scans by the thousand decide once per statement
-- whether the event in scope may be read (an uncorrelated sub-select runs once), not once per row:
-- may_read_event() looks the event up, about 8 us a row, which made find-me's exact scan of a
-- 1,792-face event 22 ms instead of 2. The same rule as may_read_event() and may_see_photo().
DROP POLICY faces_read ON face_embeddings;
CREATE POLICY faces_read ON face_embeddings FOR SELECT
  USING (event_id = current_event_id() AND (SELECT may_read_event(current_event_id())));
DROP POLICY photos_read ON photos;
CREATE POLICY photos_read ON photos FOR SELECT
  USING (event_id = current_event_id() AND (SELECT may_read_event(current_event_id()))
         AND (is_public OR (SELECT actor_is_staff())));
