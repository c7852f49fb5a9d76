-- Commands acknowledged and not yet settled (see migrations/postgres/0004_create_intents.sql).
-- Only replicas on PostgreSQL use it; the table exists here so both engines share one schema.
CREATE TABLE create_intents (
    id             INTEGER     PRIMARY KEY AUTOINCREMENT,
    delivery_key   TEXT        NOT NULL UNIQUE,
    tag            TEXT        NOT NULL,
    team_id        TEXT        NOT NULL,
    channel_id     TEXT        NOT NULL,
    channel_name   TEXT,
    user_id        TEXT        NOT NULL,
    response_url   TEXT        NOT NULL,
    command        TEXT        NOT NULL,
    zone           TEXT        NOT NULL,
    read_at        INTEGER     NOT NULL,
    default_minutes INTEGER    NOT NULL,
    email          TEXT,
    real_name      TEXT,
    locale         TEXT,
    state          TEXT        NOT NULL CHECK (state IN ('pending', 'done', 'abandoned')),
    available_at   INTEGER     NOT NULL,
    claimed_by     TEXT,
    attempts       INTEGER     NOT NULL DEFAULT 0,
    zoom_id        INTEGER,
    last_error     TEXT,
    created_at     INTEGER     NOT NULL,
    finished_at    INTEGER,
    CHECK ((state = 'pending') = (finished_at IS NULL))
) STRICT;
CREATE INDEX create_intents_claimable ON create_intents (available_at) WHERE state = 'pending';
