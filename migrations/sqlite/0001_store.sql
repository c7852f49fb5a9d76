-- The store's schema on SQLite. migrations/postgres/0001_store.sql has the same tables,
-- columns, constraints and indexes; only the column types differ (instants are INTEGER
-- microseconds since the Unix epoch, UTC, here; TIMESTAMPTZ there). STRICT tables hold each
-- column to its declared type, as PostgreSQL does. Domain facts only: no Slack or Zoom wire
-- formats, and no passcode or start URL column anywhere.

-- Meetings scheduled through the app.
CREATE TABLE meetings (
    zoom_id          INTEGER     PRIMARY KEY CHECK (zoom_id > 0),
    team_id          TEXT        NOT NULL,
    channel_id       TEXT        NOT NULL,
    scheduled_by     TEXT        NOT NULL,
    topic            TEXT        NOT NULL,
    starts_at        INTEGER     NOT NULL,
    -- starts_at + duration_minutes, kept by the store so "upcoming" can use an index.
    ends_at          INTEGER     NOT NULL,
    duration_minutes INTEGER     NOT NULL CHECK (duration_minutes > 0),
    zone             TEXT        NOT NULL,
    join_url         TEXT        NOT NULL,
    host             TEXT        NOT NULL,
    -- NULL for a single meeting; for a recurring series, its rule described for people.
    recurrence       TEXT,
    card_channel_id  TEXT,
    card_ts          TEXT,
    state            TEXT        NOT NULL CHECK (state IN ('scheduled', 'cancelled')),
    created_at       INTEGER     NOT NULL,
    cancelled_at     INTEGER,
    cancelled_by     TEXT,
    moved_at         INTEGER,
    CHECK ((card_channel_id IS NULL) = (card_ts IS NULL)),
    CHECK ((state = 'cancelled') = (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL))
) STRICT;
-- upcoming(team, user, now): the live meetings of one person, by end.
CREATE INDEX meetings_upcoming ON meetings (team_id, scheduled_by, ends_at)
    WHERE state = 'scheduled';

-- Exactly-once claims (replay and double-delivery guards): a key is held until expires_at.
CREATE TABLE claims (
    key        TEXT        PRIMARY KEY,
    expires_at INTEGER     NOT NULL
) STRICT;
CREATE INDEX claims_expiry ON claims (expires_at);

-- "Your meeting starts now" notices, one pending per meeting.
CREATE TABLE start_notices (
    id          INTEGER     PRIMARY KEY AUTOINCREMENT,
    zoom_id     INTEGER     NOT NULL REFERENCES meetings (zoom_id),
    due_at      INTEGER     NOT NULL,
    state       TEXT        NOT NULL
        CHECK (state IN ('pending', 'posted', 'dropped', 'cancelled', 'replaced')),
    -- The replica posting it, until lease_until; a lapsed lease may be claimed again.
    claimed_by  TEXT,
    lease_until INTEGER,
    attempts    INTEGER     NOT NULL DEFAULT 0,
    created_at  INTEGER     NOT NULL,
    -- When it left 'pending'.
    finished_at INTEGER,
    CHECK ((state = 'pending') = (finished_at IS NULL))
) STRICT;
CREATE UNIQUE INDEX start_notices_one_pending ON start_notices (zoom_id)
    WHERE state = 'pending';
CREATE INDEX start_notices_due ON start_notices (due_at)
    WHERE state = 'pending';

-- The durable outbox of meeting cards to post once Zoom has answered.
CREATE TABLE card_outbox (
    id                      INTEGER     PRIMARY KEY AUTOINCREMENT,
    zoom_id                 INTEGER     NOT NULL REFERENCES meetings (zoom_id),
    team_id                 TEXT        NOT NULL,
    channel_id              TEXT        NOT NULL,
    user_id                 TEXT        NOT NULL,
    response_url            TEXT        NOT NULL,
    response_url_expires_at INTEGER     NOT NULL,
    -- A JSON array of plain sentences for the invoker.
    notes                   TEXT        NOT NULL,
    locale                  TEXT,
    state                   TEXT        NOT NULL
        CHECK (state IN ('pending', 'posted', 'abandoned')),
    -- A pending row may be claimed from this instant: when enqueued, when a lease lapses,
    -- or at the retry time a release named.
    available_at            INTEGER     NOT NULL,
    claimed_by              TEXT,
    attempts                INTEGER     NOT NULL DEFAULT 0,
    last_error              TEXT,
    created_at              INTEGER     NOT NULL,
    finished_at             INTEGER,
    CHECK ((state = 'pending') = (finished_at IS NULL))
) STRICT;
CREATE INDEX card_outbox_claimable ON card_outbox (available_at)
    WHERE state = 'pending';
CREATE INDEX card_outbox_pending_age ON card_outbox (created_at)
    WHERE state = 'pending';
