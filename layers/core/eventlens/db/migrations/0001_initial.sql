-- EventLens schema v1. Aurora-PostgreSQL-compatible (PG 15+, pgvector 0.8, pg_trgm).
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The role every request runs as: it never bypasses row-level security.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eventlens_app') THEN
    CREATE ROLE eventlens_app NOLOGIN NOBYPASSRLS;
  END IF;
END $$;

-- The event a transaction acts for, set with set_config('eventlens.event_id', ..., true).
CREATE FUNCTION current_event_id() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('eventlens.event_id', true), '')::uuid $$;

CREATE TABLE events (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  settings          jsonb NOT NULL DEFAULT '{}'::jsonb,
  password_hash     text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- One row per embedding space: the model that fills it and its dimension.
CREATE TABLE vector_spaces (
  space      text NOT NULL,
  model      text NOT NULL,
  dim        integer NOT NULL CHECK (dim > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (space, model)
);

CREATE TABLE photos (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id             uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  source_key           text NOT NULL,
  content_hash         text NOT NULL,
  etag                 text,
  size_bytes           bigint NOT NULL DEFAULT 0,
  filename             text NOT NULL,
  folder               text NOT NULL DEFAULT '',
  mime                 text,
  kind                 text NOT NULL DEFAULT 'photo' CHECK (kind IN ('photo', 'video')),
  width                integer,
  height               integer,
  duration_s           double precision,
  has_audio            boolean,
  orientation          smallint,
  taken_at             timestamptz,
  exif                 jsonb NOT NULL DEFAULT '{}'::jsonb,
  thumbnails           jsonb NOT NULL DEFAULT '{}'::jsonb,
  visible_text         text NOT NULL DEFAULT '',
  people_descriptions  text NOT NULL DEFAULT '',
  scene_description    text NOT NULL DEFAULT '',
  face_count           integer,
  phash                bigint,
  nsfw_score           real,
  hidden               boolean NOT NULL DEFAULT false,
  auto_tag             text,
  duplicate_cluster    text,
  duplicate_tier       text CHECK (duplicate_tier IN ('exact', 'near')),
  embedding            vector,
  embedding_model      text,
  analyze_status       text NOT NULL DEFAULT 'pending',
  analyze_error        text,
  describe_status      text NOT NULL DEFAULT 'pending',
  describe_error       text,
  embed_status         text NOT NULL DEFAULT 'pending',
  embed_error          text,
  faces_status         text NOT NULL DEFAULT 'pending',
  faces_error          text,
  search_tsv           tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(visible_text, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(people_descriptions, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(scene_description, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(regexp_replace(filename, '[._/-]+', ' ', 'g'), '')), 'C') ||
    setweight(to_tsvector('simple', coalesce(folder, '')), 'D')
  ) STORED,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, source_key),
  CHECK (analyze_status  IN ('pending', 'processing', 'completed', 'error', 'skipped')),
  CHECK (describe_status IN ('pending', 'processing', 'completed', 'error', 'skipped')),
  CHECK (embed_status    IN ('pending', 'processing', 'completed', 'error', 'skipped')),
  CHECK (faces_status    IN ('pending', 'processing', 'completed', 'error', 'skipped'))
);

CREATE INDEX photos_event_taken_idx ON photos (event_id, taken_at, id);
CREATE INDEX photos_event_hash_idx ON photos (event_id, content_hash);
CREATE INDEX photos_tsv_idx ON photos USING gin (search_tsv);
CREATE INDEX photos_visible_text_trgm_idx ON photos USING gin (visible_text gin_trgm_ops);
CREATE INDEX photos_people_trgm_idx ON photos USING gin (people_descriptions gin_trgm_ops);
CREATE INDEX photos_scene_trgm_idx ON photos USING gin (scene_description gin_trgm_ops);
CREATE INDEX photos_filename_trgm_idx ON photos USING gin (filename gin_trgm_ops);
CREATE INDEX photos_phash_idx ON photos (event_id, phash) WHERE phash IS NOT NULL;
CREATE INDEX photos_hidden_idx ON photos (event_id) WHERE hidden;
CREATE INDEX photos_auto_tag_idx ON photos (event_id, auto_tag) WHERE auto_tag IS NOT NULL;
CREATE INDEX photos_pending_idx ON photos (event_id)
  WHERE analyze_status <> 'completed' OR describe_status <> 'completed'
     OR embed_status <> 'completed' OR faces_status <> 'completed';

-- One row per detected face; a sentinel row (face_index -1, no embedding) marks a photo
-- that was looked at and has no indexable face, so the faces phase never re-runs it.
CREATE TABLE face_embeddings (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id     uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  photo_id     uuid NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  face_index   integer NOT NULL CHECK (face_index >= -1),
  model        text NOT NULL,
  bbox         real[] CHECK (bbox IS NULL OR array_length(bbox, 1) = 4),
  det_score    real,
  embedding    vector,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (photo_id, face_index),
  CHECK ((face_index = -1) = (embedding IS NULL))
);
CREATE INDEX face_embeddings_event_idx ON face_embeddings (event_id, photo_id);

-- What a find-me query learned: never the selfie itself, only its embedding and outcome.
CREATE TABLE match_sessions (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id        uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  model           text NOT NULL,
  embedding       vector NOT NULL,
  tier            text NOT NULL,
  match_count     integer NOT NULL DEFAULT 0,
  top_confidence  real,
  query_text      text,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX match_sessions_event_idx ON match_sessions (event_id, created_at DESC);

CREATE TABLE pipeline_runs (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id       uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  phase          text NOT NULL,
  status         text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  results        jsonb NOT NULL DEFAULT '[]'::jsonb,
  error          text,
  execution_arn  text,
  started_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz
);
CREATE INDEX pipeline_runs_event_idx ON pipeline_runs (event_id, started_at DESC);

-- Row-level security: a transaction sees and writes only the rows of the event it acts for.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['photos', 'face_embeddings', 'match_sessions', 'pipeline_runs'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY event_isolation ON %I USING (event_id = current_event_id()) '
      'WITH CHECK (event_id = current_event_id())', t);
  END LOOP;
END $$;

-- Events are public metadata (looked up by slug before any scope exists), but only the
-- event in scope can be changed through the app role.
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY events_read ON events FOR SELECT USING (true);
CREATE POLICY events_insert ON events FOR INSERT WITH CHECK (true);
CREATE POLICY events_update ON events FOR UPDATE
  USING (id = current_event_id()) WITH CHECK (id = current_event_id());
CREATE POLICY events_delete ON events FOR DELETE USING (id = current_event_id());

GRANT USAGE ON SCHEMA public TO eventlens_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON events, photos, face_embeddings, match_sessions, pipeline_runs
  TO eventlens_app;
GRANT SELECT, INSERT ON vector_spaces TO eventlens_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO eventlens_app;
GRANT EXECUTE ON FUNCTION current_event_id() TO eventlens_app;
