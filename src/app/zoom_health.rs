//! Whether Zoom has been answering lately: during an outage, commands waiting for a creation
//! slot are told at once instead of being sent, one after another, into a Zoom that does not
//! answer (each would hold a slot for the whole create timeout). One probe at a time still goes
//! through, so the service notices as soon as Zoom is back.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Creates in a row with no answer (timeouts, refused connections, 5xx) before Zoom counts as down.
const DOWN_AFTER: u32 = 20;
/// While Zoom is down, one create in this long is still sent, to find out whether it is back.
const PROBE_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct ZoomHealth {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    failures_in_a_row: u32,
    last_probe: Option<Instant>,
}

impl ZoomHealth {
    /// Records how a create went: `answered` when Zoom gave any answer (a meeting or a
    /// refusal), `false` when it did not (timeout, unreachable, 5xx).
    pub fn record(&self, answered: bool) {
        let mut state = self.lock();
        if answered {
            state.failures_in_a_row = 0;
            state.last_probe = None;
        } else {
            state.failures_in_a_row = state.failures_in_a_row.saturating_add(1);
        }
    }

    /// Whether a create may be sent at `now`: always, unless Zoom looks down; then one probe
    /// per [`PROBE_EVERY`].
    pub fn may_send(&self, now: Instant) -> bool {
        let mut state = self.lock();
        if state.failures_in_a_row < DOWN_AFTER {
            return true;
        }
        let due = state
            .last_probe
            .is_none_or(|at| now.saturating_duration_since(at) >= PROBE_EVERY);
        if due {
            state.last_probe = Some(now);
        }
        due
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_counts_as_down_only_after_many_unanswered_creates_in_a_row() {
        let health = ZoomHealth::default();
        let now = Instant::now();
        for _ in 0..DOWN_AFTER - 1 {
            health.record(false);
        }
        assert!(health.may_send(now), "a few failures are not an outage");
        health.record(true);
        for _ in 0..DOWN_AFTER - 1 {
            health.record(false);
        }
        assert!(health.may_send(now), "an answer resets the count");
        health.record(false);
        assert!(health.may_send(now), "the first send while down is a probe");
        assert!(
            !health.may_send(now),
            "then nothing until the next probe is due"
        );
        assert!(!health.may_send(now + PROBE_EVERY / 2));
        assert!(health.may_send(now + PROBE_EVERY), "one probe per interval");
        health.record(true);
        assert!(
            health.may_send(now + PROBE_EVERY) && health.may_send(now + PROBE_EVERY),
            "back up"
        );
    }
}
