-- no-transaction
-- Housekeeping deletes told notes a week after they are finished (before, they grew without
-- end); this index finds them without a scan. Built CONCURRENTLY (one statement per file, outside
-- a transaction), so replicas still running the previous version keep writing to the table
-- while it is built.
CREATE INDEX CONCURRENTLY IF NOT EXISTS pending_notes_told ON pending_notes (told_at) WHERE told_at IS NOT NULL;
