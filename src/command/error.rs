//! Why a `/zoom` command was refused, and the one place that words it for the user.

use chrono::{NaiveDate, NaiveDateTime};

use crate::time::{LocalTimeError, Zone, ZoneError};

/// The example every message ends with, so users always see one command that works.
const EXAMPLE: &str = "`/zoom Design review 45m tomorrow 3pm`";

/// Which kind of schedule word appeared twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordKind {
    Duration,
    Date,
    Time,
    Zone,
}

impl WordKind {
    fn plural(self) -> &'static str {
        match self {
            WordKind::Duration => "durations",
            WordKind::Date => "dates",
            WordKind::Time => "start times",
            WordKind::Zone => "time zones",
        }
    }
}

/// A refused command. `Display` is terse and meant for logs; users get [`user_message`].
///
/// [`user_message`]: CommandError::user_message
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("command is {chars} characters, over the {max} limit")]
    TooLong { chars: usize, max: usize },
    #[error("quoted topic is missing its closing quote")]
    UnclosedQuote,
    #[error("topic is {chars} characters, over Zoom's {max} limit")]
    TopicTooLong { chars: usize, max: usize },
    #[error("invalid duration {word:?}")]
    InvalidDuration { word: String },
    #[error("duration {word:?} is outside 1..=1440 minutes")]
    DurationOutOfRange { word: String },
    #[error("invalid time of day {word:?}")]
    InvalidTime { word: String },
    #[error("invalid date {word:?}")]
    InvalidDate { word: String },
    /// `03/04`: day/month or month/day? `example` is one reading, to show the safe format.
    #[error("ambiguous numeric date {word:?}")]
    AmbiguousDate { word: String, example: NaiveDate },
    #[error("date {date:?} has no start time")]
    MissingTime { date: String },
    #[error("`now` combined with date {date:?}")]
    NowWithDate { date: String },
    /// A topic word after a schedule word: we refuse rather than silently guess.
    #[error("unexpected word {word:?} after {after:?}")]
    UnexpectedWord { word: String, after: String },
    #[error("two {kind:?} words: {first:?} and {second:?}")]
    Duplicate {
        kind: WordKind,
        first: String,
        second: String,
    },
    #[error("ambiguous time zone abbreviation {word:?}")]
    ZoneAbbreviation { word: String },
    #[error("unknown time zone {word:?}")]
    UnknownZone { word: String },
    #[error("{requested} does not exist in {zone}; next valid is {next_valid}")]
    NonexistentTime {
        requested: NaiveDateTime,
        next_valid: NaiveDateTime,
        zone: Zone,
    },
    #[error("{local} in {zone} was {minutes_ago} minutes ago")]
    InPast {
        local: NaiveDateTime,
        zone: Zone,
        minutes_ago: i64,
    },
    #[error("{local} in {zone} is more than {max_days} days ahead")]
    TooFarAhead {
        local: NaiveDateTime,
        zone: Zone,
        max_days: i64,
    },
}

impl CommandError {
    /// One short sentence or two for the Slack reply: the offending word, what was
    /// expected, and one example that works.
    pub fn user_message(&self) -> String {
        match self {
            CommandError::TooLong { max, .. } => format!(
                "That command is too long for me (over {max} characters). Keep it short, like {EXAMPLE}"
            ),
            CommandError::UnclosedQuote => format!(
                "I couldn't find the closing quote of the topic. Quote the whole topic, like `/zoom \"Q3 plan\" 30m tomorrow 3pm`. Example: {EXAMPLE}"
            ),
            CommandError::TopicTooLong { chars, max } => format!(
                "That topic is {chars} characters, but Zoom allows at most {max}. Shorten it, like {EXAMPLE}"
            ),
            CommandError::InvalidDuration { word } => format!(
                "I couldn't read `{word}` as a duration. Use minutes or hours, like `45m` or `1h30m`. Example: {EXAMPLE}"
            ),
            CommandError::DurationOutOfRange { word } => format!(
                "`{word}` is not a meeting length I can book. Use 1 minute to 24 hours, like `45m` or `1h30m`. Example: {EXAMPLE}"
            ),
            CommandError::InvalidTime { word } => format!(
                "I couldn't read `{word}` as a time of day. Use `15:00`, `3pm` or `3:30pm`. Example: {EXAMPLE}"
            ),
            CommandError::InvalidDate { word } => format!(
                "`{word}` is not a real date. Use a date like `2026-12-01`, `dec 1` or `tomorrow`. Example: {EXAMPLE}"
            ),
            CommandError::AmbiguousDate { word, example } => format!(
                "I can't tell whether `{word}` is day/month or month/day. Write the date like `{}` or `{}`. Example: {EXAMPLE}",
                example.format("%Y-%m-%d"),
                example.format("%b %-d").to_string().to_lowercase(),
            ),
            CommandError::MissingTime { date } => format!(
                "What time on `{date}`? Add a start time, like `{date} 3pm`. Example: {EXAMPLE}"
            ),
            CommandError::NowWithDate { date } => format!(
                "`now` can't go with `{date}`. Give a start time instead, like `{date} 3pm`. Example: {EXAMPLE}"
            ),
            CommandError::UnexpectedWord { word, after } => format!(
                "I didn't expect `{word}` after `{after}`: only a duration, date, time and time zone can follow. If it's part of the topic, quote the topic, like `/zoom \"Review 2pm changes\" 30m`"
            ),
            CommandError::Duplicate {
                kind,
                first,
                second,
            } => format!(
                "I found two {}, `{first}` and `{second}`. Give just one, like {EXAMPLE}",
                kind.plural()
            ),
            CommandError::ZoneAbbreviation { word } => format!(
                "`{word}` is an ambiguous time zone abbreviation. Use an IANA zone name instead, like `America/New_York`. Example: `/zoom Design review 45m tomorrow 3pm America/New_York`"
            ),
            CommandError::UnknownZone { word } => format!(
                "I don't know the time zone `{word}`. Use an IANA zone name, like `Europe/Berlin` or `America/New_York`. Example: `/zoom Design review 45m tomorrow 3pm Europe/Berlin`"
            ),
            CommandError::NonexistentTime {
                requested,
                next_valid,
                zone,
            } => format!(
                "`{}` doesn't exist in {zone}: the clocks jump forward then. The next valid time is `{}`, like `/zoom Design review 45m {}`",
                requested.format("%Y-%m-%d %H:%M"),
                next_valid.format("%H:%M"),
                next_valid.format("%Y-%m-%d %H:%M"),
            ),
            CommandError::InPast {
                local,
                zone,
                minutes_ago,
            } => format!(
                "`{}` ({zone}) has already passed: that was {} ago. Pick a future time, like {EXAMPLE}",
                local.format("%Y-%m-%d %H:%M"),
                humanise_minutes(*minutes_ago),
            ),
            CommandError::TooFarAhead {
                local,
                zone,
                max_days,
            } => format!(
                "`{}` ({zone}) is more than {max_days} days ahead; I can only book up to a year out. Example: {EXAMPLE}",
                local.format("%Y-%m-%d %H:%M"),
            ),
        }
    }
}

impl From<ZoneError> for CommandError {
    fn from(err: ZoneError) -> CommandError {
        match err {
            ZoneError::Abbreviation(word) => CommandError::ZoneAbbreviation { word },
            ZoneError::Unknown(word) => CommandError::UnknownZone { word },
        }
    }
}

impl From<LocalTimeError> for CommandError {
    fn from(err: LocalTimeError) -> CommandError {
        match err {
            LocalTimeError::Gap {
                requested,
                next_valid,
                zone,
            } => CommandError::NonexistentTime {
                requested,
                next_valid,
                zone,
            },
        }
    }
}

/// "6 minutes", "2 hours", "3 days": rounded down to the largest unit that reads naturally.
fn humanise_minutes(minutes: i64) -> String {
    let (n, unit) = if minutes < 60 {
        (minutes, "minute")
    } else if minutes < 48 * 60 {
        (minutes / 60, "hour")
    } else {
        (minutes / (24 * 60), "day")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_times_are_humanised() {
        for (minutes, expected) in [
            (1, "1 minute"),
            (6, "6 minutes"),
            (60, "1 hour"),
            (130, "2 hours"),
            (47 * 60, "47 hours"),
            (48 * 60, "2 days"),
        ] {
            assert_eq!(humanise_minutes(minutes), expected, "minutes {minutes}");
        }
    }

    #[test]
    fn the_duration_message_matches_the_house_style() {
        let err = CommandError::InvalidDuration {
            word: "45x".to_owned(),
        };
        assert_eq!(
            err.user_message(),
            "I couldn't read `45x` as a duration. Use minutes or hours, like `45m` or `1h30m`. Example: `/zoom Design review 45m tomorrow 3pm`"
        );
    }
}
