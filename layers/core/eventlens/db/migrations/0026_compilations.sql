-- Compilations (issue 16): a highlight reel made from an event's videos, as a job.
--
-- An editor names the clips (their order, each one's in and out point), a title for the card the
-- reel opens with, and optionally its frame size and rate; a builder (a thread embedded, the CLI's
-- `eventlens compilations build`) claims the row, encodes the reel (media/video.py compile_reel),
-- stores it among the event's originals under Compilations/ and registers it, so the reel is a
-- video of the library like any other: analyzed, posted, played by the player, counted. The row
-- keeps what it was made from (source_ids, settings) after the reel exists.
CREATE TABLE compilations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id      uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
  -- The clips' items in reel order (an item may appear more than once, with other trims).
  source_ids    uuid[] NOT NULL CHECK (cardinality(source_ids) BETWEEN 1 AND 20),
  -- {"clips": [{"photo_id", "in_s", "out_s"}, ...], "title_card_s", "fps", "width", "height"}:
  -- width and height are null until the builder takes the first clip's (when none was asked for).
  settings      jsonb NOT NULL,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'building', 'ready', 'failed')),
  error         text,
  duration_s    double precision,
  -- The reel once built: a video of the library (deleting it leaves the recipe).
  photo_id      uuid REFERENCES photos(id) ON DELETE SET NULL,
  created_by    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX compilations_event ON compilations (event_id, created_at DESC);
CREATE INDEX compilations_waiting ON compilations (event_id) WHERE status IN ('pending', 'building');

-- Staff read the event's compilations; an organizer with compilation.create (EDITOR and up) asks
-- for one, pending; only the builder (pipeline) and the operator change or delete one.
ALTER TABLE compilations ENABLE ROW LEVEL SECURITY;
CREATE POLICY compilations_read ON compilations FOR SELECT
  USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY compilations_insert ON compilations FOR INSERT
  WITH CHECK (may_write_event(event_id) AND status = 'pending' AND photo_id IS NULL
    AND (current_actor() IN ('pipeline', 'system')
      OR (current_actor() = 'organizer' AND may('compilation.create'))));
CREATE POLICY compilations_update ON compilations FOR UPDATE
  USING (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'))
  WITH CHECK (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'));
CREATE POLICY compilations_delete ON compilations FOR DELETE
  USING (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'));
GRANT SELECT, INSERT, UPDATE, DELETE ON compilations TO eventlens_app;
