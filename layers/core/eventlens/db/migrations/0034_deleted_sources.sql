-- A file an organizer deleted stays deleted while its source still holds it.
--
-- Deleting a photo whose processing failed (issue 19, `photo.delete`) removes its row and the
-- objects we stored for it, which is enough for a file uploaded to the event's bucket. A Google
-- Drive file or a live folder's file is the organizer's own, not ours to delete: the next sync
-- found it again, fetched it again, and it failed again. Its source keys are kept here with the
-- version each had (a Drive file's md5; a live folder's key is its content already); a sync skips a
-- deleted key while its version is unchanged, and takes the file again once it changes.
CREATE TABLE deleted_sources (
  event_id    uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  source_key  text NOT NULL,
  version     text NOT NULL,
  deleted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, source_key)
);

-- Written by whoever may delete the photo (migration 0028's photos_delete), read by the staff and
-- the pipeline that syncs; a visitor sees none.
ALTER TABLE deleted_sources ENABLE ROW LEVEL SECURITY;
CREATE POLICY deleted_sources_read ON deleted_sources FOR SELECT
  USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY deleted_sources_insert ON deleted_sources FOR INSERT
  WITH CHECK (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system') OR (current_actor() = 'organizer' AND may('photo.delete'))));
CREATE POLICY deleted_sources_update ON deleted_sources FOR UPDATE
  USING (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system') OR (current_actor() = 'organizer' AND may('photo.delete'))))
  WITH CHECK (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system') OR (current_actor() = 'organizer' AND may('photo.delete'))));
GRANT SELECT, INSERT, UPDATE ON deleted_sources TO eventlens_app;
