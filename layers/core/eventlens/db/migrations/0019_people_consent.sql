-- Consent and control over face data (docs/privacy.md): consent before the first selfie search,
-- "hide me", "forget me", the event's retention purge and the "no biometrics" setting.

-- find_me_consents: that a viewing session agreed to the event's consent text before its first
-- selfie search. No biometric data: the session key (a hash, never the tab's id), a hash of the
-- text agreed to (a changed text asks again) and when. A consent given inline with one search
-- without a session is recorded with no key.
CREATE TABLE find_me_consents (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  session_key text CHECK (session_key ~ '^[0-9a-f]{64}$'),
  text_hash   text NOT NULL CHECK (text_hash ~ '^[0-9a-f]{64}$'),
  given_at    timestamptz NOT NULL DEFAULT now()
);
-- One record per session and text: two tabs' clicks at once record it once.
CREATE UNIQUE INDEX find_me_consents_session_idx ON find_me_consents (event_id, session_key, text_hash)
  WHERE session_key IS NOT NULL;

ALTER TABLE find_me_consents ENABLE ROW LEVEL SECURITY;
-- A visitor records and reads only its own session's consent; staff read them all (counts).
CREATE POLICY consents_read ON find_me_consents FOR SELECT
  USING (may_read_event(event_id)
    AND (actor_is_staff() OR (current_actor() = 'visitor' AND session_key = current_subject())));
CREATE POLICY consents_insert ON find_me_consents FOR INSERT
  WITH CHECK (may_write_event(event_id) AND given_at <= now()
    AND (current_actor() = 'system'
      OR (current_actor() = 'visitor' AND session_key IS NOT DISTINCT FROM current_subject())));
GRANT SELECT, INSERT ON find_me_consents TO eventlens_app;

-- face_opt_outs: the face regions (photo, box) a person asked to hide or to be forgotten in. They
-- hold no template, so the faces phase re-applies them to what it detects when a photo is
-- processed again: a hidden face is stored hidden, a forgotten one is not stored at all.
CREATE TABLE face_opt_outs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  photo_id    uuid NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  bbox        real[] NOT NULL CHECK (array_length(bbox, 1) = 4),
  kind        text NOT NULL CHECK (kind IN ('hide', 'forget')),
  request_id  uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX face_opt_outs_photo_idx ON face_opt_outs (event_id, photo_id);

ALTER TABLE face_opt_outs ENABLE ROW LEVEL SECURITY;
-- Read by the pipeline (re-applying) and staff; written by the system actor for the attendee
-- (findme.control), never rewritten.
CREATE POLICY opt_outs_read ON face_opt_outs FOR SELECT
  USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY opt_outs_insert ON face_opt_outs FOR INSERT
  WITH CHECK (may_write_event(event_id) AND current_actor() = 'system');
GRANT SELECT, INSERT ON face_opt_outs TO eventlens_app;

-- A hidden face stays out of every find-me, people list and crew suggestion.
ALTER TABLE face_embeddings ADD COLUMN hidden boolean NOT NULL DEFAULT false;

-- face_data_purges: the event whose face data was purged on its retention schedule. From then on
-- no face embedding of the event may be written (the trigger below), and find me says when face
-- search ended.
CREATE TABLE face_data_purges (
  event_id    uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
  purged_at   timestamptz NOT NULL DEFAULT now(),
  faces       integer NOT NULL CHECK (faces >= 0)
);
ALTER TABLE face_data_purges ENABLE ROW LEVEL SECURITY;
CREATE POLICY purges_read ON face_data_purges FOR SELECT USING (may_read_event(event_id));
CREATE POLICY purges_insert ON face_data_purges FOR INSERT
  WITH CHECK (may_write_event(event_id) AND current_actor() = 'system');
GRANT SELECT, INSERT ON face_data_purges TO eventlens_app;

-- No face embedding is ever written for an event set to "no biometrics" or already purged,
-- whoever writes it (the application's checks are the first line, this the guarantee).
CREATE FUNCTION refuse_face_embedding() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF NEW.embedding IS NOT NULL AND (
    EXISTS (SELECT 1 FROM events e WHERE e.id = NEW.event_id
            AND coalesce((e.settings ->> 'no_biometrics')::boolean, false))
    OR EXISTS (SELECT 1 FROM face_data_purges p WHERE p.event_id = NEW.event_id)) THEN
    RAISE EXCEPTION 'no face embedding may be stored for this event (no biometrics, or purged)'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER face_embeddings_refuse BEFORE INSERT OR UPDATE OF embedding ON face_embeddings
  FOR EACH ROW EXECUTE FUNCTION refuse_face_embedding();

-- face_clusters: the people of an event as its faces show them (findme is about one selfie; these
-- are every face, clustered incrementally as photos arrive: faceclusters.service). Organizers
-- name, merge, split and hide them. A face joins at most one; deleting a face (forget me, the
-- retention purge, reprocessing) leaves its cluster, which an empty cluster does not outlive.
CREATE TABLE face_clusters (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  name        text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 200),
  hidden      boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX face_clusters_event_idx ON face_clusters (event_id);
ALTER TABLE face_embeddings ADD COLUMN face_cluster_id uuid REFERENCES face_clusters(id) ON DELETE SET NULL;
CREATE INDEX face_embeddings_cluster_idx ON face_embeddings (event_id, face_cluster_id);

ALTER TABLE face_clusters ENABLE ROW LEVEL SECURITY;
-- Staff read them; the pipeline and the system write them; an organizer whose role may manage
-- them names and hides them (merging and splitting move faces: done as the system, audited).
CREATE POLICY clusters_read ON face_clusters FOR SELECT
  USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY clusters_insert ON face_clusters FOR INSERT
  WITH CHECK (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'));
CREATE POLICY clusters_update ON face_clusters FOR UPDATE
  USING (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system') OR may('face_clusters.manage')))
  WITH CHECK (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system') OR may('face_clusters.manage')));
CREATE POLICY clusters_delete ON face_clusters FOR DELETE
  USING (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'));
GRANT SELECT, INSERT, UPDATE, DELETE ON face_clusters TO eventlens_app;
