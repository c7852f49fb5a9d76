//! Whether a note may be waiting for anyone, so the commands with nothing to hand over (nearly all) cost no query.
//!
//! Raised whenever a note is kept: here directly, and on PostgreSQL by a notification from
//! the `pending_notes` insert trigger (migration 0006), whichever replica kept it. Set by
//! [`PendingNotes::recheck`](super::PendingNotes::recheck) (every sweep) to what the table
//! holds: raised if a note is untold (so a note is found even where notifications do not
//! arrive, as through a transaction-pooling proxy), lowered if none is and nothing was kept
//! since the check began. A note kept by another replica reaches
//! this one's hint within the notification's delivery (milliseconds); a command arriving in
//! between hands the note over at the user's next command instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::Store;

/// The channel the trigger notifies (migrations/postgres/0006_pending_notes_notify.sql), and
/// `PendingNotes::give_back`.
pub(super) const CHANNEL: &str = "slack_zoom_pending_notes";
/// Waits between attempts to listen again after the server went away.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(30);

pub(super) struct NotesHint {
    /// `(times raised << 1) | raised`: one word, so a check that began before a raise can
    /// never lower the hint after it.
    state: AtomicU64,
    /// Whether every note kept from now on reaches this hint: always with SQLite (this process
    /// is the only writer), on PostgreSQL only while the listener is subscribed.
    hearing: AtomicBool,
}

impl NotesHint {
    /// Raised (nothing is known yet) until a check says otherwise.
    pub(super) fn new(hearing: bool) -> Arc<Self> {
        Arc::new(Self {
            state: AtomicU64::new(1),
            hearing: AtomicBool::new(hearing),
        })
    }

    pub(super) fn raised(&self) -> bool {
        self.state.load(Ordering::Acquire) & 1 == 1
    }

    /// A note was kept somewhere, or one may have been kept unheard.
    pub(super) fn raise(&self) {
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                Some((((s >> 1) + 1) << 1) | 1)
            });
    }

    /// Where a check starts: the state it must still find to lower the hint.
    pub(super) fn check(&self) -> u64 {
        self.state.load(Ordering::Acquire)
    }

    /// Lowers the hint, unless it was raised since `check` returned `from`, or notes kept
    /// elsewhere would not be heard.
    pub(super) fn lower(&self, from: u64) {
        if !self.hearing.load(Ordering::Acquire) {
            return;
        }
        let _ = self
            .state
            .compare_exchange(from, from & !1, Ordering::AcqRel, Ordering::Acquire);
    }

    /// PostgreSQL: listens for notes kept by any replica until the pool closes, listening
    /// again (with a growing pause) whenever the connection is lost. The hint is raised each
    /// time listening (re)starts, since a note may have been kept unheard in between, and then
    /// checked through `store` at once (most of the time no note is waiting).
    pub(super) fn listen(self: &Arc<Self>, pool: PgPool, store: Store) {
        let hint = Arc::clone(self);
        tokio::spawn(async move {
            let mut pause = FIRST_RETRY;
            loop {
                let failed = match subscribe(&pool).await {
                    Ok(mut listener) => {
                        hint.hearing.store(true, Ordering::Release);
                        hint.raise();
                        pause = FIRST_RETRY;
                        if let Err(e) = store.pending_notes().recheck().await {
                            tracing::warn!(error = %e, "could not look for untold notes");
                        }
                        loop {
                            match listener.try_recv().await {
                                // A note kept; or (`None`) the connection was lost and is
                                // listening again already, with notes in between unheard.
                                Ok(_) => hint.raise(),
                                Err(e) => break e,
                            }
                        }
                    }
                    Err(e) => e,
                };
                hint.hearing.store(false, Ordering::Release);
                hint.raise();
                if pool.is_closed() || matches!(failed, sqlx::Error::PoolClosed) {
                    return;
                }
                tracing::warn!(error = %failed, retry_in = ?pause, "not hearing of notes kept by other replicas; every command looks for them meanwhile");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(LAST_RETRY);
            }
        });
    }
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
