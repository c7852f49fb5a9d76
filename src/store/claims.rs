//! Exactly-once claims across replicas: the first live claim of a key wins, later ones lose until it expires.
//!
//! The replay guard claims a request signature, the double-delivery guard a command's identity;
//! give each a prefix (`replay:…`, `delivery:…`) so their keys cannot collide.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::instant;
use super::{Engine, Store, StoreError, with_pool};

/// The claims table; from [`Store::claims`].
pub struct Claims<'s> {
    store: &'s Store,
}

const PURGE_SQLITE: &str = "DELETE FROM claims WHERE key IN \
     (SELECT key FROM claims WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)";
const PURGE_POSTGRES: &str = "DELETE FROM claims WHERE key IN \
     (SELECT key FROM claims WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 \
     FOR UPDATE SKIP LOCKED)";

/// Pushes the statement that claims `keys` at `now` and returns the keys won (see
/// [`Claims::claim_all`]): `INSERT … ON CONFLICT DO UPDATE … WHERE expired … RETURNING key`.
/// `without_waiting` (PostgreSQL only): its transaction commits without waiting for the disk
/// (the per-transaction `synchronous_commit`, set in the statement itself rather than by a
/// `SET LOCAL` round trip; the values are read from the setting's row so that it is set).
pub(super) fn push_claims<DB, I>(
    query: &mut sqlx::QueryBuilder<DB>,
    keys: &[(&str, Duration)],
    now: DateTime<Utc>,
    at: fn(DateTime<Utc>) -> I,
    without_waiting: bool,
) where
    DB: sqlx::Database,
    for<'q> I: 'q + sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if without_waiting {
        query.push(
            "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)) \
             INSERT INTO claims (key, expires_at) SELECT v.key, v.expires_at FROM quick, (",
        );
    } else {
        query.push("INSERT INTO claims (key, expires_at) ");
    }
    query.push_values(keys, |mut row, (key, ttl)| {
        row.push_bind(*key).push_bind(at(instant::after(now, *ttl)));
    });
    if without_waiting {
        query.push(") AS v (key, expires_at)");
    }
    query.push(
        " ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at \
         WHERE claims.expires_at <= ",
    );
    query.push_bind(at(now));
    query.push(" RETURNING key");
}

impl<'s> Claims<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// `true` only for the first live claim of `key`: it is then held until `now + ttl`. A
    /// claim whose time has run out (`expires_at <= now`) may be claimed again.
    ///
    /// One statement (`INSERT … ON CONFLICT DO UPDATE … WHERE expired`), so it is atomic under
    /// concurrency: of many callers racing on one key, on one replica or several, one wins.
    pub async fn claim(
        &self,
        key: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let won = self.claim_all(&[(key, ttl)], now).await?;
        Ok(won.first().copied().unwrap_or(false))
    }

    /// [`claim`](Self::claim) for several keys at once, each held for its own time, in one
    /// statement (one round trip, one commit): for each key in order, whether this was its first
    /// live claim. The keys must differ (one statement cannot update a row twice).
    pub async fn claim_all(
        &self,
        keys: &[(&str, Duration)],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let won: std::collections::HashSet<String> = with_pool!(self.store, |pool, at: I| {
            let mut insert = sqlx::QueryBuilder::new("");
            // On PostgreSQL, this statement's transaction commits without waiting for its WAL
            // to reach the disk (see `push_claims`): every command that writes no intent makes
            // this claim before its answer, and the flush was a third of the store's work. What a
            // database crash can lose (the last moments of claims) only lets a request
            // replayed in the next minutes past this guard, where the command's intent,
            // committed durably under the same delivery key, still stops a second meeting.
            let without_waiting = self.store.engine() == Engine::Postgres;
            push_claims(&mut insert, keys, now, at, without_waiting);
            insert
                .build_query_scalar::<String>()
                .fetch_all(pool)
                .await?
                .into_iter()
                .collect()
        })
        .map_err(|e| self.store.query_error("claim keys", e))?;
        Ok(keys.iter().map(|(key, _)| won.contains(*key)).collect())
    }

    /// Deletes up to `limit` keys that expired at or before `now`, oldest first, and returns
    /// how many it deleted. Bounded so each call holds locks briefly: call it periodically,
    /// and again at once while it returns `limit`, and the table stays near the live keys.
    pub async fn purge_expired(&self, now: DateTime<Utc>, limit: u32) -> Result<u64, StoreError> {
        // SKIP LOCKED: replicas purging at the same moment split the work, not wait.
        self.store
            .delete_bounded(
                [PURGE_SQLITE, PURGE_POSTGRES],
                now,
                limit,
                "purge expired claims",
            )
            .await
    }
}
