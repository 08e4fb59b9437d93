-- One Gemini rate limit for every worker of the project (issue 13): forty Map workers, each with a
-- limiter of its own, would together exceed the project's quota, and a 429 seen by one would not
-- slow the others. A sliding window per bucket (one per model): at most `limit` starts in any
-- `window` seconds, the same rule as the in-process eventlens.resilience.RateLimiter and as Gemini's
-- per-minute metering; `not_before` holds every worker back after a 429's Retry-After.
--
-- The application reaches the tables only through the two functions below (SECURITY DEFINER,
-- granted to eventlens_app): they hold no tenant data, so no row-level security is needed, and no
-- worker can do more than take a start or push the hold later.
CREATE TABLE gemini_rate (
  bucket      text PRIMARY KEY,
  not_before  timestamptz NOT NULL DEFAULT '-infinity'
);
CREATE TABLE gemini_rate_starts (
  bucket      text NOT NULL REFERENCES gemini_rate (bucket) ON DELETE CASCADE,
  started_at  timestamptz NOT NULL
);
CREATE INDEX gemini_rate_starts_idx ON gemini_rate_starts (bucket, started_at);

-- Take one start now, or say how long to wait. The bucket's row lock makes takes one at a time, so
-- no two workers see the same free slot; clock_timestamp() is read after the lock is granted.
CREATE FUNCTION gemini_rate_take(
  p_bucket text, p_limit integer, p_window_s double precision,
  OUT wait_s double precision, OUT started_at timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  hold timestamptz;
  taken integer;
  frees timestamptz;
  now_ timestamptz;
BEGIN
  IF p_limit < 1 OR p_window_s <= 0 THEN
    RAISE EXCEPTION 'gemini_rate_take: limit must be >= 1 and window > 0';
  END IF;
  SELECT r.not_before INTO hold FROM gemini_rate r WHERE r.bucket = p_bucket FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO gemini_rate (bucket) VALUES (p_bucket) ON CONFLICT DO NOTHING;
    SELECT r.not_before INTO hold FROM gemini_rate r WHERE r.bucket = p_bucket FOR UPDATE;
  END IF;
  now_ := clock_timestamp();
  IF hold > now_ THEN
    wait_s := extract(epoch FROM hold - now_);
    RETURN;
  END IF;
  DELETE FROM gemini_rate_starts s
   WHERE s.bucket = p_bucket AND s.started_at <= now_ - make_interval(secs => p_window_s);
  SELECT count(*) INTO taken FROM gemini_rate_starts s WHERE s.bucket = p_bucket;
  IF taken >= p_limit THEN
    -- The start whose expiry frees a slot: the oldest, or later ones if the limit was lowered.
    SELECT s.started_at INTO frees FROM gemini_rate_starts s WHERE s.bucket = p_bucket
     ORDER BY s.started_at OFFSET taken - p_limit LIMIT 1;
    wait_s := greatest(0.001, extract(epoch FROM frees + make_interval(secs => p_window_s) - now_));
    RETURN;
  END IF;
  INSERT INTO gemini_rate_starts (bucket, started_at) VALUES (p_bucket, now_);
  wait_s := 0;
  started_at := now_;
END
$$;

-- A 429 with Retry-After: nobody starts before then (a later hold wins, an earlier one is ignored).
CREATE FUNCTION gemini_rate_hold(p_bucket text, p_seconds double precision) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO gemini_rate AS r (bucket, not_before)
  VALUES (p_bucket, clock_timestamp() + make_interval(secs => greatest(0, p_seconds)))
  ON CONFLICT (bucket) DO UPDATE SET not_before = greatest(r.not_before, excluded.not_before);
$$;

REVOKE ALL ON FUNCTION gemini_rate_take(text, integer, double precision) FROM PUBLIC;
REVOKE ALL ON FUNCTION gemini_rate_hold(text, double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gemini_rate_take(text, integer, double precision) TO eventlens_app;
GRANT EXECUTE ON FUNCTION gemini_rate_hold(text, double precision) TO eventlens_app;
