-- People, organizations, six roles and the grants that join them (eventlens/access/rights.py).
--
-- Organizations own events. A person holds a role for an organization (all its events), for one
-- event, or SUPER_ADMIN for the installation. The code's table of rights is copied into
-- role_rights by every upgrade, and the policies ask `may(action)`: a transaction states who acts
-- (eventlens.actor), for which tenant (eventlens.event_id, eventlens.organization_id) and with which
-- role (eventlens.role), and the database refuses what that role may not do, whatever the query.

CREATE TABLE organizations (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug           text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  grants_version bigint NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN organizations.grants_version IS
  'Bumped by every change of a grant in the organization or its events: cached roles older than it are stale.';

-- Every event so far belongs to the installation's first organization.
INSERT INTO organizations (slug, name) VALUES ('default', 'Default organization');

ALTER TABLE events
  ADD COLUMN organization_id uuid REFERENCES organizations(id) ON DELETE RESTRICT,
  ADD COLUMN visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private'));
UPDATE events SET organization_id = (SELECT id FROM organizations WHERE slug = 'default');
ALTER TABLE events ALTER COLUMN organization_id SET NOT NULL;
CREATE INDEX events_organization ON events (organization_id);

CREATE TABLE people (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email                text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254),
  display_name         text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
  password_hash        text,
  email_verified_at    timestamptz,
  idp_subject          text UNIQUE,
  sessions_valid_after timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX people_email ON people (lower(email));
COMMENT ON COLUMN people.idp_subject IS
  'The identity provider''s subject (Cognito sub): a profile is found by it first, then by email.';

CREATE TABLE grants (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id       uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
  event_id        uuid REFERENCES events(id) ON DELETE CASCADE,
  role            text NOT NULL
    CHECK (role IN ('VIEWER', 'MEMBER', 'CONTRIBUTOR', 'EDITOR', 'ADMIN', 'SUPER_ADMIN')),
  granted_by      uuid REFERENCES people(id) ON DELETE SET NULL,
  granted_at      timestamptz NOT NULL DEFAULT now(),
  -- installation (SUPER_ADMIN only), an organization, or one event
  CHECK (organization_id IS NULL OR event_id IS NULL),
  CHECK ((role = 'SUPER_ADMIN') = (organization_id IS NULL AND event_id IS NULL)),
  UNIQUE NULLS NOT DISTINCT (person_id, organization_id, event_id)
);
CREATE INDEX grants_organization ON grants (organization_id) WHERE organization_id IS NOT NULL;
CREATE INDEX grants_event ON grants (event_id) WHERE event_id IS NOT NULL;

CREATE TABLE invitations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash      bytea NOT NULL UNIQUE,
  email           text NOT NULL,
  organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
  event_id        uuid REFERENCES events(id) ON DELETE CASCADE,
  role            text NOT NULL CHECK (role IN ('VIEWER', 'MEMBER', 'CONTRIBUTOR', 'EDITOR', 'ADMIN')),
  invited_by      uuid REFERENCES people(id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  accepted_at     timestamptz,
  accepted_by     uuid REFERENCES people(id) ON DELETE SET NULL,
  revoked_at      timestamptz,
  CHECK ((organization_id IS NULL) <> (event_id IS NULL))
);
CREATE INDEX invitations_organization ON invitations (organization_id) WHERE organization_id IS NOT NULL;
CREATE INDEX invitations_event ON invitations (event_id) WHERE event_id IS NOT NULL;

-- One-time links mailed to a person: sign in, verify the address, reset the password. Only the
-- SHA-256 of the link's secret is kept; using one marks it, so it works once.
CREATE TABLE person_links (
  token_hash bytea PRIMARY KEY,
  person_id  uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  purpose    text NOT NULL CHECK (purpose IN ('magic_link', 'verify_email', 'reset_password')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
CREATE INDEX person_links_person ON person_links (person_id);

-- Refresh tokens (hashed): each use replaces it with a new one; presenting a replaced one again
-- (a stolen copy) ends every session of the person.
CREATE TABLE person_sessions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id    uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  token_hash   bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  replaced_at  timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX person_sessions_person ON person_sessions (person_id);

-- The code's table of rights (every upgrade rewrites it: db/migrate.py).
CREATE TABLE role_rights (
  role   text NOT NULL,
  action text NOT NULL,
  PRIMARY KEY (role, action)
);

-- A change of grants makes every cached role of the organization stale.
CREATE FUNCTION grants_changed() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
DECLARE
  row_org uuid;
  row_event uuid;
BEGIN
  IF TG_OP = 'DELETE' THEN
    row_org := OLD.organization_id; row_event := OLD.event_id;
  ELSE
    row_org := NEW.organization_id; row_event := NEW.event_id;
  END IF;
  IF row_org IS NULL AND row_event IS NULL THEN
    UPDATE organizations SET grants_version = grants_version + 1;  -- a SUPER_ADMIN: everywhere
  ELSE
    UPDATE organizations SET grants_version = grants_version + 1
     WHERE id = coalesce(row_org, (SELECT organization_id FROM events WHERE id = row_event));
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER grants_changed AFTER INSERT OR UPDATE OR DELETE ON grants
  FOR EACH ROW EXECUTE FUNCTION grants_changed();

-- An event moved to another organization: both organizations' cached roles are stale.
CREATE FUNCTION event_moved() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
BEGIN
  UPDATE organizations SET grants_version = grants_version + 1
   WHERE id IN (OLD.organization_id, NEW.organization_id);
  RETURN NULL;
END
$fn$;
CREATE TRIGGER event_moved AFTER UPDATE OF organization_id ON events
  FOR EACH ROW WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id)
  EXECUTE FUNCTION event_moved();

-- A person signed out everywhere: the roles cached for them are stale in every organization
-- where they hold a grant (everywhere for a SUPER_ADMIN), so their old tokens are refused at once.
CREATE FUNCTION person_signed_out() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
BEGIN
  UPDATE organizations o SET grants_version = grants_version + 1
   WHERE EXISTS (
     SELECT 1 FROM grants g LEFT JOIN events e ON e.id = g.event_id
      WHERE g.person_id = NEW.id
        AND (g.role = 'SUPER_ADMIN' OR g.organization_id = o.id OR e.organization_id = o.id));
  RETURN NULL;
END
$fn$;
CREATE TRIGGER person_signed_out AFTER UPDATE OF sessions_valid_after ON people
  FOR EACH ROW WHEN (OLD.sessions_valid_after IS DISTINCT FROM NEW.sessions_valid_after)
  EXECUTE FUNCTION person_signed_out();

-- The settings a transaction states next to the actor and the event.
CREATE FUNCTION current_organization_id() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('eventlens.organization_id', true), '')::uuid $$;
CREATE FUNCTION acting_role() RETURNS text
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('eventlens.role', true), '') $$;

-- The database's copy of `can(role, action)`. An uncorrelated subquery: evaluated once per
-- statement however many rows a policy checks.
CREATE FUNCTION may(action text) RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM role_rights r WHERE r.role = acting_role() AND r.action = may.action);
  END;

-- Staff (every row of the event: hidden and held photos, runs, aliases) is the pipeline, the
-- operator, or a person whose role may inspect the event. Every policy written with
-- actor_is_staff() (0006, 0010, 0011) follows.
CREATE OR REPLACE FUNCTION actor_is_staff() RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT coalesce(current_actor() IN ('pipeline', 'system'), false)
      OR (current_actor() = 'organizer' AND may('event.inspect'));
  END;

-- A private event's rows are read only by those whose role may view its gallery (a visitor
-- without one reads nothing of it). The lookup names current_event_id(), not the row's column, so
-- it is one subquery per statement.
CREATE OR REPLACE FUNCTION may_read_event(event uuid) RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT event = current_event_id()
      AND (current_actor() IN ('pipeline', 'system')
        OR NOT EXISTS (SELECT 1 FROM events e WHERE e.id = current_event_id() AND e.visibility = 'private')
        OR may('gallery.view'));
  END;

-- photos: an organizer changes one only to moderate it (hide, unhide, approve, reject).
DROP POLICY photos_update ON photos;
CREATE POLICY photos_update ON photos FOR UPDATE
  USING (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system') OR (current_actor() = 'organizer' AND may('photo.moderate'))))
  WITH CHECK (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system') OR (current_actor() = 'organizer' AND may('photo.moderate'))));

-- events: changed by the operator or a role that may change the event's settings.
DROP POLICY events_update ON events;
CREATE POLICY events_update ON events FOR UPDATE
  USING (may_write_event(id) AND (current_actor() = 'system' OR may('event.settings')))
  WITH CHECK (may_write_event(id) AND (current_actor() = 'system' OR may('event.settings')));
GRANT SELECT (organization_id, visibility) ON events TO eventlens_app;
-- Moving an event is the operator's step (events.service.transfer_event checks both ends).
REVOKE UPDATE ON events FROM eventlens_app;
GRANT UPDATE (name, settings, updated_at, password_hash, sessions_valid_after, organization_id, visibility)
  ON events TO eventlens_app;

-- match_sessions: find-me analytics for the roles that may read them.
DROP POLICY sessions_read ON match_sessions;
CREATE POLICY sessions_read ON match_sessions FOR SELECT
  USING (
    may_read_event(event_id)
    AND (current_actor() = 'system'
      OR (current_actor() = 'organizer' AND may('findme.analytics'))
      OR (current_actor() = 'visitor' AND session_key = current_subject()))
  );

-- audit_log: an event's entries for the roles that may read them; the operator reads all.
DROP POLICY audit_read ON audit_log;
CREATE POLICY audit_read ON audit_log FOR SELECT
  USING (current_actor() = 'system'
    OR (current_actor() = 'organizer' AND event_id = current_event_id() AND may('audit.read')));

-- An entry's writer may not be among its readers (an EDITOR hides a photo; audit.read is an
-- ADMIN's): the trigger hands the new entry's number back in a transaction setting, so appending
-- needs no RETURNING, which the read policy would refuse.
CREATE OR REPLACE FUNCTION audit_log_append() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
DECLARE
  head record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('eventlens-audit-log', 0));
  SELECT a.seq, a.hash INTO head FROM public.audit_log a ORDER BY a.seq DESC LIMIT 1;
  NEW.seq := coalesce(head.seq, 0) + 1;
  NEW.prev_hash := coalesce(head.hash, '\x'::bytea);
  NEW.at := clock_timestamp();
  -- The event in scope; only the operator, acting before any event is in scope (creating one),
  -- may name the event an entry is about.
  NEW.event_id := CASE WHEN current_event_id() IS NULL AND current_actor() = 'system'
                       THEN NEW.event_id ELSE current_event_id() END;
  NEW.actor := coalesce(current_actor(), 'unknown');
  NEW.subject := current_subject();
  NEW.origin := nullif(current_setting('eventlens.origin', true), '');
  NEW.hash := audit_entry_hash(NEW.seq, NEW.at, NEW.event_id, NEW.actor, NEW.subject, NEW.origin,
    NEW.action, NEW.target, NEW.outcome, NEW.detail, NEW.prev_hash);
  PERFORM set_config('eventlens.audit_seq', NEW.seq::text, true);
  RETURN NEW;
END
$fn$;

-- organizations: names are public (an event page shows its organizer); the operator creates and
-- deletes them, a role that may manage one renames it.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organizations_read ON organizations FOR SELECT USING (true);
CREATE POLICY organizations_insert ON organizations FOR INSERT WITH CHECK (current_actor() = 'system');
CREATE POLICY organizations_update ON organizations FOR UPDATE
  USING (current_actor() = 'system' OR (id = current_organization_id() AND may('org.manage')))
  WITH CHECK (current_actor() = 'system' OR (id = current_organization_id() AND may('org.manage')));
CREATE POLICY organizations_delete ON organizations FOR DELETE USING (current_actor() = 'system');
GRANT SELECT, INSERT, DELETE ON organizations TO eventlens_app;
GRANT UPDATE (name) ON organizations TO eventlens_app;

-- Accounts are the sign-in's business (the operator actor, before any tenant is in scope): no
-- request of a visitor, an organizer or a phase reads a password hash, a link or a session.
ALTER TABLE people ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY people_operator ON people USING (current_actor() = 'system') WITH CHECK (current_actor() = 'system');
CREATE POLICY links_operator ON person_links
  USING (current_actor() = 'system') WITH CHECK (current_actor() = 'system');
CREATE POLICY sessions_operator ON person_sessions
  USING (current_actor() = 'system') WITH CHECK (current_actor() = 'system');
GRANT SELECT (id, email, display_name, email_verified_at, idp_subject, sessions_valid_after, created_at)
  ON people TO eventlens_app;
GRANT INSERT, UPDATE, DELETE ON people TO eventlens_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON person_links, person_sessions TO eventlens_app;

-- The password hash is read only through this, for the operator (the sign-in).
CREATE FUNCTION person_password_hash(person uuid) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  BEGIN ATOMIC
    SELECT p.password_hash FROM people p WHERE p.id = person AND current_actor() = 'system';
  END;
REVOKE ALL ON FUNCTION person_password_hash(uuid) FROM PUBLIC;
-- The triggers fire whoever changes the rows; nobody calls them.
REVOKE ALL ON FUNCTION grants_changed(), event_moved(), person_signed_out() FROM PUBLIC;

-- grants and invitations: the tenant's, read by those who may see its members, written by those
-- who may manage them (the service also refuses a grant above the granter's own role); the
-- operator reads and writes all (sign-in resolves roles as the operator).
ALTER TABLE grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
-- Read: an event's people are its own grants and its organization's. Write: acting for an event
-- touches only that event's grants; an organization's grants are written acting for the
-- organization itself, with the role held there (an event's ADMIN grants nothing organization-wide).
CREATE FUNCTION grant_in_scope(organization uuid, event uuid) RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT coalesce(event = current_event_id(), false)
      OR coalesce(organization = current_organization_id(), false);
  END;
CREATE FUNCTION grant_of_scope(organization uuid, event uuid) RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT CASE WHEN current_event_id() IS NOT NULL THEN coalesce(event = current_event_id(), false)
                ELSE event IS NULL AND coalesce(organization = current_organization_id(), false) END;
  END;
-- Nobody grants above their own role (only the operator, and the CLI acting as it, grants
-- SUPER_ADMIN).
CREATE FUNCTION role_rank(role text) RETURNS integer
  LANGUAGE sql IMMUTABLE
  BEGIN ATOMIC
    SELECT array_position(ARRAY['VIEWER', 'MEMBER', 'CONTRIBUTOR', 'EDITOR', 'ADMIN', 'SUPER_ADMIN'], role);
  END;
-- A tenant's members are read (names and addresses, never a hash) by the roles that may see them.
CREATE POLICY people_members_read ON people FOR SELECT
  USING (
    current_actor() = 'organizer' AND may('members.view')
    AND EXISTS (
      SELECT 1 FROM grants g
       WHERE g.person_id = people.id AND grant_in_scope(g.organization_id, g.event_id))
  );
CREATE POLICY grants_read ON grants FOR SELECT
  USING (current_actor() = 'system'
    OR (current_actor() = 'organizer' AND grant_in_scope(organization_id, event_id) AND may('members.view')));
CREATE POLICY grants_write ON grants FOR ALL
  USING (current_actor() = 'system'
    OR (current_actor() = 'organizer' AND grant_of_scope(organization_id, event_id) AND may('members.manage')))
  WITH CHECK (current_actor() = 'system'
    OR (current_actor() = 'organizer' AND grant_of_scope(organization_id, event_id) AND may('members.manage')
      AND role_rank(role) <= role_rank(acting_role())));
CREATE POLICY invitations_read ON invitations FOR SELECT
  USING (current_actor() = 'system'
    OR (current_actor() = 'organizer' AND grant_of_scope(organization_id, event_id) AND may('members.manage')));
CREATE POLICY invitations_write ON invitations FOR ALL
  USING (current_actor() = 'system'
    OR (current_actor() = 'organizer' AND grant_of_scope(organization_id, event_id) AND may('members.manage')))
  WITH CHECK (current_actor() = 'system'
    OR (current_actor() = 'organizer' AND grant_of_scope(organization_id, event_id) AND may('members.manage')
      AND role_rank(role) <= role_rank(acting_role())));
GRANT SELECT, INSERT, UPDATE, DELETE ON grants, invitations TO eventlens_app;

ALTER TABLE role_rights ENABLE ROW LEVEL SECURITY;
CREATE POLICY role_rights_read ON role_rights FOR SELECT USING (true);
GRANT SELECT ON role_rights TO eventlens_app;

GRANT EXECUTE ON FUNCTION current_organization_id(), acting_role(), may(text), grant_in_scope(uuid, uuid), grant_of_scope(uuid, uuid), role_rank(text),
  person_password_hash(uuid) TO eventlens_app;
