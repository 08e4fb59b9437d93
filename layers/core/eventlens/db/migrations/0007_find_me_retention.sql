-- Find me keeps no face template beyond the searcher's own session (docs/security.md, "Faces and
-- find me").
--
-- A search's face template (the selfie's embedding; the selfie itself is never stored) is kept
-- only when the gallery sent a find-me session id, under that session's key (session_key: the
-- SHA-256 of the event and the id, never the id), and only for find_me_retention_minutes
-- (config.py, 30 by default); findme.service.purge_expired_templates then sets it to NULL. What
-- stays is the outcome the organizer's analytics read: the band, the counts, the matched photo
-- ids, the words typed, and the session key (distinct searchers).
ALTER TABLE match_sessions ALTER COLUMN embedding DROP NOT NULL;
ALTER TABLE match_sessions ADD COLUMN session_key text
  CONSTRAINT match_sessions_session_key_check CHECK (session_key ~ '^[0-9a-f]{64}$');

-- Templates recorded before now belong to no session: nobody may compare with them any more.
UPDATE match_sessions SET embedding = NULL WHERE embedding IS NOT NULL;

-- The purge and a session's own "earlier try" lookup read only the rows that still hold a
-- template: a few minutes' worth per event.
CREATE INDEX match_sessions_template_idx ON match_sessions (event_id, created_at)
  WHERE embedding IS NOT NULL;

-- The subject in scope (eventlens.subject, transaction-local like the actor). For a visitor it is
-- its find-me session key, derived by the server from the tab's random session id: holding the
-- id is the right to that session's rows, so the policies may read it for visitors. For the
-- other actors it stays a record (an organizer's principal, a run id), never a right.
CREATE FUNCTION current_subject() RETURNS text
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('eventlens.subject', true), '') $$;

-- match_sessions: a visitor reads only the rows of its own session (no key: none at all), so no
-- reply can be built from another person's search. It records only rows of its own session, and
-- a template only with a session key. The organizer reads them (analytics; the application never
-- selects the embedding for it). The operator's purge may only forget a template: the app role
-- may update no other column, and the row it leaves must hold no embedding.
DROP POLICY sessions_read ON match_sessions;
CREATE POLICY sessions_read ON match_sessions FOR SELECT
  USING (
    may_read_event(event_id)
    AND (current_actor() IN ('organizer', 'system')
      OR (current_actor() = 'visitor' AND session_key = current_subject()))
  );
DROP POLICY sessions_insert ON match_sessions;
CREATE POLICY sessions_insert ON match_sessions FOR INSERT
  WITH CHECK (
    may_write_event(event_id)
    AND created_at <= now()
    AND (current_actor() = 'system'
      OR (current_actor() = 'visitor'
        AND session_key IS NOT DISTINCT FROM current_subject()
        AND (embedding IS NULL OR session_key IS NOT NULL)))
  );
CREATE POLICY sessions_purge ON match_sessions FOR UPDATE
  USING (may_write_event(event_id) AND current_actor() = 'system')
  WITH CHECK (may_write_event(event_id) AND current_actor() = 'system' AND embedding IS NULL);

REVOKE UPDATE ON match_sessions FROM eventlens_app;
GRANT UPDATE (embedding) ON match_sessions TO eventlens_app;
GRANT EXECUTE ON FUNCTION current_subject() TO eventlens_app;
