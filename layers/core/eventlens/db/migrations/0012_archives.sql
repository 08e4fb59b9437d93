-- ZIP archives of originals, built in the background (media/archives.py): a selection of any size
-- downloads as one file, without a Lambda's 6 MB reply, API Gateway's 29 s or the browser building
-- the ZIP in a tab's memory.
--
-- POST .../download records the public photos among the ids asked for (read as a visitor, so
-- row-level security already left out the rest) and their bytes; a builder (a thread embedded, the
-- archive function on AWS) claims the row, writes the ZIP to the blob store and saves its progress
-- as it goes; GET .../archives/<id> reads it back. A row lives 24 hours; the next build of the
-- event deletes expired rows and their blobs (events/<slug>/archives/<id>.zip; on AWS the bucket's
-- lifecycle rule also expires them by their tag).
CREATE TABLE archives (
  -- Random (uuid4, 122 bits), made by the server and handed only to the visitor who asked: holding
  -- it is the right to read this row (see archives_read).
  id            uuid PRIMARY KEY,
  event_id      uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  -- The photos in the archive, in the order asked for; once built, the ones it holds.
  photo_ids     uuid[] NOT NULL CHECK (cardinality(photo_ids) BETWEEN 1 AND 500),
  bytes_total   bigint NOT NULL CHECK (bytes_total >= 0),
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'building', 'ready', 'failed')),
  done          integer NOT NULL DEFAULT 0 CHECK (done >= 0),
  bytes_done    bigint NOT NULL DEFAULT 0 CHECK (bytes_done >= 0),
  size_bytes    bigint,
  blob_key      text,
  error         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- When the builder last saved progress: one silent for longer than its lease is gone.
  heartbeat_at  timestamptz,
  expires_at    timestamptz NOT NULL DEFAULT now() + interval '24 hours'
);
CREATE INDEX archives_expiry_idx ON archives (event_id, expires_at);
CREATE INDEX archives_in_flight_idx ON archives (event_id) WHERE status IN ('pending', 'building');

-- A visitor reads only the archive its scope's subject names: the server sets the subject to the
-- archive id the request carries (media.archives.holder_scope), as find me sets it to a session key
-- (0007). The two never meet: an archive id is a UUID, a session key 64 hex digits. So guessing
-- is the only way to another visitor's archive, and a visitor without an id reads none. Staff read
-- the event's archives. A visitor records an archive only under its own id, pending, for at most
-- 24 hours; only the builder (pipeline) and the operator change or delete one.
ALTER TABLE archives ENABLE ROW LEVEL SECURITY;
CREATE POLICY archives_read ON archives FOR SELECT
  USING (
    may_read_event(event_id)
    AND (actor_is_staff() OR (current_actor() = 'visitor' AND id::text = current_subject()))
  );
CREATE POLICY archives_insert ON archives FOR INSERT
  WITH CHECK (
    may_write_event(event_id)
    AND current_actor() = 'visitor'
    AND id::text = current_subject()
    AND status = 'pending' AND done = 0 AND bytes_done = 0 AND blob_key IS NULL
    AND created_at <= now() AND expires_at <= now() + interval '24 hours'
  );
CREATE POLICY archives_update ON archives FOR UPDATE
  USING (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'))
  WITH CHECK (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'));
CREATE POLICY archives_delete ON archives FOR DELETE
  USING (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'));
GRANT SELECT, INSERT, UPDATE, DELETE ON archives TO eventlens_app;
