-- The Slack locale of the person who scheduled a meeting (such as `tr-TR`), so its card, a
-- redrawn card and its start notice speak their language whoever acts on it later. NULL for
-- meetings scheduled before this column existed, or when Slack did not say: English.
-- migrations/sqlite/0003_meeting_locale.sql adds the same column.
ALTER TABLE meetings ADD COLUMN locale TEXT;
