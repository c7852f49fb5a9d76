//! Start notices: each sweep claims the notices that are due, checks each meeting in Zoom, and posts "Starting now" under its card.
//!
//! Exactly once across replicas: a notice is posted only by the replica whose claim leased it
//! (the store's claim is atomic), and its lease outlasts everything one notice may take (a
//! bounded Zoom check and at most two Slack calls). A notice that came due while no replica ran is
//! posted late only within `NOTICE_GRACE_MINUTES`; older ones are dropped by the claim and
//! logged. What Zoom says wins: a meeting deleted there gets no notice, one moved later gets
//! its notice at the new time, one moved earlier gets a notice naming the new time.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::FutureExt;
use futures_util::future::join_all;

use crate::app::meeting::card_from_record;
use crate::app::state::AppState;
use crate::app::sweep::{Batch, after, before, delta};
use crate::slack::ChannelId;
use crate::slack::notice::{Checked, start_notice};
use crate::slack::web::ApiError;
use crate::store::{DueNotice, MeetingRecord, MeetingState, Schedule};
use crate::zoom::{Meeting, MeetingId, ZoomClient, ZoomError};

/// Notices claimed per sweep: all are handled at once, so this bounds the calls in flight.
const BATCH: u32 = 20;
/// How long a claimed notice is this replica's: well beyond the Zoom check's budget plus two
/// Slack calls (2 s each), so no other replica can take it while it may still be posted.
const LEASE: Duration = Duration::from_secs(60);
/// The longest the Zoom check may take before the notice is treated as unchecked.
const ZOOM_CHECK_BUDGET: Duration = Duration::from_secs(10);
/// How long after its due time a notice waits for Zoom to answer the check (retrying at each
/// sweep) before it is posted without it: late by a minute or two is still useful, and a
/// notice that never comes because Zoom is down is not.
const CHECK_PATIENCE: Duration = Duration::from_secs(120);
/// Zoom's start and the recorded one differing by no more than this is the same time (the
/// record holds Zoom's own answer, to the second; people move meetings by minutes).
const SAME_TIME: TimeDelta = TimeDelta::seconds(1);

/// What became of one claimed notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Posted,
    /// Not posted now: the meeting moved later, so the notice comes at the new time.
    Rescheduled,
    /// Not posted, on purpose (deleted in Zoom, cancelled, long started, nowhere to post).
    Skipped,
    /// Handed back for the next sweep.
    Retry,
    /// Something failed that only the log can tell; the lease lapses and it is tried again.
    Failed,
}

impl Outcome {
    const ALL: [Outcome; 5] = [
        Outcome::Posted,
        Outcome::Rescheduled,
        Outcome::Skipped,
        Outcome::Retry,
        Outcome::Failed,
    ];

    /// The `outcome` label of `slack_zoom_swept_total`.
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Posted => "posted",
            Outcome::Rescheduled => "rescheduled",
            Outcome::Skipped => "skipped",
            Outcome::Retry => "retry",
            Outcome::Failed => "failed",
        }
    }
}

/// One sweep: drop what is too late, then handle every claimed notice concurrently; whether
/// it took a full batch.
pub(crate) async fn sweep(state: &AppState) -> Batch {
    let (Some(lead), Some(zoom)) = (state.start_notice(), state.zoom()) else {
        return Batch::Partial;
    };
    let now = Utc::now();
    let grace = state.notice_grace();
    let due = match state
        .store()
        .notices()
        .claim_due(now, grace, state.replica(), LEASE, BATCH)
        .await
    {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "could not claim due start notices; trying again at the next sweep");
            return Batch::Partial;
        }
    };
    for notice in &due.dropped {
        tracing::warn!(
            meeting_id = notice.zoom_id,
            due_at = %notice.due_at,
            grace_minutes = grace.as_secs() / 60,
            "start notice dropped: it came due longer ago than NOTICE_GRACE_MINUTES (no replica was running or able to post it)"
        );
    }
    let context = Context {
        state,
        zoom,
        lead: delta(lead),
        grace: delta(grace),
    };
    let outcomes = join_all(due.claimed.iter().map(|notice| async {
        let handled = AssertUnwindSafe(context.handle(notice))
            .catch_unwind()
            .await;
        handled.unwrap_or_else(|_| {
            tracing::error!(
                meeting_id = notice.zoom_id,
                "handling a start notice panicked"
            );
            Outcome::Failed
        })
    }))
    .await;
    let count = |which: Outcome| outcomes.iter().filter(|o| **o == which).count();
    let metrics = state.metrics();
    for outcome in Outcome::ALL {
        metrics.swept("notices", outcome.as_str(), count(outcome));
    }
    metrics.swept("notices", "dropped_late", due.dropped.len());
    if !outcomes.is_empty() || !due.dropped.is_empty() {
        tracing::info!(
            posted = count(Outcome::Posted),
            rescheduled = count(Outcome::Rescheduled),
            skipped = count(Outcome::Skipped),
            retry = count(Outcome::Retry),
            failed = count(Outcome::Failed),
            dropped_late = due.dropped.len(),
            "start notice sweep"
        );
    }
    let retried = count(Outcome::Retry) + count(Outcome::Failed);
    // Either a full batch claimed or one dropped as too late: more may be waiting.
    let taken = due.claimed.len().max(due.dropped.len());
    Batch::of(taken, retried, BATCH)
}

/// What every notice of one sweep needs.
struct Context<'a> {
    state: &'a AppState,
    zoom: &'a ZoomClient,
    /// How long before the start a notice is due.
    lead: TimeDelta,
    grace: TimeDelta,
}

/// Where the meeting stands in Zoom, as far as the check could tell.
enum Check {
    Found(Meeting),
    /// Zoom could not answer; the reason is logged.
    Unknown,
}

impl Context<'_> {
    async fn handle(&self, notice: &DueNotice) -> Outcome {
        let store = self.state.store();
        let meeting_id = notice.zoom_id;
        let record = match store.meetings().get(meeting_id).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                tracing::warn!(
                    meeting_id,
                    "start notice for a meeting the store does not have; dropped"
                );
                self.discard(notice).await;
                return Outcome::Skipped;
            }
            Err(e) => {
                tracing::warn!(error = %e, meeting_id, "could not read the meeting of a due start notice");
                return self.retry_or_fail(notice).await;
            }
        };
        if let MeetingState::Cancelled { .. } = record.state {
            tracing::info!(meeting_id, "meeting cancelled; no start notice");
            self.cancel(notice).await;
            return Outcome::Skipped;
        }
        let check = match tokio::time::timeout(
            ZOOM_CHECK_BUDGET,
            self.zoom.get_meeting(MeetingId::new(meeting_id)),
        )
        .await
        {
            Ok(Ok(meeting)) => Check::Found(meeting),
            Ok(Err(e)) if e.meeting_not_found() => {
                tracing::info!(meeting_id, "meeting deleted in Zoom; no start notice");
                self.cancel(notice).await;
                return Outcome::Skipped;
            }
            Ok(Err(e)) if !transient(&e) => {
                tracing::error!(error = %e, meeting_id, "Zoom refused to look the meeting up (the app needs meeting:read:meeting:admin); posting the start notice unchecked");
                Check::Unknown
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, meeting_id, "could not check the meeting in Zoom");
                return self.retry_or_unchecked(notice, &record).await;
            }
            Err(_) => {
                tracing::warn!(meeting_id, budget = ?ZOOM_CHECK_BUDGET, "Zoom did not answer the meeting check in time");
                return self.retry_or_unchecked(notice, &record).await;
            }
        };
        match check {
            Check::Found(meeting) => self.checked(notice, &record, &meeting).await,
            Check::Unknown => self.unchecked(notice, &record).await,
        }
    }

    /// Zoom answered: announce the start it has now, or wait for it.
    async fn checked(
        &self,
        notice: &DueNotice,
        record: &MeetingRecord,
        meeting: &Meeting,
    ) -> Outcome {
        let now = Utc::now();
        let meeting_id = notice.zoom_id;
        let store = self.state.store();
        if !meeting.occurrences().is_empty() {
            return self.checked_series(notice, record, meeting, now).await;
        }
        let start = meeting.start_time().unwrap_or(record.schedule.start);
        let moved = (start - record.schedule.start).abs() > SAME_TIME;
        let due = before(start, self.lead);
        if moved {
            let schedule = Schedule {
                start,
                duration_minutes: meeting
                    .duration_minutes()
                    .unwrap_or(record.schedule.duration_minutes),
                zone: record.schedule.zone.clone(),
            };
            if due > now {
                // The move replaces this notice with one at the new time.
                return match store
                    .meetings()
                    .reschedule(meeting_id, &schedule, now, Some(due))
                    .await
                {
                    Ok(_) => {
                        tracing::info!(meeting_id, new_start = %start, "meeting moved later in Zoom; its start notice moves with it");
                        Outcome::Rescheduled
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, meeting_id, "meeting moved later in Zoom but the store could not follow");
                        self.retry_or_fail(notice).await
                    }
                };
            }
            if due < before(now, self.grace) {
                tracing::warn!(meeting_id, new_start = %start, "meeting moved earlier in Zoom and started long ago; no start notice");
                if let Err(e) = store
                    .meetings()
                    .reschedule(meeting_id, &schedule, now, None)
                    .await
                {
                    tracing::warn!(error = %e, meeting_id, "could not record the new start");
                    self.discard(notice).await;
                }
                return Outcome::Skipped;
            }
            let outcome = self
                .post(notice, record, Some(meeting), start, Checked::WithZoom)
                .await;
            if outcome == Outcome::Posted {
                tracing::info!(meeting_id, new_start = %start, "meeting moved in Zoom; the notice names the new time");
                if let Err(e) = store
                    .meetings()
                    .reschedule(meeting_id, &schedule, now, None)
                    .await
                {
                    tracing::warn!(error = %e, meeting_id, "could not record the new start");
                }
            }
            return outcome;
        }
        self.post(notice, record, Some(meeting), start, Checked::WithZoom)
            .await
    }

    /// A series: announce the occurrence this notice is for (the first one not long past), and
    /// once posted, schedule the next occurrence's notice.
    async fn checked_series(
        &self,
        notice: &DueNotice,
        record: &MeetingRecord,
        meeting: &Meeting,
        now: DateTime<Utc>,
    ) -> Outcome {
        let meeting_id = notice.zoom_id;
        let store = self.state.store();
        let starts: Vec<DateTime<Utc>> = meeting
            .occurrences()
            .iter()
            .filter(|o| o.status() != Some("deleted"))
            .filter_map(|o| o.start_time())
            .collect();
        let Some(start) = starts
            .iter()
            .copied()
            .filter(|start| before(*start, self.lead) >= before(now, self.grace))
            .min()
        else {
            tracing::info!(
                meeting_id,
                "series has no occurrence left in Zoom; no start notice"
            );
            self.discard(notice).await;
            return Outcome::Skipped;
        };
        let due = before(start, self.lead);
        if due > after(now, SAME_TIME) {
            // This occurrence was deleted or moved in Zoom: the next one gets the notice.
            return match store.notices().schedule(meeting_id, due, now).await {
                Ok(_) => {
                    tracing::info!(meeting_id, next_start = %start, "series occurrence moved or deleted in Zoom; its notice waits for the next one");
                    Outcome::Rescheduled
                }
                Err(e) => {
                    tracing::warn!(error = %e, meeting_id, "could not reschedule the series' start notice");
                    self.retry_or_fail(notice).await
                }
            };
        }
        let outcome = self
            .post(notice, record, Some(meeting), start, Checked::WithZoom)
            .await;
        if outcome == Outcome::Posted {
            let after = start.max(now);
            match starts.iter().copied().filter(|s| *s > after).min() {
                Some(next) => {
                    if let Err(e) = store
                        .notices()
                        .schedule(meeting_id, before(next, self.lead), now)
                        .await
                    {
                        tracing::error!(error = %e, meeting_id, next_start = %next, "could not schedule the start notice of the series' next meeting");
                    }
                }
                None => tracing::info!(meeting_id, "that was the series' last meeting"),
            }
        }
        outcome
    }

    /// Zoom could not be asked in time: the recorded time is announced, and said to be
    /// unconfirmed. A series' next notice cannot be scheduled without Zoom's occurrences.
    async fn unchecked(&self, notice: &DueNotice, record: &MeetingRecord) -> Outcome {
        let start = if record.is_recurring() {
            after(notice.due_at, self.lead)
        } else {
            record.schedule.start
        };
        let outcome = self
            .post(notice, record, None, start, Checked::NotWithZoom)
            .await;
        if outcome == Outcome::Posted && record.is_recurring() {
            tracing::error!(
                meeting_id = notice.zoom_id,
                "start notice posted without Zoom: the series' next notice cannot be scheduled, so its later meetings get none"
            );
        }
        outcome
    }

    /// Retries the Zoom check at the next sweep while that still leaves time, else posts the
    /// notice unchecked.
    async fn retry_or_unchecked(&self, notice: &DueNotice, record: &MeetingRecord) -> Outcome {
        if self.may_retry(notice) {
            self.release(notice).await
        } else {
            self.unchecked(notice, record).await
        }
    }

    /// After a failure of our own (the store): try again at the next sweep while the grace
    /// allows; past it the lease lapses and the claim drops it.
    async fn retry_or_fail(&self, notice: &DueNotice) -> Outcome {
        if self.may_retry(notice) {
            self.release(notice).await
        } else {
            Outcome::Failed
        }
    }

    /// `true` while another attempt at the next sweep would still be within both the grace
    /// and the patience for the Zoom check.
    fn may_retry(&self, notice: &DueNotice) -> bool {
        let patience = delta(CHECK_PATIENCE).min(self.grace);
        let interval = delta(self.state.sweep_interval());
        let next_attempt = after(after(Utc::now(), interval), interval);
        next_attempt < after(notice.due_at, patience)
    }

    async fn release(&self, notice: &DueNotice) -> Outcome {
        // Half an interval: the next sweep starts a whole interval after this one ends.
        let retry_at = after(Utc::now(), delta(self.state.sweep_interval()) / 2);
        match self
            .state
            .store()
            .notices()
            .release(notice.id, self.state.replica(), retry_at)
            .await
        {
            Ok(_) => Outcome::Retry,
            Err(e) => {
                tracing::warn!(error = %e, meeting_id = notice.zoom_id, "could not hand a start notice back; its lease will lapse");
                Outcome::Failed
            }
        }
    }

    /// Posts the notice for `start` under the card (in the channel when the card's place is
    /// unknown or its thread cannot be used), then marks it posted.
    async fn post(
        &self,
        notice: &DueNotice,
        record: &MeetingRecord,
        meeting: Option<&Meeting>,
        start: DateTime<Utc>,
        checked: Checked,
    ) -> Outcome {
        let meeting_id = notice.zoom_id;
        let mut card = card_from_record(record, meeting);
        let zone: chrono_tz::Tz = card.zone.parse().unwrap_or(chrono_tz::UTC);
        card.start = start;
        card.local_start = start.with_timezone(&zone).naive_local();
        let message = start_notice(&card, Utc::now(), checked);
        let thread = record
            .card
            .as_ref()
            .and_then(|card| Some((ChannelId::parse(&card.channel_id)?, card.message_ts.clone())));
        let slack = self.state.slack_api();
        let posted = match &thread {
            Some((channel, ts)) => match slack.post_message(channel, &message, Some(ts)).await {
                Err(ApiError::NotOk(error)) => {
                    tracing::warn!(meeting_id, %error, "could not post the start notice under the card; posting it in the channel");
                    self.post_in_channel(record, &message).await
                }
                other => other,
            },
            None => self.post_in_channel(record, &message).await,
        };
        match posted {
            Ok(_) => {
                match self
                    .state
                    .store()
                    .notices()
                    .complete(notice.id, Utc::now())
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(
                        meeting_id,
                        "start notice posted, but it was no longer pending (replaced or taken over meanwhile)"
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, meeting_id, "start notice posted but not marked posted; another replica may post it again")
                    }
                }
                tracing::info!(meeting_id, in_thread = thread.is_some(), checked = ?checked, "start notice posted");
                Outcome::Posted
            }
            Err(e) if e.cannot_post_here() || e == ApiError::NoToken => {
                tracing::warn!(error = %e, meeting_id, channel = %record.channel_id, "start notice dropped: the bot cannot post in the meeting's channel");
                self.discard(notice).await;
                Outcome::Skipped
            }
            Err(e) if e.may_have_acted() => {
                // Posting it again could announce the meeting twice.
                tracing::warn!(error = %e, meeting_id, "start notice may have been posted; not posting it again");
                self.discard(notice).await;
                Outcome::Skipped
            }
            Err(e) => {
                tracing::warn!(error = %e, meeting_id, "could not post the start notice");
                self.retry_or_fail(notice).await
            }
        }
    }

    async fn post_in_channel(
        &self,
        record: &MeetingRecord,
        message: &crate::slack::Reply,
    ) -> Result<crate::slack::web::Posted, ApiError> {
        let channel = ChannelId::parse(&record.channel_id)
            .ok_or_else(|| ApiError::NotOk("channel_not_found".to_owned()))?;
        self.state
            .slack_api()
            .post_message(&channel, message, None)
            .await
    }

    async fn discard(&self, notice: &DueNotice) {
        if let Err(e) = self
            .state
            .store()
            .notices()
            .discard(notice.id, Utc::now())
            .await
        {
            tracing::warn!(error = %e, meeting_id = notice.zoom_id, "could not mark a start notice dropped; the grace will drop it");
        }
    }

    async fn cancel(&self, notice: &DueNotice) {
        if let Err(e) = self
            .state
            .store()
            .notices()
            .cancel(notice.zoom_id, Utc::now())
            .await
        {
            tracing::warn!(error = %e, meeting_id = notice.zoom_id, "could not cancel a start notice; the grace will drop it");
        }
    }
}

/// Errors worth asking Zoom again for at the next sweep; the rest (credentials, scopes) will
/// not mend by themselves.
fn transient(error: &ZoomError) -> bool {
    error.outcome_unknown()
        || matches!(
            error,
            ZoomError::Unreachable
                | ZoomError::RateLimited
                | ZoomError::TokenUnavailable { .. }
                | ZoomError::TokenUnreadable { .. }
        )
}
