//! Commands acknowledged and not yet settled: written before the user is answered, so a replica
//! that dies holding one leaves it for another, which finishes it exactly once.
//!
//! An intent is `pending` (leased to the replica working on it) until it is `done` (the
//! meeting exists and its card is in the outbox, or the user was told why not) or `abandoned`.
//! A pending intent whose lease lapsed is claimed like an outbox row; whoever claims it must
//! first ask Zoom whether the meeting was made already, by the intent's tag.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::error::zoom_id_column;
use super::instant::{self, Stamp};
use super::{Engine, Store, StoreError, claim_leased, with_pool};

/// An intent's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IntentId(i64);

impl fmt::Display for IntentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One holding of an intent: its id and the claim that gave it to its holder (1 for the
/// replica that wrote it, one more for each takeover). Only the current holding may renew or
/// settle the intent: a replica whose lease lapsed and that then took the intent back holds a
/// new claim, and its older job can no longer touch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub id: IntentId,
    pub claim: u32,
}

/// A command to settle, as written before its user is answered. Domain facts only: the
/// command in its canonical form, read again in `zone` as at `read_at`, gives back the same
/// meeting request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntent {
    pub delivery_key: String,
    pub tag: String,
    pub team_id: String,
    pub channel_id: String,
    pub channel_name: Option<String>,
    pub user_id: String,
    pub response_url: String,
    pub command: String,
    pub zone: String,
    pub read_at: DateTime<Utc>,
    pub default_minutes: u16,
    pub email: Option<String>,
    pub real_name: Option<String>,
    pub locale: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An intent claimed by [`Intents::claim`] after its holder's lease lapsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: IntentId,
    pub new: NewIntent,
    pub attempts: u32,
    /// Set by [`Intents::mark_uncertain`]: its create went out and got no answer, and its user
    /// was told the meeting may exist.
    pub uncertain: Option<String>,
}

/// The create intents table; from [`Store::intents`].
pub struct Intents<'s> {
    store: &'s Store,
}

#[derive(sqlx::FromRow)]
struct IntentRow<I> {
    id: i64,
    delivery_key: String,
    tag: String,
    team_id: String,
    channel_id: String,
    channel_name: Option<String>,
    user_id: String,
    response_url: String,
    command: String,
    zone: String,
    read_at: I,
    default_minutes: i32,
    email: Option<String>,
    real_name: Option<String>,
    locale: Option<String>,
    created_at: I,
    attempts: i32,
    last_error: Option<String>,
}

const CLAIM_SQLITE: &str = "UPDATE create_intents \
     SET claimed_by = $1, available_at = $3, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM create_intents WHERE state = 'pending' AND available_at <= $2 \
     ORDER BY available_at, id LIMIT $4) \
     RETURNING id, delivery_key, tag, team_id, channel_id, channel_name, user_id, response_url, \
     command, zone, read_at, default_minutes, email, real_name, locale, created_at, attempts, \
     last_error";
const CLAIM_POSTGRES: &str = "UPDATE create_intents \
     SET claimed_by = $1, available_at = $3, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM create_intents WHERE state = 'pending' AND available_at <= $2 \
     ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, delivery_key, tag, team_id, channel_id, channel_name, user_id, response_url, \
     command, zone, read_at, default_minutes, email, real_name, locale, created_at, attempts, \
     last_error";

/// A claim number as stored.
fn claim_column(hold: Hold) -> i32 {
    i32::try_from(hold.claim).unwrap_or(i32::MAX)
}

/// What writing an intent is, for errors.
const OPEN: &str = "record a command before answering it";

/// The start of an intent's `INSERT`, its values pushed by [`push_intent`].
const INSERT_INTENT: &str = "INSERT INTO create_intents (delivery_key, tag, team_id, channel_id, \
     channel_name, user_id, response_url, command, zone, read_at, default_minutes, email, \
     real_name, locale, state, available_at, claimed_by, attempts, created_at)";

/// Pushes `intent`'s values, held by `owner` until `available_at`, in [`INSERT_INTENT`]'s order.
fn push_intent<'q, DB, I>(
    query: &mut sqlx::QueryBuilder<DB>,
    intent: &'q NewIntent,
    owner: &'q str,
    available_at: I,
    at: fn(DateTime<Utc>) -> I,
) where
    DB: sqlx::Database,
    I: 'q + sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i32: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut values = query.separated(", ");
    values
        .push_bind(intent.delivery_key.as_str())
        .push_bind(intent.tag.as_str())
        .push_bind(intent.team_id.as_str())
        .push_bind(intent.channel_id.as_str())
        .push_bind(intent.channel_name.as_deref())
        .push_bind(intent.user_id.as_str())
        .push_bind(intent.response_url.as_str())
        .push_bind(intent.command.as_str())
        .push_bind(intent.zone.as_str())
        .push_bind(at(intent.read_at))
        .push_bind(i32::from(intent.default_minutes))
        .push_bind(intent.email.as_deref())
        .push_bind(intent.real_name.as_deref())
        .push_bind(intent.locale.as_deref())
        .push_unseparated(", 'pending'")
        .push_bind(available_at)
        .push_bind(owner)
        .push_unseparated(", 1")
        .push_bind(at(intent.created_at));
}

/// What [`Intents::open_claiming`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// For each key in order, whether this was its first live claim.
    pub won: Vec<bool>,
    /// The intent, when every key was won and no intent for its delivery key existed.
    pub hold: Option<Hold>,
}

impl Hold {
    /// The holding of an intent just written: its first claim.
    fn opened(id: i64) -> Hold {
        Hold {
            id: IntentId(id),
            claim: 1,
        }
    }
}

impl Intent {
    /// The holding its claim gave.
    pub fn hold(&self) -> Hold {
        Hold {
            id: self.id,
            claim: self.attempts,
        }
    }
}

impl<'s> Intents<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Writes an intent held by `owner` for `lease`. `None` when an intent for this
    /// delivery key exists already (a redelivery another replica is settling).
    pub async fn open(
        &self,
        intent: &NewIntent,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<Hold>, StoreError> {
        let available_at = instant::after(intent.created_at, lease);
        with_pool!(self.store, |pool, at: I| {
            let mut insert = sqlx::QueryBuilder::new(INSERT_INTENT);
            insert.push(" VALUES (");
            push_intent(&mut insert, intent, owner, at(available_at), at);
            insert.push(") ON CONFLICT (delivery_key) DO NOTHING RETURNING id");
            insert
                .build_query_scalar::<i64>()
                .fetch_optional(pool)
                .await?
                .map(Hold::opened)
        })
        .map_err(|e| self.store.query_error(OPEN, e))
    }

    /// [`Claims::claim_all`](super::Claims::claim_all) for `keys` (the command's guards), and,
    /// only when each was its first live claim, [`open`](Self::open): on PostgreSQL in one
    /// statement, so a command's way to its answer costs one round trip and one transaction
    /// instead of two (docs/PERFORMANCE.md). That statement waits for the disk, as the intent
    /// must. (On SQLite, one process, which writes no intents while serving, the two in turn.)
    pub async fn open_claiming(
        &self,
        intent: &NewIntent,
        owner: &str,
        lease: Duration,
        keys: &[(&str, Duration)],
        now: DateTime<Utc>,
    ) -> Result<Opened, StoreError> {
        let pool = match &self.store.pool {
            super::Pool::Postgres(pool) if !keys.is_empty() => pool,
            // The two statements in turn.
            _ => {
                let won = self.store.claims().claim_all(keys, now).await?;
                let hold = if won.iter().all(|&won| won) {
                    self.open(intent, owner, lease).await?
                } else {
                    None
                };
                return Ok(Opened { won, hold });
            }
        };
        let at = instant::postgres;
        let available_at = instant::after(intent.created_at, lease);
        let mut insert = sqlx::QueryBuilder::new("WITH won AS (");
        super::claims::push_claims(&mut insert, keys, now, at, false);
        insert.push("), opened AS (");
        insert.push(INSERT_INTENT);
        insert.push(" SELECT ");
        push_intent(&mut insert, intent, owner, at(available_at), at);
        insert.push(" WHERE (SELECT count(*) FROM won) = ");
        insert.push_bind(i64::try_from(keys.len()).unwrap_or(i64::MAX));
        insert.push(
            " ON CONFLICT (delivery_key) DO NOTHING RETURNING id) \
             SELECT ARRAY(SELECT key FROM won), (SELECT id FROM opened)",
        );
        let (claimed, id) = insert
            .build_query_as::<(Vec<String>, Option<i64>)>()
            .fetch_one(pool)
            .await
            .map_err(|e| self.store.query_error(OPEN, e))?;
        Ok(Opened {
            won: keys
                .iter()
                .map(|(key, _)| claimed.iter().any(|c| c == key))
                .collect(),
            hold: id.map(Hold::opened),
        })
    }

    /// Claims up to `limit` pending intents whose holder's lease lapsed, leasing them to
    /// `owner` until `now + lease`. Each is claimed by exactly one caller across replicas.
    pub async fn claim(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Intent>, StoreError> {
        let sql = match self.store.engine() {
            Engine::Sqlite => CLAIM_SQLITE,
            Engine::Postgres => CLAIM_POSTGRES,
        };
        let rows = claim_leased!(
            self.store,
            sql,
            IntentRow,
            |row| self.intent(row),
            owner,
            now,
            lease,
            limit
        )
        .map_err(|e| self.store.query_error("claim unsettled commands", e))?;
        let mut intents = Vec::with_capacity(rows.len());
        for row in rows {
            match row {
                Ok(intent) => intents.push(intent),
                // One unreadable row must not stop every other command from being settled.
                Err(unreadable) => {
                    let (hold, e) = *unreadable;
                    let id = hold.id;
                    tracing::error!(error = %e, intent = %id, "an unsettled command's row is unreadable; giving it up");
                    if let Err(e) = self
                        .settle(
                            hold,
                            owner,
                            "abandoned",
                            None,
                            Some("its row is unreadable"),
                            now,
                        )
                        .await
                    {
                        tracing::error!(error = %e, intent = %id, "could not give up an unreadable command");
                    }
                }
            }
        }
        intents.sort_by_key(|i| i.id);
        Ok(intents)
    }

    /// Whether `owner` still holds a pending intent with more than `needed` of its lease left
    /// at `now`; only when less is left is the lease renewed to `now + lease` (as
    /// [`renew`](Self::renew), whose `false` this shares). For a lease with most of its time
    /// left, that is a read, not a write the database must flush.
    pub async fn confirm(
        &self,
        hold: Hold,
        owner: &str,
        now: DateTime<Utc>,
        needed: Duration,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let enough = with_pool!(self.store, |pool, at: I| {
            sqlx::query_scalar::<_, bool>(
                "SELECT available_at > $4 FROM create_intents \
                 WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND state = 'pending'",
            )
            .bind(hold.id.0)
            .bind(owner)
            .bind(claim_column(hold))
            .bind(at(instant::after(now, needed)))
            .fetch_optional(pool)
            .await?
        })
        .map_err(|e| self.store.query_error("check a command's lease", e))?;
        match enough {
            None => Ok(false),
            Some(true) => Ok(true),
            Some(false) => self.renew(hold, owner, now, lease).await,
        }
    }

    /// Extends `owner`'s lease on a pending intent to `now + lease`. `false` when it is no
    /// longer `owner`'s (its lease lapsed and another replica took it over) or is settled: the
    /// caller must then leave the command alone.
    pub async fn renew(
        &self,
        hold: Hold,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let until = instant::after(now, lease);
        with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "UPDATE create_intents SET available_at = $3 \
                 WHERE id = $1 AND claimed_by = $2 AND attempts = $4 AND state = 'pending'",
            )
            .bind(hold.id.0)
            .bind(owner)
            .bind(at(until))
            .bind(claim_column(hold))
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        })
        .map_err(|e| self.store.query_error("renew a command's lease", e))
    }

    /// Deletes up to `limit` settled intents that finished at or before `before`, oldest
    /// first, and returns how many: they hold personal data (email, name, `response_url`)
    /// that is of no use once a command is settled and its outcome logged.
    pub async fn purge_settled(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.store
            .purge_finished(super::Finished::Intents, before, limit)
            .await
    }

    /// The command is settled: its meeting (`zoom_id`, when one exists) is recorded and its
    /// card queued, or its user was told why there is none. `false` if it was not pending or
    /// not `owner`'s any more.
    pub async fn finish(
        &self,
        hold: Hold,
        owner: &str,
        zoom_id: Option<u64>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let zoom_id = zoom_id.map(zoom_id_column).transpose()?;
        // Committed with other writes of the moment (see `batch.rs`).
        self.store
            .finish_intent(hold.id.0, claim_column(hold), owner, zoom_id, at)
            .await
    }

    /// Its create went out and Zoom gave no answer: whoever takes the intent over only looks for
    /// the meeting in Zoom (to post its card) and never creates it again.
    pub async fn mark_uncertain(
        &self,
        hold: Hold,
        owner: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        with_pool!(self.store, |pool, _at: I| {
            sqlx::query(
                "UPDATE create_intents SET last_error = $3 \
                 WHERE id = $1 AND claimed_by = $2 AND attempts = $4 AND state = 'pending'",
            )
            .bind(hold.id.0)
            .bind(owner)
            .bind(reason)
            .bind(claim_column(hold))
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        })
        .map_err(|e| self.store.query_error("mark a command uncertain", e))
    }

    /// Gives up on a command for good, recording why (unless it is not `owner`'s any more).
    pub async fn abandon(
        &self,
        hold: Hold,
        owner: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.settle(hold, owner, "abandoned", None, Some(reason), at)
            .await
            .map_err(|e| self.store.query_error("abandon a command", e))
    }

    async fn settle(
        &self,
        hold: Hold,
        owner: &str,
        state: &'static str,
        zoom_id: Option<i64>,
        reason: Option<&str>,
        when: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "UPDATE create_intents SET state = $3, zoom_id = $4, last_error = $5, \
                 finished_at = $6, claimed_by = NULL \
                 WHERE id = $1 AND claimed_by = $2 AND attempts = $7 AND state = 'pending'",
            )
            .bind(hold.id.0)
            .bind(owner)
            .bind(state)
            .bind(zoom_id)
            .bind(reason)
            .bind(at(when))
            .bind(claim_column(hold))
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        })
    }

    fn intent<I: Stamp>(&self, row: IntentRow<I>) -> Result<Intent, Box<(Hold, StoreError)>> {
        let hold = Hold {
            id: IntentId(row.id),
            claim: u32::try_from(row.attempts).unwrap_or(0),
        };
        self.read(row).map_err(|e| Box::new((hold, e)))
    }

    fn read<I: Stamp>(&self, row: IntentRow<I>) -> Result<Intent, StoreError> {
        let store = self.store;
        Ok(Intent {
            id: IntentId(row.id),
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            uncertain: row.last_error,
            new: NewIntent {
                delivery_key: row.delivery_key,
                tag: row.tag,
                team_id: row.team_id,
                channel_id: row.channel_id,
                channel_name: row.channel_name,
                user_id: row.user_id,
                response_url: row.response_url,
                command: row.command,
                zone: row.zone,
                read_at: store.instant("intent read time", row.read_at)?,
                default_minutes: u16::try_from(row.default_minutes).unwrap_or(30),
                email: row.email,
                real_name: row.real_name,
                locale: row.locale,
                created_at: store.instant("intent time", row.created_at)?,
            },
        })
    }
}
