-- A Google Drive folder as an event's source (sources/drive). Drive's file id is the identity of a
-- photo from Drive: its original is kept under `events/<slug>/drive/<file id>`, so a rename or a
-- move changes the photo's filename and folder, never its row, faces or embeddings.
--
-- drive_sources: one per event; where the folder is, how to reach it (a path to a credentials
-- JSON, or a Secrets Manager ARN: never the secret itself), and the Changes API page token that
-- makes every sync after the first full listing incremental. A sync that cannot reach Drive
-- (revoked access) records why in `error` and leaves the photos as they were.
--
-- drive_items: the folder tree as last seen (folders and files under the root folder), so a
-- change to one item (a folder renamed or moved out) tells which photos it touches, and a file's
-- folder path can be rebuilt from parent ids alone.

CREATE TABLE drive_sources (
  event_id       uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
  folder_id      text NOT NULL CHECK (folder_id ~ '^[A-Za-z0-9_-]{1,200}$'),
  credentials    text NOT NULL CHECK (length(credentials) BETWEEN 1 AND 2048),
  page_token     text,
  error          text,
  synced_at      timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE drive_items (
  event_id   uuid NOT NULL REFERENCES drive_sources(event_id) ON DELETE CASCADE,
  file_id    text NOT NULL,
  parent_id  text NOT NULL,
  name       text NOT NULL,
  is_folder  boolean NOT NULL,
  mime_type  text NOT NULL DEFAULT '',
  md5        text,
  size_bytes bigint,
  PRIMARY KEY (event_id, file_id)
);
CREATE INDEX drive_items_parent_idx ON drive_items (event_id, parent_id);

-- A Drive source is the event's staff's business: the organizer adds it, the pipeline syncs it.
ALTER TABLE drive_sources ENABLE ROW LEVEL SECURITY;
CREATE POLICY drive_sources_read ON drive_sources FOR SELECT USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY drive_sources_insert ON drive_sources FOR INSERT
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY drive_sources_update ON drive_sources FOR UPDATE
  USING (may_write_event(event_id) AND actor_is_staff())
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY drive_sources_delete ON drive_sources FOR DELETE
  USING (may_write_event(event_id) AND actor_is_staff());
GRANT SELECT, INSERT, UPDATE, DELETE ON drive_sources TO eventlens_app;

ALTER TABLE drive_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY drive_items_read ON drive_items FOR SELECT USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY drive_items_insert ON drive_items FOR INSERT
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY drive_items_update ON drive_items FOR UPDATE
  USING (may_write_event(event_id) AND actor_is_staff())
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY drive_items_delete ON drive_items FOR DELETE
  USING (may_write_event(event_id) AND actor_is_staff());
GRANT SELECT, INSERT, UPDATE, DELETE ON drive_items TO eventlens_app;
