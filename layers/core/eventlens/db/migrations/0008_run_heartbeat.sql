-- A run is alive while its worker beats: the local runner every few seconds of work, each phase
-- Lambda once per batch. A `running` run whose heartbeat is older than the pipeline's lease ended
-- with its worker (a killed server, an aborted execution) and is closed as failed.
ALTER TABLE pipeline_runs ADD COLUMN heartbeat_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX pipeline_runs_running_idx ON pipeline_runs (event_id, heartbeat_at) WHERE status = 'running';
