//! Time of day: `15:00`, `3pm`, `3:30pm`, `3:30 PM`, `15h`, `15h30`, `noon`, `midnight`, `now`.

use chrono::NaiveTime;

use super::error::CommandError;
use super::scan::Strength;

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

/// Splits `3:30` into hour and minute digits; `None` unless it is digits with an optional
/// `:` and more digits.
fn hour_minute(s: &str) -> Option<(&str, Option<&str>)> {
    match s.split_once(':') {
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

/// Parses one or two lowercase words as a time of day.
///
/// `None` means "not a time"; `Some(Err)` means it is shaped like one (`25:00`, `13pm`,
/// `15h75`) but impossible. `noon`, `midnight` and `now` are weak because they are also
/// ordinary topic words; the rest are strong.
pub(crate) fn parse(keys: &[&str], raw: &str) -> Option<Result<(Clock, Strength), CommandError>> {
    let invalid = || {
        Err(CommandError::InvalidTime {
            word: raw.to_owned(),
        })
    };
    let at = |t: NaiveTime| Ok((Clock::At(t), Strength::Strong));
    match keys {
        ["now"] => Some(Ok((Clock::Now, Strength::Weak))),
        ["noon"] => NaiveTime::from_hms_opt(12, 0, 0).map(|t| Ok((Clock::At(t), Strength::Weak))),
        ["midnight"] => Some(Ok((Clock::At(NaiveTime::MIN), Strength::Weak))),
        [key] => {
            if let Some((hour, minutes)) = h_time_parts(key) {
                if hour > 23 {
                    return None;
                }
                return Some(build(&hour.to_string(), minutes, None).map_or_else(invalid, at));
            }
            // `3pm`, `3:30pm`, `3p.m`: digits followed by am/pm.
            let split = key.find(|c: char| !c.is_ascii_digit() && c != ':');
            if let Some((digits, suffix)) = split.and_then(|i| Some((key.get(..i)?, key.get(i..)?)))
                && let Some(pm) = meridiem(suffix)
            {
                let (h, m) = hour_minute(digits)?;
                return Some(build(h, m, Some(pm)).map_or_else(invalid, at));
            }
            // `15:00`: a 24-hour clock needs the colon, so bare numbers stay durations.
            match hour_minute(key)? {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> Option<Result<(Clock, Strength), CommandError>> {
        let keys: Vec<&str> = text.split_whitespace().collect();
        parse(&keys, text)
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
            "25:00", "9:60", "13pm", "0am", "15h75", "3:5pm", "24:00", "13 pm",
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
            "15", "1:1", "1h", "24h", "1h30", "pm", "review", "3 things", "1.30",
        ] {
            assert!(
                time(input).is_none(),
                "input {input:?}: got {:?}",
                time(input)
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
