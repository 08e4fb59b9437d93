-- Which event a pipeline run belongs to, readable without an event in scope.
-- The state machine closes a run by its id alone (its "record run" step); pipeline_runs is
-- row-level secured, so the closer first learns the run's event here, then acts in its scope.
-- Only ids live here: nothing of an event's content is visible without its scope.
CREATE TABLE pipeline_run_events (
  run_id    uuid PRIMARY KEY REFERENCES pipeline_runs(id) ON DELETE CASCADE,
  event_id  uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE
);
GRANT SELECT, INSERT ON pipeline_run_events TO eventlens_app;

-- Claiming work: per phase, the oldest rows that still need it.
CREATE INDEX photos_event_created_idx ON photos (event_id, created_at, id);
