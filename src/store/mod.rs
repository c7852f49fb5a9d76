//! The durable store: meetings, exactly-once claims, start notices, the card outbox and notes kept for users, on SQLite or PostgreSQL.
//!
//! [`Store::open`] takes `sqlite://path` (one process; the file is created if missing) or
//! `postgres://…` (several replicas), migrates the schema and is ready. Every record is a
//! domain fact (ids as strings, instants as `DateTime<Utc>`), never a Slack or Zoom wire format.
//!
//! # One interface, two engines
//!
//! [`Store`] holds an enum over the two connection pools rather than a trait object. The set of
//! engines is closed and known at compile time, so an enum keeps every call statically
//! dispatched (no boxed futures), keeps `Store` a plain cheap `Clone`, and lets each operation
//! keep its SQL for both engines in one place. Most statements are a single text both engines
//! run (both take `$1` placeholders, `ON CONFLICT`, `RETURNING` and partial indexes); the
//! `with_pool!`/`in_transaction!` macros expand one body per engine, so only the instant
//! encoding differs (see `instant.rs`). Where the dialects do differ — PostgreSQL's
//! `FOR UPDATE SKIP LOCKED`, SQLite's `BEGIN IMMEDIATE` — the two texts sit side by side.
//! sqlx's `Any` driver was not used: it cannot bind chrono instants, and it would hide exactly
//! the locking clauses that make claims safe across replicas.
//!
//! # Pools
//!
//! SQLite: one connection, WAL, `synchronous=FULL`, foreign keys on, a 5 s busy timeout.
//! SQLite admits one writer at a time; with several connections, writers in one process would
//! contend through SQLite's sleeping busy handler, whereas one connection queues them fairly in
//! the pool, and every statement here is short. WAL still lets other processes (a backup, an
//! operator's `sqlite3`) read meanwhile. FULL because the outbox must survive a power cut.
//!
//! PostgreSQL: up to 10 connections per replica for statements and one listening for notes
//! kept by other replicas; claims use row locks with `SKIP LOCKED`, so replicas never wait on
//! each other's claimed rows.
//!
//! Both: a pooled connection is pinged before use only after a second idle (sqlx's default
//! pings on every checkout, a round trip per statement that buys nothing under load).

mod batch;
mod claims;
mod error;
mod instant;
mod intents;
mod meetings;
mod notes;
mod notes_hint;
mod notices;
mod open;
mod outbox;

use std::fmt;

use sqlx::{PgPool, SqlitePool};

pub use batch::{Creation, NewCreation};
pub use claims::Claims;
pub use error::{Engine, StoreError};
pub use intents::{Hold, Intent, IntentId, Intents, NewIntent, Opened};
pub use meetings::{
    CANCELLED_IN_ZOOM, CancelOutcome, CardLocation, MeetingRecord, MeetingState, Meetings,
    NewMeetingRecord, RescheduleOutcome, Schedule,
};
pub use notes::{NewPendingNote, PendingNote, PendingNoteId, PendingNotes};
pub use notices::{DueNotice, DueNotices, NoticeId, NoticeRecord, NoticeState, Notices};
pub use outbox::{CardPost, CardState, CardStatus, NewCardPost, Outbox, OutboxId};

/// The service's storage: cheap to clone (the pools are shared), safe to use from many tasks.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// The database, described without secrets, for errors and logs.
    target: std::sync::Arc<str>,
    /// Whether any pending note may exist, so the common case of a command with nothing to
    /// hand over costs no query (see `notes_hint.rs`).
    notes_hint: std::sync::Arc<notes_hint::NotesHint>,
    /// The group-commit writer (see `batch.rs`); `None` in the writer's own handle.
    writer: Option<std::sync::Arc<batch::Writer>>,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` once per engine: `$pool` is that engine's pool, `$at` converts a
/// `DateTime<Utc>` to its instant column type and `$I` names that type (for row structs).
/// `$body` may use `?` on `sqlx::Error`; the whole evaluates to `Result<_, sqlx::Error>`.
macro_rules! with_pool {
    ($store:expr, |$pool:ident, $at:ident: $I:ident| $body:block) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => {
                #[allow(dead_code)]
                type $I = i64;
                #[allow(unused_variables)]
                let $at = $crate::store::instant::sqlite;
                async { Ok::<_, sqlx::Error>($body) }.await
            }
            $crate::store::Pool::Postgres($pool) => {
                #[allow(dead_code)]
                type $I = chrono::DateTime<chrono::Utc>;
                #[allow(unused_variables)]
                let $at = $crate::store::instant::postgres;
                async { Ok::<_, sqlx::Error>($body) }.await
            }
        }
    };
}

/// Like `with_pool!`, inside a transaction that commits when `$body` succeeds (and rolls back
/// when it returns early with an error). On SQLite the transaction is `BEGIN IMMEDIATE`: it
/// takes the write lock up front, so it never has to upgrade a read snapshot, which SQLite
/// refuses with `SQLITE_BUSY` instead of waiting when another connection wrote meanwhile.
macro_rules! in_transaction {
    ($store:expr, |$tx:ident, $at:ident: $I:ident| $body:block) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite(pool) => {
                #[allow(dead_code)]
                type $I = i64;
                #[allow(unused_variables)]
                let $at = $crate::store::instant::sqlite;
                async {
                    let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    let out = $body;
                    $tx.commit().await?;
                    Ok::<_, sqlx::Error>(out)
                }
                .await
            }
            $crate::store::Pool::Postgres(pool) => {
                #[allow(dead_code)]
                type $I = chrono::DateTime<chrono::Utc>;
                #[allow(unused_variables)]
                let $at = $crate::store::instant::postgres;
                async {
                    let mut $tx = pool.begin().await?;
                    let out = $body;
                    $tx.commit().await?;
                    Ok::<_, sqlx::Error>(out)
                }
                .await
            }
        }
    };
}

/// Claims, with the engine's own claim query, up to `$limit` rows nobody holds, leasing them to
/// `$owner` until `$now + $lease`. The query binds `$1` owner, `$2` now, `$3` the lease's end
/// and `$4` the limit, and returns `$Row<I>`s; each is read with `$read`. A `sqlx::Result` of
/// what `$read` returned, in the query's order.
macro_rules! claim_leased {
    ($store:expr, $sql:expr, $Row:ident, $read:expr, $owner:expr, $now:expr, $lease:expr, $limit:expr) => {{
        let lease_until = $crate::store::instant::after($now, $lease);
        $crate::store::with_pool!($store, |pool, at: I| {
            sqlx::query_as::<_, $Row<I>>($sql)
                .bind($owner)
                .bind(at($now))
                .bind(at(lease_until))
                .bind(i64::from($limit))
                .fetch_all(pool)
                .await?
                .into_iter()
                .map($read)
                .collect::<Vec<_>>()
        })
    }};
}

pub(crate) use {claim_leased, in_transaction, with_pool};

impl Store {
    /// This handle, with a group-commit writer gathering for `window` (see `batch.rs`); with
    /// a zero window, none: each caller commits its own writes at once.
    fn with_writer(mut self, window: std::time::Duration) -> Store {
        if !window.is_zero() {
            self.writer = Some(std::sync::Arc::new(batch::Writer::start(
                self.clone(),
                window,
            )));
        }
        self
    }

    /// Opens `url` (`sqlite://path` or `postgres://…`) and applies every pending migration.
    ///
    /// Fails with a message naming the engine, the database (without password) and what went
    /// wrong: an unreachable server, an unwritable path, a schema migrated by a newer build.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, batch::DEFAULT_WINDOW).await
    }

    /// Like [`open`](Store::open), gathering the writes of commands finishing together for
    /// `commit_window` before each commit (zero: every command commits at once).
    pub async fn open_with(
        url: &str,
        commit_window: std::time::Duration,
    ) -> Result<Store, StoreError> {
        open::open(url, commit_window).await
    }

    pub fn engine(&self) -> Engine {
        match self.pool {
            Pool::Sqlite(_) => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }

    /// The database, described without secrets (a path, or `postgres://user@host:port/db`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// A round trip to the database, for readiness checks. Bounded by the pool's acquire
    /// timeout (5 s) when the database is unreachable.
    pub async fn ping(&self) -> Result<Ping, StoreError> {
        let writable = match &self.pool {
            Pool::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(|_| true),
            // A standby (or a primary turned read-only after a failover) answers, but every
            // write the service makes would fail.
            Pool::Postgres(pool) => {
                sqlx::query_scalar::<_, bool>(
                    "SELECT NOT pg_is_in_recovery() \
                 AND current_setting('transaction_read_only') = 'off'",
                )
                .fetch_one(pool)
                .await
            }
        }
        .map_err(|e| self.query_error("answer a ping", e))?;
        Ok(if writable {
            Ping::Writable
        } else {
            Ping::ReadOnly
        })
    }

    /// Writes what the group-commit writer holds, then closes every connection, waiting for
    /// those in use to be returned.
    pub async fn close(&self) {
        self.flush().await;
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    pub fn meetings(&self) -> Meetings<'_> {
        Meetings::new(self)
    }

    pub fn claims(&self) -> Claims<'_> {
        Claims::new(self)
    }

    pub fn notices(&self) -> Notices<'_> {
        Notices::new(self)
    }

    pub fn intents(&self) -> Intents<'_> {
        Intents::new(self)
    }

    pub fn outbox(&self) -> Outbox<'_> {
        Outbox::new(self)
    }

    pub fn pending_notes(&self) -> PendingNotes<'_> {
        PendingNotes::new(self)
    }

    fn query_error(&self, operation: &'static str, source: sqlx::Error) -> StoreError {
        StoreError::Query {
            engine: self.engine(),
            operation,
            source,
        }
    }

    fn corrupt(&self, what: &'static str, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            engine: self.engine(),
            what,
            detail: detail.into(),
        }
    }

    /// Reads an instant column back, or says which one was unreadable.
    fn instant<S: instant::Stamp>(
        &self,
        what: &'static str,
        column: S,
    ) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
        column
            .to_utc()
            .ok_or_else(|| self.corrupt(what, "the instant is out of range"))
    }

    /// Deletes, oldest first and at most `limit`, the rows of `table` whose work is over
    /// (`finished`, an SQL condition) and whose `column` is at or before `before`; how many
    /// went. Replicas purging at once split the rows (`SKIP LOCKED`).
    async fn purge_finished(
        &self,
        table: Finished,
        before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.delete_bounded(table.statements(), before, limit, table.what())
            .await
    }

    /// Runs a bounded `DELETE` (`[sqlite, postgres]`, binding `$1` = `before`, `$2` = `limit`)
    /// and returns how many rows went.
    async fn delete_bounded(
        &self,
        [sqlite, postgres]: [&'static str; 2],
        before: chrono::DateTime<chrono::Utc>,
        limit: u32,
        what: &'static str,
    ) -> Result<u64, StoreError> {
        let sql = match self.engine() {
            Engine::Sqlite => sqlite,
            Engine::Postgres => postgres,
        };
        with_pool!(self, |pool, at: I| {
            sqlx::query(sql)
                .bind(at(before))
                .bind(i64::from(limit))
                .execute(pool)
                .await?
                .rows_affected()
        })
        .map_err(|e| self.query_error(what, e))
    }

    /// A `u32` count from an INTEGER column.
    fn count(&self, what: &'static str, column: i32) -> Result<u32, StoreError> {
        u32::try_from(column).map_err(|_| self.corrupt(what, format!("{column} is negative")))
    }
}

/// What a [`Store::ping`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ping {
    Writable,
    /// It answers but takes no writes (a PostgreSQL standby, or read-only).
    ReadOnly,
}

/// The tables whose finished rows housekeeping deletes, with their bounded statements.
#[derive(Debug, Clone, Copy)]
enum Finished {
    Intents,
    Cards,
    Notices,
    Notes,
}

/// A statement deleting, oldest first, at most `$2` rows of `$table` matching `$finished`
/// with `$column <= $1`, the rows locked with `$lock` if given.
macro_rules! purge_statement {
    ($table:literal, $finished:literal, $column:literal $(, $lock:literal)?) => {
        concat!(
            "DELETE FROM ", $table, " WHERE id IN (SELECT id FROM ", $table, " WHERE ",
            $finished, " AND ", $column, " <= $1 ORDER BY ", $column, " LIMIT $2",
            $(" ", $lock,)? ")"
        )
    };
}

/// [`purge_statement!`] as `[sqlite, postgres]`: replicas purging at once skip each other's rows.
macro_rules! purge_statements {
    ($table:literal, $finished:literal, $column:literal) => {
        [
            purge_statement!($table, $finished, $column),
            purge_statement!($table, $finished, $column, "FOR UPDATE SKIP LOCKED"),
        ]
    };
}

impl Finished {
    fn statements(self) -> [&'static str; 2] {
        match self {
            Finished::Intents => {
                purge_statements!("create_intents", "state <> 'pending'", "finished_at")
            }
            Finished::Cards => {
                purge_statements!("card_outbox", "state <> 'pending'", "finished_at")
            }
            Finished::Notices => {
                purge_statements!("start_notices", "state <> 'pending'", "finished_at")
            }
            Finished::Notes => purge_statements!("pending_notes", "told_at IS NOT NULL", "told_at"),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Finished::Intents => "purge settled commands",
            Finished::Cards => "purge finished cards",
            Finished::Notices => "purge finished start notices",
            Finished::Notes => "purge told notes",
        }
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.engine())
            .field("target", &self.target)
            .finish()
    }
}
