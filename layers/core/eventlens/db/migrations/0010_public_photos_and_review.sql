-- What the public sees: a photo is public only once it is processed, not hidden, and not held for
-- review. Before this, a photo that failed processing was listed as a broken tile and an NSFW-scored
-- one was public until someone hid it.

-- review: not_needed (scored below the event's nsfw_threshold, or not scored), pending (held until
-- an organizer decides), approved, rejected. The analyze phase sets pending/not_needed when it
-- scores a photo; an organizer's decision is kept when the photo is analyzed again.
ALTER TABLE photos
  ADD COLUMN review text NOT NULL DEFAULT 'not_needed'
    CHECK (review IN ('not_needed', 'pending', 'approved', 'rejected')),
  ADD COLUMN reviewed_at timestamptz;

-- is_public: the one definition, used by the policy, the search function and the public queries.
ALTER TABLE photos ADD COLUMN is_public boolean GENERATED ALWAYS AS (
  NOT hidden AND analyze_status = 'completed' AND review IN ('not_needed', 'approved')
) STORED;

CREATE INDEX photos_review_queue ON photos (event_id, nsfw_score DESC) WHERE review = 'pending';

-- Photos already analyzed are scored against their event's threshold now (0.8 when unset, as in
-- eventlens.types.EventSettings), so nothing NSFW-scored stays public through the upgrade.
UPDATE photos p SET review = 'pending'
  FROM events e
 WHERE e.id = p.event_id AND p.nsfw_score IS NOT NULL
   AND p.nsfw_score >= coalesce((e.settings ->> 'nsfw_threshold')::real, 0.8);

-- The photos policy: staff read every photo of their event, anyone else only the public ones.
CREATE FUNCTION may_see_photo(event uuid, is_public boolean) RETURNS boolean
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT may_read_event(event) AND (is_public OR actor_is_staff());
  END;

DROP POLICY photos_read ON photos;
CREATE POLICY photos_read ON photos FOR SELECT USING (may_see_photo(event_id, is_public));

-- The search function applies the same policy (it runs as the owner, past the policies); with
-- include_hidden false it returns public photos only, as PhotoFilter does.
CREATE OR REPLACE FUNCTION search_text_candidates(
  q text, like_pattern text, n integer, scan_cap integer,
  include_hidden boolean, only_hidden boolean, in_folder text, with_tag text, of_kind text,
  taken_from timestamptz, taken_to timestamptz, photo_ids uuid[]
) RETURNS TABLE (id uuid, fulltext real, trigram real)
  LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 100
  SET search_path = public, pg_temp
AS $fn$
DECLARE
  allowed constant text := $w$
    p.event_id = current_event_id() AND may_see_photo(p.event_id, p.is_public)
    AND ($5 OR p.is_public) AND ($6 IS NULL OR p.hidden = $6)
    AND ($7 IS NULL OR p.folder = $7) AND ($8 IS NULL OR p.auto_tag = $8)
    AND ($9 IS NULL OR p.kind = $9) AND ($10 IS NULL OR p.taken_at >= $10)
    AND ($11 IS NULL OR p.taken_at < $11) AND ($12 IS NULL OR p.id = ANY($12))$w$;
  matched integer;
BEGIN
  RETURN QUERY EXECUTE
    $s$SELECT p.id, ts_rank_cd(p.search_tsv, websearch_to_tsquery('english', $1), 32), NULL::real
         FROM public.photos p WHERE $s$ || allowed || $s$
          AND p.search_tsv @@ websearch_to_tsquery('english', $1)
        ORDER BY 2 DESC LIMIT $3$s$
  USING q, like_pattern, n, scan_cap, include_hidden, only_hidden, in_folder, with_tag, of_kind,
        taken_from, taken_to, photo_ids;
  GET DIAGNOSTICS matched = ROW_COUNT;
  IF matched < n THEN
    RETURN QUERY EXECUTE
      $s$SELECT fuzzy.id, NULL::real, fuzzy.score FROM (
           SELECT p.id, greatest(word_similarity($1, p.visible_text), word_similarity($1, p.people_descriptions),
                                 word_similarity($1, p.scene_description), word_similarity($1, p.filename)) AS score
             FROM public.photos p WHERE $s$ || allowed || $s$
              AND (p.visible_text %> $1 OR p.visible_text ILIKE $2
                OR p.people_descriptions %> $1 OR p.people_descriptions ILIKE $2
                OR p.scene_description %> $1 OR p.scene_description ILIKE $2
                OR p.filename %> $1 OR p.filename ILIKE $2)
            LIMIT $4) fuzzy
         ORDER BY fuzzy.score DESC LIMIT $3$s$
    USING q, like_pattern, n, scan_cap, include_hidden, only_hidden, in_folder, with_tag, of_kind,
          taken_from, taken_to, photo_ids;
  END IF;
END
$fn$;

DROP FUNCTION may_read_photo(uuid, boolean);
GRANT EXECUTE ON FUNCTION may_see_photo(uuid, boolean) TO eventlens_app;
