//! Exactly-once claims across replicas: the first live claim of a key wins, later ones lose until it expires.
//!
//! The replay guard claims a request signature, the double-delivery guard a command's identity;
//! give each a prefix (`replay:…`, `delivery:…`) so their keys cannot collide.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::instant;
use super::{Store, StoreError, with_pool};

/// The claims table; from [`Store::claims`].
pub struct Claims<'s> {
    store: &'s Store,
}

const PURGE_SQLITE: &str = "DELETE FROM claims WHERE key IN \
     (SELECT key FROM claims WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)";
const PURGE_POSTGRES: &str = "DELETE FROM claims WHERE key IN \
     (SELECT key FROM claims WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 \
     FOR UPDATE SKIP LOCKED)";

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
        let expires = instant::after(now, ttl);
        with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "INSERT INTO claims (key, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at \
                 WHERE claims.expires_at <= $3 \
                 RETURNING key",
            )
            .bind(key)
            .bind(at(expires))
            .bind(at(now))
            .fetch_optional(pool)
            .await?
            .is_some()
        })
        .map_err(|e| self.store.query_error("claim a key", e))
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
