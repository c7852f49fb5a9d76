//! Group commit: the rows a created meeting needs, the cards marked posted and the commands settled, gathered from the commands finishing together and committed in one transaction.
//!
//! Each commit is a durable flush (SQLite `synchronous=FULL`, PostgreSQL's WAL `fsync`) and each
//! statement a round trip (to sqlx's SQLite thread, or to the server). One at a time, the
//! meeting, its held card and "posted" cost three of each per command: several times the CPU
//! of everything else the command does (docs/PERFORMANCE.md). So one writer task per store
//! takes what arrives within a window (10 ms by default; at most [`MAX_BATCH`] operations),
//! writes it with one multi-row statement per table in one transaction, and then answers each
//! caller.
//!
//! A caller still returns only once its rows are committed, so durability is unchanged: a card
//! is held in the outbox before it is posted, and "posted" is recorded before the job ends.
//! A batch refused because of one row is written again one operation at a time, so that row
//! costs nobody else theirs; a database that fails as a whole fails the batch at once.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use tokio::sync::{mpsc, oneshot};

use super::error::{duration_column, zoom_id_column};
use super::{NewCardPost, NewMeetingRecord, OutboxId, Store, StoreError, in_transaction};

/// How long, by default, a batch with a meeting to record stays open for company: the most a
/// card waits for its commit beyond the commit itself (a card is posted only once held in the
/// outbox). At 500 commands/s, 10 ms gathers about five meetings per commit and halves the
/// CPU per command; Zoom's create alone takes hundreds of milliseconds, and the
/// acknowledgement never waits on it (`STORE_COMMIT_WINDOW_MS`; docs/PERFORMANCE.md).
pub(super) const DEFAULT_WINDOW: Duration = Duration::from_millis(10);

/// How long a batch of cards marked posted and commands settled stays open at least: nothing
/// waits on these but the end of their jobs, so they gather longer, and ride along with the
/// next meetings.
const POSTED_WINDOW: Duration = Duration::from_millis(20);

/// The most operations in one transaction: 256 meetings are about 4,000 bound values, well
/// inside both engines' limits (SQLite 32,766, PostgreSQL 65,535).
pub(super) const MAX_BATCH: usize = 256;

/// What a batch does, for errors.
const OPERATION: &str = "record created meetings and posted cards";

/// Operations waiting for the writer; past this, callers wait to hand theirs over.
const QUEUE: usize = 4 * MAX_BATCH;

/// A meeting Zoom has just created, with everything recorded about it in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCreation {
    pub meeting: NewMeetingRecord,
    /// When its start notice is due; `None` when notices are off.
    pub notice_due: Option<DateTime<Utc>>,
    /// Its card, for the same meeting, held in the outbox for `owner` until `lease` has passed
    /// (see [`super::Outbox::enqueue_held`]).
    pub card: NewCardPost,
    pub owner: String,
    pub lease: Duration,
}

/// What [`Store::record_creation`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    /// The meeting, its notice and its held card are stored; the card's outbox row.
    Recorded(OutboxId),
    /// The meeting was stored already (another replica recorded it); nothing was written.
    Already,
}

/// One caller's operation and where its answer goes.
enum Op {
    Record(
        Box<NewCreation>,
        oneshot::Sender<Result<Creation, StoreError>>,
    ),
    Complete(
        OutboxId,
        DateTime<Utc>,
        oneshot::Sender<Result<bool, StoreError>>,
    ),
    /// A command settled ("done"): intent id, claim, owner, its meeting, when.
    Finish(Box<Finish>, oneshot::Sender<Result<bool, StoreError>>),
    /// Ends the gathering at once; answered once everything before it is written.
    Flush(oneshot::Sender<()>),
}

/// An intent to settle as done, for [`Op::Finish`].
struct Finish {
    id: i64,
    claim: i32,
    owner: String,
    zoom_id: Option<i64>,
    at: DateTime<Utc>,
}

/// The handle to a store's writer task; the task ends when the last handle is dropped.
pub(super) struct Writer {
    queue: mpsc::Sender<Op>,
}

impl Writer {
    /// Starts the writer for `store` (a handle without a writer of its own, which the task
    /// keeps for as long as it runs). Needs a Tokio runtime.
    pub(super) fn start(store: Store, window: Duration) -> Writer {
        let (queue, mut ops) = mpsc::channel::<Op>(QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while ops.recv_many(&mut batch, MAX_BATCH).await > 0 {
                // Open until the earliest moment any operation in it asks to be written by.
                let opened = tokio::time::Instant::now();
                let gathering = tokio::time::sleep_until(opened + patience(&batch, window));
                tokio::pin!(gathering);
                while batch.len() < MAX_BATCH {
                    let (before, room) = (batch.len(), MAX_BATCH - batch.len());
                    tokio::select! {
                        got = ops.recv_many(&mut batch, room) => {
                            if got == 0 {
                                break;
                            }
                            let deadline = opened + patience(&batch[before..], window);
                            if deadline < gathering.deadline() {
                                gathering.as_mut().reset(deadline);
                            }
                        }
                        () = &mut gathering => break,
                    }
                }
                write(&store, std::mem::take(&mut batch)).await;
            }
        });
        Writer { queue }
    }
}

/// How long `ops` may wait for company: a meeting's rows the window (its card waits on them),
/// the rest longer; a flush not at all.
fn patience(ops: &[Op], window: Duration) -> Duration {
    ops.iter()
        .map(|op| match op {
            Op::Flush(_) => Duration::ZERO,
            Op::Record(..) => window,
            Op::Complete(..) | Op::Finish(..) => window.max(POSTED_WINDOW),
        })
        .min()
        .unwrap_or(window)
}

impl Store {
    /// Records a meeting Zoom has just created, its start notice and its card held in the
    /// outbox, all or nothing, committed with those of other commands finishing at the same
    /// time. [`Creation::Already`] when the meeting was stored already.
    pub async fn record_creation(&self, creation: NewCreation) -> Result<Creation, StoreError> {
        zoom_id_column(creation.meeting.zoom_id)?;
        duration_column(creation.meeting.schedule.duration_minutes)?;
        let (answer, answered) = oneshot::channel();
        self.submit(Op::Record(Box::new(creation), answer), answered)
            .await
    }

    /// Marks a card posted, committed with other writes of the moment; see
    /// [`super::Outbox::complete`].
    pub(super) async fn complete_card(
        &self,
        id: OutboxId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.submit(Op::Complete(id, at, answer), answered).await
    }

    /// Settles a command's intent as done, committed with other writes of the moment; see
    /// [`super::Intents::finish`].
    pub(super) async fn finish_intent(
        &self,
        id: i64,
        claim: i32,
        owner: &str,
        zoom_id: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let finish = Finish {
            id,
            claim,
            owner: owner.to_owned(),
            zoom_id,
            at,
        };
        let (answer, answered) = oneshot::channel();
        self.submit(Op::Finish(Box::new(finish), answer), answered)
            .await
    }

    /// Waits until every operation handed to the writer so far is written (for shutdown).
    pub(super) async fn flush(&self) {
        if let Some(writer) = &self.writer {
            let (answer, answered) = oneshot::channel();
            if writer.queue.send(Op::Flush(answer)).await.is_ok() {
                let _ = answered.await;
            }
        }
    }

    /// Hands `op` to the writer, or writes it here when this handle has none (the writer's own)
    /// or the writer has stopped (its runtime ended).
    async fn submit<T>(
        &self,
        op: Op,
        answered: oneshot::Receiver<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let op = match &self.writer {
            Some(writer) => match writer.queue.send(op).await {
                Ok(()) => None,
                Err(mpsc::error::SendError(op)) => Some(op),
            },
            None => Some(op),
        };
        if let Some(op) = op {
            // Boxed: the write's future is large (a transaction and its statements), and the
            // futures of the jobs that await `submit` would otherwise carry it while they wait
            // on Zoom (about 18 KiB each: 18 MiB with 1,000 creates in flight).
            Box::pin(write(self, vec![op])).await;
        }
        // A writer that stops mid-batch may have committed it: never guess, say so.
        answered.await.unwrap_or_else(|_| {
            Err(self.query_error(
                "hear back from the store's writer",
                sqlx::Error::WorkerCrashed,
            ))
        })
    }
}

/// Writes `ops` in one transaction and answers each. If that fails because of a row (a value
/// the store refuses), each is written alone, so the others are not refused with it; if the
/// database itself failed (unreachable, timed out), every caller gets that error at once,
/// rather than each waiting out the same failure again.
async fn write(store: &Store, ops: Vec<Op>) {
    if ops.len() > 1 {
        match commit(store, &ops).await {
            Ok(outcome) => return outcome.answer(ops),
            Err(e) if about_a_row(&e) => {
                tracing::warn!(error = %e, operations = ops.len(), "a group commit failed on a row; writing each operation alone");
            }
            Err(e) => {
                let reason = match &e {
                    StoreError::Query { source, .. } => source.to_string(),
                    other => other.to_string(),
                };
                let mut first = Some(e);
                for op in ops {
                    op.fail(first.take().unwrap_or_else(|| StoreError::Shared {
                        engine: store.engine(),
                        operation: OPERATION,
                        reason: reason.clone(),
                    }));
                }
                return;
            }
        }
    }
    for op in ops {
        match commit(store, std::slice::from_ref(&op)).await {
            Ok(outcome) => outcome.answer(vec![op]),
            Err(e) => op.fail(e),
        }
    }
}

/// Whether `error` is about a value in the batch (so writing the rest without it may succeed)
/// rather than about the database.
fn about_a_row(error: &StoreError) -> bool {
    match error {
        StoreError::Query { source, .. } => matches!(source, sqlx::Error::Database(_)),
        StoreError::Corrupt { .. } | StoreError::OutOfRange { .. } => true,
        _ => false,
    }
}

/// What one transaction wrote: the outbox row of each meeting it recorded, and the cards it
/// marked posted.
struct Outcome {
    held: HashMap<i64, i64>,
    completed: HashSet<i64>,
    finished: HashSet<i64>,
}

impl Outcome {
    /// Answers every caller of `ops`, which this outcome's transaction wrote. Of two creations
    /// of one meeting, only the first recorded it.
    fn answer(mut self, ops: Vec<Op>) {
        for op in ops {
            match op {
                Op::Record(creation, answer) => {
                    let creation = match self.held.remove(&(creation.meeting.zoom_id as i64)) {
                        Some(id) => Creation::Recorded(OutboxId::from_column(id)),
                        None => Creation::Already,
                    };
                    let _ = answer.send(Ok(creation));
                }
                Op::Complete(id, _, answer) => {
                    // Marked twice at once: the first caller marked it.
                    let _ = answer.send(Ok(self.completed.remove(&id.get())));
                }
                Op::Finish(finish, answer) => {
                    let _ = answer.send(Ok(self.finished.remove(&finish.id)));
                }
                Op::Flush(answer) => {
                    let _ = answer.send(());
                }
            }
        }
    }
}

impl Op {
    fn fail(self, error: StoreError) {
        match self {
            Op::Record(_, answer) => {
                let _ = answer.send(Err(error));
            }
            Op::Complete(_, _, answer) | Op::Finish(_, answer) => {
                let _ = answer.send(Err(error));
            }
            Op::Flush(answer) => {
                let _ = answer.send(());
            }
        }
    }
}

/// Batches of at most this many rows keep their statements prepared on the connection (sqlx's
/// per-connection cache holds 100): each size is its own SQL, and at a steady rate a few small
/// sizes recur, so parsing them again on every commit is the bulk of SQLite's work on them.
/// Larger, rarer batches are prepared for one use rather than crowd out the common ones.
const KEEP_PREPARED_UP_TO: usize = 8;

/// Whether a statement for `rows` rows stays prepared (see [`KEEP_PREPARED_UP_TO`]).
fn keep_prepared(rows: usize) -> bool {
    rows <= KEEP_PREPARED_UP_TO
}

/// Runs `$query` (a query builder for `$rows` rows, ending in `RETURNING` an id) in `$tx`; the
/// ids it returned. A macro, as `in_transaction!` expands once per engine.
macro_rules! returned_ids {
    ($query:ident, $tx:ident, $rows:expr) => {
        $query
            .build_query_scalar::<i64>()
            .persistent(keep_prepared($rows))
            .fetch_all(&mut *$tx)
            .await?
            .into_iter()
            .collect::<HashSet<i64>>()
    };
}

/// One transaction for `ops`: the new meetings (skipping those stored already), their notices
/// and held cards, then the cards posted. One statement per table, whatever the number of ops.
async fn commit(store: &Store, ops: &[Op]) -> Result<Outcome, StoreError> {
    let mut creations = Vec::new();
    let mut completes = Vec::new();
    let mut finishes = Vec::new();
    for op in ops {
        match op {
            Op::Record(creation, _) => creations.push(&**creation),
            Op::Complete(id, at, _) => completes.push((id.get(), *at)),
            Op::Finish(finish, _) => finishes.push(&**finish),
            Op::Flush(_) => {}
        }
    }
    // Ids are checked on submission; a creation whose card names another meeting is a bug.
    let mut rows = creations
        .iter()
        .map(|c| {
            let meeting = zoom_id_column(c.meeting.zoom_id)?;
            let card = zoom_id_column(c.card.zoom_id)?;
            let duration = duration_column(c.meeting.schedule.duration_minutes)?;
            let notes = serde_json::to_string(&c.card.notes)
                .map_err(|e| store.corrupt("card notes", e.to_string()))?;
            if meeting != card {
                return Err(store.corrupt(
                    "card",
                    format!("meeting {meeting} was given the card of meeting {card}"),
                ));
            }
            Ok((c, meeting, duration, notes))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // Rows in key order (stable: the first creation of a meeting stays first), so replicas
    // writing the same keys lock them in the same order and never deadlock.
    rows.sort_by_key(|(_, id, _, _)| *id);
    completes.sort_unstable_by_key(|(id, _)| *id);
    finishes.sort_by_key(|f| f.id);
    // When "posted" is recorded: the latest moment any caller asked for, a few ms at most apart.
    let posted_at = completes.iter().map(|(_, at)| *at).max();
    // A held card's lease runs from its commit, not from when it was handed over: a batch
    // kept waiting (a slow database) must not let a sweep post a card its poster still posts.
    // (The caller's time when later, so tests with instants of their own keep control.)
    let committing = Utc::now();

    in_transaction!(store, |tx, at: I| {
        let mut held = HashMap::new();
        if !rows.is_empty() {
            let mut insert = builder(
                &tx,
                "INSERT INTO meetings (zoom_id, team_id, channel_id, scheduled_by, topic, \
                 starts_at, ends_at, duration_minutes, zone, join_url, host, recurrence, \
                 card_channel_id, card_ts, state, created_at, locale) ",
            );
            insert.push_values(&rows, |mut b, (c, id, duration, _)| {
                let m = &c.meeting;
                b.push_bind(*id)
                    .push_bind(m.team_id.as_str())
                    .push_bind(m.channel_id.as_str())
                    .push_bind(m.scheduled_by.as_str())
                    .push_bind(m.topic.as_str())
                    .push_bind(at(m.schedule.start))
                    .push_bind(at(m.ends_at()))
                    .push_bind(*duration)
                    .push_bind(m.schedule.zone.as_str())
                    .push_bind(m.join_url.as_str())
                    .push_bind(m.host.as_str())
                    .push_bind(m.recurrence.as_deref())
                    .push_bind(m.card.as_ref().map(|c| c.channel_id.as_str()))
                    .push_bind(m.card.as_ref().map(|c| c.message_ts.as_str()))
                    .push_bind("scheduled")
                    .push_bind(at(m.created_at))
                    .push_bind(m.locale.as_deref());
            });
            insert.push(" ON CONFLICT (zoom_id) DO NOTHING RETURNING zoom_id");
            let inserted = returned_ids!(insert, tx, rows.len());
            // The first creation of each newly stored meeting writes the rest.
            let mut first = HashSet::new();
            let new: Vec<_> = rows
                .iter()
                .filter(|(_, id, _, _)| inserted.contains(id) && first.insert(*id))
                .collect();
            let notices: Vec<_> = new
                .iter()
                .filter_map(|(c, id, _, _)| c.notice_due.map(|due| (*id, due, c.card.created_at)))
                .collect();
            if !notices.is_empty() {
                let mut insert = builder(
                    &tx,
                    "INSERT INTO start_notices (zoom_id, due_at, state, created_at) ",
                );
                insert.push_values(&notices, |mut b, (id, due, now)| {
                    b.push_bind(*id)
                        .push_bind(at(*due))
                        .push_bind("pending")
                        .push_bind(at(*now));
                });
                insert
                    .build()
                    .persistent(keep_prepared(notices.len()))
                    .execute(&mut *tx)
                    .await?;
            }
            if !new.is_empty() {
                let mut insert = builder(
                    &tx,
                    "INSERT INTO card_outbox (zoom_id, team_id, channel_id, user_id, \
                     response_url, response_url_expires_at, notes, locale, state, \
                     available_at, claimed_by, attempts, created_at) ",
                );
                insert.push_values(&new, |mut b, (c, id, _, notes)| {
                    let card = &c.card;
                    b.push_bind(*id)
                        .push_bind(card.team_id.as_str())
                        .push_bind(card.channel_id.as_str())
                        .push_bind(card.user_id.as_str())
                        .push_bind(card.response_url.as_str())
                        .push_bind(at(card.response_url_expires_at))
                        .push_bind(notes.as_str())
                        .push_bind(card.locale.as_deref())
                        .push_bind("pending")
                        .push_bind(at(super::instant::after(
                            card.created_at.max(committing),
                            c.lease,
                        )))
                        .push_bind(c.owner.as_str())
                        .push_bind(1_i32)
                        .push_bind(at(card.created_at));
                });
                insert.push(" RETURNING zoom_id, id");
                held = insert
                    .build_query_as::<(i64, i64)>()
                    .persistent(keep_prepared(new.len()))
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .collect();
            }
        }
        let mut completed = HashSet::new();
        if let Some(posted_at) = posted_at {
            let mut update = builder(
                &tx,
                "UPDATE card_outbox SET state = 'posted', finished_at = ",
            );
            update.push_bind(at(posted_at));
            update.push(", claimed_by = NULL WHERE state = 'pending' AND id IN (");
            let mut ids = update.separated(", ");
            for (id, _) in &completes {
                ids.push_bind(*id);
            }
            update.push(") RETURNING id");
            completed = returned_ids!(update, tx, completes.len());
        }
        let mut finished = HashSet::new();
        if !finishes.is_empty() {
            // Each row only while its holder (owner and claim) still holds it; the VALUES
            // columns are column1… on both engines.
            let mut update = builder(
                &tx,
                "UPDATE create_intents SET state = 'done', zoom_id = v.column4, \
                 last_error = NULL, finished_at = v.column5, claimed_by = NULL FROM (",
            );
            update.push_values(&finishes, |mut b, f| {
                b.push_bind(f.id)
                    .push_bind(f.owner.as_str())
                    .push_bind(f.claim)
                    .push_bind(f.zoom_id)
                    .push_bind(at(f.at));
            });
            update.push(
                ") AS v WHERE create_intents.id = v.column1 \
                 AND create_intents.claimed_by = v.column2 \
                 AND create_intents.attempts = v.column3 \
                 AND create_intents.state = 'pending' RETURNING create_intents.id",
            );
            finished = returned_ids!(update, tx, finishes.len());
        }
        Outcome {
            held,
            completed,
            finished,
        }
    })
    .map_err(|e| store.query_error(OPERATION, e))
}

/// A query builder for the engine of `_tx` (which only names the engine's type).
fn builder<DB: sqlx::Database>(_tx: &sqlx::Transaction<'_, DB>, sql: &str) -> QueryBuilder<DB> {
    QueryBuilder::new(sql)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Schedule;

    fn creation(zoom_id: u64, card_for: u64) -> NewCreation {
        let now = Utc::now();
        NewCreation {
            meeting: NewMeetingRecord {
                zoom_id,
                team_id: "T1".into(),
                channel_id: "C1".into(),
                scheduled_by: "U1".into(),
                topic: format!("Meeting {zoom_id}"),
                schedule: Schedule {
                    start: now,
                    duration_minutes: 30,
                    zone: "UTC".into(),
                },
                join_url: format!("https://zoom.us/j/{zoom_id}"),
                host: "me".into(),
                recurrence: None,
                series_ends: None,
                card: None,
                created_at: now,
                locale: None,
            },
            notice_due: Some(now),
            card: NewCardPost {
                zoom_id: card_for,
                team_id: "T1".into(),
                channel_id: "C1".into(),
                user_id: "U1".into(),
                response_url: String::new(),
                response_url_expires_at: now,
                notes: vec![],
                locale: None,
                created_at: now,
            },
            owner: "A".into(),
            lease: Duration::from_secs(60),
        }
    }

    /// One batch, written directly (no window, so no timing), with one bad creation and a
    /// card that was never queued: the transaction fails, and each is then written alone.
    #[tokio::test]
    async fn a_failed_batch_is_written_again_one_operation_at_a_time() {
        let (store, _, dir) = scratch(Duration::ZERO).await;
        assert!(store.writer.is_none(), "a zero window starts no writer");

        let mut answers = Vec::new();
        let mut ops = Vec::new();
        for (zoom_id, card_for) in [(1, 1), (2, 99), (3, 3), (1, 1)] {
            let (answer, answered) = oneshot::channel();
            ops.push(Op::Record(Box::new(creation(zoom_id, card_for)), answer));
            answers.push(answered);
        }
        let (answer, never_queued) = oneshot::channel();
        ops.push(Op::Complete(
            OutboxId::from_column(12345),
            Utc::now(),
            answer,
        ));
        write(&store, ops).await;

        let mut got = Vec::new();
        for answered in answers {
            got.push(match answered.await.unwrap() {
                Ok(Creation::Recorded(_)) => "recorded",
                Ok(Creation::Already) => "already",
                Err(StoreError::Corrupt { .. }) => "corrupt",
                Err(e) => panic!("unexpected {e}"),
            });
        }
        assert_eq!(got, ["recorded", "corrupt", "recorded", "already"]);
        assert!(!never_queued.await.unwrap().unwrap());
        for (zoom_id, stored) in [(1, true), (2, false), (3, true)] {
            assert_eq!(
                store.meetings().get(zoom_id).await.unwrap().is_some(),
                stored,
                "meeting {zoom_id}"
            );
            assert_eq!(
                store.outbox().for_meeting(zoom_id).await.unwrap().len(),
                usize::from(stored),
                "meeting {zoom_id}'s card"
            );
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A scratch SQLite store, opened with `window`, and its directory (to remove at the end).
    async fn scratch(window: Duration) -> (Store, String, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "slack-zoom-batch-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("store.db").display());
        (Store::open_with(&url, window).await.unwrap(), url, dir)
    }

    /// A database that fails as a whole (here: its pool is closed) fails every operation of
    /// the batch with the one error, without trying each again.
    #[tokio::test]
    async fn a_database_failure_fails_the_whole_batch_at_once() {
        let (store, _, dir) = scratch(Duration::ZERO).await;
        store.close().await;
        let mut answers = Vec::new();
        let mut ops = Vec::new();
        for zoom_id in 1..=3 {
            let (answer, answered) = oneshot::channel();
            ops.push(Op::Record(Box::new(creation(zoom_id, zoom_id)), answer));
            answers.push(answered);
        }
        write(&store, ops).await;
        let mut got = Vec::new();
        for answered in answers {
            got.push(match answered.await.unwrap() {
                Err(StoreError::Query { .. }) => "query",
                Err(StoreError::Shared { .. }) => "shared",
                other => panic!("unexpected {other:?}"),
            });
        }
        assert_eq!(
            got,
            ["query", "shared", "shared"],
            "one attempt, one error for all"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Closing the store writes what the writer was still gathering, however long its window.
    #[tokio::test]
    async fn closing_the_store_writes_what_the_writer_holds() {
        let (store, url, dir) = scratch(Duration::from_secs(3600)).await;
        // Polled in order: the creation is handed to the writer before the store closes.
        let both = async {
            tokio::join!(store.record_creation(creation(7, 7)), async {
                tokio::task::yield_now().await;
                store.close().await;
            })
        };
        let (recorded, ()) = tokio::time::timeout(Duration::from_secs(30), both)
            .await
            .expect("close answers the creation it was gathering");
        assert!(
            matches!(recorded, Ok(Creation::Recorded(_))),
            "{recorded:?}"
        );
        let reopened = Store::open_with(&url, Duration::ZERO).await.unwrap();
        assert!(reopened.meetings().get(7).await.unwrap().is_some());
        reopened.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Every operation of a good batch lands in one transaction, whatever the mix.
    #[tokio::test]
    async fn a_batch_records_every_creation_and_marks_every_card() {
        let (store, _, dir) = scratch(Duration::ZERO).await;
        let first = store.record_creation(creation(100, 100)).await.unwrap();
        let Creation::Recorded(first) = first else {
            panic!("{first:?}")
        };

        let mut answers = Vec::new();
        let mut ops = Vec::new();
        let zoom_ids = 1_000..1_000 + MAX_BATCH as u64 - 1;
        for zoom_id in zoom_ids.clone() {
            let (answer, answered) = oneshot::channel();
            ops.push(Op::Record(Box::new(creation(zoom_id, zoom_id)), answer));
            answers.push(answered);
        }
        // The same meeting twice in one batch (a command taken over while its first replica
        // finishes): recorded once, by the first.
        let (answer, again) = oneshot::channel();
        ops.push(Op::Record(Box::new(creation(1_000, 1_000)), answer));
        let (answer, posted) = oneshot::channel();
        ops.push(Op::Complete(first, Utc::now(), answer));
        let (answer, posted_again) = oneshot::channel();
        ops.push(Op::Complete(first, Utc::now(), answer));
        write(&store, ops).await;
        assert!(
            !posted_again.await.unwrap().unwrap(),
            "marked posted twice at once: only the first caller marked it"
        );
        assert_eq!(again.await.unwrap().unwrap(), Creation::Already);
        assert_eq!(store.outbox().for_meeting(1_000).await.unwrap().len(), 1);

        let mut ids = HashSet::new();
        for answered in answers {
            let Ok(Creation::Recorded(id)) = answered.await.unwrap() else {
                panic!("not recorded")
            };
            assert!(ids.insert(id), "each card its own row");
        }
        assert!(posted.await.unwrap().unwrap());
        for zoom_id in zoom_ids {
            let notices = store.notices().for_meeting(zoom_id).await.unwrap();
            assert_eq!(notices.len(), 1, "meeting {zoom_id}'s notice");
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
