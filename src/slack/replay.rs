//! Replay protection: a verified signature is accepted once within the timestamp window.

use std::time::{Duration, Instant};

use crate::cache::ExpiringCache;
use crate::slack::signature::{MAX_SKEW_SECONDS, VerifiedSignature};

/// Enough for about 160 commands per second sustained over the whole ten-minute window; with
/// the key and the map's overhead this caps the guard near 12 MB (README, Endpoints).
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Remembers signatures until their timestamp can no longer pass verification.
pub struct ReplayGuard {
    seen: ExpiringCache<VerifiedSignature, ()>,
}

/// How long a signature is remembered: a timestamp accepted now may be up to MAX_SKEW in the
/// future and stays valid for MAX_SKEW after that, so twice the skew is always long enough.
pub const WINDOW: Duration = Duration::from_secs(2 * MAX_SKEW_SECONDS as u64);

impl ReplayGuard {
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: ExpiringCache::new(WINDOW, capacity),
        }
    }

    /// `true` the first time a signature is seen; `false` for a replay or a double delivery.
    pub fn first_time(&self, signature: VerifiedSignature, now: Instant) -> bool {
        self.seen.insert_if_absent(signature, (), now)
    }
}

impl Default for ReplayGuard {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}
