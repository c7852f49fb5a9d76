//! Splits a command into words and finds the trailing run of schedule words (duration,
//! date, time, zone), scanning from the end; whatever precedes the run is the topic.

use super::clock::{self, Clock};
use super::date::{self, DateSpec};
use super::duration::{self, Minutes};
use super::error::{CommandError, WordKind};
use crate::time::Zone;

/// How sure we are that a word is a schedule word rather than part of the topic.
///
/// A strong word (`45m`, `3pm`, `15:00`, `2026-12-01`, `tomorrow`, a zone) followed by a
/// topic word is an error; a weak one (`42`, `sun`, `may 5`, `noon`) quietly stays in the
/// topic when it cannot be part of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strength {
    Weak,
    Strong,
}

/// The longest schedule phrase, in words: `1 hour 30 minutes`.
const MAX_SPAN: usize = 4;

/// A word as typed, plus the lowercase key the parsers match on.
#[derive(Debug)]
pub(crate) struct Token<'a> {
    raw: &'a str,
    key: String,
}

impl<'a> Token<'a> {
    fn new(raw: &'a str) -> Token<'a> {
        let key = raw.to_ascii_lowercase();
        // One trailing comma or full stop is punctuation (`dec 1, 2026`, `3pm.`).
        let key = match key.strip_suffix([',', '.']) {
            Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
            _ => key,
        };
        Token { raw, key }
    }

    pub(crate) fn raw(&self) -> &'a str {
        self.raw
    }
}

/// Splits on whitespace, keeping Slack markup like `<https://x|two words>` in one token.
pub(crate) fn tokenize(text: &str) -> Vec<Token<'_>> {
    // Slack escapes a literal `<` as `&lt;`, so a raw `<` always opens markup; one that is
    // never closed is treated as an ordinary character.
    let last_close = text.rfind('>');
    let mut tokens = Vec::new();
    let mut start: Option<usize> = None;
    let mut in_markup = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() && !in_markup {
            if let Some(s) = start.take()
                && let Some(word) = text.get(s..i)
            {
                tokens.push(Token::new(word));
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        if c == '<' && last_close.is_some_and(|close| close > i) {
            in_markup = true;
        } else if c == '>' {
            in_markup = false;
        }
    }
    if let Some(word) = start.and_then(|s| text.get(s..)) {
        tokens.push(Token::new(word));
    }
    tokens
}

/// One recognised schedule phrase.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Item {
    Duration(Minutes),
    Date(DateSpec),
    Clock(Clock),
    Zone(Zone),
}

impl Item {
    fn kind(&self) -> WordKind {
        match self {
            Item::Duration(_) => WordKind::Duration,
            Item::Date(_) => WordKind::Date,
            Item::Clock(_) => WordKind::Time,
            Item::Zone(_) => WordKind::Zone,
        }
    }
}

/// The schedule words found, each with the text the user typed (for messages).
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    pub(crate) duration: Option<(Minutes, String)>,
    pub(crate) date: Option<(DateSpec, String)>,
    pub(crate) clock: Option<(Clock, String)>,
    pub(crate) zone: Option<(Zone, String)>,
}

impl Schedule {
    fn slot(&self, kind: WordKind) -> Option<&str> {
        match kind {
            WordKind::Duration => self.duration.as_ref().map(|(_, raw)| raw.as_str()),
            WordKind::Date => self.date.as_ref().map(|(_, raw)| raw.as_str()),
            WordKind::Time => self.clock.as_ref().map(|(_, raw)| raw.as_str()),
            WordKind::Zone => self.zone.as_ref().map(|(_, raw)| raw.as_str()),
        }
    }

    fn fill(&mut self, item: Item, raw: String) {
        match item {
            Item::Duration(m) => self.duration = Some((m, raw)),
            Item::Date(d) => self.date = Some((d, raw)),
            Item::Clock(c) => self.clock = Some((c, raw)),
            Item::Zone(z) => self.zone = Some((z, raw)),
        }
    }
}

/// Where a zone word may stand. Only `Area/Location` names are unmistakable anywhere in
/// the run; `UTC`/`GMT` and abbreviations count as zones only as the last word or right
/// after a time, and only when nothing but schedule words precede them, so "Talk about
/// UTC" or "Go west" stay topics.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ZoneSlot {
    Anywhere,
    SlashOnly,
}

/// Areas of the tz database: a `/` word starting with one of these that fails to parse
/// is a misspelt zone, not a topic word like `CI/CD`.
const AREAS: [&str; 16] = [
    "africa",
    "america",
    "antarctica",
    "arctic",
    "asia",
    "atlantic",
    "australia",
    "europe",
    "indian",
    "pacific",
    "etc",
    "us",
    "canada",
    "brazil",
    "chile",
    "mexico",
];

/// Common abbreviations people type after a time; all of them are ambiguous or are not
/// tied to one set of DST rules, so we ask for an IANA name instead.
const ABBREVIATIONS: [&str; 48] = [
    "et", "pt", "ct", "mt", "est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt", "akst", "akdt",
    "hst", "ast", "adt", "nst", "ndt", "bst", "ist", "cet", "cest", "eet", "eest", "wet", "west",
    "msk", "sast", "cat", "eat", "wat", "pkt", "jst", "kst", "hkt", "sgt", "awst", "acst", "acdt",
    "aest", "aedt", "nzst", "nzdt", "idt", "wib", "brt", "art",
];

fn classify_zone(token: &Token<'_>, slot: ZoneSlot) -> Option<Result<Item, CommandError>> {
    let key = token.key.as_str();
    if key.contains('/') {
        let looks_like_zone = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
        if !looks_like_zone {
            return None;
        }
        return match Zone::parse(key) {
            Ok(zone) => Some(Ok(Item::Zone(zone))),
            Err(_)
                if key
                    .split('/')
                    .next()
                    .is_some_and(|area| AREAS.contains(&area)) =>
            {
                Some(Err(CommandError::UnknownZone {
                    word: token.raw.to_owned(),
                }))
            }
            Err(_) => None,
        };
    }
    // `UTC+3`: a fixed offset is the wrong answer twice a year, so point to a real zone.
    let fixed_offset = ["utc", "gmt"].iter().any(|p| {
        key.strip_prefix(p)
            .is_some_and(|rest| rest.starts_with(['+', '-']) && rest.len() > 1)
    });
    if fixed_offset {
        return Some(Err(CommandError::UnknownZone {
            word: token.raw.to_owned(),
        }));
    }
    if slot == ZoneSlot::SlashOnly {
        return None;
    }
    if key == "utc" || key == "gmt" {
        return Zone::parse(key).ok().map(|zone| Ok(Item::Zone(zone)));
    }
    if ABBREVIATIONS.contains(&key) {
        return Some(Err(CommandError::ZoneAbbreviation {
            word: token.raw.to_owned(),
        }));
    }
    None
}

/// A span claimed by a parser: the phrase, or why it is impossible.
type Classified = Result<(Item, Strength), CommandError>;

fn join_raw(tokens: &[Token<'_>]) -> String {
    tokens.iter().map(|t| t.raw).collect::<Vec<_>>().join(" ")
}

/// What a span of words is, if anything: `None` if no parser claims it, `Some(Err)` if one
/// claims it and it is impossible (`25:00`, `45x`, `2026-02-30`).
fn classify(span: &[Token<'_>], zone_slot: ZoneSlot, example_year: i32) -> Option<Classified> {
    let keys: Vec<&str> = span.iter().map(|t| t.key.as_str()).collect();
    let raw = join_raw(span);
    if let Some(found) = clock::parse(&keys, &raw) {
        return Some(found.map(|(c, s)| (Item::Clock(c), s)));
    }
    if let Some(found) = date::parse(&keys, &raw, example_year) {
        return Some(found.map(|(d, s)| (Item::Date(d), s)));
    }
    if let Some(found) = duration::parse(&keys, &raw) {
        return Some(found.map(|(m, s)| (Item::Duration(m), s)));
    }
    match span {
        [token] => classify_zone(token, zone_slot).map(|r| r.map(|z| (z, Strength::Strong))),
        _ => None,
    }
}

/// The longest schedule phrase ending just before `end`, with its start index.
fn phrase_ending_at(
    tokens: &[Token<'_>],
    end: usize,
    zone_slot: ZoneSlot,
    example_year: i32,
) -> Option<(usize, Classified)> {
    (1..=MAX_SPAN.min(end)).rev().find_map(|len| {
        let start = end - len;
        let span = tokens.get(start..end)?;
        classify(span, zone_slot, example_year).map(|found| (start, found))
    })
}

/// Whether the word at `index` is where a zone would go: last, or right after a time, and
/// preceded by a schedule phrase (or nothing at all).
fn zone_slot_at(tokens: &[Token<'_>], index: usize, example_year: i32) -> ZoneSlot {
    let is_last = index + 1 == tokens.len();
    let before = phrase_ending_at(tokens, index, ZoneSlot::SlashOnly, example_year);
    let after_time = matches!(before, Some((_, Ok((Item::Clock(_), _)))));
    let after_schedule = index == 0 || matches!(before, Some((_, Ok(_))));
    if (is_last || after_time) && after_schedule {
        ZoneSlot::Anywhere
    } else {
        ZoneSlot::SlashOnly
    }
}

/// `at 3pm`, `on friday`, `for 30m`: a small word that belongs to the phrase after it.
fn connector_for(key: &str) -> Option<WordKind> {
    match key {
        "at" => Some(WordKind::Time),
        "on" => Some(WordKind::Date),
        "for" => Some(WordKind::Duration),
        _ => None,
    }
}

/// The schedule found at the end of the command, and where the topic words stop.
#[derive(Debug)]
pub(crate) struct Scan {
    pub(crate) topic_end: usize,
    pub(crate) schedule: Schedule,
}

/// Collects schedule phrases from the end until a word is not one.
///
/// At most one of each kind: a second strong one is an error naming both, a second weak
/// one ends the run (so "Top 10 45m" keeps "Top 10" as the topic). With a quoted topic
/// every word after it must be a schedule word, so there are no weak exceptions.
pub(crate) fn scan(
    tokens: &[Token<'_>],
    quoted: bool,
    example_year: i32,
) -> Result<Scan, CommandError> {
    let mut schedule = Schedule::default();
    let mut end = tokens.len();
    // Kind of the phrase starting at `end`, for connectors.
    let mut next_kind: Option<WordKind> = None;
    while end > 0 {
        let zone_slot = zone_slot_at(tokens, end - 1, example_year);
        match phrase_ending_at(tokens, end, zone_slot, example_year) {
            // "Discuss 5G" or "Intro to 3D": a number with a non-unit suffix as the very last
            // word is a topic word; with schedule words after it (`45x tomorrow 3pm`) or a
            // unit-like suffix (`45mn`) it is a mistyped duration.
            Some((start, Err(CommandError::InvalidDuration { .. })))
                if !quoted
                    && end == tokens.len()
                    && start + 1 == end
                    && tokens
                        .get(start)
                        .is_some_and(|t| !duration::has_unit_like_suffix(&t.key)) =>
            {
                break;
            }
            Some((_, Err(err))) => return Err(err),
            Some((start, Ok((item, strength)))) => {
                let kind = item.kind();
                let raw = tokens.get(start..end).map(join_raw).unwrap_or_default();
                if let Some(second) = schedule.slot(kind) {
                    if strength == Strength::Weak && !quoted {
                        break;
                    }
                    return Err(CommandError::Duplicate {
                        kind,
                        first: raw,
                        second: second.to_owned(),
                    });
                }
                schedule.fill(item, raw);
                next_kind = Some(kind);
                end = start;
            }
            None => {
                let connector = tokens.get(end - 1).and_then(|t| connector_for(&t.key));
                if connector.is_some() && connector == next_kind {
                    next_kind = None;
                    end -= 1;
                } else {
                    break;
                }
            }
        }
    }
    Ok(Scan {
        topic_end: end,
        schedule,
    })
}

/// Refuses topic words that follow a strong schedule word ("Review 2pm changes 30m"): the
/// user probably mistyped the order, and a silent topic would hide that.
pub(crate) fn check_topic(topic: &[Token<'_>], example_year: i32) -> Result<(), CommandError> {
    for start in 0..topic.len() {
        for len in (1..=MAX_SPAN).rev() {
            let Some(span) = topic.get(start..start + len) else {
                continue;
            };
            let Some(next) = topic.get(start + len) else {
                continue;
            };
            if let Some(Ok((_, Strength::Strong))) =
                classify(span, ZoneSlot::SlashOnly, example_year)
            {
                let (word, after) = first_stray(topic, start + len, example_year)
                    .unwrap_or_else(|| (next.raw.to_owned(), join_raw(span)));
                return Err(CommandError::UnexpectedWord { word, after });
            }
        }
    }
    Ok(())
}

/// From `pos` on, skips schedule words and returns the first word that is not one, with the
/// schedule word before it: in `standup 30m tomorrow foo` the stray word is `foo`, not `tomorrow`.
fn first_stray(topic: &[Token<'_>], mut pos: usize, example_year: i32) -> Option<(String, String)> {
    let mut after = None;
    'words: while let Some(token) = topic.get(pos) {
        for len in (1..=MAX_SPAN).rev() {
            let Some(span) = topic.get(pos..pos + len) else {
                continue;
            };
            if let Some(Ok(_)) = classify(span, ZoneSlot::SlashOnly, example_year) {
                after = Some(join_raw(span));
                pos += len;
                continue 'words;
            }
        }
        return after.map(|after| (token.raw.to_owned(), after));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raws(text: &str) -> Vec<&str> {
        tokenize(text).iter().map(|t| t.raw).collect()
    }

    #[test]
    fn tokenize_splits_on_any_whitespace() {
        assert_eq!(raws("  a\tb\n c  "), ["a", "b", "c"]);
        assert!(raws("   ").is_empty());
    }

    #[test]
    fn tokenize_keeps_slack_markup_with_spaces_together() {
        assert_eq!(
            raws("see <https://x.io|the doc> 3pm"),
            ["see", "<https://x.io|the doc>", "3pm"]
        );
        assert_eq!(raws("a < b 3pm"), ["a", "<", "b", "3pm"]);
    }

    #[test]
    fn tokenize_handles_multibyte_text() {
        assert_eq!(
            raws("réunion 🎉 مرحبا 3pm"),
            ["réunion", "🎉", "مرحبا", "3pm"]
        );
    }

    #[test]
    fn keys_are_lowercase_without_trailing_punctuation() {
        let keys: Vec<String> = tokenize("Dec 1, 3PM. , p.m.")
            .into_iter()
            .map(|t| t.key)
            .collect();
        assert_eq!(keys, ["dec", "1", "3pm", ",", "p.m"]);
    }
}
