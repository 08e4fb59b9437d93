-- Many events in one database: an event's nearest neighbours come from its own rows.
--
-- Every event shares one face table and one photos table, each with one HNSW index per model
-- (db/vectors.py). A kNN query filtered to one event walks that shared graph past every other
-- event's rows: at 300 events in 1M faces it is slow and incomplete for all but the largest
-- events, and the planner's own choice between that and reading the event's rows depends on a
-- plan cached for whichever event came first. The repositories (findme/repo.py, search/repo.py)
-- now choose once per statement:
--
--   * a small event (fewer rows than event_index_min_rows(space)): its rows by the event index,
--     every distance computed. Exact, and at that size faster than any index.
--   * a large event: the statement names the event as a constant, so the planner uses the
--     event's own partial HNSW index (`event_<id>_<model>`, below) when it has one, else the
--     shared one (what a database of one event wants anyway).
--
-- benchmarks/many_events.py measures the three ways for events of every size and sets the bounds.

-- Rows (of any model, sentinel faces included) from which an event counts as large. Faces: the
-- exact scan costs ~0.5 us a row. Photos: the embedding lives out of line (TOAST), ~5 us a row.
-- `eventlens.event_index_min_rows` overrides both, for tests and benchmarks.
CREATE FUNCTION event_index_min_rows(space text) RETURNS integer
  LANGUAGE sql STABLE
  RETURN coalesce(
    nullif(current_setting('eventlens.event_index_min_rows', true), '')::integer,
    CASE space WHEN 'face' THEN 10000 WHEN 'description' THEN 2500 END);

-- Rows of `event` in the space's table, counted on the event index up to `bound`. As the owner,
-- so a visitor's count of photos needs no per-row policy check; it says only "at least bound".
CREATE FUNCTION event_vector_rows(space text, event uuid, bound integer) RETURNS integer
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
BEGIN
  IF space = 'face' THEN
    RETURN (SELECT count(*) FROM (SELECT FROM face_embeddings WHERE event_id = event LIMIT bound) r);
  ELSIF space = 'description' THEN
    RETURN (SELECT count(*) FROM (SELECT FROM photos WHERE event_id = event LIMIT bound) r);
  END IF;
  RAISE EXCEPTION 'no vector space %', space;
END
$$;

-- The name of an event's own index for a model: event_<32 hex digits>_<model> (<= 63 bytes).
CREATE FUNCTION event_vector_index_name(event uuid, model text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN 'event_' || replace(event::text, '-', '') || '_' || replace(model, '-', '_');

-- Whether the event in scope is large in `space` (the repositories' one question): it has an own
-- index there (a catalog lookup), or at least event_index_min_rows(space) rows (a count, up to it).
CREATE FUNCTION event_is_large(space text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  RETURN EXISTS (
      SELECT FROM vector_spaces s
        JOIN pg_class c ON c.relname = event_vector_index_name(current_event_id(), s.model)::name
        JOIN pg_index i ON i.indexrelid = c.oid AND i.indisvalid
       WHERE s.space = event_is_large.space)
    OR event_vector_rows(space, current_event_id(), event_index_min_rows(space)) >= event_index_min_rows(space);

-- For the schema owner: the statements that bring the events' own indexes in line, to run one
-- by one outside a transaction (CONCURRENTLY: writers are never blocked). They create the index
-- of each large event and model that lacks one, and drop those a build left invalid (the next
-- run builds them again) or whose event was deleted. Run after migrating and once a large event
-- is processed; running them again does nothing.
CREATE FUNCTION event_vector_index_ddl() RETURNS SETOF text
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
END
$$;

-- Functions are executable by PUBLIC by default; the first two read past the policies.
REVOKE ALL ON FUNCTION event_vector_rows(text, uuid, integer), event_is_large(text), event_vector_index_ddl()
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION event_index_min_rows(text), event_is_large(text) TO eventlens_app;
