-- Commands acknowledged and not yet settled: what to create in Zoom, written before the user is
-- answered, so that if the replica holding one dies, another finishes it (first asking Zoom
-- whether the meeting exists already, by the tag in its agenda). Only replicas on PostgreSQL
-- use it. migrations/sqlite/0004_create_intents.sql has the same table; only instants differ.
CREATE TABLE create_intents (
    id             BIGSERIAL   PRIMARY KEY,
    -- Slack's delivery key of the command (one intent per command).
    delivery_key   TEXT        NOT NULL UNIQUE,
    -- Put in the meeting's agenda, to find it in Zoom if the outcome was lost.
    tag            TEXT        NOT NULL,
    team_id        TEXT        NOT NULL,
    channel_id     TEXT        NOT NULL,
    channel_name   TEXT,
    user_id        TEXT        NOT NULL,
    response_url   TEXT        NOT NULL,
    -- The command in its canonical form, read again in `zone` as at `read_at`.
    command        TEXT        NOT NULL,
    zone           TEXT        NOT NULL,
    read_at        TIMESTAMPTZ NOT NULL,
    default_minutes INTEGER    NOT NULL,
    email          TEXT,
    real_name      TEXT,
    locale         TEXT,
    state          TEXT        NOT NULL CHECK (state IN ('pending', 'done', 'abandoned')),
    available_at   TIMESTAMPTZ NOT NULL,
    claimed_by     TEXT,
    attempts       INTEGER     NOT NULL DEFAULT 0,
    zoom_id        BIGINT,
    last_error     TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    CHECK ((state = 'pending') = (finished_at IS NULL))
);
CREATE INDEX create_intents_claimable ON create_intents (available_at) WHERE state = 'pending';
