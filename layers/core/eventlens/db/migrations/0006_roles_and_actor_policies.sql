-- Database roles as on Aurora, and row-level security that reads who acts as well as the event.
--
-- Roles. This runs as the schema owner: on Aurora the cluster's master user (no superuser;
-- CREATEROLE and rds_superuser, which created the extensions), embedded and in the tests
-- `eventlens_owner` (LOGIN CREATEROLE NOSUPERUSER, db/embedded.py). The application logs in as
-- `eventlens_app`: LOGIN, NOBYPASSRLS, owner of nothing, so every policy below applies to it, and
-- it never runs SET ROLE. Its password is never written here: `eventlens db upgrade` sets it from
-- EVENTLENS_APP_DB_PASSWORD or the app's secret (db/migrate.py). Since PostgreSQL 16 the role that
-- created eventlens_app (0001) administers it without being able to SET ROLE to it.
DO $$
DECLARE
  can_login boolean;
  unsafe boolean;
BEGIN
  SELECT rolcanlogin, rolsuper OR rolbypassrls INTO can_login, unsafe
    FROM pg_roles WHERE rolname = 'eventlens_app';
  IF NOT FOUND THEN
    CREATE ROLE eventlens_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  ELSIF NOT can_login THEN
    ALTER ROLE eventlens_app LOGIN;
  END IF;
  IF unsafe THEN
    RAISE EXCEPTION 'eventlens_app is a superuser or bypasses row-level security: fix the role first';
  END IF;
  IF current_user <> 'eventlens_app' AND pg_has_role('eventlens_app', current_user, 'MEMBER') THEN
    RAISE EXCEPTION 'eventlens_app is a member of the schema owner % and could act as it', current_user;
  END IF;
END $$;

-- The owner is no longer subject to its tables' policies (it runs migrations and the search
-- functions below, never a request). The app role owns no table, so row-level security always
-- applies to it; FORCE would only make the owner's own maintenance pay for it.
ALTER TABLE photos NO FORCE ROW LEVEL SECURITY;
ALTER TABLE face_embeddings NO FORCE ROW LEVEL SECURITY;
ALTER TABLE match_sessions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE pipeline_runs NO FORCE ROW LEVEL SECURITY;
ALTER TABLE events NO FORCE ROW LEVEL SECURITY;

-- 0004 marked three text-search operators LEAKPROOF when migrated by a superuser; nothing needs
-- that any more (search_text_candidates below), and a managed server has no superuser to do it.
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION ts_match_vq(tsvector, tsquery) NOT LEAKPROOF;
    ALTER FUNCTION word_similarity_commutator_op(text, text) NOT LEAKPROOF;
    ALTER FUNCTION texticlike(text, text) NOT LEAKPROOF;
  END IF;
END $$;

-- Who acts: set with set_config('eventlens.actor', ..., true) next to eventlens.event_id.
-- visitor | organizer | pipeline | system (eventlens/scope.py); anything else has no rights.
CREATE FUNCTION current_actor() RETURNS text
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('eventlens.actor', true), '') $$;

-- The predicates every policy is written with. They are small SQL functions with SQL-standard
-- bodies (bound at creation, immune to search_path) that PostgreSQL inlines into the policies, so
-- `event_id = current_event_id()` still drives the per-event indexes.
--
-- Extending rights later changes these bodies (CREATE OR REPLACE in a new migration), never the
-- policies: organization-wide rights add an `eventlens.org_id` setting and, in may_read_event /
-- may_write_event, `OR event = ANY(org_event_ids())` (a STABLE function returning the ids of the
-- organization's events, evaluated once per statement, so index scans keep working); public
-- reads across events add `OR (current_actor() = 'visitor' AND event = ANY(public_event_ids()))`
-- to may_read_event only. may_read_photo keeps hidden photos from visitors whatever the event.
CREATE FUNCTION actor_is_staff() RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT coalesce(current_actor() IN ('organizer', 'pipeline', 'system'), false);
  END;

CREATE FUNCTION may_read_event(event uuid) RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT event = current_event_id();
  END;

CREATE FUNCTION may_write_event(event uuid) RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT event = current_event_id();
  END;

CREATE FUNCTION may_read_photo(event uuid, hidden boolean) RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT may_read_event(event) AND (NOT hidden OR actor_is_staff());
  END;

-- photos: visitors read the event's visible photos; staff read all of them and write them.
DROP POLICY event_isolation ON photos;
CREATE POLICY photos_read ON photos FOR SELECT USING (may_read_photo(event_id, hidden));
CREATE POLICY photos_insert ON photos FOR INSERT
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY photos_update ON photos FOR UPDATE
  USING (may_write_event(event_id) AND actor_is_staff())
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY photos_delete ON photos FOR DELETE USING (may_write_event(event_id) AND actor_is_staff());

-- face_embeddings: read by anyone acting for the event (find me runs as a visitor and joins the
-- photos, whose policy hides the hidden ones); written by the pipeline (and the operator) only.
-- Deleting a photo cascades to its faces whoever deletes it (referential actions bypass policies).
DROP POLICY event_isolation ON face_embeddings;
CREATE POLICY faces_read ON face_embeddings FOR SELECT USING (may_read_event(event_id));
CREATE POLICY faces_insert ON face_embeddings FOR INSERT
  WITH CHECK (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'));
CREATE POLICY faces_update ON face_embeddings FOR UPDATE
  USING (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'))
  WITH CHECK (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'));
CREATE POLICY faces_delete ON face_embeddings FOR DELETE
  USING (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'));

-- match_sessions: find me (a visitor) records its session and reads the nearest earlier one;
-- the organizer reads them (analytics). Nobody rewrites one.
DROP POLICY event_isolation ON match_sessions;
CREATE POLICY sessions_read ON match_sessions FOR SELECT
  USING (may_read_event(event_id) AND current_actor() IN ('visitor', 'organizer', 'system'));
CREATE POLICY sessions_insert ON match_sessions FOR INSERT
  WITH CHECK (may_write_event(event_id) AND current_actor() IN ('visitor', 'system'));
CREATE POLICY sessions_delete ON match_sessions FOR DELETE
  USING (may_write_event(event_id) AND current_actor() = 'system');

-- pipeline_runs: staff only; a visitor sees none.
DROP POLICY event_isolation ON pipeline_runs;
CREATE POLICY runs_read ON pipeline_runs FOR SELECT USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY runs_insert ON pipeline_runs FOR INSERT
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY runs_update ON pipeline_runs FOR UPDATE
  USING (may_write_event(event_id) AND actor_is_staff())
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY runs_delete ON pipeline_runs FOR DELETE USING (may_write_event(event_id) AND actor_is_staff());

-- pipeline_run_events: a run's event looked up by the run's id alone (0002), by staff only.
ALTER TABLE pipeline_run_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY run_events_read ON pipeline_run_events FOR SELECT USING (actor_is_staff());
CREATE POLICY run_events_insert ON pipeline_run_events FOR INSERT
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());

-- events: public metadata, read by anyone (looked up by slug before a scope exists); created by
-- the operator (`system`); changed by the event's organizer or the operator; deleted by the
-- operator. The password hash is not among the columns the app may read: login asks
-- event_password_hash(), which answers the operator and the event's own organizer only.
DROP POLICY events_read ON events;
DROP POLICY events_insert ON events;
DROP POLICY events_update ON events;
DROP POLICY events_delete ON events;
CREATE POLICY events_read ON events FOR SELECT USING (true);
CREATE POLICY events_insert ON events FOR INSERT WITH CHECK (current_actor() = 'system');
CREATE POLICY events_update ON events FOR UPDATE
  USING (may_write_event(id) AND current_actor() IN ('organizer', 'system'))
  WITH CHECK (may_write_event(id) AND current_actor() IN ('organizer', 'system'));
CREATE POLICY events_delete ON events FOR DELETE USING (may_write_event(id) AND current_actor() = 'system');

REVOKE SELECT ON events FROM eventlens_app;
GRANT SELECT (id, slug, name, settings, created_at, updated_at) ON events TO eventlens_app;

CREATE FUNCTION event_password_hash(event_slug text) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  BEGIN ATOMIC
    SELECT e.password_hash FROM events e
     WHERE e.slug = event_slug
       AND (current_actor() = 'system' OR (current_actor() = 'organizer' AND e.id = current_event_id()));
  END;

-- Vector spaces are recorded by migrations only.
REVOKE INSERT ON vector_spaces FROM eventlens_app;

-- Text search candidates, fast under row-level security without LEAKPROOF.
-- Under RLS the planner may use an index for a condition only if its operator is LEAKPROOF
-- (`@@`, `%>` and ILIKE are not, and only a superuser could say they are): it would filter every
-- row of the event first, 0.3 s instead of 1 ms at 10k photos. This function runs as the owner,
-- to which the policies do not apply, so the GIN indexes are used; it applies the photos policy
-- itself (the event in scope, and may_read_photo: no hidden photo for a visitor), pins its
-- search_path and runs fixed SQL on its parameters only. The caller joins the ids it returns to
-- `photos` under RLS, so even a wrong id could only name a photo the caller may see.
-- One row per photo and modality: (id, full-text rank, NULL) for the best `n` full-text matches,
-- then (id, NULL, best trigram word similarity) for the best `n` fuzzy ones. Trigrams are the
-- fallback for typos and partial words: they are only looked for (and planned) when full text
-- found fewer than `n`, and only the first `scan_cap` fuzzy matches are scored. The filters mirror
-- eventlens.db.photos.PhotoFilter (NULL: no filter). Each statement is planned with the actual
-- values (EXECUTE: the NULL filters fold away, the GIN estimates see the real query); the SQL
-- text is made of constants only.
CREATE FUNCTION search_text_candidates(
  q text, like_pattern text, n integer, scan_cap integer,
  include_hidden boolean, only_hidden boolean, in_folder text, with_tag text, of_kind text,
  taken_from timestamptz, taken_to timestamptz, photo_ids uuid[]
) RETURNS TABLE (id uuid, fulltext real, trigram real)
  LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 100
  SET search_path = public, pg_temp
AS $fn$
DECLARE
  allowed constant text := $w$
    p.event_id = current_event_id() AND may_read_photo(p.event_id, p.hidden)
    AND ($5 OR NOT p.hidden) AND ($6 IS NULL OR p.hidden = $6)
    AND ($7 IS NULL OR p.folder = $7) AND ($8 IS NULL OR p.auto_tag = $8)
    AND ($9 IS NULL OR p.kind = $9) AND ($10 IS NULL OR p.taken_at >= $10)
    AND ($11 IS NULL OR p.taken_at < $11) AND ($12 IS NULL OR p.id = ANY($12))$w$;
  matched integer;
BEGIN
  RETURN QUERY EXECUTE
    $s$SELECT p.id, ts_rank_cd(p.search_tsv, websearch_to_tsquery('english', $1), 32), NULL::real
         FROM public.photos p WHERE $s$ || allowed || $s$
          AND p.search_tsv @@ websearch_to_tsquery('english', $1)
        ORDER BY 2 DESC LIMIT $3$s$
  USING q, like_pattern, n, scan_cap, include_hidden, only_hidden, in_folder, with_tag, of_kind,
        taken_from, taken_to, photo_ids;
  GET DIAGNOSTICS matched = ROW_COUNT;
  IF matched < n THEN
    RETURN QUERY EXECUTE
      $s$SELECT fuzzy.id, NULL::real, fuzzy.score FROM (
           SELECT p.id, greatest(word_similarity($1, p.visible_text), word_similarity($1, p.people_descriptions),
                                 word_similarity($1, p.scene_description), word_similarity($1, p.filename)) AS score
             FROM public.photos p WHERE $s$ || allowed || $s$
              AND (p.visible_text %> $1 OR p.visible_text ILIKE $2
                OR p.people_descriptions %> $1 OR p.people_descriptions ILIKE $2
                OR p.scene_description %> $1 OR p.scene_description ILIKE $2
                OR p.filename %> $1 OR p.filename ILIKE $2)
            LIMIT $4) fuzzy
         ORDER BY fuzzy.score DESC LIMIT $3$s$
    USING q, like_pattern, n, scan_cap, include_hidden, only_hidden, in_folder, with_tag, of_kind,
          taken_from, taken_to, photo_ids;
  END IF;
END
$fn$;

-- Functions are executable by PUBLIC by default; these two read past the policies.
REVOKE ALL ON FUNCTION event_password_hash(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION search_text_candidates(text, text, integer, integer, boolean, boolean, text, text,
  text, timestamptz, timestamptz, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION current_actor(), actor_is_staff(), may_read_event(uuid), may_write_event(uuid),
  may_read_photo(uuid, boolean), event_password_hash(text),
  search_text_candidates(text, text, integer, integer, boolean, boolean, text, text, text, timestamptz,
    timestamptz, uuid[])
  TO eventlens_app;
