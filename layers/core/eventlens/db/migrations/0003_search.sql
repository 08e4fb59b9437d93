-- Find-me analytics: which photos each session returned ("hot photos"), never the selfie.
ALTER TABLE match_sessions ADD COLUMN photo_ids uuid[] NOT NULL DEFAULT '{}';
