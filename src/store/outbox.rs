//! The durable card outbox: once Zoom has answered, a row with what is needed to post the card, claimed by one replica at a time.
//!
//! A row is `pending` until it is `posted` or `abandoned`. A pending row may be claimed from
//! `available_at`: when enqueued, when a claim's lease lapses, or at the time a release asked
//! for. Claiming moves `available_at` to the end of the lease, so one column answers "may
//! anyone take this now?" and one index serves the claim.
//!
//! The row holds no passcode (the store never does): whoever posts the card reads the meeting
//! from [`super::Meetings::get`] and, if the card shows a passcode, asks Zoom for it.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::error::{zoom_id_column, zoom_id_value};
use super::instant::{self, Stamp};
use super::{Engine, Store, StoreError, claim_leased, with_pool};

/// An outbox row's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutboxId(i64);

impl OutboxId {
    pub fn get(self) -> i64 {
        self.0
    }

    pub(super) fn from_column(id: i64) -> OutboxId {
        OutboxId(id)
    }
}

impl fmt::Display for OutboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A card to post, as enqueued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCardPost {
    /// The meeting the card shows; it must be stored already.
    pub zoom_id: u64,
    pub team_id: String,
    pub channel_id: String,
    /// The Slack user who ran the command.
    pub user_id: String,
    /// Where to post; re-check it against the allowed prefixes before posting.
    pub response_url: String,
    /// When Slack stops accepting posts to `response_url` (30 minutes after the command).
    pub response_url_expires_at: DateTime<Utc>,
    /// Plain sentences for the invoker (already in their language, not Slack markup).
    pub notes: Vec<String>,
    /// The invoker's locale, such as `en-US`, when known.
    pub locale: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A pending card claimed by [`Outbox::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPost {
    pub id: OutboxId,
    pub zoom_id: u64,
    pub team_id: String,
    pub channel_id: String,
    pub user_id: String,
    pub response_url: String,
    pub response_url_expires_at: DateTime<Utc>,
    pub notes: Vec<String>,
    pub locale: Option<String>,
    pub created_at: DateTime<Utc>,
    /// How many times it has been claimed, this claim included.
    pub attempts: u32,
    /// What the last release said went wrong, if any.
    pub last_error: Option<String>,
}

/// Where a queued card stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardState {
    Pending,
    Posted,
    /// Given up for good; `last_error` says why.
    Abandoned,
}

/// A queued card as [`Outbox::for_meeting`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardStatus {
    pub id: OutboxId,
    pub state: CardState,
    pub attempts: u32,
    /// The replica that claimed it last (kept while it is pending; cleared once finished).
    pub claimed_by: Option<String>,
    pub last_error: Option<String>,
}

/// The card outbox table; from [`Store::outbox`].
pub struct Outbox<'s> {
    store: &'s Store,
}

#[derive(sqlx::FromRow)]
struct CardRow<I> {
    id: i64,
    zoom_id: i64,
    team_id: String,
    channel_id: String,
    user_id: String,
    response_url: String,
    response_url_expires_at: I,
    notes: String,
    locale: Option<String>,
    created_at: I,
    attempts: i32,
    last_error: Option<String>,
}

const CLAIM_SQLITE: &str = "UPDATE card_outbox \
     SET claimed_by = $1, available_at = $3, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM card_outbox WHERE state = 'pending' AND available_at <= $2 \
     ORDER BY available_at, id LIMIT $4) \
     RETURNING id, zoom_id, team_id, channel_id, user_id, response_url, \
     response_url_expires_at, notes, locale, created_at, attempts, last_error";
const CLAIM_POSTGRES: &str = "UPDATE card_outbox \
     SET claimed_by = $1, available_at = $3, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM card_outbox WHERE state = 'pending' AND available_at <= $2 \
     ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, zoom_id, team_id, channel_id, user_id, response_url, \
     response_url_expires_at, notes, locale, created_at, attempts, last_error";

impl<'s> Outbox<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Adds a card to post, available at once. Fails with [`StoreError::UnknownMeeting`] when
    /// its meeting is not stored.
    pub async fn enqueue(&self, card: &NewCardPost) -> Result<OutboxId, StoreError> {
        self.insert(card, None).await
    }

    /// Adds a card that `owner` is about to post itself: nobody else may claim it until
    /// `lease` has passed, so a replica that dies before posting leaves it for another.
    pub async fn enqueue_held(
        &self,
        card: &NewCardPost,
        owner: &str,
        lease: Duration,
    ) -> Result<OutboxId, StoreError> {
        self.insert(card, Some((owner, lease))).await
    }

    async fn insert(
        &self,
        card: &NewCardPost,
        held: Option<(&str, Duration)>,
    ) -> Result<OutboxId, StoreError> {
        let available_at = match held {
            Some((_, lease)) => instant::after(card.created_at, lease),
            None => card.created_at,
        };
        let owner = held.map(|(owner, _)| owner);
        let zoom_id = zoom_id_column(card.zoom_id)?;
        let notes = serde_json::to_string(&card.notes)
            .map_err(|e| self.store.corrupt("card notes", e.to_string()))?;
        let inserted = with_pool!(self.store, |pool, at: I| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO card_outbox (zoom_id, team_id, channel_id, user_id, response_url, \
                 response_url_expires_at, notes, locale, state, available_at, claimed_by, \
                 attempts, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11, $12) \
                 RETURNING id",
            )
            .bind(zoom_id)
            .bind(&card.team_id)
            .bind(&card.channel_id)
            .bind(&card.user_id)
            .bind(&card.response_url)
            .bind(at(card.response_url_expires_at))
            .bind(&notes)
            .bind(card.locale.as_deref())
            .bind(at(available_at))
            .bind(owner)
            .bind(i32::from(owner.is_some()))
            .bind(at(card.created_at))
            .fetch_one(pool)
            .await?
        });
        match inserted {
            Ok(id) => Ok(OutboxId(id)),
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                Err(StoreError::UnknownMeeting {
                    engine: self.store.engine(),
                    zoom_id: card.zoom_id,
                    operation: "enqueueing its card",
                })
            }
            Err(e) => Err(self.store.query_error("enqueue a card", e)),
        }
    }

    /// Claims up to `limit` pending cards that nobody holds (never claimed, lease lapsed, or
    /// retry time reached), leasing them to `owner` until `now + lease`, oldest first. Each is
    /// claimed by exactly one caller across replicas. Rows whose `response_url` has expired
    /// are returned too: the caller decides (another way to post, or [`Outbox::abandon`]).
    ///
    /// Make the lease longer than a post can take: a lapsed lease lets another replica post
    /// the same card.
    pub async fn claim(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<CardPost>, StoreError> {
        let sql = match self.store.engine() {
            Engine::Sqlite => CLAIM_SQLITE,
            Engine::Postgres => CLAIM_POSTGRES,
        };
        let rows = claim_leased!(
            self.store,
            sql,
            CardRow,
            |row| self.card(row),
            owner,
            now,
            lease,
            limit
        )
        .map_err(|e| self.store.query_error("claim cards to post", e))?;
        let mut cards = rows.into_iter().collect::<Result<Vec<_>, _>>()?;
        cards.sort_by_key(|c| (c.created_at, c.id));
        Ok(cards)
    }

    /// Marks a card posted (committed with other writes of the moment; see `batch.rs`).
    /// `false` when it was no longer pending.
    pub async fn complete(&self, id: OutboxId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.store.complete_card(id, at).await
    }

    /// Gives up on a card for good (e.g. its `response_url` expired), recording why, so it
    /// leaves the queue without being lost silently. `false` when it was no longer pending.
    pub async fn abandon(
        &self,
        id: OutboxId,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let when = at;
        with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "UPDATE card_outbox SET state = 'abandoned', finished_at = $2, \
                 claimed_by = NULL, last_error = $3 WHERE id = $1 AND state = 'pending'",
            )
            .bind(id.0)
            .bind(at(when))
            .bind(reason)
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        })
        .map_err(|e| self.store.query_error("abandon a card", e))
    }

    /// Hands a claimed card back to be tried again from `retry_at`, recording `error`. Only
    /// its current owner may: `false` when `owner` no longer holds it (its lease lapsed and
    /// another replica claimed it) or it is no longer pending.
    pub async fn release(
        &self,
        id: OutboxId,
        owner: &str,
        retry_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError> {
        with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "UPDATE card_outbox SET claimed_by = NULL, available_at = $3, last_error = $4 \
                 WHERE id = $1 AND claimed_by = $2 AND state = 'pending'",
            )
            .bind(id.0)
            .bind(owner)
            .bind(at(retry_at))
            .bind(error)
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        })
        .map_err(|e| self.store.query_error("release a card", e))
    }

    /// Extends `owner`'s hold on a card it is about to post to `until`, provided it still
    /// holds it from the same claim (`attempts`, which every claim counts up, fences off an
    /// older claim of the same replica). `false` when the lease lapsed and someone claimed
    /// the card since, or it is no longer pending: then posting it would post it twice.
    pub async fn keep(
        &self,
        id: OutboxId,
        owner: &str,
        attempts: u32,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let attempts = i32::try_from(attempts).unwrap_or(i32::MAX);
        with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "UPDATE card_outbox SET available_at = $4 \
                 WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND state = 'pending'",
            )
            .bind(id.0)
            .bind(owner)
            .bind(attempts)
            .bind(at(until))
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        })
        .map_err(|e| self.store.query_error("keep a card", e))
    }

    /// Deletes up to `limit` cards that were finished (posted or abandoned) at or before
    /// `before`, oldest first; how many went. Pending ones are never deleted.
    pub async fn purge_finished(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.store
            .purge_finished(super::Finished::Cards, before, limit)
            .await
    }

    /// How long the oldest pending card has waited at `now` (zero if its creation time is
    /// ahead of `now`); `None` when nothing is pending. For a queue-age metric.
    pub async fn oldest_pending_age(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError> {
        let oldest = with_pool!(self.store, |pool, at: I| {
            sqlx::query_scalar::<_, Option<I>>(
                "SELECT MIN(created_at) FROM card_outbox WHERE state = 'pending'",
            )
            .fetch_one(pool)
            .await?
            .map(|at| self.store.instant("card creation time", at))
        })
        .map_err(|e| self.store.query_error("measure the outbox", e))?
        .transpose()?;
        Ok(oldest.map(|created| (now - created).to_std().unwrap_or(Duration::ZERO)))
    }

    /// Every card ever queued for the meeting, oldest first: for operators and tests.
    pub async fn for_meeting(&self, zoom_id: u64) -> Result<Vec<CardStatus>, StoreError> {
        let Ok(id) = zoom_id_column(zoom_id) else {
            return Ok(Vec::new());
        };
        let rows = with_pool!(self.store, |pool, _at: I| {
            sqlx::query_as::<_, (i64, String, i32, Option<String>, Option<String>)>(
                "SELECT id, state, attempts, claimed_by, last_error FROM card_outbox \
                 WHERE zoom_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        })
        .map_err(|e| self.store.query_error("list a meeting's cards", e))?;
        rows.into_iter()
            .map(|(id, state, attempts, claimed_by, last_error)| {
                let state = match state.as_str() {
                    "pending" => CardState::Pending,
                    "posted" => CardState::Posted,
                    "abandoned" => CardState::Abandoned,
                    other => {
                        return Err(self.store.corrupt("card state", format!("`{other}`")));
                    }
                };
                Ok(CardStatus {
                    id: OutboxId(id),
                    state,
                    attempts: self.store.count("card attempts", attempts)?,
                    claimed_by,
                    last_error,
                })
            })
            .collect()
    }

    fn card<I: Stamp>(&self, row: CardRow<I>) -> Result<CardPost, StoreError> {
        let store = self.store;
        let notes: Vec<String> = serde_json::from_str(&row.notes)
            .map_err(|e| store.corrupt("card notes", e.to_string()))?;
        Ok(CardPost {
            id: OutboxId(row.id),
            zoom_id: zoom_id_value(store.engine(), row.zoom_id)?,
            team_id: row.team_id,
            channel_id: row.channel_id,
            user_id: row.user_id,
            response_url: row.response_url,
            response_url_expires_at: store
                .instant("response_url expiry", row.response_url_expires_at)?,
            notes,
            locale: row.locale,
            created_at: store.instant("card creation time", row.created_at)?,
            attempts: store.count("card attempts", row.attempts)?,
            last_error: row.last_error,
        })
    }
}
