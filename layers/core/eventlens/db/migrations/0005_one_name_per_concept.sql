-- One name per concept (docs/glossary.md): the column holding a difference hash is `dhash`; a
-- duplicate's kind (exact | near) is `duplicate_kind`; a find-me session's high/medium/none is
-- its `confidence_band` (not a "tier", which meant both).
ALTER TABLE photos RENAME COLUMN phash TO dhash;
ALTER INDEX photos_phash_idx RENAME TO photos_dhash_idx;
ALTER TABLE photos RENAME COLUMN duplicate_tier TO duplicate_kind;
ALTER TABLE match_sessions RENAME COLUMN tier TO confidence_band;
-- Never written: runs on AWS are found by their id, not by the execution's ARN.
ALTER TABLE pipeline_runs DROP COLUMN execution_arn;
