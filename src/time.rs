//! Time: IANA zone names and local wall-clock → UTC resolution with the tz database.
//!
//! Everything here goes through `chrono_tz` rules for the given date, never through
//! fixed offsets, so daylight-saving transitions are handled where they actually happen.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// An IANA time zone such as `America/Los_Angeles`, or `UTC`/`GMT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Zone(Tz);

/// Why a zone name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// A short all-letter word like `EST` or `IST`: these name different offsets in
    /// different places (IST is India, Ireland or Israel), so we never guess.
    #[error("time zone abbreviation {0:?} is ambiguous; use an IANA name")]
    Abbreviation(String),
    /// Not a zone name we accept.
    #[error("unknown time zone {0:?}")]
    Unknown(String),
}

impl Zone {
    /// Parses an IANA zone name case-insensitively (`europe/istanbul` is fine), or `UTC`/`GMT`.
    ///
    /// Only `Area/Location` names (anything with a `/`) plus `UTC` and `GMT` are accepted.
    /// Legacy single-word links (`Poland`, `Japan`, `EST5EDT`) are refused as unknown because
    /// they read like ordinary words and are deprecated in the tz database; all-letter words
    /// of 2–5 characters (`EST`, `CET`, `BST`) are refused as abbreviations.
    pub fn parse(name: &str) -> Result<Zone, ZoneError> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("UTC") {
            return Ok(Zone(Tz::UTC));
        }
        if name.eq_ignore_ascii_case("GMT") {
            return Ok(Zone(Tz::GMT));
        }
        // `Etc/GMT+5` is a fixed offset with an inverted sign (it means UTC−5): exactly the
        // mistake IANA place names avoid, and it never follows DST.
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("etc/") && !matches!(lower.as_str(), "etc/utc" | "etc/gmt") {
            return Err(ZoneError::Unknown(name.to_owned()));
        }
        if name.contains('/') {
            return Tz::from_str_insensitive(name)
                .map(Zone)
                .map_err(|_| ZoneError::Unknown(name.to_owned()));
        }
        let len = name.chars().count();
        if (2..=5).contains(&len) && name.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(ZoneError::Abbreviation(name.to_owned()));
        }
        Err(ZoneError::Unknown(name.to_owned()))
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Zone {
        Zone(Tz::UTC)
    }

    /// The underlying tz database zone.
    pub fn tz(&self) -> Tz {
        self.0
    }

    /// The IANA name, e.g. `America/Los_Angeles` (what Zoom's `timezone` field expects).
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl From<Tz> for Zone {
    fn from(tz: Tz) -> Zone {
        Zone(tz)
    }
}

impl FromStr for Zone {
    type Err = ZoneError;

    fn from_str(s: &str) -> Result<Zone, ZoneError> {
        Zone::parse(s)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A local wall-clock time pinned to one UTC instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    instant: DateTime<Utc>,
    later: Option<DateTime<Utc>>,
}

impl Resolved {
    /// The instant; for an ambiguous wall-clock time, its first occurrence.
    pub fn instant(&self) -> DateTime<Utc> {
        self.instant
    }

    /// True when the wall-clock time happens twice (clocks went back).
    pub fn ambiguous(&self) -> bool {
        self.later.is_some()
    }

    /// The second occurrence of an ambiguous wall-clock time, if there is one.
    pub fn later(&self) -> Option<DateTime<Utc>> {
        self.later
    }
}

/// Why a local wall-clock time has no instant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    /// The clocks jumped forward over `requested` (spring-forward gap).
    #[error(
        "{requested} does not exist in {zone} (clocks jump forward); next valid is {next_valid}"
    )]
    Gap {
        requested: NaiveDateTime,
        /// The first whole local minute after the gap.
        next_valid: NaiveDateTime,
        zone: Zone,
    },
}

/// Turns a wall-clock time in `zone` into a UTC instant using the tz rules for that date.
///
/// A fall-back overlap resolves to the first occurrence (with [`Resolved::later`] set); a
/// spring-forward gap is an error carrying the next valid local minute.
pub fn resolve_local(zone: Zone, local: NaiveDateTime) -> Result<Resolved, LocalTimeError> {
    match zone.0.from_local_datetime(&local) {
        LocalResult::Single(dt) => Ok(Resolved {
            instant: dt.with_timezone(&Utc),
            later: None,
        }),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            Ok(Resolved {
                instant: a.min(b),
                later: Some(a.max(b)),
            })
        }
        LocalResult::None => Err(LocalTimeError::Gap {
            requested: local,
            next_valid: first_valid_after(zone, local),
            zone,
        }),
    }
}

/// Steps minute by minute to the end of a gap. The longest gap in the tz database is a
/// whole day (Samoa, 2011-12-30), so three days of steps always suffice.
fn first_valid_after(zone: Zone, local: NaiveDateTime) -> NaiveDateTime {
    const MAX_STEPS: i64 = 3 * 24 * 60;
    let start = local - TimeDelta::seconds(i64::from(chrono::Timelike::second(&local)));
    (1..=MAX_STEPS)
        .filter_map(|m| start.checked_add_signed(TimeDelta::minutes(m)))
        .find(|candidate| !matches!(zone.0.from_local_datetime(candidate), LocalResult::None))
        // Unreachable with real tz data; an hour later is the usual answer anyway.
        .unwrap_or(start + TimeDelta::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(h, min, 0))
            .expect("test date is valid")
    }

    #[test]
    fn iana_names_parse_case_insensitively() {
        for (input, expected) in [
            ("Europe/Istanbul", "Europe/Istanbul"),
            ("europe/istanbul", "Europe/Istanbul"),
            ("AMERICA/NEW_YORK", "America/New_York"),
            (" Asia/Kolkata ", "Asia/Kolkata"),
            ("utc", "UTC"),
            ("GMT", "GMT"),
            ("Etc/UTC", "Etc/UTC"),
        ] {
            assert_eq!(
                Zone::parse(input).map(|z| z.name()),
                Ok(expected),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn fixed_offset_etc_zones_are_refused() {
        for input in ["Etc/GMT+5", "etc/gmt-14", "Etc/GMT0"] {
            assert_eq!(
                Zone::parse(input),
                Err(ZoneError::Unknown(input.to_owned())),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn abbreviations_are_refused_as_ambiguous() {
        for input in [
            "EST", "ist", "CST", "PST", "BST", "CET", "AEDT", "Japan", "NZ",
        ] {
            assert_eq!(
                Zone::parse(input),
                Err(ZoneError::Abbreviation(input.to_owned())),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn unknown_names_and_legacy_single_words_are_refused() {
        for input in [
            "",
            "Europe/Berln",
            "Singapore",
            "EST5EDT",
            "UTC+3",
            "Mars/Olympus",
        ] {
            assert_eq!(
                Zone::parse(input),
                Err(ZoneError::Unknown(input.to_owned())),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn from_str_matches_parse() {
        assert_eq!(
            "europe/berlin".parse::<Zone>(),
            Zone::parse("Europe/Berlin")
        );
    }

    #[test]
    fn a_spring_forward_gap_names_the_next_valid_minute() {
        let zone = Zone::from(Tz::America__New_York);
        assert_eq!(
            resolve_local(zone, local(2026, 3, 8, 2, 30)),
            Err(LocalTimeError::Gap {
                requested: local(2026, 3, 8, 2, 30),
                next_valid: local(2026, 3, 8, 3, 0),
                zone,
            })
        );
    }

    #[test]
    fn lord_howe_gap_is_half_an_hour() {
        let zone = Zone::from(Tz::Australia__Lord_Howe);
        let err = resolve_local(zone, local(2026, 10, 4, 2, 10));
        assert!(
            matches!(err, Err(LocalTimeError::Gap { next_valid, .. }) if next_valid == local(2026, 10, 4, 2, 30)),
            "got {err:?}"
        );
    }

    #[test]
    fn a_fall_back_overlap_takes_the_first_occurrence() {
        let zone = Zone::from(Tz::Europe__Berlin);
        let resolved = resolve_local(zone, local(2026, 10, 25, 2, 30)).expect("overlap resolves");
        assert!(resolved.ambiguous());
        assert_eq!(resolved.instant(), local(2026, 10, 25, 0, 30).and_utc());
        assert_eq!(resolved.later(), Some(local(2026, 10, 25, 1, 30).and_utc()));
    }

    #[test]
    fn an_ordinary_time_is_unambiguous() {
        let zone = Zone::from(Tz::Asia__Kathmandu);
        let resolved = resolve_local(zone, local(2026, 6, 1, 12, 0)).expect("ordinary time");
        assert!(!resolved.ambiguous());
        assert_eq!(resolved.instant(), local(2026, 6, 1, 6, 15).and_utc());
    }
}
