-- Housekeeping deletes start notices a week after they are finished (before, they grew without
-- end); this index finds them without a scan.
CREATE INDEX start_notices_finished ON start_notices (finished_at) WHERE state <> 'pending';
