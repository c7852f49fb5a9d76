//! Zoom's `recurrence` object for a series (meeting type 8), and the occurrences Zoom makes of it.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use super::ZoomError;

/// Zoom's most occurrences in one series; also the largest `end_times`.
pub const MAX_OCCURRENCES: u8 = 60;

/// What Zoom allows as `repeat_interval` (its API reference: 90 days, 12 weeks, 3 months).
const MAX_DAILY_INTERVAL: u8 = 90;
const MAX_WEEKLY_INTERVAL: u8 = 12;
const MAX_MONTHLY_INTERVAL: u8 = 3;

/// On which days a series meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repeat {
    /// Every `interval` days.
    Daily,
    /// On these weekdays of every `interval`-th week (weeks start on Sunday, as in Zoom).
    Weekly(Vec<Weekday>),
    /// On this day of every `interval`-th month (1 to 31).
    MonthlyOnDay(u8),
}

/// When a series stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// After this many occurrences (1 to 60).
    After(u8),
    /// With the last occurrence starting at or before this instant.
    Until(DateTime<Utc>),
}

/// Why a series cannot go to Zoom as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeriesProblem {
    /// `interval` is 0 or above Zoom's maximum for the pattern (90 days, 12 weeks, 3 months).
    Interval { max: u8 },
    /// A weekly series with no weekday.
    NoWeekday,
    /// A monthly day outside 1 to 31.
    MonthDay,
    /// An occurrence count outside 1 to 60.
    Count,
    /// The series ends before its first occurrence.
    NoOccurrences,
    /// More than Zoom's 60 occurrences before the end date.
    TooManyOccurrences,
    /// No zone on Zoom's list keeps every occurrence at its wall-clock time in `zone`.
    NoZoomZone { zone: String },
}

/// A validated Zoom recurrence. Build it with [`Recurrence::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    repeat: Repeat,
    interval: u8,
    ending: Ending,
}

impl Recurrence {
    /// Checks the pattern against Zoom's limits; weekdays are deduplicated and sorted.
    pub fn new(repeat: Repeat, interval: u8, ending: Ending) -> Result<Recurrence, ZoomError> {
        let max = match &repeat {
            Repeat::Daily => MAX_DAILY_INTERVAL,
            Repeat::Weekly(_) => MAX_WEEKLY_INTERVAL,
            Repeat::MonthlyOnDay(_) => MAX_MONTHLY_INTERVAL,
        };
        let problem = if !(1..=max).contains(&interval) {
            Some(SeriesProblem::Interval { max })
        } else {
            match (&repeat, ending) {
                (Repeat::Weekly(days), _) if days.is_empty() => Some(SeriesProblem::NoWeekday),
                (Repeat::MonthlyOnDay(day), _) if !(1..=31).contains(day) => {
                    Some(SeriesProblem::MonthDay)
                }
                (_, Ending::After(count)) if !(1..=MAX_OCCURRENCES).contains(&count) => {
                    Some(SeriesProblem::Count)
                }
                _ => None,
            }
        };
        if let Some(problem) = problem {
            return Err(ZoomError::Series(problem));
        }
        let repeat = match repeat {
            Repeat::Weekly(mut days) => {
                days.sort_by_key(zoom_weekday);
                days.dedup();
                Repeat::Weekly(days)
            }
            other => other,
        };
        Ok(Recurrence {
            repeat,
            interval,
            ending,
        })
    }

    pub fn repeat(&self) -> &Repeat {
        &self.repeat
    }

    pub fn interval(&self) -> u8 {
        self.interval
    }

    pub fn ending(&self) -> Ending {
        self.ending
    }

    /// The wall-clock times, in `zone`, of the series starting at `start`: every day matching
    /// the pattern on or after the start's date, at the start's time of day, as Zoom expands it.
    /// A month without the day (the 31st in April) has no occurrence: Zoom does not document
    /// this case. Errors when there is no occurrence or more than 60.
    pub fn occurrences(
        &self,
        start: DateTime<Utc>,
        zone: Tz,
    ) -> Result<Vec<NaiveDateTime>, ZoomError> {
        let first = start.with_timezone(&zone).naive_local();
        let limit = match self.ending {
            Ending::After(count) => usize::from(count),
            Ending::Until(_) => usize::from(MAX_OCCURRENCES) + 1,
        };
        let mut found = Vec::new();
        for date in self.dates(first.date()) {
            let wall = date.and_time(first.time());
            if let Ending::Until(until) = self.ending
                && instant_of(zone, wall) > until
            {
                break;
            }
            if found.len() == limit {
                break;
            }
            found.push(wall);
        }
        match found.len() {
            0 => Err(ZoomError::Series(SeriesProblem::NoOccurrences)),
            n if n > usize::from(MAX_OCCURRENCES) => {
                Err(ZoomError::Series(SeriesProblem::TooManyOccurrences))
            }
            _ => Ok(found),
        }
    }

    /// Matching dates from `from` on, in order. Bounded: a pattern that matches at all does so
    /// within a few months, and no caller takes more than 61.
    fn dates(&self, from: NaiveDate) -> impl Iterator<Item = NaiveDate> + '_ {
        let interval = u32::from(self.interval);
        let period: Box<dyn Fn(u32) -> Vec<NaiveDate>> = match &self.repeat {
            Repeat::Daily => Box::new(move |k| {
                from.checked_add_days(Days::new(u64::from(k * interval)))
                    .into_iter()
                    .collect()
            }),
            Repeat::Weekly(days) => {
                let sunday = from
                    .checked_sub_days(Days::new(u64::from(from.weekday().num_days_from_sunday())))
                    .unwrap_or(from);
                Box::new(move |k| {
                    days.iter()
                        .filter_map(|day| {
                            sunday.checked_add_days(Days::new(
                                u64::from(k * interval) * 7 + u64::from(day.num_days_from_sunday()),
                            ))
                        })
                        .collect()
                })
            }
            Repeat::MonthlyOnDay(day) => {
                let day = u32::from(*day);
                let month_start = from.with_day(1).unwrap_or(from);
                Box::new(move |k| {
                    month_start
                        .checked_add_months(Months::new(k * interval))
                        .and_then(|month| month.with_day(day))
                        .into_iter()
                        .collect()
                })
            }
        };
        // 61 occurrences of the sparsest pattern (one day every 3 months, some months lacking
        // it) fit well within 400 periods.
        (0..400u32)
            .flat_map(period)
            .filter(move |date| *date >= from)
    }
}

/// The instant of a wall-clock time: the earlier one in an hour that happens twice, the end of
/// the gap for a time that does not exist.
fn instant_of(zone: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    zone.from_local_datetime(&wall)
        .earliest()
        .or_else(|| {
            chrono_tz::GapInfo::new(&wall, &zone)
                .and_then(|gap| gap.end)
                .map(|end| end.with_timezone(&zone))
        })
        .map_or_else(|| wall.and_utc(), |at| at.with_timezone(&Utc))
}

/// Zoom's weekday number: 1 = Sunday ... 7 = Saturday.
fn zoom_weekday(day: &Weekday) -> u32 {
    day.num_days_from_sunday() + 1
}

/// The wire form of [`Recurrence`].
#[derive(Debug, Serialize)]
pub(crate) struct RecurrenceBody {
    #[serde(rename = "type")]
    kind: u8,
    repeat_interval: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    weekly_days: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    monthly_day: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_times: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_date_time: Option<String>,
}

impl From<&Recurrence> for RecurrenceBody {
    fn from(recurrence: &Recurrence) -> Self {
        let (kind, weekly_days, monthly_day) = match &recurrence.repeat {
            Repeat::Daily => (1, None, None),
            Repeat::Weekly(days) => {
                let days: Vec<String> = days
                    .iter()
                    .map(|day| zoom_weekday(day).to_string())
                    .collect();
                (2, Some(days.join(",")), None)
            }
            Repeat::MonthlyOnDay(day) => (3, None, Some(*day)),
        };
        let (end_times, end_date_time) = match recurrence.ending {
            Ending::After(count) => (Some(count), None),
            Ending::Until(at) => (None, Some(at.format("%Y-%m-%dT%H:%M:%SZ").to_string())),
        };
        RecurrenceBody {
            kind,
            repeat_interval: recurrence.interval,
            weekly_days,
            monthly_day,
            end_times,
            end_date_time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(h, min, 0))
            .expect("valid test date")
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        at(y, m, d, h, min).and_utc()
    }

    #[test]
    fn zoom_limits_are_enforced_when_building_a_recurrence() {
        let until = Ending::Until(utc(2027, 1, 1, 0, 0));
        let cases = [
            (
                Repeat::Daily,
                0,
                until,
                Some(SeriesProblem::Interval { max: 90 }),
            ),
            (Repeat::Daily, 90, until, None),
            (
                Repeat::Daily,
                91,
                until,
                Some(SeriesProblem::Interval { max: 90 }),
            ),
            (Repeat::Weekly(vec![Weekday::Mon]), 12, until, None),
            (
                Repeat::Weekly(vec![Weekday::Mon]),
                13,
                until,
                Some(SeriesProblem::Interval { max: 12 }),
            ),
            (
                Repeat::Weekly(vec![]),
                1,
                until,
                Some(SeriesProblem::NoWeekday),
            ),
            (Repeat::MonthlyOnDay(31), 3, until, None),
            (
                Repeat::MonthlyOnDay(31),
                4,
                until,
                Some(SeriesProblem::Interval { max: 3 }),
            ),
            (
                Repeat::MonthlyOnDay(0),
                1,
                until,
                Some(SeriesProblem::MonthDay),
            ),
            (
                Repeat::MonthlyOnDay(32),
                1,
                until,
                Some(SeriesProblem::MonthDay),
            ),
            (
                Repeat::Daily,
                1,
                Ending::After(0),
                Some(SeriesProblem::Count),
            ),
            (Repeat::Daily, 1, Ending::After(60), None),
            (
                Repeat::Daily,
                1,
                Ending::After(61),
                Some(SeriesProblem::Count),
            ),
        ];
        for (repeat, interval, ending, expected) in cases {
            let case = format!("{repeat:?} every {interval} until {ending:?}");
            let got = Recurrence::new(repeat, interval, ending).err();
            assert_eq!(got, expected.map(ZoomError::Series), "{case}");
        }
    }

    #[test]
    fn the_wire_form_is_zooms_recurrence_object() {
        let cases = [
            (
                Recurrence::new(
                    Repeat::Weekly(vec![Weekday::Mon, Weekday::Sun, Weekday::Mon]),
                    2,
                    Ending::After(10),
                ),
                serde_json::json!({"type": 2, "repeat_interval": 2, "weekly_days": "1,2", "end_times": 10}),
            ),
            (
                Recurrence::new(Repeat::Daily, 1, Ending::Until(utc(2027, 3, 1, 17, 0))),
                serde_json::json!({"type": 1, "repeat_interval": 1, "end_date_time": "2027-03-01T17:00:00Z"}),
            ),
            (
                Recurrence::new(Repeat::MonthlyOnDay(15), 3, Ending::After(4)),
                serde_json::json!({"type": 3, "repeat_interval": 3, "monthly_day": 15, "end_times": 4}),
            ),
        ];
        for (recurrence, expected) in cases {
            let recurrence = recurrence.expect("valid");
            let body = serde_json::to_value(RecurrenceBody::from(&recurrence)).expect("json");
            assert_eq!(body, expected, "{recurrence:?}");
        }
    }

    #[test]
    fn occurrences_follow_the_pattern_from_the_start_date() {
        let berlin = chrono_tz::Europe::Berlin;
        // 2026-12-02 is a Wednesday; 09:00 Berlin is 08:00Z.
        let start = utc(2026, 12, 2, 8, 0);
        let cases = [
            (
                Recurrence::new(Repeat::Daily, 2, Ending::After(3)),
                vec![
                    at(2026, 12, 2, 9, 0),
                    at(2026, 12, 4, 9, 0),
                    at(2026, 12, 6, 9, 0),
                ],
            ),
            (
                // Monday is before the start in the first week, so it starts with Friday.
                Recurrence::new(
                    Repeat::Weekly(vec![Weekday::Mon, Weekday::Fri]),
                    2,
                    Ending::After(4),
                ),
                vec![
                    at(2026, 12, 4, 9, 0),
                    at(2026, 12, 14, 9, 0),
                    at(2026, 12, 18, 9, 0),
                    at(2026, 12, 28, 9, 0),
                ],
            ),
            (
                // The 31st: no occurrence in months without one.
                Recurrence::new(Repeat::MonthlyOnDay(31), 1, Ending::After(3)),
                vec![
                    at(2026, 12, 31, 9, 0),
                    at(2027, 1, 31, 9, 0),
                    at(2027, 3, 31, 9, 0),
                ],
            ),
            (
                // Until is an instant: 09:00 Berlin on the 4th is 08:00Z, after 07:59Z.
                Recurrence::new(Repeat::Daily, 1, Ending::Until(utc(2026, 12, 4, 7, 59))),
                vec![at(2026, 12, 2, 9, 0), at(2026, 12, 3, 9, 0)],
            ),
        ];
        for (recurrence, expected) in cases {
            let recurrence = recurrence.expect("valid");
            assert_eq!(
                recurrence.occurrences(start, berlin),
                Ok(expected),
                "{recurrence:?}"
            );
        }
    }

    #[test]
    fn occurrences_keep_their_wall_clock_time_across_daylight_saving() {
        let new_york = chrono_tz::America::New_York;
        let recurrence =
            Recurrence::new(Repeat::Weekly(vec![Weekday::Mon]), 1, Ending::After(3)).unwrap();
        // 2027-03-01 09:00 EST; DST starts 2027-03-14.
        let walls = recurrence
            .occurrences(utc(2027, 3, 8, 14, 0), new_york)
            .unwrap();
        assert_eq!(
            walls,
            [
                at(2027, 3, 8, 9, 0),
                at(2027, 3, 15, 9, 0),
                at(2027, 3, 22, 9, 0)
            ]
        );
    }

    #[test]
    fn a_series_with_no_or_too_many_occurrences_is_refused() {
        let zone = chrono_tz::UTC;
        let start = utc(2026, 12, 2, 8, 0);
        let before = Recurrence::new(Repeat::Daily, 1, Ending::Until(utc(2026, 12, 1, 0, 0)));
        assert_eq!(
            before.unwrap().occurrences(start, zone),
            Err(ZoomError::Series(SeriesProblem::NoOccurrences))
        );
        let long = Recurrence::new(Repeat::Daily, 1, Ending::Until(utc(2027, 12, 1, 0, 0)));
        assert_eq!(
            long.unwrap().occurrences(start, zone),
            Err(ZoomError::Series(SeriesProblem::TooManyOccurrences))
        );
        let sixty = Recurrence::new(Repeat::Daily, 1, Ending::Until(utc(2027, 1, 30, 8, 0)));
        assert_eq!(
            sixty.unwrap().occurrences(start, zone).map(|o| o.len()),
            Ok(60)
        );
    }
}
