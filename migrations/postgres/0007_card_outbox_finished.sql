-- no-transaction
-- Housekeeping deletes cards a week after they are finished (before, they grew without
-- end); this index finds them without a scan. Built CONCURRENTLY (one statement per file, outside
-- a transaction), so replicas still running the previous version keep writing to the table
-- while it is built.
CREATE INDEX CONCURRENTLY IF NOT EXISTS card_outbox_finished ON card_outbox (finished_at) WHERE state <> 'pending';
