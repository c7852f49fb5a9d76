//! Why a `/zoom` command was refused, and the one place that turns it (and every other
//! sentence the command language shows: notes, series descriptions) into the user's message,
//! from the catalogs in `locales/`.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, Offset};

use super::recurrence::{Frequency, Recurrence, RepeatUnit, SeriesEnd};
use super::request::Note;
use crate::i18n::{Key, Lang, t};
use crate::time::{LocalTimeError, Zone, ZoneError};

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
    /// "two {durations}"
    fn plural(self, lang: Lang) -> &'static str {
        lang.text(match self {
            WordKind::Duration => Key::WordPluralDuration,
            WordKind::Date => Key::WordPluralDate,
            WordKind::Time => Key::WordPluralTime,
            WordKind::Zone => Key::WordPluralZone,
            WordKind::Repeat => Key::WordPluralRepeat,
            WordKind::Days => Key::WordPluralDays,
            WordKind::End => Key::WordPluralEnd,
            WordKind::Start => Key::WordPluralStart,
        })
    }

    /// "as {a duration}"
    fn singular(self, lang: Lang) -> &'static str {
        lang.text(match self {
            WordKind::Duration => Key::WordOneDuration,
            WordKind::Date => Key::WordOneDate,
            WordKind::Time => Key::WordOneTime,
            WordKind::Zone => Key::WordOneZone,
            WordKind::Repeat => Key::WordOneRepeat,
            WordKind::Days => Key::WordOneDays,
            WordKind::End => Key::WordOneEnd,
            WordKind::Start => Key::WordOneStart,
        })
    }
}

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

    /// One short sentence or two for the Slack reply, in English: the offending word, what
    /// was expected, and one example that works.
    pub fn user_message(&self) -> String {
        self.user_message_in(Lang::En)
    }

    /// [`user_message`](Self::user_message) in `lang` (its examples in that language's words).
    pub fn user_message_in(&self, lang: Lang) -> String {
        let example = lang.text(Key::CmdExample);
        let series_example = lang.text(Key::CmdSeriesExample);
        let quote_hint = lang.text(Key::CmdQuoteHint);
        let minute = |at: &NaiveDateTime| at.format("%Y-%m-%d %H:%M").to_string();
        match self {
            CommandError::InvalidMeetingId { word } => t!(lang, CmdInvalidMeetingId, word),
            CommandError::TooLong { max, .. } => t!(lang, CmdTooLong, max, example),
            CommandError::UnclosedQuote => t!(lang, CmdUnclosedQuote, example),
            CommandError::TopicTooLong { chars, max } => {
                t!(lang, CmdTopicTooLong, chars, max, example)
            }
            CommandError::InvalidDuration { word } => {
                t!(lang, CmdInvalidDuration, word, quote_hint)
            }
            CommandError::DurationOutOfRange { word } => {
                t!(lang, CmdDurationOutOfRange, word, example)
            }
            CommandError::InvalidTime { word } => t!(lang, CmdInvalidTime, word, example),
            CommandError::InvalidDate { word } => t!(lang, CmdInvalidDate, word, example),
            CommandError::AmbiguousDate {
                word,
                example: date,
            } => t!(
                lang,
                CmdAmbiguousDate,
                word,
                iso = date.format("%Y-%m-%d"),
                spoken = lang.date(Key::FormatCommandDate, *date).to_lowercase(),
                example,
            ),
            CommandError::MissingTime { date } => t!(lang, CmdMissingTime, date, example),
            CommandError::NowWithDate { date } => t!(lang, CmdNowWithDate, date, example),
            CommandError::UnexpectedWord { word, after } => {
                t!(lang, CmdUnexpectedWord, word, after)
            }
            CommandError::Duplicate {
                kind,
                first,
                second,
            } => t!(
                lang,
                CmdDuplicate,
                kinds = kind.plural(lang),
                first,
                second,
                example
            ),
            CommandError::ZoneAbbreviation { word } => t!(lang, CmdZoneAbbreviation, word),
            CommandError::UnknownZone { word } => t!(lang, CmdUnknownZone, word),
            CommandError::NonexistentTime {
                requested,
                next_valid,
                zone,
            } => t!(
                lang,
                CmdNonexistentTime,
                requested = minute(requested),
                zone,
                next_time = next_valid.format("%H:%M"),
                next = minute(next_valid),
            ),
            CommandError::InPast {
                local,
                zone,
                minutes_ago,
            } => t!(
                lang,
                CmdInPast,
                local = minute(local),
                zone,
                ago = humanise_minutes(*minutes_ago, lang),
                example,
            ),
            CommandError::TooFarAhead {
                local,
                zone,
                max_days,
            } => t!(
                lang,
                CmdTooFarAhead,
                local = minute(local),
                zone,
                max_days,
                example
            ),
            CommandError::UnknownWord {
                word,
                kind,
                suggestion,
            } => {
                let hint = match (suggestion, kind) {
                    (Some(suggestion), _) => t!(lang, CmdUnknownWordSuggestion, suggestion),
                    (None, WordKind::Duration) => {
                        lang.text(Key::CmdUnknownWordDurationUnits).to_owned()
                    }
                    (None, _) => String::new(),
                };
                t!(
                    lang,
                    CmdUnknownWord,
                    word,
                    kind = kind.singular(lang),
                    hint,
                    quote_hint
                )
            }
            CommandError::AmbiguousHour { word, hour } => t!(
                lang,
                CmdAmbiguousHour,
                word,
                morning = format!("{:02}", hour % 12),
                evening = hour % 12 + 12,
                hour,
            ),
            CommandError::RepeatWithoutTime { repeat } => {
                t!(lang, CmdRepeatWithoutTime, repeat, series_example)
            }
            CommandError::RepeatConflict { repeat, date } => {
                t!(lang, CmdRepeatConflict, repeat, date)
            }
            CommandError::DaysWithoutRepeat { days } => t!(lang, CmdDaysWithoutRepeat, days),
            CommandError::EndWithoutRepeat { end } => {
                t!(lang, CmdEndWithoutRepeat, end, quote_hint)
            }
            CommandError::OccurrenceCount { word, max } => t!(lang, CmdOccurrenceCount, word, max),
            CommandError::InvalidSeriesLength { word } => {
                t!(lang, CmdInvalidSeriesLength, word, series_example)
            }
            CommandError::TooManyOccurrences { max, last_allowed } => t!(
                lang,
                CmdTooManyOccurrences,
                max,
                last = lang.date(Key::FormatDate, *last_allowed),
                series_example,
            ),
            CommandError::RepeatIntervalOutOfRange { interval, unit } => {
                let max = unit.max_interval();
                t!(
                    lang,
                    CmdRepeatIntervalOutOfRange,
                    max,
                    max_unit = unit_name(*unit, u32::from(max), lang),
                    interval,
                    unit = unit_name(*unit, *interval, lang),
                )
            }
            CommandError::MonthDayOutOfRange { day } => t!(lang, CmdMonthDayOutOfRange, day),
            CommandError::SeriesEndsBeforeStart { until, first } => t!(
                lang,
                CmdSeriesEndsBeforeStart,
                until = lang.date(Key::FormatDate, *until),
                first = lang.date(Key::FormatDate, *first),
                series_example,
            ),
            CommandError::SeriesGap {
                local,
                next_valid,
                zone,
            } => t!(
                lang,
                CmdSeriesGap,
                time = local.format("%H:%M"),
                zone,
                day = lang.date(Key::FormatWeekdayDate, local.date()),
                next_time = next_valid.format("%H:%M"),
                series_example,
            ),
        }
    }
}

fn unit_name(unit: RepeatUnit, n: u32, lang: Lang) -> &'static str {
    lang.text(match unit {
        RepeatUnit::Days => Lang::count(n, Key::UnitDayOne, Key::UnitDayOther),
        RepeatUnit::Weeks => Lang::count(n, Key::UnitWeekOne, Key::UnitWeekOther),
        RepeatUnit::Months => Lang::count(n, Key::UnitMonthOne, Key::UnitMonthOther),
    })
}

/// The English sentence (see [`Note::message`]).
impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl Note {
    /// What the invoker is told about the choice made for them, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Note::MovedToTomorrow => lang.text(Key::NoteMovedToTomorrow).to_owned(),
            Note::AmbiguousLocalTime {
                local,
                zone,
                start,
                first,
            } => t!(
                lang,
                NoteAmbiguousLocalTime,
                when = lang.datetime(Key::FormatTimeOnDay, *local),
                zone,
                which = lang.text(if *first {
                    Key::NoteAmbiguousLocalTimeFirst
                } else {
                    Key::NoteAmbiguousLocalTimeSecond
                }),
                offset = start.with_timezone(&zone.tz()).offset().fix(),
            ),
            Note::SeriesCapped { max, last } => t!(
                lang,
                NoteSeriesCapped,
                max,
                last = lang.date(Key::FormatWeekdayDate, *last),
            ),
            Note::MonthsSkipped { day } => {
                t!(lang, NoteMonthsSkipped, nth = lang.ordinal(u32::from(*day)))
            }
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

/// `Monday`, `Monday and Wednesday`, `Monday, Wednesday and Friday` (as a rule names them).
fn day_list(days: super::WeekdaySet, lang: Lang) -> String {
    let names: Vec<&str> = days.iter().map(|day| rule_day(day, lang)).collect();
    lang.list(&names)
}

fn rule_day(day: chrono::Weekday, lang: Lang) -> &'static str {
    lang.text(match day {
        chrono::Weekday::Mon => Key::RuleDayMon,
        chrono::Weekday::Tue => Key::RuleDayTue,
        chrono::Weekday::Wed => Key::RuleDayWed,
        chrono::Weekday::Thu => Key::RuleDayThu,
        chrono::Weekday::Fri => Key::RuleDayFri,
        chrono::Weekday::Sat => Key::RuleDaySat,
        chrono::Weekday::Sun => Key::RuleDaySun,
    })
}

/// See [`Recurrence::describe_in`].
pub(crate) fn describe_recurrence(r: &Recurrence, lang: Lang) -> String {
    let n = r.interval();
    let rule = match r.frequency() {
        Frequency::Daily if n == 1 => lang.text(Key::RuleEveryDay).to_owned(),
        Frequency::Daily => t!(lang, RuleEveryNDays, n),
        Frequency::Weekly(days) if days == super::WeekdaySet::WORKWEEK && n == 1 => {
            lang.text(Key::RuleEveryWeekday).to_owned()
        }
        Frequency::Weekly(days) if days == super::WeekdaySet::WORKWEEK => {
            t!(lang, RuleEveryNWeeksOnWeekdays, n)
        }
        Frequency::Weekly(days) if n == 1 => t!(lang, RuleWeekly, days = day_list(days, lang)),
        Frequency::Weekly(days) => t!(lang, RuleEveryNWeeks, n, days = day_list(days, lang)),
        Frequency::Monthly { day } if n == 1 => {
            t!(lang, RuleMonthly, nth = lang.ordinal(u32::from(day)))
        }
        Frequency::Monthly { day } => {
            t!(
                lang,
                RuleEveryNMonths,
                n,
                nth = lang.ordinal(u32::from(day))
            )
        }
    };
    let end = match r.end() {
        SeriesEnd::Count(1) => lang.text(Key::RuleEndOnce).to_owned(),
        SeriesEnd::Count(count) => t!(lang, RuleEndCount, count),
        SeriesEnd::Until(date) => t!(lang, RuleEndUntil, date = lang.date(Key::FormatDate, date)),
    };
    t!(
        lang,
        RuleDescribe,
        rule,
        time = lang.time(Key::FormatTime, r.time()),
        zone = r.zone().name(),
        end
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
fn humanise_minutes(minutes: i64, lang: Lang) -> String {
    let (n, one, other) = if minutes < 60 {
        (minutes, Key::DurationMinutesOne, Key::DurationMinutesOther)
    } else if minutes < 48 * 60 {
        (minutes / 60, Key::DurationHoursOne, Key::DurationHoursOther)
    } else {
        (
            minutes / (24 * 60),
            Key::DurationDaysOne,
            Key::DurationDaysOther,
        )
    };
    lang.render(Lang::count(n, one, other), &[("n", &n)])
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
            assert_eq!(
                humanise_minutes(minutes, Lang::En),
                expected,
                "minutes {minutes}"
            );
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
            "I couldn't read `45x` as a duration. Use minutes or hours, like `45m` or `1h30m`. If it's part of the topic, put the topic in quotes, like `/zoom \"Review 2pm changes\" 30m`"
        );
    }
}
