//! The typed result of a command: [`MeetingRequest`] and the [`Note`]s the reply must show.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Offset, Utc};

use super::duration::Minutes;
use super::topic::Topic;
use crate::time::Zone;

/// Something the reply must tell the user because we made a choice on their behalf.
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
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::MovedToTomorrow => {
                f.write_str("That time has already passed today, so I scheduled it for tomorrow.")
            }
            Note::AmbiguousLocalTime {
                local,
                zone,
                start,
                first,
            } => {
                let offset = start.with_timezone(&zone.tz()).offset().fix();
                write!(
                    f,
                    "{} happens twice in {zone} because the clocks go back; I used the {} one (UTC{offset}).",
                    local.format("%H:%M on %a %b %-d"),
                    if *first { "first" } else { "second" },
                )
            }
        }
    }
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
            notes: parts.notes,
        }
    }

    pub fn topic(&self) -> &Topic {
        &self.topic
    }

    pub fn duration(&self) -> Minutes {
        self.duration
    }

    /// The start instant, in whole minutes.
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

    /// `"<topic>" <N>m <YYYY-MM-DD> <HH:MM> <Zone>`: a command that parses back to the same
    /// topic, duration, start, zone and local start (with the same context). The topic is
    /// always quoted, in its Slack form, so schedule-like words in it stay in the topic.
    ///
    /// Legacy single-word zones (`Japan`) that only arrive through `From<Tz>` are not
    /// accepted by [`Zone::parse`], so such a request does not round-trip.
    pub fn to_canonical(&self) -> String {
        // A start of "now" is written as `now`: during a repeated (fall-back) hour its
        // wall-clock time would name the first, already past, occurrence.
        let when = if self.starts_now {
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
