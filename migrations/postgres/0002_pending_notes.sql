-- Notes for a Slack user that could not reach them when they arose (a card no channel could
-- show, or the invoker's notes once its response_url was spent), shown at their next /zoom.
-- migrations/sqlite/0002_pending_notes.sql has the same table; only instants differ.
CREATE TABLE pending_notes (
    id          BIGSERIAL   PRIMARY KEY,
    team_id     TEXT        NOT NULL,
    user_id     TEXT        NOT NULL,
    zoom_id     BIGINT      NOT NULL REFERENCES meetings (zoom_id),
    -- The channel the card was meant for.
    channel_id  TEXT        NOT NULL,
    -- Why the card reached no channel (a plain sentence); NULL when the card was posted and
    -- only the notes missed their reader.
    undelivered TEXT,
    -- A JSON array of plain sentences for the user.
    notes       TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    -- When it was handed to the user's next command; NULL until then.
    told_at     TIMESTAMPTZ
);
CREATE INDEX pending_notes_untold ON pending_notes (team_id, user_id, created_at)
    WHERE told_at IS NULL;
