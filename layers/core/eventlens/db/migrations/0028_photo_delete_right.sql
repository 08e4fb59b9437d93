-- Deleting a photo (issue 19: a file whose processing failed) is the `photo.delete` right of
-- access/rights.py, not any organizer's: the policy asks may('photo.delete') as photos_update asks
-- may('photo.moderate'). The pipeline and the operator still delete (a file gone from its source).
DROP POLICY photos_delete ON photos;
CREATE POLICY photos_delete ON photos FOR DELETE
  USING (may_write_event(event_id)
    AND (current_actor() IN ('pipeline', 'system') OR (current_actor() = 'organizer' AND may('photo.delete'))));
