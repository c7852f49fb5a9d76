//! Recurring meetings: the rule (daily, weekly on some days, monthly on a day), its end, and
//! every occurrence's wall-clock start and UTC instant through the tz database.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};

use super::error::{self, CommandError};
use crate::i18n::Lang;
use crate::time::{self, LocalTimeError, Zone};

/// A non-empty set of weekdays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeekdaySet(u8);

/// Every weekday, Monday first (the order sets are listed and described in).
const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

impl WeekdaySet {
    /// Monday to Friday: what `every weekday` means.
    pub const WORKWEEK: WeekdaySet = WeekdaySet(0b001_1111);
    /// Saturday and Sunday.
    pub const WEEKEND: WeekdaySet = WeekdaySet(0b110_0000);

    /// The set of `days`, or `None` if there are none.
    pub fn new(days: impl IntoIterator<Item = Weekday>) -> Option<WeekdaySet> {
        let bits = days.into_iter().fold(0u8, |bits, day| bits | bit(day));
        (bits != 0).then_some(WeekdaySet(bits))
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & bit(day) != 0
    }

    /// The days, Monday first.
    pub fn iter(self) -> impl Iterator<Item = Weekday> {
        WEEK.into_iter().filter(move |day| self.contains(*day))
    }

    /// How many days (1 to 7).
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Always false: a set has at least one day. (For clippy's `len_without_is_empty`.)
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn union(self, other: WeekdaySet) -> WeekdaySet {
        WeekdaySet(self.0 | other.0)
    }
}

fn bit(day: Weekday) -> u8 {
    1 << day.num_days_from_monday()
}

/// What the interval counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RepeatUnit {
    Days,
    Weeks,
    Months,
}

impl RepeatUnit {
    /// Zoom's longest `repeat_interval`: 90 days, 12 weeks or 3 months.
    pub const fn max_interval(self) -> u8 {
        match self {
            RepeatUnit::Days => 90,
            RepeatUnit::Weeks => 12,
            RepeatUnit::Months => 3,
        }
    }
}

/// How the meeting repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Every `interval` days.
    Daily,
    /// On these days of every `interval`-th week. Weeks are counted from the week of the first
    /// occurrence, Sunday to Saturday as in Zoom (its `weekly_days` start at 1 = Sunday).
    Weekly(WeekdaySet),
    /// On this day (1–31) of every `interval`-th month. Months without that day are skipped.
    Monthly { day: u8 },
}

impl Frequency {
    pub fn unit(self) -> RepeatUnit {
        match self {
            Frequency::Daily => RepeatUnit::Days,
            Frequency::Weekly(_) => RepeatUnit::Weeks,
            Frequency::Monthly { .. } => RepeatUnit::Months,
        }
    }

    /// Whether a meeting can fall on `date` (ignoring the interval).
    pub(crate) fn matches(self, date: NaiveDate) -> bool {
        match self {
            Frequency::Daily => true,
            Frequency::Weekly(days) => days.contains(date.weekday()),
            Frequency::Monthly { day } => date.day() == u32::from(day),
        }
    }
}

/// When a series stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeriesEnd {
    /// After this many meetings (1 to 60).
    Count(u8),
    /// With the last meeting on or before this date, in the series' zone (inclusive).
    Until(NaiveDate),
}

/// One meeting of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Occurrence {
    local: NaiveDateTime,
    start: DateTime<Utc>,
    repeated: bool,
}

impl Occurrence {
    /// The wall-clock start in the series' zone: the same time of day for every occurrence.
    pub fn local(&self) -> NaiveDateTime {
        self.local
    }

    /// The start instant, through the tz rules of that date (so it moves with DST).
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// True when the wall-clock time happens twice that day (clocks go back); the first of
    /// the two is used, as for one-off meetings.
    pub fn repeated_wall_clock(&self) -> bool {
        self.repeated
    }
}

/// A validated repeat rule with all its occurrences computed.
///
/// Zoom's limits hold by construction: an interval of 1 to 90 days, 12 weeks or 3 months, a
/// monthly day of 1 to 31 and 1 to 60 occurrences. Every occurrence starts at the same
/// wall-clock time in [`zone`](Self::zone); one that would fall in a DST gap (a time that does
/// not exist that day) is refused when the series is built, naming the date, because Zoom
/// gets only the wall-clock time and the zone and does not document what it does then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recurrence {
    frequency: Frequency,
    interval: u8,
    end: SeriesEnd,
    open_ended: bool,
    zone: Zone,
    first: Occurrence,
    occurrences: Vec<Occurrence>,
    skipped_months: bool,
}

/// Bounds the walk over the calendar whatever the input (60 monthly occurrences on the 31st,
/// three months apart, span about 25 years; a weekly walk checks every day).
const MAX_STEPS: usize = 20_000;

impl Recurrence {
    /// Zoom's cap on occurrences in one series; also what a series with no end gets.
    pub const MAX_OCCURRENCES: u8 = 60;

    /// A series at `from`'s time of day, starting on the first day on or after `from`'s date
    /// that the rule allows. `end: None` means "as many as Zoom allows" (60).
    ///
    /// Refuses an interval outside Zoom's range, a monthly day outside 1–31, a count outside
    /// 1–60, an end before the first meeting, an end that allows more than 60 meetings and an
    /// occurrence whose wall-clock time does not exist (DST gap).
    pub fn new(
        frequency: Frequency,
        interval: u32,
        end: Option<SeriesEnd>,
        from: NaiveDateTime,
        zone: Zone,
    ) -> Result<Recurrence, CommandError> {
        let unit = frequency.unit();
        let interval = u8::try_from(interval)
            .ok()
            .filter(|i| (1..=unit.max_interval()).contains(i))
            .ok_or(CommandError::RepeatIntervalOutOfRange { interval, unit })?;
        if let Frequency::Monthly { day } = frequency
            && !(1..=31).contains(&day)
        {
            return Err(CommandError::MonthDayOutOfRange {
                day: u32::from(day),
            });
        }
        if let Some(SeriesEnd::Count(n)) = end
            && !(1..=Recurrence::MAX_OCCURRENCES).contains(&n)
        {
            return Err(CommandError::OccurrenceCount {
                word: format!("x {n}"),
                max: Recurrence::MAX_OCCURRENCES,
            });
        }
        let first_date = (0..=62)
            .filter_map(|d| from.date().checked_add_days(Days::new(d)))
            .find(|date| frequency.matches(*date))
            .ok_or_else(|| CommandError::InvalidDate {
                word: from.date().to_string(),
            })?;
        if let Some(SeriesEnd::Until(until)) = end
            && until < first_date
        {
            return Err(CommandError::SeriesEndsBeforeStart {
                until,
                first: first_date,
            });
        }
        let dates = series_dates(frequency, interval, first_date, end)?;
        let time = from.time();
        let occurrences = dates
            .dates
            .iter()
            .map(|date| occurrence(zone, date.and_time(time)))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(first) = occurrences.first().copied() else {
            return Err(CommandError::InvalidDate {
                word: first_date.to_string(),
            });
        };
        Ok(Recurrence {
            frequency,
            interval,
            end: end.unwrap_or(SeriesEnd::Count(Recurrence::MAX_OCCURRENCES)),
            open_ended: end.is_none(),
            zone,
            first,
            occurrences,
            skipped_months: dates.skipped_months,
        })
    }

    pub fn frequency(&self) -> Frequency {
        self.frequency
    }

    /// Every how many days, weeks or months (see [`Frequency::unit`]).
    pub fn interval(&self) -> u8 {
        self.interval
    }

    /// The end in effect: as typed, or `Count(60)` when none was given.
    pub fn end(&self) -> SeriesEnd {
        self.end
    }

    /// True when no end was given and the series stops at Zoom's cap of 60.
    pub fn open_ended(&self) -> bool {
        self.open_ended
    }

    /// The zone whose wall clock every occurrence keeps.
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// The time of day every occurrence starts at, in [`zone`](Self::zone).
    pub fn time(&self) -> NaiveTime {
        self.first.local.time()
    }

    pub fn first(&self) -> Occurrence {
        self.first
    }

    /// Every occurrence in order, the first included: 1 to 60 of them. Their count is what
    /// Zoom should be told (`end_times`), which also matches an `until` end exactly.
    pub fn occurrences(&self) -> &[Occurrence] {
        &self.occurrences
    }

    /// The last occurrence.
    pub fn last(&self) -> Occurrence {
        self.occurrences.last().copied().unwrap_or(self.first)
    }

    /// The first occurrence starting at or after `now`, if any is left.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<Occurrence> {
        self.occurrences.iter().find(|o| o.start >= now).copied()
    }

    /// True when a monthly series skipped a month that lacks its day (the 31st in April).
    pub fn skips_months(&self) -> bool {
        self.skipped_months
    }

    /// A short English description for replies: `Every Monday at 10:00 AM (Europe/Berlin),
    /// 8 times`, `Every weekday at 9:30 AM (America/New_York), until Dec 20, 2026`.
    pub fn describe(&self) -> String {
        self.describe_in(Lang::En)
    }

    /// [`describe`](Self::describe) in `lang`: `Her pazartesi 10:00 (Europe/Berlin), 8 kez`.
    pub fn describe_in(&self, lang: Lang) -> String {
        error::describe_recurrence(self, lang)
    }

    /// The rule as command words that parse back to this series (see
    /// [`MeetingRequest::to_canonical`](super::MeetingRequest::to_canonical)).
    pub(crate) fn canonical(&self) -> String {
        let n = self.interval;
        let rule = match self.frequency {
            Frequency::Daily if n == 1 => "every day".to_owned(),
            Frequency::Daily => format!("every {n} days"),
            Frequency::Weekly(days) if n == 1 => format!("every {}", short_days(days)),
            Frequency::Weekly(days) => format!("every {n} weeks on {}", short_days(days)),
            Frequency::Monthly { day } if n == 1 => {
                format!("every month on the {}", error::ordinal(u32::from(day)))
            }
            Frequency::Monthly { day } => {
                format!("every {n} months on the {}", error::ordinal(u32::from(day)))
            }
        };
        let end = match (self.open_ended, self.end) {
            (true, _) => String::new(),
            (false, SeriesEnd::Count(n)) => format!(" x {n}"),
            (false, SeriesEnd::Until(date)) => format!(" until {}", date.format("%Y-%m-%d")),
        };
        format!(
            "{} {rule} starting {}{end}",
            self.time().format("%H:%M"),
            self.first.local.format("%Y-%m-%d"),
        )
    }
}

/// `mon,wed,fri`: one word, so it reads back as a single list.
fn short_days(days: WeekdaySet) -> String {
    days.iter()
        .map(|d| match d {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The dates of a series, and whether a monthly one skipped a month.
struct Dates {
    dates: Vec<NaiveDate>,
    skipped_months: bool,
}

/// Walks the calendar from `first` (which matches the rule) until the end, refusing ends that
/// allow more than 60 meetings.
fn series_dates(
    frequency: Frequency,
    interval: u8,
    first: NaiveDate,
    end: Option<SeriesEnd>,
) -> Result<Dates, CommandError> {
    let max = usize::from(Recurrence::MAX_OCCURRENCES);
    let (count, until) = match end {
        Some(SeriesEnd::Count(n)) => (usize::from(n), None),
        Some(SeriesEnd::Until(until)) => (max + 1, Some(until)),
        None => (max, None),
    };
    let mut out = Dates {
        dates: Vec::with_capacity(count.min(max + 1)),
        skipped_months: false,
    };
    let interval_u32 = u32::from(interval);
    let week_of = |date: NaiveDate| {
        let since_sunday = u64::from(date.weekday().num_days_from_sunday());
        date.checked_sub_days(Days::new(since_sunday))
    };
    let first_week = week_of(first);
    for step in 0..MAX_STEPS {
        let step_u32 = u32::try_from(step).unwrap_or(u32::MAX);
        let candidate = match frequency {
            Frequency::Daily => first.checked_add_days(Days::new(
                u64::from(interval_u32).saturating_mul(step as u64),
            )),
            Frequency::Weekly(_) => first.checked_add_days(Days::new(step as u64)),
            Frequency::Monthly { day } => {
                let month = first.with_day(1).and_then(|d| {
                    d.checked_add_months(Months::new(interval_u32.saturating_mul(step_u32)))
                });
                match month {
                    Some(month) => match month.with_day(u32::from(day)) {
                        Some(date) => Some(date),
                        None => {
                            // Only a month wholly inside the series counts as skipped.
                            let month_end = month.checked_add_months(Months::new(1));
                            if until.is_none_or(|until| month_end.is_some_and(|end| end <= until)) {
                                out.skipped_months = true;
                            }
                            continue;
                        }
                    },
                    None => None,
                }
            }
        };
        let Some(date) = candidate else { break };
        if until.is_some_and(|until| date > until) {
            break;
        }
        if let Frequency::Weekly(days) = frequency {
            let in_week = match (week_of(date), first_week) {
                (Some(week), Some(first_week)) => {
                    (week - first_week).num_days() / 7 % i64::from(interval) == 0
                }
                _ => false,
            };
            if !days.contains(date.weekday()) || !in_week {
                continue;
            }
        }
        out.dates.push(date);
        if out.dates.len() >= count {
            break;
        }
    }
    if until.is_some() && out.dates.len() > max {
        let last_allowed = out.dates.get(max - 1).copied().unwrap_or(first);
        return Err(CommandError::TooManyOccurrences {
            max: Recurrence::MAX_OCCURRENCES,
            last_allowed,
        });
    }
    Ok(out)
}

fn occurrence(zone: Zone, local: NaiveDateTime) -> Result<Occurrence, CommandError> {
    match time::resolve_local(zone, local) {
        Ok(resolved) => Ok(Occurrence {
            local,
            start: resolved.instant(),
            repeated: resolved.ambiguous(),
        }),
        Err(LocalTimeError::Gap {
            requested,
            next_valid,
            zone,
        }) => Err(CommandError::SeriesGap {
            local: requested,
            next_valid,
            zone,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(h, min, 0))
            .expect("valid test date")
    }

    fn dates(r: &Recurrence) -> Vec<String> {
        r.occurrences()
            .iter()
            .map(|o| o.local().format("%a %Y-%m-%d").to_string())
            .collect()
    }

    fn days(list: &[Weekday]) -> WeekdaySet {
        WeekdaySet::new(list.iter().copied()).expect("non-empty")
    }

    #[test]
    fn weekly_series_with_an_interval_count_weeks_from_sunday() {
        // Every 2 weeks on Sunday and Monday, from Monday 2026-06-01: the Sunday after it is
        // in the next (Sunday-to-Saturday) week, so it is skipped.
        let r = Recurrence::new(
            Frequency::Weekly(days(&[Weekday::Sun, Weekday::Mon])),
            2,
            Some(SeriesEnd::Count(4)),
            at(2026, 6, 1, 10, 0),
            Zone::utc(),
        )
        .expect("valid series");
        assert_eq!(
            dates(&r),
            [
                "Mon 2026-06-01",
                "Sun 2026-06-14",
                "Mon 2026-06-15",
                "Sun 2026-06-28"
            ]
        );
    }

    #[test]
    fn monthly_series_skip_months_without_the_day() {
        let r = Recurrence::new(
            Frequency::Monthly { day: 31 },
            1,
            Some(SeriesEnd::Count(4)),
            at(2026, 1, 31, 9, 0),
            Zone::utc(),
        )
        .expect("valid series");
        assert_eq!(
            dates(&r),
            [
                "Sat 2026-01-31",
                "Tue 2026-03-31",
                "Sun 2026-05-31",
                "Fri 2026-07-31"
            ]
        );
        assert!(r.skips_months());
        let until_august = Recurrence::new(
            Frequency::Monthly { day: 31 },
            1,
            Some(SeriesEnd::Until(at(2026, 8, 31, 0, 0).date())),
            at(2026, 7, 31, 9, 0),
            Zone::utc(),
        )
        .expect("valid series");
        assert_eq!(dates(&until_august), ["Fri 2026-07-31", "Mon 2026-08-31"]);
        assert!(!until_august.skips_months(), "September is after the end");
    }

    #[test]
    fn the_first_occurrence_is_the_first_matching_day_on_or_after_from() {
        let r = Recurrence::new(
            Frequency::Monthly { day: 15 },
            3,
            Some(SeriesEnd::Count(2)),
            at(2026, 6, 16, 9, 0),
            Zone::utc(),
        )
        .expect("valid series");
        assert_eq!(dates(&r), ["Wed 2026-07-15", "Thu 2026-10-15"]);
    }

    #[test]
    fn zoom_limits_are_refused() {
        let from = at(2026, 6, 1, 10, 0);
        let cases = [
            (Frequency::Daily, 91, None),
            (Frequency::Daily, 0, None),
            (Frequency::Weekly(WeekdaySet::WORKWEEK), 13, None),
            (Frequency::Monthly { day: 1 }, 4, None),
            (Frequency::Monthly { day: 0 }, 1, None),
            (Frequency::Monthly { day: 32 }, 1, None),
            (Frequency::Daily, 1, Some(SeriesEnd::Count(0))),
            (Frequency::Daily, 1, Some(SeriesEnd::Count(61))),
            (
                Frequency::Daily,
                1,
                Some(SeriesEnd::Until(from.date() + Days::new(60))),
            ),
            (
                Frequency::Daily,
                1,
                Some(SeriesEnd::Until(from.date() - Days::new(1))),
            ),
        ];
        for (frequency, interval, end) in cases {
            let got = Recurrence::new(frequency, interval, end, from, Zone::utc());
            assert!(
                got.is_err(),
                "{frequency:?} every {interval}, {end:?}: {got:?}"
            );
        }
        let sixty = Recurrence::new(
            Frequency::Daily,
            1,
            Some(SeriesEnd::Until(from.date() + Days::new(59))),
            from,
            Zone::utc(),
        );
        assert_eq!(sixty.map(|r| r.occurrences().len()), Ok(60));
    }

    #[test]
    fn a_dst_gap_on_any_occurrence_is_refused_naming_it() {
        let zone = Zone::from(Tz::America__New_York);
        let got = Recurrence::new(
            Frequency::Daily,
            1,
            Some(SeriesEnd::Count(10)),
            at(2026, 3, 5, 2, 30),
            zone,
        );
        assert_eq!(
            got,
            Err(CommandError::SeriesGap {
                local: at(2026, 3, 8, 2, 30),
                next_valid: at(2026, 3, 8, 3, 0),
                zone,
            })
        );
    }

    #[test]
    fn a_series_is_described_in_english_and_in_turkish() {
        let berlin = Zone::from(Tz::Europe__Berlin);
        let until = Some(SeriesEnd::Until(at(2026, 12, 20, 0, 0).date()));
        let cases = [
            (
                Frequency::Weekly(days(&[Weekday::Mon])),
                1,
                Some(SeriesEnd::Count(8)),
                "Every Monday at 10:00 AM (Europe/Berlin), 8 times",
                "Her pazartesi 10:00 (Europe/Berlin), 8 kez",
            ),
            (
                Frequency::Weekly(WeekdaySet::WORKWEEK),
                1,
                until,
                "Every weekday at 10:00 AM (Europe/Berlin), until Dec 20, 2026",
                "Hafta içi her gün 10:00 (Europe/Berlin), 20 Aralık 2026 tarihine kadar",
            ),
            (
                Frequency::Weekly(days(&[Weekday::Tue, Weekday::Thu, Weekday::Sat])),
                2,
                Some(SeriesEnd::Count(1)),
                "Every 2 weeks on Tuesday, Thursday and Saturday at 10:00 AM (Europe/Berlin), once",
                "2 haftada bir salı, perşembe ve cumartesi 10:00 (Europe/Berlin), bir kez",
            ),
            (
                Frequency::Monthly { day: 15 },
                1,
                Some(SeriesEnd::Count(3)),
                "Every month on the 15th at 10:00 AM (Europe/Berlin), 3 times",
                "Her ayın 15. günü 10:00 (Europe/Berlin), 3 kez",
            ),
            (
                Frequency::Daily,
                3,
                Some(SeriesEnd::Count(2)),
                "Every 3 days at 10:00 AM (Europe/Berlin), 2 times",
                "3 günde bir 10:00 (Europe/Berlin), 2 kez",
            ),
        ];
        for (frequency, interval, end, english, turkish) in cases {
            let series = Recurrence::new(frequency, interval, end, at(2026, 12, 1, 10, 0), berlin)
                .expect("valid series");
            assert_eq!(series.describe(), english);
            assert_eq!(series.describe_in(Lang::Tr), turkish, "{english}");
        }
    }

    #[test]
    fn weekday_sets_list_monday_first() {
        let set = days(&[Weekday::Sun, Weekday::Wed, Weekday::Mon]);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Weekday::Mon, Weekday::Wed, Weekday::Sun]
        );
        assert_eq!(set.len(), 3);
        assert!(WeekdaySet::new([]).is_none());
        assert_eq!(WeekdaySet::WORKWEEK.len(), 5);
        assert!(!WeekdaySet::WEEKEND.contains(Weekday::Fri));
    }
}
