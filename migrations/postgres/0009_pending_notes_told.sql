-- Housekeeping deletes told notes a week after they are finished (before, they grew without
-- end); this index finds them without a scan.
CREATE INDEX pending_notes_told ON pending_notes (told_at) WHERE told_at IS NOT NULL;
