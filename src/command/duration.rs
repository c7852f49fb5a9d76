//! Meeting length: `45`, `45m`, `90 mins`, `1h30m`, `1h 30m`, `1.5h`, `2 hours`, and the
//! Turkish `45dk`, `30 dakika`, `1 saat`, `1,5 saat`, `1sa30dk` → [`Minutes`].

use std::fmt;

use super::clock;
use super::error::{CommandError, WordKind};
use super::scan::{Said, Strength};
use crate::i18n::{Key, Lang, t};

/// A meeting length in whole minutes, 1 to 1440 (Zoom's scheduled meetings are capped
/// well beyond that, but a day-long booking is already almost certainly a typo).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Minutes(u16);

impl Minutes {
    /// The longest meeting we book: 24 hours.
    pub const MAX: u16 = 1440;

    /// A length of `n` minutes, refused outside 1..=1440.
    pub fn new(n: u32) -> Result<Minutes, CommandError> {
        match u16::try_from(n) {
            Ok(n) if (1..=Minutes::MAX).contains(&n) => Ok(Minutes(n)),
            _ => Err(CommandError::DurationOutOfRange {
                word: format!("{n}m"),
            }),
        }
    }

    /// The length in minutes.
    pub fn get(&self) -> u16 {
        self.0
    }
}

impl Minutes {
    /// Human form for replies in `lang`: `45 minutes`, `1 hour 30 minutes`; `45 dakika`,
    /// `1 saat 30 dakika`.
    pub fn in_words(&self, lang: Lang) -> String {
        let (hours, minutes) = (self.0 / 60, self.0 % 60);
        let count = |n: u16, one, other| lang.render(Lang::count(n, one, other), &[("n", &n)]);
        let hours_part = || count(hours, Key::DurationHoursOne, Key::DurationHoursOther);
        let minutes_part = || count(minutes, Key::DurationMinutesOne, Key::DurationMinutesOther);
        match (hours, minutes) {
            (0, _) => minutes_part(),
            (_, 0) => hours_part(),
            _ => t!(
                lang,
                DurationHoursMinutes,
                hours = hours_part(),
                minutes = minutes_part()
            ),
        }
    }
}

/// Human form for replies, in English: `45 minutes`, `1 hour`, `1 hour 30 minutes`.
impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.in_words(Lang::En))
    }
}

/// One piece of a duration: a number (possibly decimal) or a run of letters.
#[derive(Debug, PartialEq, Eq)]
enum Lexeme<'a> {
    Number(&'a str),
    Letters(&'a str),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Hours,
    Minutes,
}

fn unit(letters: &str) -> Option<Unit> {
    match letters {
        "h" | "hr" | "hrs" | "hour" | "hours" | "sa" | "saat" => Some(Unit::Hours),
        "m" | "min" | "mins" | "minute" | "minutes" | "dk" | "dak" | "dakika" => {
            Some(Unit::Minutes)
        }
        _ => None,
    }
}

/// Units for minutes and hours in languages we do not read yet, and seconds (which Zoom
/// does not book), folded. A number glued to one of these (`45perc`) is a duration we
/// refuse, not a topic word.
const FOREIGN_UNITS: &[(&str, Option<Unit>)] = &[
    ("perc", Some(Unit::Minutes)),
    ("dakka", Some(Unit::Minutes)),
    ("分", Some(Unit::Minutes)),
    ("分钟", Some(Unit::Minutes)),
    ("分間", Some(Unit::Minutes)),
    ("мин", Some(Unit::Minutes)),
    ("минут", Some(Unit::Minutes)),
    ("минуты", Some(Unit::Minutes)),
    ("ora", Some(Unit::Hours)),
    ("ore", Some(Unit::Hours)),
    ("óra", Some(Unit::Hours)),
    ("uur", Some(Unit::Hours)),
    ("std", Some(Unit::Hours)),
    ("stunde", Some(Unit::Hours)),
    ("stunden", Some(Unit::Hours)),
    ("tunti", Some(Unit::Hours)),
    ("tuntia", Some(Unit::Hours)),
    ("godz", Some(Unit::Hours)),
    ("godzina", Some(Unit::Hours)),
    ("godziny", Some(Unit::Hours)),
    ("hora", Some(Unit::Hours)),
    ("horas", Some(Unit::Hours)),
    ("heure", Some(Unit::Hours)),
    ("heures", Some(Unit::Hours)),
    ("timme", Some(Unit::Hours)),
    ("timmar", Some(Unit::Hours)),
    ("時間", Some(Unit::Hours)),
    ("小时", Some(Unit::Hours)),
    ("小時", Some(Unit::Hours)),
    ("час", Some(Unit::Hours)),
    ("часа", Some(Unit::Hours)),
    ("часов", Some(Unit::Hours)),
    ("sec", None),
    ("secs", None),
    ("second", None),
    ("seconds", None),
    ("sek", None),
    ("sn", None),
    ("saniye", None),
];

/// The unit a word of [`FOREIGN_UNITS`] means (`Some(None)` for seconds).
fn foreign_unit(word: &str) -> Option<Option<Unit>> {
    FOREIGN_UNITS
        .iter()
        .find(|(foreign, _)| *foreign == word)
        .map(|(_, unit)| *unit)
}

/// Whether `letters` after a number look like a duration unit we do not read, and which unit
/// it probably is: misspellings of ours (`mn`, `mnis`, `hrz`, `dakk`, `saa`) and
/// [`FOREIGN_UNITS`]. `None` for suffixes like `G`, `D`, `K`, `x`, `st`, `th`.
fn unknown_unit(letters: &str) -> Option<Option<Unit>> {
    if let Some(unit) = foreign_unit(letters) {
        return Some(unit);
    }
    let guess = if letters.starts_with("mi") || letters.starts_with("mn") {
        Some(Unit::Minutes)
    } else if letters.starts_with('h') || letters.starts_with("sa") {
        Some(Unit::Hours)
    } else if letters.starts_with("dk") || letters.starts_with("dak") {
        Some(Unit::Minutes)
    } else if letters.starts_with('m') {
        None
    } else {
        return None;
    };
    Some(guess)
}

/// Splits `1h30m` into number/letter runs; `None` if anything else appears.
fn lex<'a>(keys: &[&'a str]) -> Option<Vec<Lexeme<'a>>> {
    let mut out = Vec::new();
    for key in keys {
        let mut rest: &'a str = key;
        while let Some(first) = rest.chars().next() {
            // `1,5 saat`: Turkish writes a decimal comma.
            let is_number = |c: char| c.is_ascii_digit() || c == '.' || c == ',';
            let (lexeme, len) = if is_number(first) {
                let len = rest.find(|c: char| !is_number(c)).unwrap_or(rest.len());
                (Lexeme::Number(rest.get(..len)?), len)
            } else if first.is_alphabetic() {
                let len = rest
                    .find(|c: char| !c.is_alphabetic())
                    .unwrap_or(rest.len());
                (Lexeme::Letters(rest.get(..len)?), len)
            } else {
                return None;
            };
            out.push(lexeme);
            rest = rest.get(len..)?;
        }
    }
    Some(out)
}

/// Why a number could not become minutes.
enum NumberError {
    /// Not a number at all, or not a whole number of minutes.
    Malformed,
    /// Too large to represent; reported as out of range.
    Overflow,
}

/// Whole minutes in `number` units of `unit`; `1.5` hours is 90, `1.33` hours is refused.
fn minutes_of(number: &str, unit: Unit) -> Result<u64, NumberError> {
    let (whole, fraction) = match number.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (number, None),
    };
    let digits_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits_ok(whole) || fraction.is_some_and(|f| !digits_ok(f)) {
        return Err(NumberError::Malformed);
    }
    let whole: u64 = whole.parse().map_err(|_| NumberError::Overflow)?;
    let per_unit: u64 = match unit {
        Unit::Hours => 60,
        Unit::Minutes => 1,
    };
    let mut minutes = whole.checked_mul(per_unit).ok_or(NumberError::Overflow)?;
    if let Some(fraction) = fraction {
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > 6 {
            return Err(NumberError::Malformed);
        }
        let scale = 10u64.pow(u32::try_from(fraction.len()).map_err(|_| NumberError::Malformed)?);
        let numerator = fraction.parse::<u64>().unwrap_or(0) * per_unit;
        if !numerator.is_multiple_of(scale) {
            return Err(NumberError::Malformed);
        }
        minutes = minutes
            .checked_add(numerator / scale)
            .ok_or(NumberError::Overflow)?;
    }
    Ok(minutes)
}

/// Parses a span of one to four folded words as a duration.
///
/// `None` means "not a duration" (so the words may be something else or topic words);
/// `Some(Err)` means it clearly tried to be one (`45x`, `0m`, `1.33h`, `45perc`) and failed.
/// A bare number is a weak duration (it might be a topic word like "Sprint 42"); bare
/// numbers outside 1..=1440, like a year, are not durations at all.
pub(crate) fn parse(
    keys: &[&str],
    said: Said<'_>,
) -> Option<Result<(Minutes, Strength), CommandError>> {
    // Every duration starts with a number; most words tried are not one.
    if !keys
        .first()
        .is_some_and(|k| k.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == ','))
    {
        return None;
    }
    // `15h`, `09h30` are times of day, never durations (see `clock::is_h_time`).
    if keys.iter().any(|k| clock::is_h_time(k)) {
        return None;
    }
    let lexemes = lex(keys)?;
    let invalid = || CommandError::InvalidDuration { word: said.text() };
    let out_of_range = || CommandError::DurationOutOfRange { word: said.text() };
    let to_minutes = |total: u64| {
        u32::try_from(total)
            .ok()
            .and_then(|n| Minutes::new(n).ok())
            .ok_or_else(out_of_range)
    };
    let convert = |number: &str, unit: Unit| match minutes_of(number, unit) {
        Ok(m) => Ok(m),
        Err(NumberError::Malformed) => Err(invalid()),
        Err(NumberError::Overflow) => Err(out_of_range()),
    };
    let result = match lexemes.as_slice() {
        [Lexeme::Number(n)] => {
            let bare = n.parse::<u32>().ok().and_then(|n| Minutes::new(n).ok())?;
            return Some(Ok((bare, Strength::Weak)));
        }
        [Lexeme::Number(n), Lexeme::Letters(u)] => match unit(u) {
            Some(Unit::Minutes) if n.contains(['.', ',']) => Err(invalid()),
            Some(u) => convert(n, u).and_then(to_minutes),
            // `45perc`, `45mn` as one word; `45 perc` only for the known foreign words, since
            // `Top 10 list` is a topic.
            None => match (keys.len(), unknown_unit(u), foreign_unit(u)) {
                (1, Some(guess), _) | (_, _, Some(guess)) => Err(CommandError::UnknownWord {
                    word: said.text(),
                    kind: WordKind::Duration,
                    suggestion: guess.map(|unit| match unit {
                        Unit::Hours => format!("{n}h"),
                        Unit::Minutes => format!("{n}m"),
                    }),
                }),
                _ => return single_word_error(keys, u, invalid()),
            },
        },
        [
            Lexeme::Number(h),
            Lexeme::Letters(hu),
            Lexeme::Number(m),
            rest @ ..,
        ] if unit(hu) == Some(Unit::Hours) => {
            let minute_unit_ok = match rest {
                [] => true,
                [Lexeme::Letters(mu)] => unit(mu) == Some(Unit::Minutes),
                _ => false,
            };
            if !minute_unit_ok || h.contains(['.', ',']) || m.contains(['.', ',']) {
                return single_word_error(keys, "", invalid());
            }
            let hours = convert(h, Unit::Hours);
            let minutes = convert(m, Unit::Minutes);
            match (hours, minutes) {
                (Ok(_), Ok(m)) if m >= 60 => Err(invalid()),
                (Ok(h), Ok(m)) => h
                    .checked_add(m)
                    .ok_or_else(out_of_range)
                    .and_then(to_minutes),
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        [Lexeme::Number(_), Lexeme::Letters(u), ..] => {
            return single_word_error(keys, u, invalid());
        }
        _ => return None,
    };
    Some(result.map(|m| (m, Strength::Strong)))
}

/// Whether the letters after the leading number start like a unit (`45mn`, `2hrz`,
/// `45perc`, `1h30x`), as opposed to `5G` or `3D`, which are more likely topic words.
pub(crate) fn has_unit_like_suffix(key: &str) -> bool {
    let letters = key.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',');
    let word: String = letters.chars().take_while(|c| c.is_alphabetic()).collect();
    letters.starts_with(['h', 'm']) || unknown_unit(&word).is_some()
}

/// A single word like `45x` or `1h30x` is a failed duration; across several words, or
/// with a suffix that belongs to dates and times (`1st`, `3pm`), it is just not one.
fn single_word_error(
    keys: &[&str],
    letters: &str,
    err: CommandError,
) -> Option<Result<(Minutes, Strength), CommandError>> {
    const OTHER_SUFFIXES: [&str; 8] = ["st", "nd", "rd", "th", "am", "pm", "a", "p"];
    if keys.len() == 1 && !OTHER_SUFFIXES.contains(&letters) {
        Some(Err(err))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(text: &str) -> Option<Result<(u16, Strength), CommandError>> {
        let tokens = crate::command::scan::tokenize(text);
        let keys: Vec<&str> = tokens.iter().map(|t| t.key()).collect();
        parse(&keys, Said::new(&tokens)).map(|r| r.map(|(m, s)| (m.get(), s)))
    }

    #[test]
    fn every_documented_duration_form_parses() {
        for (input, expected) in [
            ("45", 45),
            ("45m", 45),
            ("45min", 45),
            ("45 minutes", 45),
            ("1h", 60),
            ("1h30m", 90),
            ("1h30", 90),
            ("1h 30m", 90),
            ("1.5h", 90),
            ("0.25h", 15),
            ("90 mins", 90),
            ("2 hours", 120),
            ("1 hour 30 minutes", 90),
            ("1hr30min", 90),
            ("24h", 1440),
            ("1440", 1440),
            ("30dk", 30),
            ("30 dk", 30),
            ("30DK", 30),
            ("30 dakika", 30),
            ("30 DAKİKA", 30),
            ("1 saat", 60),
            ("1 SAAT", 60),
            ("1,5 saat", 90),
            ("1.5 saat", 90),
            ("1sa30dk", 90),
            ("1 saat 30 dakika", 90),
            ("1 sa 30 dk", 90),
            ("2 sa", 120),
            ("2sa", 120),
            ("1,5h", 90),
        ] {
            let got = minutes(input);
            assert!(
                matches!(got, Some(Ok((m, _))) if m == expected),
                "input {input:?}: got {got:?}"
            );
        }
    }

    #[test]
    fn only_bare_numbers_are_weak() {
        assert!(matches!(minutes("45"), Some(Ok((45, Strength::Weak)))));
        assert!(matches!(minutes("45m"), Some(Ok((45, Strength::Strong)))));
    }

    #[test]
    fn two_digit_hours_below_24_are_left_to_the_clock() {
        for input in ["15h", "09h", "15h30", "00h"] {
            assert!(minutes(input).is_none(), "input {input:?}");
        }
    }

    #[test]
    fn words_that_are_not_durations_are_ignored() {
        for input in [
            "2026", "0", "review", "1st", "3pm", "q3", "1:30", "1.5", "45 45",
        ] {
            assert!(minutes(input).is_none(), "input {input:?}");
        }
    }

    #[test]
    fn malformed_durations_are_errors() {
        for input in ["45x", "1h30x", "1.33h", "1.5m", "1h75m", "45mins2", "1,5dk"] {
            assert!(
                matches!(
                    minutes(input),
                    Some(Err(CommandError::InvalidDuration { .. }))
                ),
                "input {input:?}: got {:?}",
                minutes(input)
            );
        }
    }

    #[test]
    fn out_of_range_durations_are_errors_without_overflow() {
        for input in [
            "0m",
            "1441m",
            "25h",
            "99999999999999999999m",
            "99999999999999999999h",
            "1.5.5h",
        ] {
            let got = minutes(input);
            assert!(
                matches!(
                    got,
                    Some(Err(CommandError::DurationOutOfRange { .. }
                        | CommandError::InvalidDuration { .. }))
                ),
                "input {input:?}: got {got:?}"
            );
        }
        assert!(matches!(
            minutes("99999999999999999999m"),
            Some(Err(CommandError::DurationOutOfRange { .. }))
        ));
    }

    #[test]
    fn units_we_do_not_read_are_refused_with_a_guess() {
        for (input, guess) in [
            ("45mn", Some("45m")),
            ("45perc", Some("45m")),
            ("30mnis", Some("30m")),
            ("30minz", Some("30m")),
            ("2hrz", Some("2h")),
            ("2óra", Some("2h")),
            ("2stunden", Some("2h")),
            ("45dakka", Some("45m")),
            ("45分", Some("45m")),
            ("2saa", Some("2h")),
            ("30sec", None),
            ("6mo", None),
        ] {
            assert_eq!(
                minutes(input),
                Some(Err(CommandError::UnknownWord {
                    word: input.to_owned(),
                    kind: WordKind::Duration,
                    suggestion: guess.map(str::to_owned),
                })),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn unit_like_suffixes_are_told_apart_from_other_letters() {
        for (input, unit_like) in [
            ("45mn", true),
            ("2hrz", true),
            ("1.5hx", true),
            ("45perc", true),
            ("45sn", true),
            ("45x", false),
            ("5g", false),
            ("3d", false),
            ("4k", false),
            ("80s", false),
            ("2fa", false),
            ("1on1", false),
        ] {
            assert_eq!(has_unit_like_suffix(input), unit_like, "input {input:?}");
        }
    }

    #[test]
    fn minutes_new_enforces_the_range() {
        assert!(Minutes::new(0).is_err());
        assert_eq!(Minutes::new(1).map(|m| m.get()), Ok(1));
        assert_eq!(Minutes::new(1440).map(|m| m.get()), Ok(1440));
        assert!(Minutes::new(1441).is_err());
        assert!(Minutes::new(u32::MAX).is_err());
    }

    #[test]
    fn minutes_display_reads_naturally() {
        for (n, expected, turkish) in [
            (1, "1 minute", "1 dakika"),
            (45, "45 minutes", "45 dakika"),
            (60, "1 hour", "1 saat"),
            (90, "1 hour 30 minutes", "1 saat 30 dakika"),
            (121, "2 hours 1 minute", "2 saat 1 dakika"),
        ] {
            let shown = Minutes::new(n).map(|m| m.to_string());
            assert_eq!(shown.as_deref(), Ok(expected), "minutes {n}");
            let shown = Minutes::new(n).map(|m| m.in_words(Lang::Tr));
            assert_eq!(shown.as_deref(), Ok(turkish), "minutes {n} in Turkish");
        }
    }
}
