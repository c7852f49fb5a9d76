-- no-transaction
-- Housekeeping deletes start notices a week after they are finished (before, they grew without
-- end); this index finds them without a scan. Built CONCURRENTLY (one statement per file, outside
-- a transaction), so replicas still running the previous version keep writing to the table
-- while it is built.
CREATE INDEX CONCURRENTLY IF NOT EXISTS start_notices_finished ON start_notices (finished_at) WHERE state <> 'pending';
