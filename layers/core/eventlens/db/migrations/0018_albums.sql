-- Albums curated on top of an event's folders and tags, the subjects they depict, contributions
-- through a moderation gate, ratings, abuse flags and bans (issue 15; eventlens/albums, subjects).
--
-- Every table carries its tenant: subjects and bans the organization, everything else the event
-- the album belongs to (its home event). Policies read the scope's event, organization, role
-- (`may(action)`) and person; counters kept on a row (ratings, flags, references) are changed by
-- triggers in the same transaction, by delta, so concurrent writers never lose an update.

-- The signed-in person acting (our tokens' subject is 'person:<uuid>'), or NULL.
CREATE FUNCTION current_person_id() RETURNS uuid
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT CASE WHEN current_subject() LIKE 'person:%' THEN substr(current_subject(), 8)::uuid END;
  END;

-- What photos depict: speakers and artists, sponsors and teams, venues and stages, sessions and
-- events. First-class, per organization; a merge moves the links and removes the merged one.
CREATE TABLE subjects (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('person', 'organization', 'place', 'session', 'event')),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subjects_name ON subjects (organization_id, kind, lower(name));

CREATE TABLE albums (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  event_id            uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  owner_id            uuid REFERENCES people(id) ON DELETE SET NULL,
  title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description         text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
  cover_item_id       uuid,
  contribution_policy text NOT NULL DEFAULT 'INVITE_ONLY'
                      CHECK (contribution_policy IN ('CLOSED', 'INVITE_ONLY', 'OPEN')),
  rating_count        integer NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
  rating_sum          bigint NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
  -- Bayesian average (DESIGN: WR = v/(v+m)·R + m/(v+m)·C) with the prior C = 3 stars, m = 5
  -- ratings: (sum + 5·3) / (count + 5). Stored, so the list is one index scan.
  rating_score        double precision GENERATED ALWAYS AS ((rating_sum + 15.0) / (rating_count + 5)) STORED,
  flag_count          integer NOT NULL DEFAULT 0,
  held                boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX albums_by_score ON albums (event_id, rating_score DESC, rating_count DESC, id);
CREATE INDEX albums_by_count ON albums (event_id, rating_count DESC, rating_score DESC, id);
CREATE INDEX albums_by_recent ON albums (event_id, created_at DESC, id);

-- An album also links to other events of its organization, and to subjects.
CREATE TABLE album_events (
  album_id uuid NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  linked_event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  PRIMARY KEY (album_id, linked_event_id)
);
CREATE TABLE album_subjects (
  album_id   uuid NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  event_id   uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  subject_id uuid NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
  PRIMARY KEY (album_id, subject_id)
);
CREATE INDEX album_subjects_subject ON album_subjects (subject_id);

CREATE TABLE album_contributors (
  album_id  uuid NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  event_id  uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  added_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (album_id, person_id)
);

-- A banned person browses and flags, and does nothing else with the organization's albums.
CREATE TABLE album_bans (
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  person_id       uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  banned_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, person_id)
);

-- The bytes an album item shows. An upload's object is the albums' own and is deleted with its
-- last reference (ref_count, kept by the trigger below); a gallery photo's original (photo_id) is
-- the pipeline's and never deleted from here. Saving to another album adds a reference, no copy.
CREATE TABLE stored_objects (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  key             text NOT NULL UNIQUE,
  sha256          bytea,
  size_bytes      bigint,
  content_type    text NOT NULL DEFAULT 'image/jpeg',
  photo_id        uuid REFERENCES photos(id) ON DELETE CASCADE,
  owned           boolean NOT NULL,
  ref_count       integer NOT NULL DEFAULT 0 CHECK (ref_count >= 0),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX stored_objects_photo ON stored_objects (photo_id) WHERE photo_id IS NOT NULL;

CREATE TABLE album_items (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  album_id          uuid NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  event_id          uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  object_id         uuid NOT NULL REFERENCES stored_objects(id),
  contributor_id    uuid REFERENCES people(id) ON DELETE SET NULL,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  reason            text NOT NULL DEFAULT '',
  nsfw_score        real,
  quality_score     real,
  dhash             bigint,
  near_duplicate_of uuid REFERENCES album_items(id) ON DELETE SET NULL,
  flag_count        integer NOT NULL DEFAULT 0,
  held              boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  decided_at        timestamptz
);
CREATE INDEX album_items_album ON album_items (album_id, created_at, id);
CREATE INDEX album_items_review ON album_items (event_id, created_at) WHERE status = 'pending' OR held;
CREATE INDEX album_items_object ON album_items (object_id);
ALTER TABLE albums ADD FOREIGN KEY (cover_item_id) REFERENCES album_items(id) ON DELETE SET NULL;

-- One rating per person per album, changeable.
CREATE TABLE album_ratings (
  album_id   uuid NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  event_id   uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  person_id  uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  stars      smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
  rated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (album_id, person_id)
);

-- One flag per person per target (an album, or one of its items), with a reason.
CREATE TABLE album_flags (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  album_id    uuid NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  item_id     uuid REFERENCES album_items(id) ON DELETE CASCADE,
  person_id   uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  created_at  timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  resolution  text CHECK (resolution IN ('upheld', 'dismissed'))
);
CREATE UNIQUE INDEX album_flags_one_per_album ON album_flags (album_id, person_id) WHERE item_id IS NULL;
CREATE UNIQUE INDEX album_flags_one_per_item ON album_flags (item_id, person_id) WHERE item_id IS NOT NULL;
CREATE INDEX album_flags_open ON album_flags (event_id, created_at) WHERE resolved_at IS NULL;

-- Counters by delta, in the writer's transaction, whoever writes (SECURITY DEFINER: a rater may
-- not update the album row itself). UPDATE ... SET n = n + d takes the row lock and re-reads the
-- latest version, so concurrent raters never lose one another's rating.
CREATE FUNCTION album_ratings_rollup() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE albums SET rating_count = rating_count + 1, rating_sum = rating_sum + NEW.stars WHERE id = NEW.album_id;
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE albums SET rating_sum = rating_sum + NEW.stars - OLD.stars WHERE id = NEW.album_id;
  ELSE
    UPDATE albums SET rating_count = rating_count - 1, rating_sum = rating_sum - OLD.stars WHERE id = OLD.album_id;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER album_ratings_rollup AFTER INSERT OR UPDATE OF stars OR DELETE ON album_ratings
  FOR EACH ROW EXECUTE FUNCTION album_ratings_rollup();

-- A target reaching 3 open flags (albums.service.FLAGS_TO_HOLD) is held for review.
CREATE FUNCTION album_flags_count() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
BEGIN
  IF NEW.item_id IS NULL THEN
    UPDATE albums SET flag_count = flag_count + 1, held = held OR flag_count + 1 >= 3 WHERE id = NEW.album_id;
  ELSE
    UPDATE album_items SET flag_count = flag_count + 1, held = held OR flag_count + 1 >= 3 WHERE id = NEW.item_id;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER album_flags_count AFTER INSERT ON album_flags
  FOR EACH ROW EXECUTE FUNCTION album_flags_count();

-- References to a stored object. The last one going deletes an owned object's row and hands its
-- key back in the transaction setting eventlens.released_keys (one per line): the service deletes
-- the bytes after commit. Counting by trigger sees every album's items, whatever the scope reads.
CREATE FUNCTION album_items_references() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
DECLARE
  left_count integer;
  gone_key text;
  is_owned boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE stored_objects SET ref_count = ref_count + 1 WHERE id = NEW.object_id;
    RETURN NULL;
  END IF;
  UPDATE stored_objects SET ref_count = ref_count - 1 WHERE id = OLD.object_id
    RETURNING ref_count, key, owned INTO left_count, gone_key, is_owned;
  IF left_count = 0 AND is_owned THEN
    DELETE FROM stored_objects WHERE id = OLD.object_id;
    PERFORM set_config('eventlens.released_keys',
      coalesce(nullif(current_setting('eventlens.released_keys', true), ''), '') || gone_key || E'\n', true);
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER album_items_references AFTER INSERT OR DELETE ON album_items
  FOR EACH ROW EXECUTE FUNCTION album_items_references();
REVOKE ALL ON FUNCTION album_ratings_rollup(), album_flags_count(), album_items_references() FROM PUBLIC;

-- Whether the acting person is banned from the organization's albums (readable by its policies
-- whatever the bans' own policy lets the caller read).
CREATE FUNCTION acting_person_banned() RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM album_bans b
      WHERE b.organization_id = current_organization_id() AND b.person_id = current_person_id());
  END;
REVOKE ALL ON FUNCTION acting_person_banned() FROM PUBLIC;

-- Who acts as a signed-in participant: an organizer-kind scope (a role) or the operator.
CREATE FUNCTION album_writer(action text) RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT coalesce(current_actor() = 'system', false)
      OR (current_actor() = 'organizer' AND may(action));
  END;

ALTER TABLE subjects ENABLE ROW LEVEL SECURITY;
ALTER TABLE albums ENABLE ROW LEVEL SECURITY;
ALTER TABLE album_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE album_subjects ENABLE ROW LEVEL SECURITY;
ALTER TABLE album_contributors ENABLE ROW LEVEL SECURITY;
ALTER TABLE album_bans ENABLE ROW LEVEL SECURITY;
ALTER TABLE stored_objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE album_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE album_ratings ENABLE ROW LEVEL SECURITY;
ALTER TABLE album_flags ENABLE ROW LEVEL SECURITY;

-- subjects: read by anyone acting for the organization; written with subject.manage.
CREATE POLICY subjects_read ON subjects FOR SELECT
  USING (current_actor() = 'system' OR organization_id = current_organization_id());
CREATE POLICY subjects_write ON subjects FOR ALL
  USING (organization_id = current_organization_id() AND album_writer('subject.manage'))
  WITH CHECK (organization_id = current_organization_id() AND album_writer('subject.manage'));

-- albums: read with the event (a held one only by moderators and its owner); created with
-- album.create as oneself; changed by its owner or album.manage; deleted with album.manage.
CREATE POLICY albums_read ON albums FOR SELECT
  USING (may_read_event(event_id)
    AND (NOT held OR current_actor() = 'system' OR owner_id = current_person_id()
      OR (current_actor() = 'organizer' AND may('album.moderate'))));
CREATE POLICY albums_insert ON albums FOR INSERT
  WITH CHECK (may_write_event(event_id) AND organization_id = current_organization_id()
    AND album_writer('album.create') AND (current_actor() = 'system' OR owner_id = current_person_id()));
CREATE POLICY albums_update ON albums FOR UPDATE
  USING (may_write_event(event_id) AND (album_writer('album.manage') OR album_writer('album.moderate')
    OR (current_actor() = 'organizer' AND owner_id = current_person_id() AND NOT acting_person_banned())))
  WITH CHECK (may_write_event(event_id) AND organization_id = current_organization_id());
CREATE POLICY albums_delete ON albums FOR DELETE
  USING (may_write_event(event_id) AND (album_writer('album.manage')
    OR (current_actor() = 'organizer' AND owner_id = current_person_id())));

-- links and contributors: read with the album, written by whoever may change the album.
CREATE POLICY album_events_read ON album_events FOR SELECT USING (may_read_event(event_id));
CREATE POLICY album_events_write ON album_events FOR ALL
  USING (may_write_event(event_id) AND EXISTS (SELECT 1 FROM albums a WHERE a.id = album_id))
  WITH CHECK (may_write_event(event_id) AND current_actor() IN ('organizer', 'system'));
-- The operator acting for an organization (no event) reads and moves a subject's links across
-- its events: the subject page and a merge.
CREATE FUNCTION subject_of_organization(subject uuid) RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT coalesce(current_actor() = 'system', false) AND current_event_id() IS NULL
      AND EXISTS (SELECT 1 FROM subjects s WHERE s.id = subject AND s.organization_id = current_organization_id());
  END;
CREATE POLICY album_subjects_read ON album_subjects FOR SELECT
  USING (may_read_event(event_id) OR subject_of_organization(subject_id));
CREATE POLICY album_subjects_write ON album_subjects FOR ALL
  USING ((may_write_event(event_id) AND current_actor() IN ('organizer', 'system')) OR subject_of_organization(subject_id))
  WITH CHECK ((may_write_event(event_id) AND current_actor() IN ('organizer', 'system')) OR subject_of_organization(subject_id));
CREATE POLICY album_contributors_read ON album_contributors FOR SELECT USING (may_read_event(event_id));
CREATE POLICY album_contributors_write ON album_contributors FOR ALL
  USING (may_write_event(event_id) AND (album_writer('album.manage')
    OR EXISTS (SELECT 1 FROM albums a WHERE a.id = album_id AND a.owner_id = current_person_id())))
  WITH CHECK (may_write_event(event_id) AND (album_writer('album.manage')
    OR EXISTS (SELECT 1 FROM albums a WHERE a.id = album_id AND a.owner_id = current_person_id())));

-- bans: the organization's, read by moderators (and each person their own), written by them.
CREATE POLICY album_bans_read ON album_bans FOR SELECT
  USING (current_actor() = 'system' OR (organization_id = current_organization_id()
    AND (person_id = current_person_id() OR (current_actor() = 'organizer' AND may('album.moderate')))));
CREATE POLICY album_bans_write ON album_bans FOR ALL
  USING (organization_id = current_organization_id() AND album_writer('album.moderate'))
  WITH CHECK (organization_id = current_organization_id() AND album_writer('album.moderate'));

-- stored objects: the organization's; written by contributors (the items' policies decide who).
CREATE POLICY stored_objects_read ON stored_objects FOR SELECT
  USING (current_actor() = 'system' OR organization_id = current_organization_id());
CREATE POLICY stored_objects_insert ON stored_objects FOR INSERT
  WITH CHECK (organization_id = current_organization_id() AND album_writer('album.contribute')
    AND NOT acting_person_banned());

-- items: visitors read approved, unheld ones; a contributor also its own (it is told the outcome);
-- moderators all. Added as oneself with album.contribute, unbanned (the album's policy is the
-- service's rule on top); decided by moderators; removed by moderators, managers, the
-- contributor or the album's owner.
CREATE POLICY album_items_read ON album_items FOR SELECT
  USING (may_read_event(event_id)
    AND ((status = 'approved' AND NOT held) OR current_actor() = 'system'
      OR contributor_id = current_person_id()
      OR (current_actor() = 'organizer' AND may('album.moderate'))));
CREATE POLICY album_items_insert ON album_items FOR INSERT
  WITH CHECK (may_write_event(event_id) AND album_writer('album.contribute')
    AND (current_actor() = 'system' OR (contributor_id = current_person_id() AND NOT acting_person_banned())));
CREATE POLICY album_items_update ON album_items FOR UPDATE
  USING (may_write_event(event_id) AND album_writer('album.moderate'))
  WITH CHECK (may_write_event(event_id) AND album_writer('album.moderate'));
CREATE POLICY album_items_delete ON album_items FOR DELETE
  USING (may_write_event(event_id) AND (album_writer('album.moderate') OR album_writer('album.manage')
    OR (current_actor() = 'organizer' AND (contributor_id = current_person_id()
      OR EXISTS (SELECT 1 FROM albums a WHERE a.id = album_id AND a.owner_id = current_person_id())))));

-- ratings: each person reads and writes its own (the roll-up is on the album), unbanned.
CREATE POLICY album_ratings_read ON album_ratings FOR SELECT
  USING (may_read_event(event_id) AND (current_actor() = 'system' OR person_id = current_person_id()));
CREATE POLICY album_ratings_write ON album_ratings FOR ALL
  USING (may_write_event(event_id) AND (current_actor() = 'system' OR person_id = current_person_id()))
  WITH CHECK (may_write_event(event_id) AND album_writer('album.rate')
    AND (current_actor() = 'system' OR (person_id = current_person_id() AND NOT acting_person_banned())));

-- flags: a flagger reads its own; moderators read and resolve all. Banned people flag too.
CREATE POLICY album_flags_read ON album_flags FOR SELECT
  USING (may_read_event(event_id) AND (current_actor() = 'system' OR person_id = current_person_id()
    OR (current_actor() = 'organizer' AND may('album.moderate'))));
CREATE POLICY album_flags_insert ON album_flags FOR INSERT
  WITH CHECK (may_write_event(event_id) AND album_writer('album.flag')
    AND (current_actor() = 'system' OR person_id = current_person_id()));
CREATE POLICY album_flags_update ON album_flags FOR UPDATE
  USING (may_write_event(event_id) AND album_writer('album.moderate'))
  WITH CHECK (may_write_event(event_id) AND album_writer('album.moderate'));

GRANT SELECT, INSERT, UPDATE, DELETE ON subjects, albums, album_events, album_subjects,
  album_contributors, album_bans, album_items, album_ratings TO eventlens_app;
GRANT SELECT, INSERT ON stored_objects, album_flags TO eventlens_app;
GRANT UPDATE (resolved_at, resolution) ON album_flags TO eventlens_app;
REVOKE UPDATE ON albums FROM eventlens_app;
GRANT UPDATE (title, description, cover_item_id, contribution_policy, held, updated_at) ON albums TO eventlens_app;
REVOKE UPDATE ON album_items FROM eventlens_app;
GRANT UPDATE (status, reason, held, decided_at) ON album_items TO eventlens_app;
GRANT EXECUTE ON FUNCTION current_person_id(), acting_person_banned(), album_writer(text), subject_of_organization(uuid)
  TO eventlens_app;

-- Links handed to guests: upload-only file drops (no browsing), guest uploads (browse and add),
-- and views of one album (even of a private event), each with an optional password (scrypt, as
-- accounts) and an optional expiry, revocable. Only the SHA-256 of the link's secret is kept; the
-- secret is looked up as the operator (no event is known before it), then the guest acts as a
-- visitor whose subject is 'album-link:<id>', which these policies read.
CREATE TABLE album_links (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  album_id      uuid NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  event_id      uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('file_drop', 'guest_upload', 'view')),
  token_hash    bytea NOT NULL UNIQUE,
  password_hash text,
  expires_at    timestamptz,
  created_by    uuid REFERENCES people(id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);
CREATE INDEX album_links_album ON album_links (album_id);

CREATE FUNCTION current_album_link_id() RETURNS uuid
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT CASE WHEN current_actor() = 'visitor' AND current_subject() LIKE 'album-link:%'
                THEN substr(current_subject(), 12)::uuid END;
  END;

-- Whether the acting guest's link is live for `album` and `purpose` ('view': view and
-- guest_upload links; 'upload': file_drop and guest_upload links). Reads past album_links' own
-- policy (a guest may not read the links table).
CREATE FUNCTION album_link_allows(album uuid, purpose text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM album_links l
      WHERE l.id = current_album_link_id() AND l.album_id = album AND l.event_id = current_event_id()
        AND l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > now())
        AND l.kind = ANY (CASE purpose WHEN 'view' THEN ARRAY['view', 'guest_upload']
                                       WHEN 'upload' THEN ARRAY['file_drop', 'guest_upload'] END));
  END;
REVOKE ALL ON FUNCTION album_link_allows(uuid, text) FROM PUBLIC;

ALTER TABLE album_links ENABLE ROW LEVEL SECURITY;
CREATE POLICY album_links_operator ON album_links
  USING (current_actor() = 'system') WITH CHECK (current_actor() = 'system');
CREATE POLICY album_links_managers ON album_links
  USING (may_write_event(event_id) AND current_actor() = 'organizer'
    AND (may('album.manage') OR EXISTS (SELECT 1 FROM albums a WHERE a.id = album_id AND a.owner_id = current_person_id())))
  WITH CHECK (may_write_event(event_id) AND current_actor() = 'organizer'
    AND (may('album.manage') OR EXISTS (SELECT 1 FROM albums a WHERE a.id = album_id AND a.owner_id = current_person_id())));
GRANT SELECT, INSERT, DELETE ON album_links TO eventlens_app;
GRANT UPDATE (revoked_at) ON album_links TO eventlens_app;

-- A view or guest-upload link opens its album and its approved items, even of a private event.
CREATE POLICY albums_link_read ON albums FOR SELECT
  USING (NOT held AND album_link_allows(id, 'view'));
CREATE POLICY album_items_link_read ON album_items FOR SELECT
  USING (status = 'approved' AND NOT held AND album_link_allows(album_id, 'view'));
-- An upload link adds pending items, as nobody (no person), into its album only.
CREATE POLICY album_items_link_insert ON album_items FOR INSERT
  WITH CHECK (contributor_id IS NULL AND status IN ('pending', 'rejected') AND album_link_allows(album_id, 'upload'));
CREATE POLICY stored_objects_link_insert ON stored_objects FOR INSERT
  WITH CHECK (owned AND organization_id = current_organization_id() AND current_album_link_id() IS NOT NULL);
GRANT EXECUTE ON FUNCTION current_album_link_id(), album_link_allows(uuid, text) TO eventlens_app;
