-- Settled commands are deleted a week after they finish (they hold an email, a name and a
-- response_url, of no use once the outcome is logged); this index finds them without a scan.
CREATE INDEX create_intents_settled ON create_intents (finished_at) WHERE state <> 'pending';
