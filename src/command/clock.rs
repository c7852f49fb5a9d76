//! Time of day: `15:00`, `15.00`, `3pm`, `3:30pm`, `3:30 PM`, `15h`, `15h30`, `noon`,
//! `midnight`, `now`, and the Turkish forms (`saat 15`, `öğleden sonra 3`, `sabah 10`,
//! `öğlen`, `gece yarısı`, `şimdi`).

use chrono::NaiveTime;

use super::error::{CommandError, WordKind};
use super::scan::{Said, Strength};

/// A requested start time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Clock {
    /// `now`: the current minute.
    Now,
    At(NaiveTime),
}

/// The `Nh` rule: a *two-digit* hour 00–23 with `h` (`09h`, `15h`, `15h30`) is a time of
/// day, as written in French or German; every other `…h` form (`1h`, `1h30m`, `1.5h`,
/// `24h`) is a duration.
pub(crate) fn is_h_time(key: &str) -> bool {
    h_time_parts(key).is_some_and(|(hour, _)| hour <= 23)
}

/// `15h30` → (15, Some("30")); only for two ASCII digits, `h`, and optionally more digits.
fn h_time_parts(key: &str) -> Option<(u32, Option<&str>)> {
    let (hour, minutes) = key.split_once('h')?;
    if hour.len() != 2 || !all_digits(hour) {
        return None;
    }
    let minutes = match minutes {
        "" => None,
        m if all_digits(m) => Some(m),
        _ => return None,
    };
    Some((hour.parse().ok()?, minutes))
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `am`/`pm` in the spellings people type; the caller already dropped one trailing `.`.
fn meridiem(s: &str) -> Option<bool> {
    match s {
        "am" | "a.m" | "a.m." => Some(false),
        "pm" | "p.m" | "p.m." => Some(true),
        _ => None,
    }
}

/// Splits `3:30` (or `3.30`) into hour and minute digits; `None` unless it is digits with
/// an optional `:` or `.` and more digits.
fn hour_minute(s: &str) -> Option<(&str, Option<&str>)> {
    match s.split_once([':', '.']) {
        Some((h, m)) if all_digits(h) && all_digits(m) => Some((h, Some(m))),
        None if all_digits(s) => Some((s, None)),
        _ => None,
    }
}

/// A time from hour/minute digit strings; `twelve_hour` carries am (false) or pm (true).
fn build(hour: &str, minute: Option<&str>, twelve_hour: Option<bool>) -> Option<NaiveTime> {
    if hour.len() > 2 || minute.is_some_and(|m| m.len() != 2) {
        return None;
    }
    let hour: u32 = hour.parse().ok()?;
    let minute: u32 = minute.map_or(Some(0), |m| m.parse().ok())?;
    let hour = match twelve_hour {
        None => hour,
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(pm) => hour % 12 + if pm { 12 } else { 0 },
    };
    NaiveTime::from_hms_opt(hour, minute, 0)
}

/// Which half of the day a Turkish time word names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Half {
    /// `sabah`, `öğleden önce`.
    Morning,
    /// `öğleden sonra`.
    Afternoon,
    /// `akşam`: 1 to 11 pm only (`akşam 12` is not noon).
    Evening,
}

/// Parses one to four folded words as a time of day.
///
/// `None` means "not a time"; `Some(Err)` means it is shaped like one (`25:00`, `13pm`,
/// `15h75`) but impossible, or is a shorthand we do not read (`3p`). `noon`, `midnight`,
/// `now`, their Turkish words and `15.00` (which could be a number) are weak because they are
/// also ordinary topic words; the rest are strong.
pub(crate) fn parse(
    keys: &[&str],
    said: Said<'_>,
) -> Option<Result<(Clock, Strength), CommandError>> {
    let invalid = || Err(CommandError::InvalidTime { word: said.text() });
    let at = |t: NaiveTime| Ok((Clock::At(t), Strength::Strong));
    match keys {
        ["now" | "simdi"] => Some(Ok((Clock::Now, Strength::Weak))),
        ["noon" | "ogle" | "oglen"] => {
            NaiveTime::from_hms_opt(12, 0, 0).map(|t| Ok((Clock::At(t), Strength::Weak)))
        }
        ["midnight" | "geceyarisi"] | ["gece", "yarisi"] => {
            Some(Ok((Clock::At(NaiveTime::MIN), Strength::Weak)))
        }
        ["ogleden", "sonra", rest @ ..] => half_of_day(rest, Half::Afternoon, said),
        ["ogleden", "once", rest @ ..] | ["sabah", rest @ ..] => {
            half_of_day(rest, Half::Morning, said)
        }
        ["aksam", rest @ ..] => half_of_day(rest, Half::Evening, said),
        ["saat", hour] => bare_hour(hour, said),
        [key] => {
            if let Some((hour, minutes)) = h_time_parts(key) {
                if hour > 23 {
                    return None;
                }
                return Some(build(&hour.to_string(), minutes, None).map_or_else(invalid, at));
            }
            // `3pm`, `3:30pm`, `3p.m`: digits followed by am/pm.
            let split = key.find(|c: char| !c.is_ascii_digit() && c != ':' && c != '.');
            if let Some((digits, suffix)) = split.and_then(|i| Some((key.get(..i)?, key.get(i..)?)))
            {
                if let Some(pm) = meridiem(suffix) {
                    let (h, m) = hour_minute(digits)?;
                    return Some(build(h, m, Some(pm)).map_or_else(invalid, at));
                }
                // `3p`, `10a`: shorthand we refuse rather than leave in the topic.
                if matches!(suffix, "a" | "p") {
                    let (h, m) = hour_minute(digits)?;
                    build(h, m, Some(suffix == "p"))?;
                    return Some(Err(CommandError::UnknownWord {
                        word: said.text(),
                        kind: WordKind::Time,
                        suggestion: Some(format!("{digits}{suffix}m")),
                    }));
                }
                return None;
            }
            // `15:00`: a 24-hour clock needs the colon, so bare numbers stay durations.
            // `15.00` is the Turkish way to write it; weak, since it could be a number.
            let weak = key.contains('.');
            match hour_minute(key)? {
                (h, Some(m)) if m.len() == 2 && weak => {
                    build(h, Some(m), None).map(|t| Ok((Clock::At(t), Strength::Weak)))
                }
                (h, Some(m)) if m.len() == 2 => {
                    Some(build(h, Some(m), None).map_or_else(invalid, at))
                }
                _ => None,
            }
        }
        [digits, suffix] => {
            let pm = meridiem(suffix)?;
            let (h, m) = hour_minute(digits)?;
            Some(build(h, m, Some(pm)).map_or_else(invalid, at))
        }
        _ => None,
    }
}

/// `3`, `3:30`, `saat 3` after a Turkish word for the half of the day.
fn half_of_day(
    rest: &[&str],
    half: Half,
    said: Said<'_>,
) -> Option<Result<(Clock, Strength), CommandError>> {
    let time = match rest {
        ["saat", time] | [time] => *time,
        _ => return None,
    };
    let (h, m) = hour_minute(time)?;
    let built = match half {
        Half::Evening if !matches!(h.parse::<u32>(), Ok(1..=11)) => None,
        Half::Morning => build(h, m, Some(false)),
        Half::Afternoon | Half::Evening => build(h, m, Some(true)),
    };
    Some(match built {
        Some(t) => Ok((Clock::At(t), Strength::Strong)),
        None => Err(CommandError::InvalidTime { word: said.text() }),
    })
}

/// `saat 15`: a whole hour on the 24-hour clock. `saat 3` could be 03:00 or 15:00 (people
/// say it for both), so hours 1 to 11 are refused as ambiguous; `saat 0` and `saat 12` to
/// `saat 23` are not.
fn bare_hour(hour: &str, said: Said<'_>) -> Option<Result<(Clock, Strength), CommandError>> {
    if hour.is_empty() || hour.len() > 2 || !all_digits(hour) {
        return None;
    }
    let n: u32 = hour.parse().ok()?;
    Some(match n {
        1..=11 => Err(CommandError::AmbiguousHour {
            word: said.text(),
            hour: n,
        }),
        _ => match NaiveTime::from_hms_opt(n, 0, 0) {
            Some(t) => Ok((Clock::At(t), Strength::Strong)),
            None => Err(CommandError::InvalidTime { word: said.text() }),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> Option<Result<(Clock, Strength), CommandError>> {
        let tokens = crate::command::scan::tokenize(text);
        let keys: Vec<&str> = tokens.iter().map(|t| t.key()).collect();
        parse(&keys, Said::new(&tokens))
    }

    fn hm(h: u32, m: u32) -> Clock {
        Clock::At(NaiveTime::from_hms_opt(h, m, 0).expect("valid test time"))
    }

    #[test]
    fn every_documented_time_form_parses() {
        for (input, expected) in [
            ("15:00", hm(15, 0)),
            ("9:05", hm(9, 5)),
            ("3pm", hm(15, 0)),
            ("3am", hm(3, 0)),
            ("12am", hm(0, 0)),
            ("12pm", hm(12, 0)),
            ("3:30pm", hm(15, 30)),
            ("3:30 pm", hm(15, 30)),
            ("3 pm", hm(15, 0)),
            ("3p.m", hm(15, 0)),
            ("3 a.m", hm(3, 0)),
            ("15h", hm(15, 0)),
            ("09h", hm(9, 0)),
            ("15h30", hm(15, 30)),
            ("noon", hm(12, 0)),
            ("midnight", hm(0, 0)),
            ("now", Clock::Now),
            ("15.00", hm(15, 0)),
            ("9.30", hm(9, 30)),
            ("3.30pm", hm(15, 30)),
            ("15:00'te", hm(15, 0)),
            ("saat 15", hm(15, 0)),
            ("saat 0", hm(0, 0)),
            ("saat 12", hm(12, 0)),
            ("öğleden sonra 3", hm(15, 0)),
            ("ogleden sonra 3", hm(15, 0)),
            ("ÖĞLEDEN SONRA 3:30", hm(15, 30)),
            ("öğleden sonra saat 3", hm(15, 0)),
            ("öğleden önce 10", hm(10, 0)),
            ("sabah 10", hm(10, 0)),
            ("sabah 9.30", hm(9, 30)),
            ("akşam 7", hm(19, 0)),
            ("öğlen", hm(12, 0)),
            ("öğle", hm(12, 0)),
            ("gece yarısı", hm(0, 0)),
            ("gece yarisi", hm(0, 0)),
            ("şimdi", Clock::Now),
            ("simdi", Clock::Now),
        ] {
            let got = time(input);
            assert!(
                matches!(got, Some(Ok((c, _))) if c == expected),
                "input {input:?}: got {got:?}"
            );
        }
    }

    #[test]
    fn impossible_times_are_errors() {
        for input in [
            "25:00",
            "9:60",
            "13pm",
            "0am",
            "15h75",
            "3:5pm",
            "24:00",
            "13 pm",
            "saat 24",
            "öğleden sonra 13",
            "akşam 12",
            "sabah 25",
        ] {
            assert!(
                matches!(time(input), Some(Err(CommandError::InvalidTime { .. }))),
                "input {input:?}: got {:?}",
                time(input)
            );
        }
    }

    #[test]
    fn non_times_are_left_alone() {
        for input in [
            "15",
            "1:1",
            "1h",
            "24h",
            "1h30",
            "pm",
            "review",
            "3 things",
            "1.5",
            "25.00",
            "3.14.15",
            "saat",
            "sabah",
            "saat 15:00",
            "2b",
            "v1.30",
        ] {
            assert!(
                time(input).is_none(),
                "input {input:?}: got {:?}",
                time(input)
            );
        }
    }

    #[test]
    fn a_bare_hour_after_saat_is_refused_when_it_could_be_morning_or_afternoon() {
        for (input, hour) in [("saat 3", 3), ("saat 9", 9), ("saat 11", 11), ("SAAT 1", 1)] {
            assert_eq!(
                time(input),
                Some(Err(CommandError::AmbiguousHour {
                    word: input.to_owned(),
                    hour
                })),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn hour_shorthand_without_m_is_refused_with_a_suggestion() {
        for (input, meant) in [("3p", "3pm"), ("10a", "10am"), ("3:30p", "3:30pm")] {
            assert_eq!(
                time(input),
                Some(Err(CommandError::UnknownWord {
                    word: input.to_owned(),
                    kind: WordKind::Time,
                    suggestion: Some(meant.to_owned()),
                })),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn the_h_rule_splits_times_from_durations() {
        for (input, is_time) in [
            ("09h", true),
            ("15h", true),
            ("23h59", true),
            ("24h", false),
            ("9h", false),
            ("1h30", false),
            ("1.5h", false),
        ] {
            assert_eq!(is_h_time(input), is_time, "input {input:?}");
        }
    }
}
