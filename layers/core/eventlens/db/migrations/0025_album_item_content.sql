-- What an album upload shows, measured at the gate (issue 15): a description embedding in the
-- event's description space (so "more like this" ranks items and gallery photos together) and its
-- faces (boxes as fractions of the image, for covers that keep faces in frame; embeddings for
-- near duplicates of the same shot). A saved gallery photo's item reads the photo's own instead.
ALTER TABLE album_items ADD COLUMN embedding vector, ADD COLUMN embedding_model text;

-- Face embeddings are biometric: written and read by the operator only (the gate), removed with
-- the item, and emptied by the event's face-data purge (findme.control) like face_embeddings.
CREATE TABLE album_item_faces (
  item_id    uuid NOT NULL REFERENCES album_items(id) ON DELETE CASCADE,
  event_id   uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  face_index smallint NOT NULL,
  box        real[] NOT NULL CHECK (array_length(box, 1) = 4),
  embedding  vector,
  model      text NOT NULL,
  PRIMARY KEY (item_id, face_index)
);
CREATE INDEX album_item_faces_event ON album_item_faces (event_id);
ALTER TABLE album_item_faces ENABLE ROW LEVEL SECURITY;
CREATE POLICY album_item_faces_operator ON album_item_faces
  USING (current_actor() = 'system') WITH CHECK (current_actor() = 'system');
GRANT SELECT, INSERT, DELETE ON album_item_faces TO eventlens_app;
GRANT UPDATE (embedding) ON album_item_faces TO eventlens_app;

-- Tags contributors put on album items ("stage", "backstage", a name), one row per item and tag.
-- Added by whoever may contribute to the album (the service checks its policy), as oneself and
-- never while banned; removed by its tagger or a moderator.
CREATE TABLE album_item_tags (
  item_id    uuid NOT NULL REFERENCES album_items(id) ON DELETE CASCADE,
  event_id   uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  tag        text NOT NULL CHECK (length(tag) BETWEEN 1 AND 40 AND tag = lower(tag)),
  person_id  uuid REFERENCES people(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (item_id, tag)
);
ALTER TABLE album_item_tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY album_item_tags_read ON album_item_tags FOR SELECT USING (may_read_event(event_id));
CREATE POLICY album_item_tags_insert ON album_item_tags FOR INSERT
  WITH CHECK (may_write_event(event_id) AND album_writer('album.contribute')
    AND (current_actor() = 'system' OR (person_id = current_person_id() AND NOT acting_person_banned())));
CREATE POLICY album_item_tags_delete ON album_item_tags FOR DELETE
  USING (may_write_event(event_id) AND (album_writer('album.moderate')
    OR (current_actor() = 'organizer' AND person_id = current_person_id() AND NOT acting_person_banned())));
GRANT SELECT, INSERT, DELETE ON album_item_tags TO eventlens_app;
