//! Delays between reconnection attempts: jittered exponential backoff, and the slow retry.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rand::Rng;

/// Shared by the supervisor and the task that opens links, hence the atomic counter.
pub(crate) struct Backoff {
    base: Duration,
    max: Duration,
    failures: AtomicU32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max: max.max(base),
            failures: AtomicU32::new(0),
        }
    }

    /// The wait before the next attempt: `base · 2^failures` capped at `max`, drawn from its
    /// upper half so many replicas losing Slack together do not come back in lockstep.
    pub fn next(&self) -> Duration {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed).min(30);
        let full = self.base.saturating_mul(1u32 << failures).min(self.max);
        full.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    pub fn reset(&self) {
        self.failures.store(0, Ordering::Relaxed);
    }
}

/// The slow retry for failures a person must fix, ±25 % so replicas spread out.
pub(crate) fn slow(delay: Duration) -> Duration {
    delay.mul_f64(rand::rng().random_range(0.75..=1.25))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_base_up_to_the_cap_with_jitter_in_the_upper_half() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(1000));
        for (attempt, full_ms) in [100u64, 200, 400, 800, 1000, 1000, 1000].iter().enumerate() {
            let got = backoff.next().as_millis() as u64;
            assert!(
                (full_ms / 2..=*full_ms).contains(&got),
                "attempt {attempt}: {got} ms, want {}..={full_ms}",
                full_ms / 2
            );
        }
    }

    #[test]
    fn many_failures_never_overflow() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        for _ in 0..10_000 {
            assert!(backoff.next() <= Duration::from_secs(60));
        }
    }

    #[test]
    fn a_reset_starts_again_from_the_base() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(60));
        for _ in 0..10 {
            backoff.next();
        }
        backoff.reset();
        assert!(backoff.next() <= Duration::from_millis(100));
    }

    #[test]
    fn the_slow_retry_stays_within_a_quarter_of_its_delay() {
        for _ in 0..1000 {
            let d = slow(Duration::from_secs(300)).as_secs_f64();
            assert!((225.0..=375.0).contains(&d), "{d}");
        }
    }
}
