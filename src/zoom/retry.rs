//! Retry budget for the only safe retries (never-connected, per-second 429) and `Retry-After` parsing.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng;

/// How much retrying one create may do. The budget is wall-clock time since the first attempt,
/// so slow attempts (a connect timeout) use it up too and a user never waits much past it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub max_retries: u32,
    pub budget: Duration,
    pub base_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            budget: Duration::from_secs(5),
            base_delay: Duration::from_millis(200),
        }
    }
}

/// The retries left for one call.
pub(crate) struct Retries {
    policy: RetryPolicy,
    started: Instant,
    used: u32,
}

impl Retries {
    pub fn new(policy: RetryPolicy) -> Self {
        Retries {
            policy,
            started: Instant::now(),
            used: 0,
        }
    }

    /// The wait before the next retry, or `None` to give up: retries used up, or the wait
    /// (Zoom's `Retry-After`, else jittered backoff) would end past the budget.
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        if self.used >= self.policy.max_retries {
            return None;
        }
        let delay = retry_after.unwrap_or_else(|| backoff(self.policy.base_delay, self.used));
        // Saturating: `Retry-After` is Zoom's number and may be any u64 of seconds.
        if self.started.elapsed().saturating_add(delay) > self.policy.budget {
            return None;
        }
        self.used += 1;
        Some(delay)
    }
}

/// Exponential backoff with jitter in [half, full] so retrying callers spread out, yet still wait.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let full = base.saturating_mul(2u32.saturating_pow(attempt));
    let half = full / 2;
    let jitter_ms = rand::rng().random_range(0..=full.as_millis().saturating_sub(half.as_millis()));
    half + Duration::from_millis(u64::try_from(jitter_ms).unwrap_or(u64::MAX))
}

/// `Retry-After` as delta seconds, an HTTP date (RFC 2822 style) or an ISO-8601/RFC 3339 time.
/// A time in the past means "now". Anything else is ignored (the caller falls back to backoff).
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .or_else(|_| DateTime::parse_from_rfc3339(value))
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_is_read_as_seconds_http_date_or_iso_time() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 15, 0, 0).unwrap();
        let cases = [
            ("1", Some(1)),
            (" 30 ", Some(30)),
            ("Tue, 01 Dec 2026 15:00:02 GMT", Some(2)),
            ("Tue, 01 Dec 2026 14:59:00 GMT", Some(0)),
            ("2026-12-01T15:00:03Z", Some(3)),
            ("2026-12-01T17:00:04+02:00", Some(4)),
            ("soon", None),
            ("-1", None),
            ("", None),
        ];
        for (header, expected) in cases {
            assert_eq!(
                parse_retry_after(header, now),
                expected.map(Duration::from_secs),
                "{header:?}"
            );
        }
    }

    #[test]
    fn backoff_doubles_and_stays_within_its_jitter_range() {
        let base = Duration::from_millis(200);
        for attempt in 0..4 {
            let full = base * 2u32.pow(attempt);
            for _ in 0..50 {
                let d = backoff(base, attempt);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
            }
        }
    }

    #[test]
    fn retries_stop_after_the_maximum_count() {
        let mut retries = Retries::new(RetryPolicy {
            max_retries: 2,
            budget: Duration::from_secs(60),
            base_delay: Duration::from_millis(1),
        });
        assert!(retries.next_delay(None).is_some());
        assert!(retries.next_delay(Some(Duration::ZERO)).is_some());
        assert_eq!(retries.next_delay(None), None);
    }

    #[test]
    fn a_retry_after_beyond_the_budget_gives_up_at_once() {
        let mut retries = Retries::new(RetryPolicy::default());
        assert_eq!(retries.next_delay(Some(Duration::from_secs(30))), None);
        assert_eq!(
            retries.next_delay(Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1))
        );
    }
}
