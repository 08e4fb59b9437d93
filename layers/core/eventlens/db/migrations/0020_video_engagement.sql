-- Video library and engagement (issue 16).
--
-- A video stays a row of `photos` (kind = 'video'); the library adds what a probe learns about
-- it (frame rate, codecs, quality label, validity), the browser-playable rendition a transcode
-- writes (the original is kept), and the name it was imported under. Engagement (views, upvotes,
-- reactions, comments, watch time) is recorded in one table per kind of event; each item carries
-- denormalised counters, kept by the triggers below in the same transaction as the event row
-- (one atomic `count = count ± 1` under the item's row lock), and recomputed from the event
-- tables by `eventlens engagement reconcile`.

ALTER TABLE photos
  ADD COLUMN original_filename text,
  ADD COLUMN frame_rate        real,
  ADD COLUMN video_codec       text,
  ADD COLUMN audio_codec       text,
  ADD COLUMN quality           text,
  ADD COLUMN is_valid          boolean,
  ADD COLUMN validated_at      timestamptz,
  ADD COLUMN invalid_reason    text,
  ADD COLUMN playable_key      text,
  ADD COLUMN transcode_status  text NOT NULL DEFAULT 'not_needed'
    CHECK (transcode_status IN ('not_needed', 'pending', 'processing', 'completed', 'error')),
  ADD COLUMN transcode_error   text,
  ADD COLUMN locked            boolean NOT NULL DEFAULT false,
  ADD COLUMN locked_at         timestamptz,
  ADD COLUMN locked_reason     text CHECK (length(locked_reason) <= 500),
  ADD COLUMN view_count        integer NOT NULL DEFAULT 0,
  ADD COLUMN upvote_count      integer NOT NULL DEFAULT 0,
  ADD COLUMN reaction_count    integer NOT NULL DEFAULT 0,
  ADD COLUMN comment_count     integer NOT NULL DEFAULT 0,
  ADD COLUMN finish_count      integer NOT NULL DEFAULT 0,
  ADD COLUMN watch_time_s      double precision NOT NULL DEFAULT 0,
  ADD COLUMN aspect text GENERATED ALWAYS AS (
    CASE WHEN width IS NULL OR height IS NULL THEN NULL
         WHEN width > height THEN 'landscape' WHEN width < height THEN 'portrait' ELSE 'square' END
  ) STORED;
COMMENT ON COLUMN photos.original_filename IS
  'The name the file had when it was imported: kept when the file is renamed later (sync follows renames).';
COMMENT ON COLUMN photos.playable_key IS
  'A browser-playable H.264/AAC MP4 (fast start) of a video that needed transcoding; the original stays at source_key.';
COMMENT ON COLUMN photos.aspect IS 'landscape, portrait or square, from width and height (not the EXIF orientation).';

UPDATE photos SET original_filename = filename;
ALTER TABLE photos ALTER COLUMN original_filename SET NOT NULL;

CREATE FUNCTION photos_keep_original_name() RETURNS trigger
  LANGUAGE plpgsql
AS $fn$
BEGIN
  NEW.original_filename := coalesce(NEW.original_filename, NEW.filename);
  RETURN NEW;
END
$fn$;
CREATE TRIGGER photos_keep_original_name BEFORE INSERT ON photos
  FOR EACH ROW EXECUTE FUNCTION photos_keep_original_name();

-- The seed's fingerprint: a cheap index narrows duplicate candidates, the content hash confirms.
CREATE INDEX photos_video_fingerprint ON photos (event_id, round(duration_s), size_bytes, width, height)
  WHERE kind = 'video';
CREATE INDEX photos_transcode_pending ON photos (event_id) WHERE transcode_status = 'pending';

-- Ranking functions of the public media gallery (immutable: they index). Trending is Reddit's
-- "hot": log10(max(s, 1)) + created/45000 with s = upvotes + 2·comments + reactions + views/10,
-- so an item 12.5 hours younger ranks level with one ten times as engaged; it needs no now(), and
-- an item's score changes only when its counters do. Top rated is the Wilson lower bound (95%) of
-- the share of viewers who upvoted.
CREATE FUNCTION trending_score(upvotes integer, comments integer, reactions integer, views integer, created timestamptz)
  RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN log(greatest(upvotes + 2 * comments + reactions + views / 10.0, 1))
    + extract(epoch FROM created)::double precision / 45000;
CREATE FUNCTION wilson_lower_bound(upvotes integer, views integer)
  RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN greatest(upvotes, views) = 0 THEN 0 ELSE
    ((upvotes::double precision / greatest(upvotes, views)) + 1.9208 / greatest(upvotes, views)
      - 1.96 * sqrt((upvotes::double precision / greatest(upvotes, views))
        * (1 - upvotes::double precision / greatest(upvotes, views)) / greatest(upvotes, views)
        + 0.9604 / (greatest(upvotes, views)::double precision ^ 2)))
    / (1 + 3.8416 / greatest(upvotes, views)) END;

-- One partial index per sort of the public gallery: a page is the first rows of one of them.
CREATE INDEX media_gallery_recent ON photos (event_id, created_at DESC, id DESC) WHERE is_public AND NOT locked;
CREATE INDEX media_gallery_popular ON photos (event_id, upvote_count DESC, created_at DESC, id DESC)
  WHERE is_public AND NOT locked;
CREATE INDEX media_gallery_most_viewed ON photos (event_id, view_count DESC, created_at DESC, id DESC)
  WHERE is_public AND NOT locked;
CREATE INDEX media_gallery_trending ON photos
  (event_id, trending_score(upvote_count, comment_count, reaction_count, view_count, created_at) DESC, id DESC)
  WHERE is_public AND NOT locked;
CREATE INDEX media_gallery_top_rated ON photos
  (event_id, wilson_lower_bound(upvote_count, view_count) DESC, created_at DESC, id DESC)
  WHERE is_public AND NOT locked;

-- photos: locking is an organizer's change too (media.lock), next to moderation.
DROP POLICY photos_update ON photos;
CREATE POLICY photos_update ON photos FOR UPDATE
  USING (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system')
      OR (current_actor() = 'organizer' AND (may('photo.moderate') OR may('media.lock')))))
  WITH CHECK (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system')
      OR (current_actor() = 'organizer' AND (may('photo.moderate') OR may('media.lock')))));

-- The event tables. A viewing session is the visitor's random tab id, stored only as its key
-- (SHA-256 of event and id, findme/session.py), which the visitor's scope carries as its subject.
CREATE TABLE media_views (
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  photo_id    uuid NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  session_key text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (photo_id, session_key)
);
CREATE TABLE media_upvotes (
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  photo_id    uuid NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  session_key text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (photo_id, session_key)
);
CREATE TABLE media_watch (
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  photo_id    uuid NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  session_key text NOT NULL,
  watched_s   double precision NOT NULL DEFAULT 0 CHECK (watched_s >= 0),
  finished    boolean NOT NULL DEFAULT false,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (photo_id, session_key)
);
CREATE TABLE media_reactions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  photo_id    uuid NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  person_id   uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  reaction    text NOT NULL,
  at_s        double precision NOT NULL CHECK (at_s >= 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN media_reactions.reaction IS
  'One of eventlens.engagement.reactions.REACTIONS (the one list; the API validates against it).';
CREATE INDEX media_reactions_item ON media_reactions (photo_id, at_s);
CREATE INDEX media_reactions_person ON media_reactions (event_id, person_id, created_at DESC);

CREATE TABLE media_comments (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  photo_id    uuid NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  parent_id   uuid REFERENCES media_comments(id) ON DELETE CASCADE,
  person_id   uuid REFERENCES people(id) ON DELETE SET NULL,
  author_key  text NOT NULL,
  author_name text NOT NULL DEFAULT '' CHECK (length(author_name) <= 80),
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 1000),
  status      text NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'held', 'removed')),
  flag_count  integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN media_comments.author_key IS
  'Who wrote it: the person''s id, or the viewing session''s key for a comment without an account.';
CREATE INDEX media_comments_item ON media_comments (photo_id, created_at);
CREATE INDEX media_comments_author ON media_comments (event_id, author_key, created_at DESC);
CREATE INDEX media_comments_held ON media_comments (event_id, created_at) WHERE status = 'held';

CREATE TABLE media_comment_flags (
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  comment_id  uuid NOT NULL REFERENCES media_comments(id) ON DELETE CASCADE,
  session_key text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (comment_id, session_key)
);

-- Counters. Each trigger runs as the owner (visitors may not update photos) in the writer's
-- transaction: the event row and the counter commit or roll back together.
CREATE FUNCTION media_count_changed() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
DECLARE
  delta integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
  item uuid := CASE WHEN TG_OP = 'INSERT' THEN NEW.photo_id ELSE OLD.photo_id END;
BEGIN
  IF TG_TABLE_NAME = 'media_views' THEN
    UPDATE photos SET view_count = view_count + delta WHERE id = item;
  ELSIF TG_TABLE_NAME = 'media_upvotes' THEN
    UPDATE photos SET upvote_count = upvote_count + delta WHERE id = item;
  ELSIF TG_TABLE_NAME = 'media_reactions' THEN
    UPDATE photos SET reaction_count = reaction_count + delta WHERE id = item;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER media_views_count AFTER INSERT OR DELETE ON media_views
  FOR EACH ROW EXECUTE FUNCTION media_count_changed();
CREATE TRIGGER media_upvotes_count AFTER INSERT OR DELETE ON media_upvotes
  FOR EACH ROW EXECUTE FUNCTION media_count_changed();
CREATE TRIGGER media_reactions_count AFTER INSERT OR DELETE ON media_reactions
  FOR EACH ROW EXECUTE FUNCTION media_count_changed();

-- comment_count counts the visible comments (held and removed ones are not shown).
CREATE FUNCTION media_comments_changed() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
DECLARE
  delta integer := (CASE WHEN TG_OP <> 'DELETE' AND NEW.status = 'visible' THEN 1 ELSE 0 END)
                 - (CASE WHEN TG_OP <> 'INSERT' AND OLD.status = 'visible' THEN 1 ELSE 0 END);
BEGIN
  IF delta <> 0 THEN
    UPDATE photos SET comment_count = comment_count + delta
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.photo_id ELSE NEW.photo_id END;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER media_comments_count AFTER INSERT OR DELETE OR UPDATE OF status ON media_comments
  FOR EACH ROW EXECUTE FUNCTION media_comments_changed();

CREATE FUNCTION media_watch_changed() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
BEGIN
  UPDATE photos
     SET watch_time_s = watch_time_s + NEW.watched_s
           - CASE WHEN TG_OP = 'UPDATE' THEN OLD.watched_s ELSE 0 END,
         finish_count = finish_count + NEW.finished::integer
           - CASE WHEN TG_OP = 'UPDATE' THEN OLD.finished::integer ELSE 0 END
   WHERE id = NEW.photo_id;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER media_watch_count AFTER INSERT OR UPDATE ON media_watch
  FOR EACH ROW EXECUTE FUNCTION media_watch_changed();

-- A flag counts once per session; the third one holds a visible comment for review (the number
-- is engagement.service.HOLD_AFTER_FLAGS, which a test keeps equal).
CREATE FUNCTION media_comment_flagged() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
BEGIN
  UPDATE media_comments
     SET flag_count = flag_count + 1,
         status = CASE WHEN status = 'visible' AND flag_count + 1 >= 3 THEN 'held' ELSE status END
   WHERE id = NEW.comment_id;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER media_comment_flagged AFTER INSERT ON media_comment_flags
  FOR EACH ROW EXECUTE FUNCTION media_comment_flagged();

-- Row-level security. A visitor writes only under its own subject (its session's key, or its
-- person id for what needs an account); staff read everything of the event (reconciliation);
-- comments held or removed are read by staff and their author only.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['media_views', 'media_upvotes', 'media_watch', 'media_comment_flags'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR SELECT USING (may_read_event(event_id) '
      'AND (actor_is_staff() OR (current_actor() = ''visitor'' AND session_key = current_subject())))',
      t || '_read', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR INSERT WITH CHECK (may_write_event(event_id) '
      'AND current_actor() = ''visitor'' AND session_key = current_subject())', t || '_insert', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR DELETE USING (may_write_event(event_id) '
      'AND ((current_actor() = ''visitor'' AND session_key = current_subject()) '
      'OR current_actor() IN (''pipeline'', ''system'')))', t || '_delete', t);
  END LOOP;
END $$;
CREATE POLICY media_watch_update ON media_watch FOR UPDATE
  USING (may_write_event(event_id) AND current_actor() = 'visitor' AND session_key = current_subject())
  WITH CHECK (may_write_event(event_id) AND current_actor() = 'visitor' AND session_key = current_subject());

ALTER TABLE media_reactions ENABLE ROW LEVEL SECURITY;
CREATE POLICY media_reactions_read ON media_reactions FOR SELECT USING (may_read_event(event_id));
CREATE POLICY media_reactions_insert ON media_reactions FOR INSERT
  WITH CHECK (may_write_event(event_id) AND current_actor() = 'visitor' AND person_id::text = current_subject());
CREATE POLICY media_reactions_delete ON media_reactions FOR DELETE
  USING (may_write_event(event_id)
    AND ((current_actor() = 'visitor' AND person_id::text = current_subject())
      OR current_actor() IN ('pipeline', 'system')
      OR (current_actor() = 'organizer' AND may('comment.moderate'))));

ALTER TABLE media_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY media_comments_read ON media_comments FOR SELECT
  USING (may_read_event(event_id)
    AND (status = 'visible' OR actor_is_staff()
      OR (current_actor() = 'organizer' AND may('comment.moderate'))
      OR (current_actor() = 'visitor' AND author_key = current_subject())));
CREATE POLICY media_comments_insert ON media_comments FOR INSERT
  WITH CHECK (may_write_event(event_id) AND current_actor() = 'visitor' AND author_key = current_subject()
    AND status = 'visible' AND flag_count = 0);
CREATE POLICY media_comments_update ON media_comments FOR UPDATE
  USING (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system') OR (current_actor() = 'organizer' AND may('comment.moderate'))))
  WITH CHECK (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system') OR (current_actor() = 'organizer' AND may('comment.moderate'))));
CREATE POLICY media_comments_delete ON media_comments FOR DELETE
  USING (may_write_event(event_id) AND current_actor() IN ('pipeline', 'system'));

GRANT SELECT, INSERT, DELETE ON media_views, media_upvotes, media_comment_flags TO eventlens_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON media_watch, media_comments TO eventlens_app;
GRANT SELECT, INSERT, DELETE ON media_reactions TO eventlens_app;
GRANT EXECUTE ON FUNCTION trending_score(integer, integer, integer, integer, timestamptz) TO eventlens_app;
GRANT EXECUTE ON FUNCTION wilson_lower_bound(integer, integer) TO eventlens_app;
-- The counter triggers run past the policies: nobody calls them, they fire.
REVOKE EXECUTE ON FUNCTION media_count_changed(), media_comments_changed(), media_watch_changed(),
  media_comment_flagged() FROM PUBLIC;
