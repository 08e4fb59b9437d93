-- One content, one photo per event, kept by the database rather than by a look before an insert:
-- three concurrent imports of one folder made 69 photos of 66 files, each import seeing no row
-- for a content another was about to add.
--
-- The first file registered with some bytes is the photo; every other file (blob key) under the
-- event's originals with the same bytes is an alias of it. Aliases are recorded so that sync
-- neither deletes them nor registers them again, so that the organizer is told which files were
-- identical (dedupe's exact copies), and so that a photo whose own file goes away moves to an
-- alias instead of being lost (sources/sync.py).

CREATE TABLE photo_aliases (
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  source_key  text NOT NULL,
  photo_id    uuid NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  etag        text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, source_key)
);
CREATE INDEX photo_aliases_photo_idx ON photo_aliases (photo_id);

-- Photos that already share their bytes: per event and content the earliest visible one stays
-- (the earliest of all when every copy is hidden), so the gallery shows what it showed; the
-- others' keys become its aliases, and their faces go with their rows (ON DELETE CASCADE).
WITH ranked AS (
  SELECT id, event_id, source_key, etag,
         first_value(id) OVER (PARTITION BY event_id, content_hash ORDER BY hidden, created_at, id) AS kept
    FROM photos
), aliased AS (
  INSERT INTO photo_aliases (event_id, source_key, photo_id, etag)
  SELECT event_id, source_key, kept, etag FROM ranked WHERE id <> kept
  RETURNING source_key
)
DELETE FROM photos p USING ranked r WHERE p.id = r.id AND r.id <> r.kept;

-- Clusters of photos with equal bytes cannot exist any more: duplicate_kind is `near` or nothing.
UPDATE photos SET duplicate_cluster = NULL, duplicate_kind = NULL WHERE duplicate_kind = 'exact';
ALTER TABLE photos DROP CONSTRAINT photos_duplicate_tier_check;
ALTER TABLE photos ADD CONSTRAINT photos_duplicate_kind_check CHECK (duplicate_kind = 'near');

-- The rule itself. Writers insert with ON CONFLICT DO NOTHING and converge on the one row.
ALTER TABLE photos ADD CONSTRAINT photos_one_per_content UNIQUE (event_id, content_hash);
DROP INDEX photos_event_hash_idx;  -- the unique index serves the same lookups

-- Aliases are the event's staff's business, as a photo's files are: the organizer reads them
-- (exact copies), the pipeline and the operator write them. A visitor sees none.
ALTER TABLE photo_aliases ENABLE ROW LEVEL SECURITY;
CREATE POLICY aliases_read ON photo_aliases FOR SELECT USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY aliases_insert ON photo_aliases FOR INSERT
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY aliases_update ON photo_aliases FOR UPDATE
  USING (may_write_event(event_id) AND actor_is_staff())
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY aliases_delete ON photo_aliases FOR DELETE
  USING (may_write_event(event_id) AND actor_is_staff());
GRANT SELECT, INSERT, UPDATE, DELETE ON photo_aliases TO eventlens_app;
