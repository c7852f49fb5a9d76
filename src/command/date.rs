//! Calendar dates: `2026-12-01`, `2026/12/01`, `today`, `tomorrow`, `fri`, `next friday`,
//! `dec 1`, `1 dec`, `december 1st 2026`, `the 15th`, and the Turkish words (`yarın`,
//! `öbür gün`, `gelecek cuma`, `20 aralık`); numeric day/month forms like `03/04` are refused.

use chrono::{Datelike, Months, NaiveDate, TimeDelta, Weekday};

use super::error::CommandError;
use super::scan::{Said, Strength};

/// A date as written, before it is pinned to a calendar day relative to "today".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateSpec {
    Today,
    Tomorrow,
    /// `day after tomorrow`, `öbür gün`.
    DayAfterTomorrow,
    /// `fri`: the next Friday, today included (the caller skips a week if the time passed).
    Weekday(Weekday),
    /// `next fri`: the Friday of next calendar week (weeks start on Monday).
    NextWeekday(Weekday),
    /// `dec 1` without a year: the next Dec 1, today included.
    MonthDay {
        month: u32,
        day: u32,
    },
    Exact(NaiveDate),
    /// `the 15th`, `ayın 15'i`: the next 15th, today included (months without it skipped).
    DayOfMonth(u32),
}

impl DateSpec {
    /// The calendar day this names, seen from `today` in the zone in effect.
    pub(crate) fn resolve(self, today: NaiveDate, raw: &str) -> Result<NaiveDate, CommandError> {
        let invalid = || CommandError::InvalidDate {
            word: raw.to_owned(),
        };
        match self {
            DateSpec::Today => Ok(today),
            DateSpec::Tomorrow => today.succ_opt().ok_or_else(invalid),
            DateSpec::DayAfterTomorrow => today
                .checked_add_signed(TimeDelta::days(2))
                .ok_or_else(invalid),
            DateSpec::Weekday(weekday) => {
                let ahead = days_until(today.weekday(), weekday);
                today
                    .checked_add_signed(TimeDelta::days(ahead))
                    .ok_or_else(invalid)
            }
            DateSpec::NextWeekday(weekday) => {
                let this_monday = i64::from(today.weekday().num_days_from_monday());
                let offset = 7 - this_monday + i64::from(weekday.num_days_from_monday());
                today
                    .checked_add_signed(TimeDelta::days(offset))
                    .ok_or_else(invalid)
            }
            DateSpec::MonthDay { month, day } => {
                // Feb 29 may be up to four years away; later range checks refuse that.
                (today.year()..=today.year().saturating_add(8))
                    .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
                    .find(|date| *date >= today)
                    .ok_or_else(invalid)
            }
            DateSpec::Exact(date) => Ok(date),
            DateSpec::DayOfMonth(day) => (0..=12)
                .filter_map(|k| today.with_day(1)?.checked_add_months(Months::new(k)))
                .filter_map(|month| month.with_day(day))
                .find(|date| *date >= today)
                .ok_or_else(invalid),
        }
    }
}

/// Days from `from` forward to the next `to`, 0 when they are the same day.
fn days_until(from: Weekday, to: Weekday) -> i64 {
    let from = i64::from(from.num_days_from_monday());
    let to = i64::from(to.num_days_from_monday());
    (to - from).rem_euclid(7)
}

/// A weekday name in English or Turkish (keys are folded: `salı` → `sali`).
pub(crate) fn weekday(key: &str) -> Option<Weekday> {
    Some(match key {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tues" | "tuesday" => Weekday::Tue,
        "wed" | "weds" | "wednesday" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return turkish_weekday(key),
    })
}

/// A Turkish weekday name, folded (`çarşamba` → `carsamba`).
pub(crate) fn turkish_weekday(key: &str) -> Option<Weekday> {
    Some(match key {
        "pazartesi" => Weekday::Mon,
        "sali" => Weekday::Tue,
        "carsamba" => Weekday::Wed,
        "persembe" => Weekday::Thu,
        "cuma" => Weekday::Fri,
        "cumartesi" => Weekday::Sat,
        "pazar" => Weekday::Sun,
        _ => return None,
    })
}

/// A month name in English or Turkish, folded (`ağustos` → `agustos`).
pub(crate) fn month(key: &str) -> Option<u32> {
    Some(match key {
        "jan" | "january" | "ocak" => 1,
        "feb" | "february" | "subat" => 2,
        "mar" | "march" | "mart" => 3,
        "apr" | "april" | "nisan" => 4,
        "may" | "mayis" => 5,
        "jun" | "june" | "haziran" => 6,
        "jul" | "july" | "temmuz" => 7,
        "aug" | "august" | "agustos" => 8,
        "sep" | "sept" | "september" | "eylul" => 9,
        "oct" | "october" | "ekim" => 10,
        "nov" | "november" | "kasim" => 11,
        "dec" | "december" | "aralik" => 12,
        _ => return None,
    })
}

/// `1st`, `15th`, `22nd`: a day of the month written as an ordinal (a bare `15` after
/// `the` is too likely to be something else).
fn ordinal_day(key: &str) -> Option<u32> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|suffix| key.strip_suffix(suffix))?;
    day(digits)
}

/// `1`, `01`, `1st`, `22nd`: a day-of-month shape (range checked later).
fn day(key: &str) -> Option<u32> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|suffix| key.strip_suffix(suffix))
        .unwrap_or(key);
    if (1..=2).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

fn year(key: &str) -> Option<i32> {
    if key.len() == 4 && key.bytes().all(|b| b.is_ascii_digit()) {
        key.parse().ok()
    } else {
        None
    }
}

/// Splits `a<sep>b<sep>c` into all-digit parts; `None` if any part is not digits.
fn numeric_parts(key: &str, sep: char) -> Option<Vec<&str>> {
    let parts: Vec<&str> = key.split(sep).collect();
    let ok = parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
    ok.then_some(parts)
}

/// Parses one to four folded words as a date.
///
/// `None` means "not a date"; `Some(Err)` means it is shaped like one and impossible
/// (`2026-02-30`, `feb 30`, `feb 29 2027`) or is an ambiguous numeric form (`03/04`).
/// `today`, `tomorrow` (`bugün`, `yarın`, `öbür gün`) and ISO-style dates are strong;
/// weekdays and month names are weak because they double as topic words ("Sun team sync",
/// "May planning").
pub(crate) fn parse(
    keys: &[&str],
    said: Said<'_>,
    example_year: i32,
) -> Option<Result<(DateSpec, Strength), CommandError>> {
    let invalid = || invalid_date(said);
    let weak = |spec| Some(Ok((spec, Strength::Weak)));
    let exact = |y: i32, m: u32, d: u32, strength| match NaiveDate::from_ymd_opt(y, m, d) {
        Some(date) => Some(Ok((DateSpec::Exact(date), strength))),
        None => invalid(),
    };
    let month_day = |m: u32, d: u32| {
        // Valid in some year (Feb 29 is); `apr 31` never is.
        if NaiveDate::from_ymd_opt(2000, m, d).is_some() {
            weak(DateSpec::MonthDay { month: m, day: d })
        } else {
            invalid()
        }
    };
    let strong = |spec| Some(Ok((spec, Strength::Strong)));
    let day_of_month = |d: Option<u32>| match d {
        Some(d @ 1..=31) => weak(DateSpec::DayOfMonth(d)),
        Some(_) => invalid(),
        None => None,
    };
    match keys {
        ["today" | "bugun"] => strong(DateSpec::Today),
        ["tomorrow" | "yarin"] => strong(DateSpec::Tomorrow),
        ["day", "after", "tomorrow"]
        | ["the", "day", "after", "tomorrow"]
        | ["obur", "gun"]
        | ["oburgun"] => strong(DateSpec::DayAfterTomorrow),
        ["next" | "gelecek" | "haftaya" | "onumuzdeki", w] => {
            weak(DateSpec::NextWeekday(weekday(w)?))
        }
        ["this" | "bu", w] => weak(DateSpec::Weekday(weekday(w)?)),
        ["the", d] => day_of_month(ordinal_day(d)),
        ["ayin", d] => day_of_month(day(d)),
        [m, d] if month(m).is_some() => month_day(month(m)?, day(d)?),
        [d, m] if month(m).is_some() => month_day(month(m)?, day(d)?),
        [m, d, y] if month(m).is_some() => exact(year(y)?, month(m)?, day(d)?, Strength::Weak),
        [d, m, y] if month(m).is_some() => exact(year(y)?, month(m)?, day(d)?, Strength::Weak),
        [key] => {
            if let Some(w) = weekday(key) {
                return weak(DateSpec::Weekday(w));
            }
            numeric(key, said, example_year)
        }
        _ => None,
    }
}

/// A date-shaped word that names no real date.
fn invalid_date(said: Said<'_>) -> Option<Result<(DateSpec, Strength), CommandError>> {
    Some(Err(CommandError::InvalidDate { word: said.text() }))
}

/// `2026-12-01` / `2026/12/01` (year first, never ambiguous) and the refused day/month forms.
fn numeric(
    key: &str,
    said: Said<'_>,
    example_year: i32,
) -> Option<Result<(DateSpec, Strength), CommandError>> {
    let invalid = || invalid_date(said);
    if !key.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    for sep in ['-', '/', '.'] {
        let Some(parts) = numeric_parts(key, sep) else {
            continue;
        };
        let nums: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
        match (parts.as_slice(), nums.as_slice()) {
            // Year first: ISO order, with `-` or `/`.
            ([y, _, _], [_, m, d]) if y.len() == 4 && sep != '.' => {
                let Ok(y) = i32::try_from(nums.first().copied().unwrap_or(0)) else {
                    return invalid();
                };
                return match NaiveDate::from_ymd_opt(y, *m, *d) {
                    Some(date) => Some(Ok((DateSpec::Exact(date), Strength::Strong))),
                    None => invalid(),
                };
            }
            // Day and month, with or without a year: US and European readings differ.
            ([a, b, rest @ ..], [first, second, ..])
                if a.len() <= 2
                    && b.len() <= 2
                    && rest.len() <= 1
                    && (sep == '/' || !rest.is_empty()) =>
            {
                let year = match rest.first() {
                    None => example_year,
                    Some(y) if y.len() == 4 => y.parse().ok()?,
                    Some(y) if y.len() == 2 => 2000 + y.parse::<i32>().ok()?,
                    Some(_) => return None,
                };
                let day_month = NaiveDate::from_ymd_opt(year, *second, *first);
                let month_day = NaiveDate::from_ymd_opt(year, *first, *second);
                let example = day_month.or(month_day)?;
                return Some(Err(CommandError::AmbiguousDate {
                    word: said.text(),
                    example,
                }));
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn spec(text: &str) -> Option<Result<DateSpec, CommandError>> {
        let tokens = crate::command::scan::tokenize(text);
        let keys: Vec<&str> = tokens.iter().map(|t| t.key()).collect();
        parse(&keys, Said::new(&tokens), 2026).map(|r| r.map(|(s, _)| s))
    }

    #[test]
    fn every_documented_date_form_parses() {
        for (input, expected) in [
            ("2026-12-01", DateSpec::Exact(date(2026, 12, 1))),
            ("2026/12/01", DateSpec::Exact(date(2026, 12, 1))),
            ("2026-1-5", DateSpec::Exact(date(2026, 1, 5))),
            ("today", DateSpec::Today),
            ("tomorrow", DateSpec::Tomorrow),
            ("fri", DateSpec::Weekday(Weekday::Fri)),
            ("thursday", DateSpec::Weekday(Weekday::Thu)),
            ("next friday", DateSpec::NextWeekday(Weekday::Fri)),
            ("dec 1", DateSpec::MonthDay { month: 12, day: 1 }),
            ("1 dec", DateSpec::MonthDay { month: 12, day: 1 }),
            ("december 1st", DateSpec::MonthDay { month: 12, day: 1 }),
            ("feb 29", DateSpec::MonthDay { month: 2, day: 29 }),
            ("dec 1 2026", DateSpec::Exact(date(2026, 12, 1))),
            ("1st december 2027", DateSpec::Exact(date(2027, 12, 1))),
            ("day after tomorrow", DateSpec::DayAfterTomorrow),
            ("the 15th", DateSpec::DayOfMonth(15)),
            ("the 1st", DateSpec::DayOfMonth(1)),
        ] {
            assert_eq!(spec(input), Some(Ok(expected)), "input {input:?}");
        }
    }

    #[test]
    fn impossible_dates_are_errors() {
        for input in [
            "2026-02-30",
            "2027-02-29",
            "2026/13/01",
            "feb 30",
            "apr 31",
            "feb 29 2027",
            "dec 32",
            "the 32nd",
            "32 aralık",
        ] {
            assert!(
                matches!(spec(input), Some(Err(CommandError::InvalidDate { .. }))),
                "input {input:?}: got {:?}",
                spec(input)
            );
        }
    }

    #[test]
    fn turkish_dates_parse_with_or_without_turkish_letters() {
        use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
        let month_day = |month, day| DateSpec::MonthDay { month, day };
        for (input, expected) in [
            ("bugün", DateSpec::Today),
            ("bugun", DateSpec::Today),
            ("BUGÜN", DateSpec::Today),
            ("yarın", DateSpec::Tomorrow),
            ("yarin", DateSpec::Tomorrow),
            ("YARIN", DateSpec::Tomorrow),
            ("yarın'a", DateSpec::Tomorrow),
            ("öbür gün", DateSpec::DayAfterTomorrow),
            ("obur gun", DateSpec::DayAfterTomorrow),
            ("pazartesi", DateSpec::Weekday(Mon)),
            ("PAZARTESİ", DateSpec::Weekday(Mon)),
            ("salı", DateSpec::Weekday(Tue)),
            ("Salı", DateSpec::Weekday(Tue)),
            ("SALI", DateSpec::Weekday(Tue)),
            ("sali", DateSpec::Weekday(Tue)),
            ("çarşamba", DateSpec::Weekday(Wed)),
            ("carsamba", DateSpec::Weekday(Wed)),
            ("perşembe", DateSpec::Weekday(Thu)),
            ("cuma", DateSpec::Weekday(Fri)),
            ("cumartesi", DateSpec::Weekday(Sat)),
            ("pazar", DateSpec::Weekday(Sun)),
            ("gelecek cuma", DateSpec::NextWeekday(Fri)),
            ("haftaya cuma", DateSpec::NextWeekday(Fri)),
            ("bu cuma", DateSpec::Weekday(Fri)),
            ("FRIDAY", DateSpec::Weekday(Fri)),
            ("20 aralık", month_day(12, 20)),
            ("aralık 20", month_day(12, 20)),
            ("20 ARALIK", month_day(12, 20)),
            ("20 aralik", month_day(12, 20)),
            ("1 ocak", month_day(1, 1)),
            ("1 şubat", month_day(2, 1)),
            ("1 subat", month_day(2, 1)),
            ("1 mart", month_day(3, 1)),
            ("1 nisan", month_day(4, 1)),
            ("1 mayıs", month_day(5, 1)),
            ("1 haziran", month_day(6, 1)),
            ("1 temmuz", month_day(7, 1)),
            ("1 ağustos", month_day(8, 1)),
            ("1 eylül", month_day(9, 1)),
            ("1 ekim", month_day(10, 1)),
            ("1 kasım", month_day(11, 1)),
            ("20 aralık 2026", DateSpec::Exact(date(2026, 12, 20))),
            ("ayın 15'i", DateSpec::DayOfMonth(15)),
        ] {
            assert_eq!(spec(input), Some(Ok(expected)), "input {input:?}");
        }
    }

    #[test]
    fn days_of_the_month_resolve_to_the_next_one_skipping_short_months() {
        let today = date(2026, 1, 31);
        for (day, expected) in [
            (31, date(2026, 1, 31)),
            (30, date(2026, 3, 30)),
            (1, date(2026, 2, 1)),
        ] {
            assert_eq!(
                DateSpec::DayOfMonth(day).resolve(today, "x"),
                Ok(expected),
                "day {day}"
            );
        }
    }

    #[test]
    fn numeric_day_month_forms_are_refused_as_ambiguous() {
        for (input, example) in [
            ("03/04", date(2026, 4, 3)),
            ("3/4/2026", date(2026, 4, 3)),
            ("12/25", date(2026, 12, 25)),
            ("03.04.2026", date(2026, 4, 3)),
            ("3-4-26", date(2026, 4, 3)),
        ] {
            assert_eq!(
                spec(input),
                Some(Err(CommandError::AmbiguousDate {
                    word: input.to_owned(),
                    example
                })),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn words_that_are_not_dates_are_left_alone() {
        for input in [
            "may",
            "next",
            "next steps",
            "sprint 42",
            "50/50",
            "1.5",
            "3.5",
            "2026",
            "1:1",
        ] {
            assert_eq!(spec(input), None, "input {input:?}");
        }
    }

    #[test]
    fn weekdays_resolve_to_the_next_such_day_including_today() {
        // 2026-06-03 is a Wednesday.
        let today = date(2026, 6, 3);
        for (spec, expected) in [
            (DateSpec::Weekday(Weekday::Wed), date(2026, 6, 3)),
            (DateSpec::Weekday(Weekday::Fri), date(2026, 6, 5)),
            (DateSpec::Weekday(Weekday::Mon), date(2026, 6, 8)),
            (DateSpec::NextWeekday(Weekday::Fri), date(2026, 6, 12)),
            (DateSpec::NextWeekday(Weekday::Mon), date(2026, 6, 8)),
            (DateSpec::NextWeekday(Weekday::Wed), date(2026, 6, 10)),
        ] {
            assert_eq!(spec.resolve(today, "x"), Ok(expected), "spec {spec:?}");
        }
    }

    #[test]
    fn next_weekday_on_a_sunday_means_the_coming_week() {
        let sunday = date(2026, 6, 7);
        assert_eq!(
            DateSpec::NextWeekday(Weekday::Fri).resolve(sunday, "x"),
            Ok(date(2026, 6, 12))
        );
    }

    #[test]
    fn month_days_roll_to_next_year_once_past() {
        let today = date(2026, 12, 28);
        for (spec, expected) in [
            (DateSpec::MonthDay { month: 1, day: 2 }, date(2027, 1, 2)),
            (
                DateSpec::MonthDay { month: 12, day: 28 },
                date(2026, 12, 28),
            ),
            (
                DateSpec::MonthDay { month: 12, day: 31 },
                date(2026, 12, 31),
            ),
            (DateSpec::MonthDay { month: 2, day: 29 }, date(2028, 2, 29)),
        ] {
            assert_eq!(spec.resolve(today, "x"), Ok(expected), "spec {spec:?}");
        }
    }
}
