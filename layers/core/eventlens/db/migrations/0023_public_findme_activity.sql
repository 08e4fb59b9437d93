-- Find-me activity in the public gallery (issue 19: the live ticker and the hot photos), as
-- aggregates only. A visitor reads only its own session's rows of match_sessions (0015), so these
-- functions run as the owner and return counts and photo ids, never a row, a session key, a
-- query text, a confidence or a template; only for the event of the transaction, and only when
-- the caller may read that event (a private gallery's stay private). A photo counts as hot only
-- once `min_sessions` searches returned it, so no single search can be read back from the list.
CREATE FUNCTION findme_activity(window_minutes integer)
  RETURNS TABLE (searches bigint, recent_searches bigint, recent_found bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
  SELECT count(*),
         count(*) FILTER (WHERE s.created_at > now() - make_interval(mins => window_minutes)),
         count(*) FILTER (WHERE s.created_at > now() - make_interval(mins => window_minutes)
                            AND s.match_count > 0)
    FROM match_sessions s
   WHERE s.event_id = current_event_id() AND may_read_event(current_event_id())
$fn$;

CREATE FUNCTION findme_hot_photos(top integer, min_sessions integer)
  RETURNS TABLE (photo_id uuid, sessions bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
  SELECT hits.id, count(*)
    FROM (SELECT unnest(s.photo_ids) AS id FROM match_sessions s
           WHERE s.event_id = current_event_id() AND may_read_event(current_event_id())) hits
   GROUP BY hits.id
  HAVING count(*) >= greatest(min_sessions, 2)
   ORDER BY count(*) DESC, hits.id
   LIMIT top
$fn$;

REVOKE ALL ON FUNCTION findme_activity(integer), findme_hot_photos(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION findme_activity(integer), findme_hot_photos(integer, integer) TO eventlens_app;
