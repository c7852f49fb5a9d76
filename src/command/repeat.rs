//! Repeat words (`every monday`, `every 2 weeks`, `daily`, `her pazartesi`), lists of days
//! (`mon, wed` in `every 2 weeks on mon, wed`), series ends (`until dec 20`, `for 6 weeks`,
//! `x 8`, `8 times`, `20 aralık'a kadar`, `8 kez`) and starts (`starting dec 1`).

use super::date::{self, DateSpec};
use super::error::CommandError;
use super::recurrence::{Recurrence, RepeatUnit, WeekdaySet};
use super::scan::{Item, Said, Strength};

/// A repeat rule as typed. The days or the day of the month may also come from other words
/// (`every 2 weeks on tue`, `monthly on the 15th`) or from the start date; the interval is
/// checked against Zoom's limits when the series is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RepeatSpec {
    pub(crate) unit: RepeatUnit,
    pub(crate) interval: u32,
    pub(crate) days: Option<WeekdaySet>,
    pub(crate) month_day: Option<u32>,
}

/// How a series ends, as typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EndSpec {
    /// `x 8`, `8 times`, `8 kez`: already within 1..=60.
    Count(u8),
    /// `until dec 20`, `20 aralık'a kadar`: the last day, inclusive.
    Until(DateSpec),
    /// `for 6 weeks`, `6 hafta boyunca`: counted from the first meeting; `n` ≥ 1.
    For { n: u32, unit: RepeatUnit },
}

type Found = Option<Result<(Item, Strength), CommandError>>;

/// Parses one to four keys as a repeat rule, a list of days, a series end or a start.
///
/// Repeat words are weak: "Daily standup" and "Every day counts" stay topics unless they are
/// in the trailing run of schedule words.
pub(crate) fn parse(keys: &[&str], said: Said<'_>, example_year: i32) -> Found {
    if let Some(spec) = repeat(keys) {
        // `every 2 weeks` is unmistakable; `every day` may be a topic ("Every day counts").
        let strength = if spec.interval == 1 {
            Strength::Weak
        } else {
            Strength::Strong
        };
        return Some(Ok((Item::Repeat(spec), strength)));
    }
    if let Some(days) = days_list(keys, Names::Any)
        && days.len() >= 2
    {
        return Some(Ok((Item::Days(days), Strength::Weak)));
    }
    end(keys, said, example_year).or_else(|| start(keys, said, example_year))
}

fn rule(unit: RepeatUnit, interval: u32) -> RepeatSpec {
    RepeatSpec {
        unit,
        interval,
        days: None,
        month_day: None,
    }
}

fn weekly_on(days: WeekdaySet) -> RepeatSpec {
    RepeatSpec {
        days: Some(days),
        ..rule(RepeatUnit::Weeks, 1)
    }
}

fn repeat(keys: &[&str]) -> Option<RepeatSpec> {
    match keys {
        ["daily"] | ["gunluk"] => Some(rule(RepeatUnit::Days, 1)),
        ["weekly"] | ["haftalik"] => Some(rule(RepeatUnit::Weeks, 1)),
        ["fortnightly"] => Some(rule(RepeatUnit::Weeks, 2)),
        ["monthly"] | ["aylik"] => Some(rule(RepeatUnit::Months, 1)),
        ["weekdays"] | ["hafta", "ici", "her", "gun"] => Some(weekly_on(WeekdaySet::WORKWEEK)),
        ["weekends"] => Some(weekly_on(WeekdaySet::WEEKEND)),
        // `2 haftada bir`, `her 2 haftada bir`: once every two weeks.
        [n, per, "bir"] | ["her", n, per, "bir"] => Some(rule(turkish_per(per)?, number(n)?)),
        ["every" | "each", rest @ ..] => every(rest),
        ["her", rest @ ..] => her(rest),
        _ => None,
    }
}

/// After `every`: `day`, `weekday`, `2 weeks`, `other month`, `mon, wed`.
fn every(rest: &[&str]) -> Option<RepeatSpec> {
    match rest {
        ["day"] => Some(rule(RepeatUnit::Days, 1)),
        ["week"] => Some(rule(RepeatUnit::Weeks, 1)),
        ["month"] => Some(rule(RepeatUnit::Months, 1)),
        ["weekday" | "weekdays" | "workday" | "workdays"] | ["business", "day"] => {
            Some(weekly_on(WeekdaySet::WORKWEEK))
        }
        ["weekend"] | ["weekend", "day"] => Some(weekly_on(WeekdaySet::WEEKEND)),
        ["other", unit] => Some(rule(english_unit(unit)?, 2)),
        [n, unit] if number(n).is_some() => Some(rule(english_unit(unit)?, number(n)?)),
        days => days_list(days, Names::Any).map(weekly_on),
    }
}

/// After `her`: `gün`, `hafta`, `ay`, `hafta içi`, `ayın 1'inde`, `pazartesi ve çarşamba`.
/// Only Turkish words follow, so English "her" ("Lunch with her monday noon") is untouched.
fn her(rest: &[&str]) -> Option<RepeatSpec> {
    match rest {
        ["gun"] => Some(rule(RepeatUnit::Days, 1)),
        ["hafta"] => Some(rule(RepeatUnit::Weeks, 1)),
        ["ay"] => Some(rule(RepeatUnit::Months, 1)),
        ["hafta", "ici"] | ["is", "gunu"] | ["isgunu"] => Some(weekly_on(WeekdaySet::WORKWEEK)),
        ["hafta", "sonu"] => Some(weekly_on(WeekdaySet::WEEKEND)),
        ["ayin", day] => Some(RepeatSpec {
            month_day: Some(number(day)?),
            ..rule(RepeatUnit::Months, 1)
        }),
        days => days_list(days, Names::Turkish).map(weekly_on),
    }
}

fn english_unit(key: &str) -> Option<RepeatUnit> {
    match key {
        "day" | "days" => Some(RepeatUnit::Days),
        "week" | "weeks" | "wk" | "wks" => Some(RepeatUnit::Weeks),
        "month" | "months" => Some(RepeatUnit::Months),
        _ => None,
    }
}

fn turkish_unit(key: &str) -> Option<RepeatUnit> {
    match key {
        "gun" => Some(RepeatUnit::Days),
        "hafta" => Some(RepeatUnit::Weeks),
        "ay" => Some(RepeatUnit::Months),
        _ => None,
    }
}

/// `günde`, `haftada`, `ayda` (in `2 haftada bir`).
fn turkish_per(key: &str) -> Option<RepeatUnit> {
    match key {
        "gunde" => Some(RepeatUnit::Days),
        "haftada" => Some(RepeatUnit::Weeks),
        "ayda" => Some(RepeatUnit::Months),
        _ => None,
    }
}

/// A whole number written in digits; huge ones saturate (and are refused by range checks).
fn number(key: &str) -> Option<u32> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(key.parse().unwrap_or(u32::MAX))
}

/// Which weekday names a list may use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Names {
    Any,
    Turkish,
}

/// `mon, wed`, `mon,wed,fri`, `monday and wednesday`, `pazartesi ve çarşamba`: weekdays
/// separated by commas, spaces, `and`, `&` or `ve` (never two separators in a row).
fn days_list(keys: &[&str], names: Names) -> Option<WeekdaySet> {
    let mut set: Option<WeekdaySet> = None;
    let mut want_day = true;
    for part in keys.iter().flat_map(|key| key.split(',')) {
        if part.is_empty() {
            continue;
        }
        if matches!(part, "and" | "&" | "ve" | "+") {
            if want_day {
                return None;
            }
            want_day = true;
            continue;
        }
        let day = match names {
            Names::Any => date::weekday(part),
            Names::Turkish => date::turkish_weekday(part),
        }?;
        let one = WeekdaySet::new([day])?;
        set = Some(set.map_or(one, |set| set.union(one)));
        want_day = false;
    }
    if want_day { None } else { set }
}

/// `x 8`, `x8`, `×8`, `8 times`, `until dec 20`, `for 6 weeks` and the Turkish forms.
fn end(keys: &[&str], said: Said<'_>, example_year: i32) -> Found {
    let (spec, strength) = match keys {
        ["x" | "×", n]
        | [
            n,
            "times" | "occurrences" | "kez" | "kere" | "defa" | "sefer",
        ] => {
            return count(n, said);
        }
        [word] => {
            let n = word.strip_prefix('x').or_else(|| word.strip_prefix('×'))?;
            return count(n, said);
        }
        ["until" | "till" | "til" | "through" | "thru", rest @ ..] => {
            match date::parse(rest, said.sub(1..keys.len()), example_year)? {
                Ok((date, strength)) => (EndSpec::Until(date), strength),
                Err(err) => return Some(Err(err)),
            }
        }
        [rest @ .., "kadar"] => match date::parse(rest, said.sub(0..rest.len()), example_year)? {
            Ok((date, strength)) => (EndSpec::Until(date), strength),
            Err(err) => return Some(Err(err)),
        },
        ["for", n, unit] => (
            EndSpec::For {
                n: number(n)?,
                unit: english_unit(unit)?,
            },
            Strength::Weak,
        ),
        [n, unit, "boyunca"] => (
            EndSpec::For {
                n: number(n)?,
                unit: turkish_unit(unit)?,
            },
            Strength::Weak,
        ),
        _ => return None,
    };
    if let EndSpec::For { n: 0, .. } = spec {
        return Some(Err(CommandError::InvalidSeriesLength { word: said.text() }));
    }
    Some(Ok((Item::End(spec), strength)))
}

/// A count of meetings: 1 to 60, since Zoom allows no more in one series.
fn count(n: &str, said: Said<'_>) -> Found {
    let n = number(n)?;
    let max = Recurrence::MAX_OCCURRENCES;
    match u8::try_from(n) {
        Ok(n) if (1..=max).contains(&n) => Some(Ok((Item::End(EndSpec::Count(n)), Strength::Weak))),
        _ => Some(Err(CommandError::OccurrenceCount {
            word: said.text(),
            max,
        })),
    }
}

/// `starting dec 1`, `1 aralık'tan itibaren`.
fn start(keys: &[&str], said: Said<'_>, example_year: i32) -> Found {
    let found = match keys {
        ["starting" | "beginning", rest @ ..] => {
            date::parse(rest, said.sub(1..keys.len()), example_year)?
        }
        [rest @ .., "itibaren"] => date::parse(rest, said.sub(0..rest.len()), example_year)?,
        _ => return None,
    };
    Some(found.map(|(date, strength)| (Item::Start(date), strength)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::scan::tokenize;
    use chrono::Weekday;

    fn parsed(text: &str) -> Found {
        let tokens = tokenize(text);
        let keys: Vec<&str> = tokens.iter().map(|t| t.key()).collect();
        parse(&keys, Said::new(&tokens), 2026)
    }

    fn weekly(days: &[Weekday], interval: u32) -> Item {
        Item::Repeat(RepeatSpec {
            unit: RepeatUnit::Weeks,
            interval,
            days: WeekdaySet::new(days.iter().copied()),
            month_day: None,
        })
    }

    fn every(unit: RepeatUnit, interval: u32) -> Item {
        Item::Repeat(rule(unit, interval))
    }

    #[test]
    fn every_documented_repeat_form_parses() {
        use RepeatUnit::{Days, Months, Weeks};
        use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
        let workweek = [Mon, Tue, Wed, Thu, Fri];
        let cases = [
            ("every monday", weekly(&[Mon], 1)),
            ("every Monday", weekly(&[Mon], 1)),
            ("every weekday", weekly(&workweek, 1)),
            ("weekdays", weekly(&workweek, 1)),
            ("every mon,wed", weekly(&[Mon, Wed], 1)),
            ("every mon, wed", weekly(&[Mon, Wed], 1)),
            ("every mon, wed, fri", weekly(&[Mon, Wed, Fri], 1)),
            ("every monday and wednesday", weekly(&[Mon, Wed], 1)),
            ("every tue & thu", weekly(&[Tue, Thu], 1)),
            ("every weekend", weekly(&[Sat, Sun], 1)),
            ("every 2 weeks", every(Weeks, 2)),
            ("every other week", every(Weeks, 2)),
            ("fortnightly", every(Weeks, 2)),
            ("every 3 days", every(Days, 3)),
            ("every day", every(Days, 1)),
            ("daily", every(Days, 1)),
            ("DAILY", every(Days, 1)),
            ("weekly", every(Weeks, 1)),
            ("every week", every(Weeks, 1)),
            ("every month", every(Months, 1)),
            ("monthly", every(Months, 1)),
            ("every 3 months", every(Months, 3)),
            ("every 13 weeks", every(Weeks, 13)),
            ("her pazartesi", weekly(&[Mon], 1)),
            ("HER PAZARTESİ", weekly(&[Mon], 1)),
            ("her salı", weekly(&[Tue], 1)),
            ("her sali", weekly(&[Tue], 1)),
            ("her pazartesi ve çarşamba", weekly(&[Mon, Wed], 1)),
            ("her pazartesi, carsamba", weekly(&[Mon, Wed], 1)),
            ("her gün", every(Days, 1)),
            ("her gun", every(Days, 1)),
            ("her hafta", every(Weeks, 1)),
            ("her hafta içi", weekly(&workweek, 1)),
            ("hafta içi her gün", weekly(&workweek, 1)),
            ("her ay", every(Months, 1)),
            ("her 2 haftada bir", every(Weeks, 2)),
            ("2 haftada bir", every(Weeks, 2)),
            ("günlük", every(Days, 1)),
            (
                "her ayın 15'inde",
                Item::Repeat(RepeatSpec {
                    month_day: Some(15),
                    ..rule(Months, 1)
                }),
            ),
        ];
        for (text, want) in cases {
            let got = parsed(text);
            assert!(
                matches!(&got, Some(Ok((item, _))) if *item == want),
                "{text}: got {got:?}"
            );
        }
    }

    #[test]
    fn only_repeats_with_an_interval_are_strong() {
        for (text, strong) in [
            ("every day", false),
            ("every monday", false),
            ("daily", false),
            ("her gün", false),
            ("every 2 weeks", true),
            ("every other week", true),
            ("fortnightly", true),
            ("her 2 haftada bir", true),
        ] {
            let got = parsed(text);
            let want = if strong {
                Strength::Strong
            } else {
                Strength::Weak
            };
            assert!(
                matches!(&got, Some(Ok((_, s))) if *s == want),
                "{text}: got {got:?}"
            );
        }
    }

    #[test]
    fn lists_of_days_and_ends_parse() {
        use Weekday::{Mon, Thu, Tue, Wed};
        let days = |d: &[Weekday]| Item::Days(WeekdaySet::new(d.iter().copied()).expect("days"));
        let cases = [
            ("tue, thu", days(&[Tue, Thu])),
            ("tue,thu", days(&[Tue, Thu])),
            ("monday and wednesday", days(&[Mon, Wed])),
            ("x 8", Item::End(EndSpec::Count(8))),
            ("x8", Item::End(EndSpec::Count(8))),
            ("×8", Item::End(EndSpec::Count(8))),
            ("8 times", Item::End(EndSpec::Count(8))),
            ("8 kez", Item::End(EndSpec::Count(8))),
            ("60 times", Item::End(EndSpec::Count(60))),
            (
                "for 6 weeks",
                Item::End(EndSpec::For {
                    n: 6,
                    unit: RepeatUnit::Weeks,
                }),
            ),
            (
                "6 hafta boyunca",
                Item::End(EndSpec::For {
                    n: 6,
                    unit: RepeatUnit::Weeks,
                }),
            ),
            (
                "until dec 20",
                Item::End(EndSpec::Until(DateSpec::MonthDay { month: 12, day: 20 })),
            ),
            (
                "20 aralık'a kadar",
                Item::End(EndSpec::Until(DateSpec::MonthDay { month: 12, day: 20 })),
            ),
            (
                "starting dec 1",
                Item::Start(DateSpec::MonthDay { month: 12, day: 1 }),
            ),
        ];
        for (text, want) in cases {
            let got = parsed(text);
            assert!(
                matches!(&got, Some(Ok((item, _))) if *item == want),
                "{text}: got {got:?}"
            );
        }
    }

    #[test]
    fn impossible_counts_and_lengths_are_errors() {
        for (text, want) in [
            ("x 0", "OccurrenceCount"),
            ("x 61", "OccurrenceCount"),
            ("99999999999 times", "OccurrenceCount"),
            ("for 0 weeks", "InvalidSeriesLength"),
            ("until feb 30", "InvalidDate"),
        ] {
            let got = format!("{:?}", parsed(text));
            assert!(
                got.starts_with(&format!("Some(Err({want}")),
                "{text}: {got}"
            );
        }
    }

    #[test]
    fn words_that_are_not_repeats_are_left_alone() {
        for text in [
            "every",
            "every voice",
            "her",
            "her monday",
            "her team",
            "mon",
            "mon and",
            "and mon",
            "mon and and wed",
            "x",
            "times",
            "for 6 hours",
            "until",
            "kadar",
            "each other",
        ] {
            assert!(parsed(text).is_none(), "{text}: {:?}", parsed(text));
        }
    }
}
