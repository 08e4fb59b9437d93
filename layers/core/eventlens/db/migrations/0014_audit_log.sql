-- The audit log: sensitive actions, append-only for the application, each entry chained to the
-- previous one by hash so that changing or removing one is detectable (`eventlens audit verify`).
--
-- Who, for which event and from where are not the caller's to say: the trigger takes them from
-- the transaction's own settings (eventlens.actor, eventlens.subject, eventlens.event_id,
-- eventlens.origin), which eventlens.db.transaction sets. The application role may INSERT and
-- SELECT only: no UPDATE, no DELETE, no TRUNCATE. Entries keep no foreign key to events, so the
-- trail of a deleted event outlives it.

CREATE TABLE audit_log (
  seq        bigint PRIMARY KEY,
  at         timestamptz NOT NULL,
  event_id   uuid,
  actor      text NOT NULL,
  subject    text,
  origin     text,
  action     text NOT NULL CHECK (action ~ '^[a-z_]+$'),
  target     text,
  outcome    text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'refused')),
  detail     jsonb NOT NULL DEFAULT '{}'::jsonb,
  prev_hash  bytea NOT NULL,
  hash       bytea NOT NULL
);
CREATE INDEX audit_log_event ON audit_log (event_id, seq DESC);

-- The one definition of an entry's hash: SHA-256 of its fields (unit-separated, times in UTC to
-- the microsecond, detail as jsonb's canonical text) followed by the previous entry's hash.
CREATE FUNCTION audit_entry_hash(
  seq bigint, at timestamptz, event_id uuid, actor text, subject text, origin text, action text,
  target text, outcome text, detail jsonb, prev_hash bytea
) RETURNS bytea
  LANGUAGE sql IMMUTABLE
  BEGIN ATOMIC
    SELECT sha256(convert_to(concat_ws(chr(31),
      seq::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
      coalesce(event_id::text, ''), actor, coalesce(subject, ''), coalesce(origin, ''), action,
      coalesce(target, ''), outcome, detail::text), 'UTF8') || prev_hash);
  END;

-- Runs as the owner (past row-level security, to read the chain's head across events); a
-- transaction-level advisory lock makes appends one at a time, so the chain never forks.
CREATE FUNCTION audit_log_append() RETURNS trigger
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
  RETURN NEW;
END
$fn$;

CREATE TRIGGER audit_log_append BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append();

-- Entries whose hash or link to the previous one does not hold: (seq, what is wrong). Empty: the
-- chain is intact. Only the operator (the `system` actor) may ask; it reads past the policies.
CREATE FUNCTION audit_verify() RETURNS TABLE (seq bigint, problem text)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
AS $fn$
DECLARE
  entry record;
  expected_prev bytea := '\x'::bytea;
  expected_seq bigint := 1;
BEGIN
  IF current_actor() IS DISTINCT FROM 'system' THEN
    RAISE EXCEPTION 'only the operator verifies the audit log';
  END IF;
  FOR entry IN SELECT * FROM public.audit_log a ORDER BY a.seq LOOP
    IF entry.seq <> expected_seq THEN
      seq := expected_seq; problem := format('entries %s to %s are missing', expected_seq, entry.seq - 1);
      RETURN NEXT;
    END IF;
    IF entry.prev_hash <> expected_prev THEN
      seq := entry.seq; problem := 'does not follow the entry before it';
      RETURN NEXT;
    END IF;
    IF entry.hash <> audit_entry_hash(entry.seq, entry.at, entry.event_id, entry.actor, entry.subject,
        entry.origin, entry.action, entry.target, entry.outcome, entry.detail, entry.prev_hash) THEN
      seq := entry.seq; problem := 'was changed after it was written';
      RETURN NEXT;
    END IF;
    expected_prev := entry.hash;
    expected_seq := entry.seq + 1;
  END LOOP;
END
$fn$;

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
-- Anyone acting may append (the trigger says who); staff read their event's entries, the
-- operator every entry. A visitor reads none.
CREATE POLICY audit_append ON audit_log FOR INSERT WITH CHECK (true);
CREATE POLICY audit_read ON audit_log FOR SELECT
  USING (current_actor() = 'system' OR (actor_is_staff() AND event_id = current_event_id()));

-- Both read past the policies: the trigger fires whoever inserts (no one calls it), and only the
-- application may ask for a verification (which itself admits the operator only).
REVOKE ALL ON FUNCTION audit_verify(), audit_log_append() FROM PUBLIC;
GRANT SELECT, INSERT ON audit_log TO eventlens_app;
GRANT EXECUTE ON FUNCTION audit_verify(), audit_entry_hash(bigint, timestamptz, uuid, text, text, text,
  text, text, text, jsonb, bytea) TO eventlens_app;
