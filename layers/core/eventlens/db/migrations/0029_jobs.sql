-- Jobs (docs/glossary.md): a pipeline run is the first kind of job, so the runs table is the job
-- table rather than a second queue beside it. A job has a kind, a status an organizer can steer
-- (pending, queued, running, completed, failed, cancelled), a priority that orders the queued
-- jobs of its event, the resource class it waits for, progress per phase while it goes, log
-- lines, and on AWS the Step Functions execution that runs it. Queue position and waiting reason
-- are computed when read, never stored.
ALTER TABLE pipeline_runs DROP CONSTRAINT pipeline_runs_status_check;
UPDATE pipeline_runs SET status = 'completed' WHERE status = 'succeeded';
ALTER TABLE pipeline_runs ADD CONSTRAINT pipeline_runs_status_check
  CHECK (status IN ('pending', 'queued', 'running', 'completed', 'failed', 'cancelled'));

ALTER TABLE pipeline_runs
  ADD COLUMN kind text NOT NULL DEFAULT 'pipeline' CHECK (kind IN ('pipeline', 'reembed', 'archive', 'purge')),
  ADD COLUMN priority integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -100 AND 100),
  ADD COLUMN resource_class text NOT NULL DEFAULT 'cpu' CHECK (resource_class IN ('cpu', 'face_image', 'gemini')),
  ADD COLUMN created_at timestamptz,
  ADD COLUMN cancel_requested_at timestamptz,
  ADD COLUMN progress jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN log text[] NOT NULL DEFAULT '{}',
  ADD COLUMN execution_arn text CHECK (length(execution_arn) <= 2048);
UPDATE pipeline_runs SET created_at = started_at;
ALTER TABLE pipeline_runs ALTER COLUMN created_at SET NOT NULL, ALTER COLUMN created_at SET DEFAULT now();
-- A queued job has not started yet.
ALTER TABLE pipeline_runs ALTER COLUMN started_at DROP NOT NULL;
CREATE INDEX pipeline_runs_queued_idx ON pipeline_runs (event_id, priority DESC, created_at) WHERE status = 'queued';
