//! The typed result of a command: [`MeetingRequest`] and the [`Note`]s the reply must show.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::duration::Minutes;
use super::recurrence::Recurrence;
use super::topic::Topic;
use crate::time::Zone;

/// Something the reply must tell the user because we made a choice on their behalf.
/// [`Note::message`] words it in the user's language (in `error.rs`, with every other
/// message); `Display` is the English sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// No date was given and the time had already passed today, so it is tomorrow.
    MovedToTomorrow,
    /// The wall-clock time happens twice (clocks go back). We take the first occurrence,
    /// unless it has already passed and the second has not (`first` says which).
    AmbiguousLocalTime {
        local: NaiveDateTime,
        zone: Zone,
        start: DateTime<Utc>,
        first: bool,
    },
    /// A repeating meeting with no end stops at Zoom's cap; `last` is its last date.
    SeriesCapped { max: u8, last: NaiveDate },
    /// A monthly series on the 29th–31st skips the months that lack that day.
    MonthsSkipped { day: u8 },
}

/// A meeting to create: everything Zoom needs, already validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingRequest {
    topic: Topic,
    duration: Minutes,
    start: DateTime<Utc>,
    zone: Zone,
    local_start: NaiveDateTime,
    explicit_zone: bool,
    starts_now: bool,
    recurrence: Option<Recurrence>,
    notes: Vec<Note>,
}

/// The parts of a [`MeetingRequest`], so the constructor call names each one.
pub(crate) struct Parts {
    pub(crate) topic: Topic,
    pub(crate) duration: Minutes,
    pub(crate) start: DateTime<Utc>,
    pub(crate) zone: Zone,
    pub(crate) explicit_zone: bool,
    pub(crate) starts_now: bool,
    pub(crate) recurrence: Option<Recurrence>,
    pub(crate) notes: Vec<Note>,
}

impl MeetingRequest {
    /// Derives the wall-clock start from the instant so the two can never disagree.
    pub(crate) fn new(parts: Parts) -> MeetingRequest {
        let local_start = parts.start.with_timezone(&parts.zone.tz()).naive_local();
        MeetingRequest {
            topic: parts.topic,
            duration: parts.duration,
            start: parts.start,
            zone: parts.zone,
            local_start,
            explicit_zone: parts.explicit_zone,
            starts_now: parts.starts_now,
            recurrence: parts.recurrence,
            notes: parts.notes,
        }
    }

    pub fn topic(&self) -> &Topic {
        &self.topic
    }

    pub fn duration(&self) -> Minutes {
        self.duration
    }

    /// The start instant, in whole minutes; for a series, its first occurrence.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The IANA zone in effect: the one named in the command, else the context's.
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// The start as wall-clock time in [`zone`](Self::zone) (Zoom's `start_time`, no offset).
    pub fn local_start(&self) -> NaiveDateTime {
        self.local_start
    }

    /// True when the command named a zone.
    pub fn explicit_zone(&self) -> bool {
        self.explicit_zone
    }

    /// True when the meeting starts at the current minute (no time given, `now`, or a time
    /// less than five minutes ago).
    pub fn starts_now(&self) -> bool {
        self.starts_now
    }

    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// How the meeting repeats, for `every monday 10am` and the like; `None` for a one-off.
    /// Its first occurrence is this request's [`start`](Self::start).
    pub fn recurrence(&self) -> Option<&Recurrence> {
        self.recurrence.as_ref()
    }

    /// `"<topic>" <N>m <YYYY-MM-DD> <HH:MM> <Zone>`: a command that parses back to the same
    /// topic, duration, start, zone and local start (with the same context). The topic is
    /// always quoted, in its Slack form, so schedule-like words in it stay in the topic.
    /// A series is written `"<topic>" <N>m <HH:MM> <rule> starting <YYYY-MM-DD> [<end>] <Zone>`
    /// (`every 2 weeks on tue starting 2026-06-02 x 8`) and parses back to the same series.
    ///
    /// Legacy single-word zones (`Japan`) that only arrive through `From<Tz>` are not
    /// accepted by [`Zone::parse`], so such a request does not round-trip.
    pub fn to_canonical(&self) -> String {
        // A start of "now" is written as `now`: during a repeated (fall-back) hour its
        // wall-clock time would name the first, already past, occurrence.
        let when = if let Some(recurrence) = &self.recurrence {
            recurrence.canonical()
        } else if self.starts_now {
            "now".to_owned()
        } else {
            self.local_start.format("%Y-%m-%d %H:%M").to_string()
        };
        format!(
            "\"{}\" {}m {} {}",
            self.topic.as_slack(),
            self.duration.get(),
            when,
            self.zone.name(),
        )
    }
}
