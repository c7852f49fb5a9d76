//! The periodic sweeps (start notices, the card outbox, whether notes are kept, commands other replicas left unsettled, housekeeping): once at startup, then every `sweep_interval` until SIGTERM.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::FutureExt;

use crate::app::state::AppState;
use crate::app::{intents, notices, outbox};

/// A sweep interval shorter than this (a test's) would only spin.
const MIN_INTERVAL: Duration = Duration::from_millis(10);
/// How often the store is pruned (and once at startup): its rows expire in minutes or days.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(10 * 60);
/// Rows deleted per statement, so each holds its locks briefly.
const PURGE_BATCH: u32 = 1000;
/// Statements per table per housekeeping run: a backlog is worked off over a few runs.
const PURGE_ROUNDS: u32 = 20;
/// How long finished rows (settled commands, posted cards and notices, told notes) are kept,
/// for an operator looking into them.
const KEEP_FINISHED: TimeDelta = TimeDelta::days(7);
/// Full batches one sweep may take back to back before it waits for its interval: a backlog
/// (a hundred meetings starting at nine, cards left by an outage) is worked off at once,
/// while a table that somehow never runs dry cannot keep the sweep from pausing.
const MAX_BATCHES_IN_A_ROW: u32 = 50;

/// How much a sweep's claim took: a full batch means more rows may be waiting right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Batch {
    Partial,
    Full,
}

impl Batch {
    /// `Full` when `claimed` rows reached the `limit` asked for and none of them is to be
    /// tried again (`retried`): a batch that met a refusing or silent Slack or Zoom waits for
    /// the interval rather than meeting it again at once.
    pub(crate) fn of(claimed: usize, retried: usize, limit: u32) -> Batch {
        if retried == 0 && u32::try_from(claimed).unwrap_or(u32::MAX) >= limit {
            Batch::Full
        } else {
            Batch::Partial
        }
    }
}

/// Starts the sweeps this configuration needs, each as a task on the state's tracker, so
/// shutdown waits for a sweep in progress. In a dry run there are none: Zoom is never
/// called, so nothing could be checked, and no meeting exists to announce.
pub(crate) fn start(state: &AppState) {
    if state.zoom().is_none() {
        tracing::info!("dry run: no start notices and no card outbox sweep");
        return;
    }
    every(state, "card outbox", |state| async move {
        outbox::sweep(&state).await
    });
    every(state, "kept notes", |state| async move {
        if let Err(e) = state.store().pending_notes().recheck().await {
            tracing::warn!(error = %e, "could not look for untold notes");
        }
        Batch::Partial
    });
    if state.shares_store() {
        every(state, "unsettled commands", |state| async move {
            intents::sweep(&state).await;
            Batch::Partial
        });
    }
    every_so_often(
        state,
        "housekeeping",
        HOUSEKEEPING_INTERVAL,
        |state| async move {
            housekeeping(&state).await;
            Batch::Partial
        },
    );
    match state.start_notice() {
        Some(lead) => {
            tracing::info!(
                minutes_before = lead.as_secs() / 60,
                grace_minutes = state.notice_grace().as_secs() / 60,
                "start notices are on"
            );
            every(state, "start notices", |state| async move {
                notices::sweep(&state).await
            });
        }
        None if state.slack_api().has_token() => {
            tracing::info!("start notices are off (START_NOTICE_MINUTES is negative)");
        }
        None => tracing::info!("start notices are off: they need SLACK_BOT_TOKEN"),
    }
}

/// Runs `sweep` now, then `sweep_interval` after each run ends, until SIGTERM; at once again
/// after a run that took a full batch (up to [`MAX_BATCHES_IN_A_ROW`]). A sweep in progress at
/// SIGTERM finishes (its rows are leased to this replica); one still running when shutdown's
/// deadline nears is dropped, and its leases lapse for another replica to take. A panic ends
/// that one run, never the loop.
fn every<F, Fut>(state: &AppState, name: &'static str, sweep: F)
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: Future<Output = Batch> + Send + 'static,
{
    every_so_often(state, name, state.sweep_interval(), sweep);
}

/// Like [`every`], with its own interval.
fn every_so_often<F, Fut>(state: &AppState, name: &'static str, interval: Duration, sweep: F)
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: Future<Output = Batch> + Send + 'static,
{
    let state_for_task = state.clone();
    state.background().spawn(async move {
        let state = state_for_task;
        let interval = interval.max(MIN_INTERVAL);
        let mut in_a_row = 0;
        loop {
            let run = AssertUnwindSafe(sweep(state.clone())).catch_unwind();
            let batch = tokio::select! {
                biased;
                () = state.stopping() => {
                    tracing::warn!(sweep = name, "shutdown deadline near: sweep interrupted; its leased rows go to another replica once their leases lapse");
                    return;
                }
                outcome = run => outcome.unwrap_or_else(|_| {
                    tracing::error!(sweep = name, "sweep panicked; trying again at the next interval");
                    Batch::Partial
                }),
            };
            in_a_row += 1;
            if batch == Batch::Full && in_a_row < MAX_BATCHES_IN_A_ROW {
                if state.is_shutting_down() {
                    return;
                }
                continue;
            }
            in_a_row = 0;
            tokio::select! {
                biased;
                () = state.shutting_down() => return,
                () = tokio::time::sleep(interval) => {}
            }
        }
    });
}

/// Deletes what the store no longer needs: expired replay and delivery claims, and, a week
/// after they were finished, settled commands, cards, start notices and told notes (kept that
/// long for an operator looking into them; without this the tables would grow without end).
/// Each replica runs it; `SKIP LOCKED` splits the work.
async fn housekeeping(state: &AppState) {
    let store = state.store();
    let week_ago = || before(Utc::now(), KEEP_FINISHED);
    let claims = purge("expired claims", || async {
        store.claims().purge_expired(Utc::now(), PURGE_BATCH).await
    })
    .await;
    let intents = purge("settled commands", || async {
        store.intents().purge_settled(week_ago(), PURGE_BATCH).await
    })
    .await;
    let cards = purge("finished cards", || async {
        store.outbox().purge_finished(week_ago(), PURGE_BATCH).await
    })
    .await;
    let notices = purge("finished start notices", || async {
        store
            .notices()
            .purge_finished(week_ago(), PURGE_BATCH)
            .await
    })
    .await;
    let notes = purge("told notes", || async {
        store
            .pending_notes()
            .purge_told(week_ago(), PURGE_BATCH)
            .await
    })
    .await;
    if claims + intents + cards + notices + notes > 0 {
        tracing::info!(
            claims,
            intents,
            cards,
            notices,
            notes,
            "housekeeping: deleted expired claims and rows finished a week ago"
        );
    }
}

/// Runs one bounded delete after another until one deletes less than a batch (or fails, or
/// [`PURGE_ROUNDS`] ran); how many rows went.
async fn purge<F, Fut>(what: &str, mut round: F) -> u64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<u64, crate::store::StoreError>>,
{
    let mut deleted = 0;
    for _ in 0..PURGE_ROUNDS {
        match round().await {
            Ok(n) => {
                deleted += n;
                if n < u64::from(PURGE_BATCH) {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not purge {what}");
                break;
            }
        }
    }
    deleted
}

/// `at + span`, saturating at chrono's limits: instants come from Zoom and the database, and
/// an absurd one must not panic a sweep.
pub(crate) fn after(at: DateTime<Utc>, span: TimeDelta) -> DateTime<Utc> {
    at.checked_add_signed(span)
        .unwrap_or(if span < TimeDelta::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// `at - span`, saturating at chrono's limits.
pub(crate) fn before(at: DateTime<Utc>, span: TimeDelta) -> DateTime<Utc> {
    at.checked_sub_signed(span)
        .unwrap_or(if span < TimeDelta::zero() {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        })
}

/// A configured span as chrono's, saturating.
pub(crate) fn delta(span: Duration) -> TimeDelta {
    TimeDelta::from_std(span).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_full_batch_with_nothing_to_retry_runs_again_at_once() {
        // (claimed, to retry, limit, batch)
        let cases = [
            (20, 0, 20, Batch::Full),
            (19, 0, 20, Batch::Partial),
            (0, 0, 20, Batch::Partial),
            (20, 1, 20, Batch::Partial),
            (25, 0, 20, Batch::Full),
        ];
        for (claimed, retried, limit, want) in cases {
            assert_eq!(
                Batch::of(claimed, retried, limit),
                want,
                "{claimed} claimed, {retried} to retry"
            );
        }
    }

    #[test]
    fn instant_arithmetic_saturates_instead_of_panicking() {
        let now = Utc::now();
        let cases = [
            (
                "far future",
                after(DateTime::<Utc>::MAX_UTC, TimeDelta::minutes(1)),
                DateTime::<Utc>::MAX_UTC,
            ),
            (
                "far past",
                before(DateTime::<Utc>::MIN_UTC, TimeDelta::minutes(1)),
                DateTime::<Utc>::MIN_UTC,
            ),
            (
                "huge span",
                after(now, TimeDelta::MAX),
                DateTime::<Utc>::MAX_UTC,
            ),
            (
                "negative span",
                before(DateTime::<Utc>::MAX_UTC, TimeDelta::minutes(-1)),
                DateTime::<Utc>::MAX_UTC,
            ),
            (
                "ordinary",
                after(now, TimeDelta::minutes(1)),
                now + TimeDelta::minutes(1),
            ),
        ];
        for (case, got, want) in cases {
            assert_eq!(got, want, "{case}");
        }
        assert_eq!(delta(Duration::MAX), TimeDelta::MAX);
    }
}
