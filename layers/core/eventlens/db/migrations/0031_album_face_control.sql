-- Hide me and forget me reach album uploads' faces (findme.control, issue 15 with issue 17's
-- rules): a hidden face of an upload stays out of the gate's same-shot matching and of covers, a
-- forgotten one is deleted. The regions chosen are kept per uploaded bytes (never a template), so
-- the same photo uploaded again gets the same treatment at the gate: a forgotten face is neither
-- embedded nor stored, a hidden one is stored hidden. Operator only, like album_item_faces.
ALTER TABLE album_item_faces ADD COLUMN hidden boolean NOT NULL DEFAULT false;
GRANT UPDATE (hidden) ON album_item_faces TO eventlens_app;

CREATE TABLE album_face_opt_outs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  sha256      bytea NOT NULL,
  box         real[] NOT NULL CHECK (array_length(box, 1) = 4),
  kind        text NOT NULL CHECK (kind IN ('hide', 'forget')),
  request_id  uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX album_face_opt_outs_bytes ON album_face_opt_outs (event_id, sha256);
ALTER TABLE album_face_opt_outs ENABLE ROW LEVEL SECURITY;
CREATE POLICY album_face_opt_outs_operator ON album_face_opt_outs
  USING (current_actor() = 'system' AND may_read_event(event_id))
  WITH CHECK (current_actor() = 'system' AND may_write_event(event_id));
GRANT SELECT, INSERT ON album_face_opt_outs TO eventlens_app;
