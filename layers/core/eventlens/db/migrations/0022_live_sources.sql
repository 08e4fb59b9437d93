-- A live folder as an event's source (sources/live): a local folder or an S3 bucket/prefix that
-- stays the organizer's, followed in place rather than copied in once. The identity of a photo
-- from it is its content hash: its original is kept once under `events/<slug>/live/<sha256>`, so
-- a rename or a move changes only the photo's filename and folder (faces, embeddings and the
-- description stay), new bytes under a path make it a new content (recomputed), and a file gone
-- from the folder takes its photo out of the gallery.
--
-- live_sources: one per event; `location` is an absolute folder path or `s3://bucket/prefix`.
-- live_items: the folder as last seen, one row per file: its size and `stamp` (local: inode,
-- size and mtime in ns; S3: the ETag) let a sync of an unchanged folder read no file at all, and
-- a file whose stamp moved to another path is a rename without being read either.

CREATE TABLE live_sources (
  event_id    uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
  location    text NOT NULL CHECK (length(location) BETWEEN 1 AND 2048),
  error       text,
  synced_at   timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE live_items (
  event_id      uuid NOT NULL REFERENCES live_sources(event_id) ON DELETE CASCADE,
  path          text NOT NULL CHECK (length(path) BETWEEN 1 AND 1024),
  size_bytes    bigint NOT NULL,
  stamp         text NOT NULL,
  content_hash  text NOT NULL,
  PRIMARY KEY (event_id, path)
);
CREATE INDEX live_items_hash_idx ON live_items (event_id, content_hash);

-- The event's staff's business, like a Drive source: the organizer adds it, the pipeline syncs it.
ALTER TABLE live_sources ENABLE ROW LEVEL SECURITY;
CREATE POLICY live_sources_read ON live_sources FOR SELECT USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY live_sources_insert ON live_sources FOR INSERT
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY live_sources_update ON live_sources FOR UPDATE
  USING (may_write_event(event_id) AND actor_is_staff())
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY live_sources_delete ON live_sources FOR DELETE
  USING (may_write_event(event_id) AND actor_is_staff());
GRANT SELECT, INSERT, UPDATE, DELETE ON live_sources TO eventlens_app;

ALTER TABLE live_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY live_items_read ON live_items FOR SELECT USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY live_items_insert ON live_items FOR INSERT
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY live_items_update ON live_items FOR UPDATE
  USING (may_write_event(event_id) AND actor_is_staff())
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY live_items_delete ON live_items FOR DELETE
  USING (may_write_event(event_id) AND actor_is_staff());
GRANT SELECT, INSERT, UPDATE, DELETE ON live_items TO eventlens_app;

-- Folder names are searchable from the moment a photo is scanned: the folder was indexed with the
-- `simple` configuration and searched with `english`, so a stemmed word never met it ("keynote"
-- is searched as 'keynot' and was indexed as 'keynote'), and "Keynote/Stage" was one token. The
-- folder is now split at its separators and stemmed like the query.
DROP INDEX photos_tsv_idx;
ALTER TABLE photos DROP COLUMN search_tsv;
ALTER TABLE photos ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(visible_text, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(people_descriptions, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(scene_description, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(regexp_replace(filename, '[._/-]+', ' ', 'g'), '')), 'C') ||
    setweight(to_tsvector('english', coalesce(regexp_replace(folder, '[._/-]+', ' ', 'g'), '')), 'D')
  ) STORED;
CREATE INDEX photos_tsv_idx ON photos USING gin (search_tsv);
