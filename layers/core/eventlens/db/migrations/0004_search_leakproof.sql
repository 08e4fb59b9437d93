-- Let text search use its GIN indexes under row-level security.
-- Under RLS, PostgreSQL only turns a condition into an index scan when its operator is LEAKPROOF
-- (it cannot raise an error or reveal anything about rows it is shown); otherwise it filters
-- every row of the event first: 0.3 s instead of 1 ms at 10k photos (benchmarks/search.py).
-- These three fit that definition: they cannot fail on any row value. Only a superuser may
-- declare it, so a managed server (Aurora, RDS) keeps the slower plan unless an admin runs this.
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;
    ALTER FUNCTION word_similarity_commutator_op(text, text) LEAKPROOF;
    ALTER FUNCTION texticlike(text, text) LEAKPROOF;
  ELSE
    RAISE NOTICE 'not a superuser: text search operators stay non-leakproof (slower search under RLS)';
  END IF;
END $$;
