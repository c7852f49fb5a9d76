-- Housekeeping deletes cards, start notices and kept notes a week after they are finished
-- (they would otherwise grow without end); these indexes find them without a scan.
CREATE INDEX card_outbox_finished ON card_outbox (finished_at) WHERE state <> 'pending';
CREATE INDEX start_notices_finished ON start_notices (finished_at) WHERE state <> 'pending';
CREATE INDEX pending_notes_told ON pending_notes (told_at) WHERE told_at IS NOT NULL;
