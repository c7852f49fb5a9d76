-- Housekeeping deletes cards a week after they are finished (before, they grew without
-- end); this index finds them without a scan.
CREATE INDEX card_outbox_finished ON card_outbox (finished_at) WHERE state <> 'pending';
