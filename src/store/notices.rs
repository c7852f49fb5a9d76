//! Start notices ("starting now"): one pending per meeting, claimed by exactly one replica when due.
//!
//! A notice is `pending` until it leaves for good: `posted`, `dropped` (due longer ago than the
//! caller's grace, so posting it would mislead), `cancelled` (with its meeting) or `replaced`
//! (the meeting moved). A pending notice may carry a lease: the replica that claimed it owns it
//! until `lease_until`; if that replica dies, the lease lapses and another claims it.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::error::{zoom_id_column, zoom_id_value};
use super::instant::{self, Stamp};
use super::{Engine, Store, StoreError, in_transaction};

/// Marks the meeting's pending notice `replaced` and, when `$due` is `Some`, inserts a new
/// pending one; evaluates to the new notice's id. For use inside `in_transaction!` after the
/// meeting row has been locked (by an UPDATE, or by `Notices::schedule`'s SELECT), so
/// concurrent replacements for one meeting run one after the other.
macro_rules! replace_pending_notice {
    ($tx:ident, $at:ident, $zoom_id:expr, $due:expr, $now:expr) => {{
        sqlx::query(
            "UPDATE start_notices SET state = 'replaced', finished_at = $2 \
             WHERE zoom_id = $1 AND state = 'pending'",
        )
        .bind($zoom_id)
        .bind($at($now))
        .execute(&mut *$tx)
        .await?;
        match $due {
            Some(due) => Some(
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO start_notices (zoom_id, due_at, state, created_at) \
                     VALUES ($1, $2, 'pending', $3) RETURNING id",
                )
                .bind($zoom_id)
                .bind($at(due))
                .bind($at($now))
                .fetch_one(&mut *$tx)
                .await?,
            ),
            None => None,
        }
    }};
}
pub(super) use replace_pending_notice;

/// A notice's id; a replaced notice's id never comes back, so a late `complete` on it is a no-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoticeId(i64);

impl NoticeId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for NoticeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A notice returned by [`Notices::claim_due`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueNotice {
    pub id: NoticeId,
    pub zoom_id: u64,
    pub due_at: DateTime<Utc>,
    /// How many times it has been claimed, this claim included (a retry after a lapsed lease
    /// shows 2 or more).
    pub attempts: u32,
}

/// The outcome of one [`Notices::claim_due`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueNotices {
    /// Due and now leased to the caller: post each, then [`Notices::complete`] it.
    pub claimed: Vec<DueNotice>,
    /// Due longer ago than the grace: marked `dropped`, not to be posted; for the caller to log.
    pub dropped: Vec<DueNotice>,
}

/// Where a notice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeState {
    Pending,
    Posted,
    /// Not posted on purpose: too late, or nowhere it could be posted.
    Dropped,
    /// Its meeting was cancelled (in the app, or deleted in Zoom).
    Cancelled,
    /// Its meeting moved; a newer notice took its place.
    Replaced,
}

/// A notice as [`Notices::for_meeting`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRecord {
    pub id: NoticeId,
    pub zoom_id: u64,
    pub due_at: DateTime<Utc>,
    /// How many times it was claimed.
    pub attempts: u32,
    pub state: NoticeState,
}

/// The start notices table; from [`Store::notices`].
pub struct Notices<'s> {
    store: &'s Store,
}

#[derive(sqlx::FromRow)]
struct NoticeRow<I> {
    id: i64,
    zoom_id: i64,
    due_at: I,
    attempts: i32,
}

#[derive(sqlx::FromRow)]
struct NoticeStateRow<I> {
    id: i64,
    zoom_id: i64,
    due_at: I,
    attempts: i32,
    state: String,
}

const DROP_SQLITE: &str = "UPDATE start_notices SET state = 'dropped', finished_at = $1 \
     WHERE id IN (SELECT id FROM start_notices WHERE state = 'pending' AND due_at < $2 \
     AND (lease_until IS NULL OR lease_until <= $1) ORDER BY due_at, id LIMIT $3) \
     RETURNING id, zoom_id, due_at, attempts";
const DROP_POSTGRES: &str = "UPDATE start_notices SET state = 'dropped', finished_at = $1 \
     WHERE id IN (SELECT id FROM start_notices WHERE state = 'pending' AND due_at < $2 \
     AND (lease_until IS NULL OR lease_until <= $1) ORDER BY due_at, id LIMIT $3 \
     FOR UPDATE SKIP LOCKED) \
     RETURNING id, zoom_id, due_at, attempts";
const CLAIM_SQLITE: &str = "UPDATE start_notices \
     SET claimed_by = $2, lease_until = $3, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM start_notices WHERE state = 'pending' AND due_at <= $1 \
     AND due_at >= $4 AND (lease_until IS NULL OR lease_until <= $1) \
     ORDER BY due_at, id LIMIT $5) \
     RETURNING id, zoom_id, due_at, attempts";
const CLAIM_POSTGRES: &str = "UPDATE start_notices \
     SET claimed_by = $2, lease_until = $3, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM start_notices WHERE state = 'pending' AND due_at <= $1 \
     AND due_at >= $4 AND (lease_until IS NULL OR lease_until <= $1) \
     ORDER BY due_at, id LIMIT $5 FOR UPDATE SKIP LOCKED) \
     RETURNING id, zoom_id, due_at, attempts";

impl<'s> Notices<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Schedules the meeting's start notice for `due_at`, replacing its pending one (if any).
    /// `None` when no such meeting is stored or it is cancelled: nothing is scheduled.
    pub async fn schedule(
        &self,
        zoom_id: u64,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<NoticeId>, StoreError> {
        let id = zoom_id_column(zoom_id)?;
        // Locks the meeting row so that two replicas replacing one meeting's notice queue up
        // instead of both inserting (NO KEY: inserts elsewhere that reference it still pass).
        let lock = match self.store.engine() {
            Engine::Sqlite => "SELECT state FROM meetings WHERE zoom_id = $1",
            Engine::Postgres => "SELECT state FROM meetings WHERE zoom_id = $1 FOR NO KEY UPDATE",
        };
        in_transaction!(self.store, |tx, at: I| {
            let state: Option<String> = sqlx::query_scalar(lock)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            match state.as_deref() {
                Some("scheduled") => replace_pending_notice!(tx, at, id, Some(due_at), now),
                _ => None,
            }
        })
        .map(|id| id.map(NoticeId))
        .map_err(|e| self.store.query_error("schedule a start notice", e))
    }

    /// Cancels the meeting's pending notices; returns how many there were.
    pub async fn cancel(&self, zoom_id: u64, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let id = zoom_id_column(zoom_id)?;
        let when = at;
        super::with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "UPDATE start_notices SET state = 'cancelled', finished_at = $2 \
                 WHERE zoom_id = $1 AND state = 'pending'",
            )
            .bind(id)
            .bind(at(when))
            .execute(pool)
            .await?
            .rows_affected()
        })
        .map_err(|e| self.store.query_error("cancel start notices", e))
    }

    /// Claims up to `limit` notices due at `now` (due within the last `grace`) whose lease is
    /// free or lapsed, leasing them to `owner` for `lease`; each is claimed by exactly one
    /// caller, across replicas. Notices due before `now - grace` and not under a live lease are
    /// marked dropped (up to `limit` of them) and returned apart, not to be posted.
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        grace: Duration,
        owner: &str,
        lease: Duration,
        limit: u32,
    ) -> Result<DueNotices, StoreError> {
        let oldest = instant::before(now, grace);
        let lease_until = instant::after(now, lease);
        let limit = i64::from(limit);
        let (drop_sql, claim_sql) = match self.store.engine() {
            Engine::Sqlite => (DROP_SQLITE, CLAIM_SQLITE),
            Engine::Postgres => (DROP_POSTGRES, CLAIM_POSTGRES),
        };
        let (dropped, claimed) = in_transaction!(self.store, |tx, at: I| {
            let dropped = sqlx::query_as::<_, NoticeRow<I>>(drop_sql)
                .bind(at(now))
                .bind(at(oldest))
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            let claimed = sqlx::query_as::<_, NoticeRow<I>>(claim_sql)
                .bind(at(now))
                .bind(owner)
                .bind(at(lease_until))
                .bind(at(oldest))
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            (
                dropped
                    .into_iter()
                    .map(|row| self.notice(row))
                    .collect::<Vec<_>>(),
                claimed
                    .into_iter()
                    .map(|row| self.notice(row))
                    .collect::<Vec<_>>(),
            )
        })
        .map_err(|e| self.store.query_error("claim due start notices", e))?;
        Ok(DueNotices {
            claimed: in_due_order(claimed)?,
            dropped: in_due_order(dropped)?,
        })
    }

    /// Marks a notice posted. `false` when it was no longer pending (already posted, or
    /// dropped, cancelled or replaced meanwhile).
    pub async fn complete(&self, id: NoticeId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let when = at;
        super::with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "UPDATE start_notices SET state = 'posted', finished_at = $2 \
                 WHERE id = $1 AND state = 'pending'",
            )
            .bind(id.0)
            .bind(at(when))
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        })
        .map_err(|e| self.store.query_error("mark a start notice posted", e))
    }

    /// Hands a claimed notice back, to be claimed again from `retry_at` (by any replica).
    /// Only its current owner may: `false` when `owner` no longer holds it (its lease lapsed
    /// and another replica claimed it) or it is no longer pending.
    pub async fn release(
        &self,
        id: NoticeId,
        owner: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        super::with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "UPDATE start_notices SET claimed_by = NULL, lease_until = $3 \
                 WHERE id = $1 AND claimed_by = $2 AND state = 'pending'",
            )
            .bind(id.0)
            .bind(owner)
            .bind(at(retry_at))
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        })
        .map_err(|e| self.store.query_error("release a start notice", e))
    }

    /// Marks a notice `dropped`: it will not be posted (its meeting moved to a time long
    /// past, say, or the bot may not post in its channel). `false` when it was no longer
    /// pending.
    pub async fn discard(&self, id: NoticeId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let when = at;
        super::with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "UPDATE start_notices SET state = 'dropped', finished_at = $2 \
                 WHERE id = $1 AND state = 'pending'",
            )
            .bind(id.0)
            .bind(at(when))
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        })
        .map_err(|e| self.store.query_error("drop a start notice", e))
    }

    /// Deletes up to `limit` notices that were finished (posted, dropped, cancelled, replaced)
    /// at or before `before`, oldest first; how many went. Pending ones are never deleted.
    pub async fn purge_finished(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.store
            .purge_finished(super::Finished::Notices, before, limit)
            .await
    }

    /// Every notice ever scheduled for the meeting, oldest first: for operators and tests.
    pub async fn for_meeting(&self, zoom_id: u64) -> Result<Vec<NoticeRecord>, StoreError> {
        let Ok(id) = zoom_id_column(zoom_id) else {
            return Ok(Vec::new());
        };
        let rows = super::with_pool!(self.store, |pool, at: I| {
            sqlx::query_as::<_, NoticeStateRow<I>>(
                "SELECT id, zoom_id, due_at, attempts, state FROM start_notices \
                 WHERE zoom_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|row| self.record(row))
            .collect::<Vec<_>>()
        })
        .map_err(|e| self.store.query_error("list a meeting's start notices", e))?;
        rows.into_iter().collect()
    }

    fn record<I: Stamp>(&self, row: NoticeStateRow<I>) -> Result<NoticeRecord, StoreError> {
        let state = match row.state.as_str() {
            "pending" => NoticeState::Pending,
            "posted" => NoticeState::Posted,
            "dropped" => NoticeState::Dropped,
            "cancelled" => NoticeState::Cancelled,
            "replaced" => NoticeState::Replaced,
            other => {
                return Err(self
                    .store
                    .corrupt("start notice state", format!("`{other}`")));
            }
        };
        let notice = self.notice(NoticeRow {
            id: row.id,
            zoom_id: row.zoom_id,
            due_at: row.due_at,
            attempts: row.attempts,
        })?;
        Ok(NoticeRecord {
            id: notice.id,
            zoom_id: notice.zoom_id,
            due_at: notice.due_at,
            attempts: notice.attempts,
            state,
        })
    }

    fn notice<I: Stamp>(&self, row: NoticeRow<I>) -> Result<DueNotice, StoreError> {
        Ok(DueNotice {
            id: NoticeId(row.id),
            zoom_id: zoom_id_value(self.store.engine(), row.zoom_id)?,
            due_at: self.store.instant("notice due time", row.due_at)?,
            attempts: self.store.count("notice attempts", row.attempts)?,
        })
    }
}

/// `RETURNING` promises no order; callers get the most overdue first.
fn in_due_order(notices: Vec<Result<DueNotice, StoreError>>) -> Result<Vec<DueNotice>, StoreError> {
    let mut notices = notices.into_iter().collect::<Result<Vec<_>, _>>()?;
    notices.sort_by_key(|n| (n.due_at, n.id));
    Ok(notices)
}
