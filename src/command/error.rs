//! Why a `/zoom` command was refused, and the one place that words it (and every other
//! sentence the command language shows: notes, series descriptions) for the user.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, Offset};

use super::recurrence::{Frequency, Recurrence, RepeatUnit, SeriesEnd};
use super::request::Note;
use crate::time::{LocalTimeError, Zone, ZoneError};

/// The example every message ends with, so users always see one command that works.
const EXAMPLE: &str = "`/zoom Design review 45m tomorrow 3pm`";

/// What a schedule word is (for "two of a kind" and "could not read" messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordKind {
    Duration,
    Date,
    Time,
    Zone,
    /// `every monday`, `daily`, `her gün`.
    Repeat,
    /// `mon, wed` after `every 2 weeks on`.
    Days,
    /// `until dec 20`, `x 8`, `for 6 weeks`.
    End,
    /// `starting dec 1`.
    Start,
}

impl WordKind {
    fn plural(self) -> &'static str {
        match self {
            WordKind::Duration => "durations",
            WordKind::Date => "dates",
            WordKind::Time => "start times",
            WordKind::Zone => "time zones",
            WordKind::Repeat => "repeat rules",
            WordKind::Days => "lists of days",
            WordKind::End => "ends for the series",
            WordKind::Start => "start dates",
        }
    }

    fn singular(self) -> &'static str {
        match self {
            WordKind::Duration => "a duration",
            WordKind::Date => "a date",
            WordKind::Time => "a time of day",
            WordKind::Zone => "a time zone",
            WordKind::Repeat => "a repeat rule",
            WordKind::Days => "a list of days",
            WordKind::End => "an end for the series",
            WordKind::Start => "a start date",
        }
    }
}

/// The example for repeating meetings.
const SERIES_EXAMPLE: &str = "`/zoom Standup 15m every weekday 9:30 until dec 20`";

/// How we suggest quoting a topic that contains schedule-like words.
const QUOTE_HINT: &str =
    "If it's part of the topic, put the topic in quotes, like `/zoom \"Review 2pm changes\" 30m`";

/// A refused command. `Display` is terse and meant for logs; users get [`user_message`].
///
/// [`user_message`]: CommandError::user_message
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("command is {chars} characters, over the {max} limit")]
    TooLong { chars: usize, max: usize },
    /// `cancel 12`: not a Zoom meeting id.
    #[error("invalid meeting id {word:?}")]
    InvalidMeetingId { word: String },
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
    /// A word shaped like a schedule word that we do not read (`tmrw`, `3p`, `45perc`):
    /// refused rather than silently made part of the topic.
    #[error("unrecognised {kind:?} word {word:?}")]
    UnknownWord {
        word: String,
        kind: WordKind,
        /// What we think was meant, if we can tell (`tomorrow`, `3pm`, `45m`).
        suggestion: Option<String>,
    },
    /// `saat 3`: 03:00 or 15:00?
    #[error("ambiguous hour {word:?}")]
    AmbiguousHour { word: String, hour: u32 },
    #[error("repeat {repeat:?} has no start time")]
    RepeatWithoutTime { repeat: String },
    /// `every monday on tue`, `every day on the 1st`: the days named disagree.
    #[error("repeat {repeat:?} conflicts with {date:?}")]
    RepeatConflict { repeat: String, date: String },
    /// `mon, wed` without `every`.
    #[error("several days {days:?} without a repeat")]
    DaysWithoutRepeat { days: String },
    /// `until dec 20` or `x 8` without `every …`.
    #[error("series end {end:?} without a repeat")]
    EndWithoutRepeat { end: String },
    /// `x 0`, `x 61`.
    #[error("occurrence count {word:?} is outside 1..={max}")]
    OccurrenceCount { word: String, max: u8 },
    /// `for 0 weeks`.
    #[error("invalid series length {word:?}")]
    InvalidSeriesLength { word: String },
    /// An end date that allows more than Zoom's 60 occurrences.
    #[error("series has more than {max} occurrences; the last allowed is {last_allowed}")]
    TooManyOccurrences { max: u8, last_allowed: NaiveDate },
    #[error("repeat interval {interval} {unit:?} is outside Zoom's range")]
    RepeatIntervalOutOfRange { interval: u32, unit: RepeatUnit },
    #[error("day {day} of the month is outside 1..=31")]
    MonthDayOutOfRange { day: u32 },
    #[error("series ends {until} before its first meeting on {first}")]
    SeriesEndsBeforeStart { until: NaiveDate, first: NaiveDate },
    /// One occurrence's wall-clock time falls in a DST gap.
    #[error("occurrence {local} does not exist in {zone}; next valid is {next_valid}")]
    SeriesGap {
        local: NaiveDateTime,
        next_valid: NaiveDateTime,
        zone: Zone,
    },
}

impl CommandError {
    /// The word the parse stumbled on, when the refusal names one (so the rest of the
    /// command can still be read, e.g. to fill in the form).
    pub fn word(&self) -> Option<&str> {
        match self {
            CommandError::InvalidMeetingId { word }
            | CommandError::InvalidDuration { word }
            | CommandError::DurationOutOfRange { word }
            | CommandError::InvalidTime { word }
            | CommandError::InvalidDate { word }
            | CommandError::AmbiguousDate { word, .. }
            | CommandError::UnexpectedWord { word, .. }
            | CommandError::ZoneAbbreviation { word }
            | CommandError::UnknownZone { word }
            | CommandError::UnknownWord { word, .. }
            | CommandError::AmbiguousHour { word, .. }
            | CommandError::OccurrenceCount { word, .. }
            | CommandError::InvalidSeriesLength { word } => Some(word),
            CommandError::Duplicate { first, .. } => Some(first),
            _ => None,
        }
    }

    /// One short sentence or two for the Slack reply: the offending word, what was
    /// expected, and one example that works.
    pub fn user_message(&self) -> String {
        match self {
            CommandError::InvalidMeetingId { word } => format!(
                "`{word}` is not a Zoom meeting ID (they have 9 to 11 digits, like `857 4606 5432`). `/zoom list` shows your meetings with a Cancel button each."
            ),
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
            CommandError::UnknownWord {
                word,
                kind,
                suggestion,
            } => {
                let hint = match (suggestion, kind) {
                    (Some(s), _) => format!(" Did you mean `{s}`?"),
                    (None, WordKind::Duration) => {
                        " I read minutes and hours like `45m`, `1h30m`, `45dk` or `1 saat`."
                            .to_owned()
                    }
                    (None, _) => String::new(),
                };
                format!(
                    "I couldn't read `{word}` as {}.{hint} {QUOTE_HINT}",
                    kind.singular()
                )
            }
            CommandError::AmbiguousHour { word, hour } => format!(
                "`{word}` could be {:02}:00 or {}:00. Write the time in full, like `saat {}:00` or `öğleden sonra {hour}`. Example: `/zoom Toplantı 45dk yarın saat 15:00`",
                hour % 12,
                hour % 12 + 12,
                hour % 12 + 12,
            ),
            CommandError::RepeatWithoutTime { repeat } => format!(
                "What time should `{repeat}` start? Add a time, like `{repeat} 10am`. If `{repeat}` is part of the topic, put the topic in quotes. Example: {SERIES_EXAMPLE}"
            ),
            CommandError::RepeatConflict { repeat, date } => format!(
                "`{repeat}` and `{date}` name different days. Say the days once, like `/zoom Sync every 2 weeks on tue 4pm`"
            ),
            CommandError::DaysWithoutRepeat { days } => format!(
                "`{days}` names several days, but a single meeting has one. For a repeating meeting say `every {days}`, like `/zoom Sync every mon, wed 10am`"
            ),
            CommandError::EndWithoutRepeat { end } => format!(
                "`{end}` ends a repeating meeting, but I found no repeat like `every monday` or `daily`. Add one, like `/zoom Standup every weekday 9:30 {end}`. {QUOTE_HINT}"
            ),
            CommandError::OccurrenceCount { word, max } => format!(
                "`{word}`: a Zoom series has 1 to {max} meetings. Example: `/zoom Retro 1h every 2 weeks on fri 4pm x 8`"
            ),
            CommandError::InvalidSeriesLength { word } => format!(
                "`{word}` is not a length I can give a series. Use `for 6 weeks`, `until dec 20` or `x 8`. Example: {SERIES_EXAMPLE}"
            ),
            CommandError::TooManyOccurrences { max, last_allowed } => format!(
                "That series would have more than {max} meetings, Zoom's limit. End it on or before {}, or use `x {max}`. Example: {SERIES_EXAMPLE}",
                last_allowed.format("%b %-d, %Y"),
            ),
            CommandError::RepeatIntervalOutOfRange { interval, unit } => {
                let max = unit.max_interval();
                format!(
                    "Zoom repeats a meeting every 1 to {max} {}, so every {interval} {} won't work. Example: `/zoom Sync every 2 weeks on tue 4pm`",
                    unit_name(*unit, u32::from(max)),
                    unit_name(*unit, *interval),
                )
            }
            CommandError::MonthDayOutOfRange { day } => format!(
                "No month has a day {day}; use a day from 1 to 31, like `every month on the 15th`. Example: `/zoom Review every month on the 1st 10:00`"
            ),
            CommandError::SeriesEndsBeforeStart { until, first } => format!(
                "The series would end on {} but its first meeting is on {}. Give a later end, or `x 8` for eight meetings. Example: {SERIES_EXAMPLE}",
                until.format("%b %-d, %Y"),
                first.format("%b %-d, %Y"),
            ),
            CommandError::SeriesGap {
                local,
                next_valid,
                zone,
            } => format!(
                "`{}` doesn't exist in {zone} on {} (the clocks jump forward), and the series has a meeting that day. Pick another time, like `{}`, or end the series before then. Example: {SERIES_EXAMPLE}",
                local.format("%H:%M"),
                local.format("%a, %b %-d, %Y"),
                next_valid.format("%H:%M"),
            ),
        }
    }
}

fn unit_name(unit: RepeatUnit, n: u32) -> &'static str {
    match (unit, n == 1) {
        (RepeatUnit::Days, true) => "day",
        (RepeatUnit::Days, false) => "days",
        (RepeatUnit::Weeks, true) => "week",
        (RepeatUnit::Weeks, false) => "weeks",
        (RepeatUnit::Months, true) => "month",
        (RepeatUnit::Months, false) => "months",
    }
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
            Note::SeriesCapped { max, last } => write!(
                f,
                "No end was given, so the series stops at Zoom's limit of {max} meetings (the last on {}). Add an end like `until dec 20` or `x 8` to stop sooner.",
                last.format("%a, %b %-d, %Y"),
            ),
            Note::MonthsSkipped { day } => write!(
                f,
                "Months without a {} are skipped.",
                ordinal(u32::from(*day))
            ),
        }
    }
}

/// `1st`, `2nd`, `3rd`, `11th`, `22nd`.
pub(crate) fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// `Monday`, `Monday and Wednesday`, `Monday, Wednesday and Friday`.
fn day_list(days: super::WeekdaySet) -> String {
    let names: Vec<&str> = days.iter().map(weekday_name).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => String::new(),
    }
}

fn weekday_name(day: chrono::Weekday) -> &'static str {
    match day {
        chrono::Weekday::Mon => "Monday",
        chrono::Weekday::Tue => "Tuesday",
        chrono::Weekday::Wed => "Wednesday",
        chrono::Weekday::Thu => "Thursday",
        chrono::Weekday::Fri => "Friday",
        chrono::Weekday::Sat => "Saturday",
        chrono::Weekday::Sun => "Sunday",
    }
}

/// See [`Recurrence::describe`].
pub(crate) fn describe_recurrence(r: &Recurrence) -> String {
    let n = r.interval();
    let rule = match r.frequency() {
        Frequency::Daily if n == 1 => "Every day".to_owned(),
        Frequency::Daily => format!("Every {n} days"),
        Frequency::Weekly(days) if days == super::WeekdaySet::WORKWEEK && n == 1 => {
            "Every weekday".to_owned()
        }
        Frequency::Weekly(days) if days == super::WeekdaySet::WORKWEEK => {
            format!("Every {n} weeks on weekdays")
        }
        Frequency::Weekly(days) if n == 1 => format!("Every {}", day_list(days)),
        Frequency::Weekly(days) => format!("Every {n} weeks on {}", day_list(days)),
        Frequency::Monthly { day } if n == 1 => {
            format!("Every month on the {}", ordinal(u32::from(day)))
        }
        Frequency::Monthly { day } => {
            format!("Every {n} months on the {}", ordinal(u32::from(day)))
        }
    };
    let end = match r.end() {
        SeriesEnd::Count(1) => "once".to_owned(),
        SeriesEnd::Count(count) => format!("{count} times"),
        SeriesEnd::Until(date) => format!("until {}", date.format("%b %-d, %Y")),
    };
    format!(
        "{rule} at {} ({}), {end}",
        r.time().format("%-I:%M %p"),
        r.zone().name()
    )
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
    fn ordinals_read_naturally() {
        for (n, want) in [
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (21, "21st"),
            (22, "22nd"),
            (23, "23rd"),
            (31, "31st"),
        ] {
            assert_eq!(ordinal(n), want, "{n}");
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
