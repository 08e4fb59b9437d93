-- Sign-in: a password change or "sign out everywhere" revokes every earlier organizer token, and
-- failed sign-ins back off per client and per event.

-- Tokens issued before this instant are refused (embedded tokens and Cognito's ID tokens alike).
ALTER TABLE events ADD COLUMN sessions_valid_after timestamptz;
GRANT SELECT (sessions_valid_after) ON events TO eventlens_app;

-- Failed sign-ins per (event slug, client address); client '*' counts the event as a whole, so a
-- guesser spread over many addresses is slowed too. Keyed by slug, not event id: an unknown slug
-- is throttled exactly like a known one (the reply must not tell them apart).
CREATE TABLE sign_in_failures (
  slug          text NOT NULL,
  client        text NOT NULL,
  failures      integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  blocked_until timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (slug, client)
);
ALTER TABLE sign_in_failures ENABLE ROW LEVEL SECURITY;
-- Only sign-in itself (the operator actor) reads or writes it; no visitor, organizer or phase.
CREATE POLICY sign_in_failures_operator ON sign_in_failures
  USING (current_actor() = 'system') WITH CHECK (current_actor() = 'system');
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_failures TO eventlens_app;
