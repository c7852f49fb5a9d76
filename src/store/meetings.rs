//! Meetings scheduled through the app: the facts needed to list, move, cancel and announce them.
//!
//! A meeting's passcode and start URL are never stored: the record types below have no field
//! for them and the table no column, so no caller can store one by accident.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::error::{duration_column, zoom_id_column, zoom_id_value};
use super::instant::{self, Stamp};
use super::notices::replace_pending_notice;
use super::{Store, StoreError, in_transaction, with_pool};

/// When, for how long and in which zone a meeting is scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Stored to the microsecond.
    pub start: DateTime<Utc>,
    pub duration_minutes: u32,
    /// The IANA zone the meeting was scheduled in, such as `Europe/Berlin`.
    pub zone: String,
}

impl Schedule {
    pub fn end(&self) -> DateTime<Utc> {
        instant::after(
            self.start,
            Duration::from_secs(u64::from(self.duration_minutes) * 60),
        )
    }
}

/// Where the meeting's card was posted in Slack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardLocation {
    pub channel_id: String,
    /// The message timestamp Slack returned for the card (its id within the channel).
    pub message_ts: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeetingState {
    Scheduled,
    /// `by` is the Slack user who cancelled it, or [`CANCELLED_IN_ZOOM`].
    Cancelled {
        at: DateTime<Utc>,
        by: String,
    },
}

/// The `by` of a meeting found deleted in Zoom itself (by `/zoom list`, or by a cancel that
/// Zoom answered "no such meeting"): nobody in Slack cancelled it. Never a Slack user id,
/// which are upper-case.
pub const CANCELLED_IN_ZOOM: &str = "zoom";

/// A meeting to record once Zoom has created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeetingRecord {
    pub zoom_id: u64,
    pub team_id: String,
    pub channel_id: String,
    /// The Slack user who scheduled it.
    pub scheduled_by: String,
    pub topic: String,
    pub schedule: Schedule,
    pub join_url: String,
    /// The Zoom user (id or email) hosting it.
    pub host: String,
    /// `None` for a single meeting; for a recurring series, its rule described for people
    /// (e.g. "every Monday"). The store does not expand rules.
    pub recurrence: Option<String>,
    /// For a recurring series: when its last occurrence ends, so that it is listed as upcoming
    /// until then (`schedule` is its first occurrence). `None` for a single meeting.
    pub series_ends: Option<DateTime<Utc>>,
    /// Usually `None` at first and set with [`Meetings::set_card`] once the card is posted.
    pub card: Option<CardLocation>,
    /// When it was scheduled.
    pub created_at: DateTime<Utc>,
    /// The scheduler's Slack locale (`tr-TR`), when Slack said: the language of the card.
    pub locale: Option<String>,
}

impl NewMeetingRecord {
    /// When it is over: its last occurrence's end for a series, else its own.
    pub(super) fn ends_at(&self) -> DateTime<Utc> {
        self.series_ends
            .map_or_else(|| self.schedule.end(), |ends| ends.max(self.schedule.end()))
    }
}

/// A stored meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    pub zoom_id: u64,
    pub team_id: String,
    pub channel_id: String,
    pub scheduled_by: String,
    pub topic: String,
    pub schedule: Schedule,
    pub join_url: String,
    pub host: String,
    pub recurrence: Option<String>,
    pub card: Option<CardLocation>,
    pub state: MeetingState,
    pub created_at: DateTime<Utc>,
    /// When the schedule last changed, if it ever did.
    pub moved_at: Option<DateTime<Utc>>,
    /// The scheduler's Slack locale, when known (see [`NewMeetingRecord::locale`]).
    pub locale: Option<String>,
}

impl MeetingRecord {
    pub fn is_recurring(&self) -> bool {
        self.recurrence.is_some()
    }
}

/// What [`Meetings::cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// It was scheduled and is now cancelled (and its pending start notice with it).
    Cancelled,
    /// It had been cancelled before; the first cancellation's time and author stay.
    AlreadyCancelled,
    NotFound,
}

/// What [`Meetings::reschedule`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RescheduleOutcome {
    Moved,
    /// A cancelled meeting is not moved.
    Cancelled,
    NotFound,
}

/// The meetings table; from [`Store::meetings`].
pub struct Meetings<'s> {
    store: &'s Store,
}

macro_rules! meeting_columns {
    () => {
        "zoom_id, team_id, channel_id, scheduled_by, topic, starts_at, duration_minutes, zone, \
         join_url, host, recurrence, card_channel_id, card_ts, state, created_at, cancelled_at, \
         cancelled_by, moved_at, locale"
    };
}

#[derive(sqlx::FromRow)]
struct MeetingRow<I> {
    zoom_id: i64,
    team_id: String,
    channel_id: String,
    scheduled_by: String,
    topic: String,
    starts_at: I,
    duration_minutes: i32,
    zone: String,
    join_url: String,
    host: String,
    recurrence: Option<String>,
    card_channel_id: Option<String>,
    card_ts: Option<String>,
    state: String,
    created_at: I,
    cancelled_at: Option<I>,
    cancelled_by: Option<String>,
    moved_at: Option<I>,
    locale: Option<String>,
}

impl<'s> Meetings<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Records a meeting. Idempotent on the Zoom id: `true` when it was stored now, `false`
    /// when a meeting with this id was already stored (which is left exactly as it was).
    pub async fn insert(&self, meeting: &NewMeetingRecord) -> Result<bool, StoreError> {
        let zoom_id = zoom_id_column(meeting.zoom_id)?;
        let duration = duration_column(meeting.schedule.duration_minutes)?;
        let end = meeting.ends_at();
        let (card_channel, card_ts) = match &meeting.card {
            Some(card) => (
                Some(card.channel_id.as_str()),
                Some(card.message_ts.as_str()),
            ),
            None => (None, None),
        };
        with_pool!(self.store, |pool, at: I| {
            sqlx::query(
                "INSERT INTO meetings (zoom_id, team_id, channel_id, scheduled_by, topic, \
                 starts_at, ends_at, duration_minutes, zone, join_url, host, recurrence, \
                 card_channel_id, card_ts, state, created_at, locale) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                 'scheduled', $15, $16) \
                 ON CONFLICT (zoom_id) DO NOTHING",
            )
            .bind(zoom_id)
            .bind(&meeting.team_id)
            .bind(&meeting.channel_id)
            .bind(&meeting.scheduled_by)
            .bind(&meeting.topic)
            .bind(at(meeting.schedule.start))
            .bind(at(end))
            .bind(duration)
            .bind(&meeting.schedule.zone)
            .bind(&meeting.join_url)
            .bind(&meeting.host)
            .bind(meeting.recurrence.as_deref())
            .bind(card_channel)
            .bind(card_ts)
            .bind(at(meeting.created_at))
            .bind(meeting.locale.as_deref())
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        })
        .map_err(|e| self.store.query_error("record a meeting", e))
    }

    /// The meeting with this Zoom id, if one is stored.
    pub async fn get(&self, zoom_id: u64) -> Result<Option<MeetingRecord>, StoreError> {
        let Ok(id) = zoom_id_column(zoom_id) else {
            // No stored meeting can have an id that does not fit the column.
            return Ok(None);
        };
        let row = with_pool!(self.store, |pool, at: I| {
            sqlx::query_as::<_, MeetingRow<I>>(concat!(
                "SELECT ",
                meeting_columns!(),
                " FROM meetings WHERE zoom_id = $1"
            ))
            .bind(id)
            .fetch_optional(pool)
            .await?
            .map(|row| self.record(row))
        })
        .map_err(|e| self.store.query_error("read a meeting", e))?;
        row.transpose()
    }

    /// Records where the meeting's card was posted. `false` when no such meeting is stored.
    pub async fn set_card(&self, zoom_id: u64, card: &CardLocation) -> Result<bool, StoreError> {
        let id = zoom_id_column(zoom_id)?;
        with_pool!(self.store, |pool, at: I| {
            sqlx::query("UPDATE meetings SET card_channel_id = $2, card_ts = $3 WHERE zoom_id = $1")
                .bind(id)
                .bind(&card.channel_id)
                .bind(&card.message_ts)
                .execute(pool)
                .await?
                .rows_affected()
                == 1
        })
        .map_err(|e| self.store.query_error("record where a card was posted", e))
    }

    /// Marks the meeting cancelled by `by` at `at`, and cancels its pending start notice in the
    /// same transaction. Idempotent: a second cancellation changes nothing and says so.
    pub async fn cancel(
        &self,
        zoom_id: u64,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<CancelOutcome, StoreError> {
        let id = zoom_id_column(zoom_id)?;
        let when = at;
        in_transaction!(self.store, |tx, at: I| {
            let cancelled = sqlx::query(
                "UPDATE meetings SET state = 'cancelled', cancelled_at = $2, cancelled_by = $3 \
                 WHERE zoom_id = $1 AND state = 'scheduled'",
            )
            .bind(id)
            .bind(at(when))
            .bind(by)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if cancelled {
                sqlx::query(
                    "UPDATE start_notices SET state = 'cancelled', finished_at = $2 \
                     WHERE zoom_id = $1 AND state = 'pending'",
                )
                .bind(id)
                .bind(at(when))
                .execute(&mut *tx)
                .await?;
                CancelOutcome::Cancelled
            } else {
                let exists = sqlx::query("SELECT 1 FROM meetings WHERE zoom_id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if exists {
                    CancelOutcome::AlreadyCancelled
                } else {
                    CancelOutcome::NotFound
                }
            }
        })
        .map_err(|e| self.store.query_error("cancel a meeting", e))
    }

    /// Moves a scheduled meeting to `schedule`, recording `moved_at`. Its pending start notice
    /// (which names the old time) is replaced in the same transaction: by one due at
    /// `notice_due` when given, otherwise by none, so a stale notice can never be posted.
    pub async fn reschedule(
        &self,
        zoom_id: u64,
        schedule: &Schedule,
        moved_at: DateTime<Utc>,
        notice_due: Option<DateTime<Utc>>,
    ) -> Result<RescheduleOutcome, StoreError> {
        let id = zoom_id_column(zoom_id)?;
        let duration = duration_column(schedule.duration_minutes)?;
        let end = schedule.end();
        in_transaction!(self.store, |tx, at: I| {
            let moved = sqlx::query(
                "UPDATE meetings SET starts_at = $2, ends_at = $3, duration_minutes = $4, \
                 zone = $5, moved_at = $6 WHERE zoom_id = $1 AND state = 'scheduled'",
            )
            .bind(id)
            .bind(at(schedule.start))
            .bind(at(end))
            .bind(duration)
            .bind(&schedule.zone)
            .bind(at(moved_at))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if moved {
                let _replacement = replace_pending_notice!(tx, at, id, notice_due, moved_at);
                RescheduleOutcome::Moved
            } else {
                let exists = sqlx::query("SELECT 1 FROM meetings WHERE zoom_id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if exists {
                    RescheduleOutcome::Cancelled
                } else {
                    RescheduleOutcome::NotFound
                }
            }
        })
        .map_err(|e| self.store.query_error("move a meeting", e))
    }

    /// The next `limit` meetings `user_id` scheduled in `team_id` that are not cancelled and
    /// have not ended at `now` (one in progress is included, and a series until its last
    /// occurrence ends), by start time.
    pub async fn upcoming(
        &self,
        team_id: &str,
        user_id: &str,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        let rows = with_pool!(self.store, |pool, at: I| {
            sqlx::query_as::<_, MeetingRow<I>>(concat!(
                "SELECT ",
                meeting_columns!(),
                " FROM meetings WHERE team_id = $1 AND scheduled_by = $2 \
                 AND state = 'scheduled' AND ends_at > $3 \
                 ORDER BY starts_at, zoom_id LIMIT $4"
            ))
            .bind(team_id)
            .bind(user_id)
            .bind(at(now))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|row| self.record(row))
            .collect::<Vec<_>>()
        })
        .map_err(|e| self.store.query_error("list upcoming meetings", e))?;
        rows.into_iter().collect()
    }

    fn record<I: Stamp>(&self, row: MeetingRow<I>) -> Result<MeetingRecord, StoreError> {
        let store = self.store;
        let state = match (row.state.as_str(), row.cancelled_at, row.cancelled_by) {
            ("scheduled", _, _) => MeetingState::Scheduled,
            ("cancelled", Some(at), Some(by)) => MeetingState::Cancelled {
                at: store.instant("cancellation time", at)?,
                by,
            },
            (other, _, _) => {
                return Err(store.corrupt("meeting state", format!("`{other}`")));
            }
        };
        let card = match (row.card_channel_id, row.card_ts) {
            (Some(channel_id), Some(message_ts)) => Some(CardLocation {
                channel_id,
                message_ts,
            }),
            _ => None,
        };
        Ok(MeetingRecord {
            zoom_id: zoom_id_value(store.engine(), row.zoom_id)?,
            team_id: row.team_id,
            channel_id: row.channel_id,
            scheduled_by: row.scheduled_by,
            topic: row.topic,
            schedule: Schedule {
                start: store.instant("meeting start", row.starts_at)?,
                duration_minutes: store.count("meeting duration", row.duration_minutes)?,
                zone: row.zone,
            },
            join_url: row.join_url,
            host: row.host,
            recurrence: row.recurrence,
            card,
            state,
            created_at: store.instant("scheduling time", row.created_at)?,
            moved_at: row
                .moved_at
                .map(|at| store.instant("move time", at))
                .transpose()?,
            locale: row.locale,
        })
    }
}
