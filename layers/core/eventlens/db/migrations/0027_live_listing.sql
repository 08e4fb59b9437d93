-- A live folder's listing spans invocations of the sync phase (sources/live): an S3 prefix of
-- hundreds of thousands of objects is listed a page at a time, and a Lambda stops before its
-- budget. Each page's files are staged in live_listing with the continuation token of the next
-- page (live_sources.listing_cursor) in the same transaction, so the next invocation goes on where
-- the last one stopped; once the last page is in (listing = 'listed') the staged listing is what
-- the sync compares with the folder as last seen (live_items), and it is cleared when that is done.
--
-- listing: NULL (no listing under way), 'listing' (pages still to come from listing_cursor, or
-- from the first page when it is NULL), 'listed' (complete, not yet applied).

ALTER TABLE live_sources
  ADD COLUMN listing text CHECK (listing IN ('listing', 'listed')),
  ADD COLUMN listing_cursor text CHECK (length(listing_cursor) <= 4096);

CREATE TABLE live_listing (
  event_id    uuid NOT NULL REFERENCES live_sources(event_id) ON DELETE CASCADE,
  path        text NOT NULL CHECK (length(path) BETWEEN 1 AND 1024),
  size_bytes  bigint NOT NULL,
  stamp       text NOT NULL,
  PRIMARY KEY (event_id, path)
);

ALTER TABLE live_listing ENABLE ROW LEVEL SECURITY;
CREATE POLICY live_listing_read ON live_listing FOR SELECT USING (may_read_event(event_id) AND actor_is_staff());
CREATE POLICY live_listing_insert ON live_listing FOR INSERT
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY live_listing_update ON live_listing FOR UPDATE
  USING (may_write_event(event_id) AND actor_is_staff())
  WITH CHECK (may_write_event(event_id) AND actor_is_staff());
CREATE POLICY live_listing_delete ON live_listing FOR DELETE
  USING (may_write_event(event_id) AND actor_is_staff());
GRANT SELECT, INSERT, UPDATE, DELETE ON live_listing TO eventlens_app;
