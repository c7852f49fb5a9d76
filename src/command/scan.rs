//! Splits a command into words and finds the trailing run of schedule words (duration,
//! date, time, zone, repeat rule and its end), scanning from the end; whatever precedes the
//! run is the topic.

use std::cell::OnceCell;
use std::ops::Range;

use super::clock::{self, Clock};
use super::date::{self, DateSpec};
use super::duration::{self, Minutes};
use super::error::{CommandError, WordKind};
use super::fold;
use super::recurrence::{RepeatUnit, WeekdaySet};
use super::repeat::{self, EndSpec, RepeatSpec};
use super::typo;
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

/// The longest schedule phrase, in words: `1 hour 30 minutes`, `every mon, wed, fri`,
/// `until december 1st 2026`, `öğleden sonra saat 3`.
const MAX_SPAN: usize = 4;

/// A word as typed, plus the folded key the parsers match on (see [`fold::key`]).
#[derive(Debug)]
pub(crate) struct Token<'a> {
    raw: &'a str,
    key: String,
    /// What the word is on its own (zones aside): the scan asks several times per word.
    alone: OnceCell<Option<Classified>>,
}

impl<'a> Token<'a> {
    fn new(raw: &'a str) -> Token<'a> {
        Token {
            raw,
            key: fold::key(raw),
            alone: OnceCell::new(),
        }
    }

    pub(crate) fn raw(&self) -> &'a str {
        self.raw
    }

    #[cfg(test)]
    pub(crate) fn key(&self) -> &str {
        &self.key
    }
}

/// The words of a phrase as the user typed them, joined only when a message needs them (most
/// spans tried are not schedule words, so building their text eagerly would be wasted).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Said<'s>(&'s [Token<'s>]);

impl<'s> Said<'s> {
    #[cfg(test)]
    pub(crate) fn new(tokens: &'s [Token<'s>]) -> Said<'s> {
        Said(tokens)
    }

    pub(crate) fn text(self) -> String {
        join_raw(self.0)
    }

    /// Some of the words (`dec 20` of `until dec 20`); empty if out of range.
    pub(crate) fn sub(self, range: Range<usize>) -> Said<'s> {
        Said(self.0.get(range).unwrap_or_default())
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
    Repeat(RepeatSpec),
    /// Two or more weekdays (`mon, wed` in `every 2 weeks on mon, wed`), or one right after a
    /// repeat rule (`fri` in `weekly on fri`).
    Days(WeekdaySet),
    /// A day of the month right after a repeat rule: `the 15th` in `monthly on the 15th`.
    MonthDay(u32),
    End(EndSpec),
    Start(DateSpec),
}

impl Item {
    fn kind(&self) -> WordKind {
        match self {
            Item::Duration(_) => WordKind::Duration,
            Item::Date(_) => WordKind::Date,
            Item::Clock(_) => WordKind::Time,
            Item::Zone(_) => WordKind::Zone,
            Item::Repeat(_) => WordKind::Repeat,
            Item::Days(_) | Item::MonthDay(_) => WordKind::Days,
            Item::End(_) => WordKind::End,
            Item::Start(_) => WordKind::Start,
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
    pub(crate) repeat: Option<(RepeatSpec, String)>,
    pub(crate) days: Option<(WeekdaySet, String)>,
    pub(crate) month_day: Option<(u32, String)>,
    pub(crate) end: Option<(EndSpec, String)>,
    pub(crate) start: Option<(DateSpec, String)>,
}

impl Schedule {
    fn slot(&self, kind: WordKind) -> Option<&str> {
        fn raw<T>(slot: &Option<(T, String)>) -> Option<&str> {
            slot.as_ref().map(|(_, raw)| raw.as_str())
        }
        match kind {
            WordKind::Duration => raw(&self.duration),
            WordKind::Date => raw(&self.date),
            WordKind::Time => raw(&self.clock),
            WordKind::Zone => raw(&self.zone),
            WordKind::Repeat => raw(&self.repeat),
            WordKind::Days => raw(&self.days).or(raw(&self.month_day)),
            WordKind::End => raw(&self.end),
            WordKind::Start => raw(&self.start),
        }
    }

    fn fill(&mut self, item: Item, raw: String) {
        match item {
            Item::Duration(m) => self.duration = Some((m, raw)),
            Item::Date(d) => self.date = Some((d, raw)),
            Item::Clock(c) => self.clock = Some((c, raw)),
            Item::Zone(z) => self.zone = Some((z, raw)),
            Item::Repeat(r) => self.repeat = Some((r, raw)),
            Item::Days(d) => self.days = Some((d, raw)),
            Item::MonthDay(d) => self.month_day = Some((d, raw)),
            Item::End(e) => self.end = Some((e, raw)),
            Item::Start(d) => self.start = Some((d, raw)),
        }
    }

    /// `every` before a list of days (`every monday, wednesday and friday`, too long for one
    /// phrase) makes the list a weekly repeat.
    fn promote_days(&mut self, every: &str) -> Result<(), CommandError> {
        let Some((days, raw)) = self.days.take() else {
            return Ok(());
        };
        let raw = format!("{every} {raw}");
        if let Some((_, first)) = &self.repeat {
            return Err(CommandError::Duplicate {
                kind: WordKind::Repeat,
                first: raw,
                second: first.clone(),
            });
        }
        let spec = RepeatSpec {
            unit: RepeatUnit::Weeks,
            interval: 1,
            days: Some(days),
            month_day: None,
        };
        self.repeat = Some((spec, raw));
        Ok(())
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
/// claims it and it is impossible (`25:00`, `45x`, `2026-02-30`) or is a schedule word we do
/// not read (`tmrw`, `3p`, `45perc`).
fn classify(span: &[Token<'_>], zone_slot: ZoneSlot, example_year: i32) -> Option<Classified> {
    if let [token] = span {
        let alone = token
            .alone
            .get_or_init(|| phrase(span, example_year))
            .clone();
        return alone
            .or_else(|| classify_zone(token, zone_slot).map(|r| r.map(|z| (z, Strength::Strong))));
    }
    phrase(span, example_year)
}

/// The parsers in order (zones aside, since where a zone may stand depends on its neighbours).
fn phrase(span: &[Token<'_>], example_year: i32) -> Option<Classified> {
    let mut buffer = [""; MAX_SPAN];
    for (key, token) in buffer.iter_mut().zip(span) {
        *key = token.key.as_str();
    }
    let keys = buffer.get(..span.len())?;
    if let [first, _, ..] = keys
        && !may_start_phrase(first)
    {
        return None;
    }
    let said = Said(span);
    if let Some(found) = clock::parse(keys, said) {
        return Some(found.map(|(c, s)| (Item::Clock(c), s)));
    }
    if let Some(found) = date::parse(keys, said, example_year) {
        return Some(found.map(|(d, s)| (Item::Date(d), s)));
    }
    // Before durations, which would read `2moro` as a number with an odd unit.
    if let Some((kind, suggestion)) = typo::check(keys) {
        return Some(Err(CommandError::UnknownWord {
            word: said.text(),
            kind,
            suggestion,
        }));
    }
    if let Some(found) = duration::parse(keys, said) {
        return Some(found.map(|(m, s)| (Item::Duration(m), s)));
    }
    repeat::parse(keys, said, example_year)
}

/// Words a phrase of two or more words can start with (besides numbers, weekdays and
/// months): a cheap test that spares the parsers most spans of topic words. Keep it in step
/// with the parsers; `the_phrase_filter_rejects_only_spans_no_parser_claims` checks it.
const PHRASE_STARTERS: &[&str] = &[
    // Times.
    "gece",
    "ogleden",
    "sabah",
    "aksam",
    "saat",
    // Dates.
    "day",
    "the",
    "obur",
    "oburgun",
    "next",
    "gelecek",
    "haftaya",
    "onumuzdeki",
    "this",
    "bu",
    "ayin",
    "today",
    "tomorrow",
    "bugun",
    "yarin",
    // Misspelt `next`.
    "nxt",
    "nex",
    "nxet",
    "enxt",
    // Repeats, ends and starts.
    "every",
    "each",
    "her",
    "hafta",
    "x",
    "×",
    "until",
    "till",
    "til",
    "through",
    "thru",
    "for",
    "starting",
    "beginning",
];

fn may_start_phrase(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | ','))
        || PHRASE_STARTERS.contains(&key)
        // `mon,wed fri` is a list of days.
        || key.split(',').next().and_then(date::weekday).is_some()
        || date::month(key).is_some()
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

/// A weekday, `weekdays` or a day of the month right after a repeat rule (`weekly on fri`,
/// `every 2 weeks on weekdays`, `monthly on the 15th`) says which days the series falls on, so
/// it is neither a date nor a second rule: the date slot stays free for the start (`weekly on
/// fri 9am tomorrow`).
fn day_of_repeat(tokens: &[Token<'_>], start: usize, item: Item, example_year: i32) -> Item {
    let selector = match item {
        Item::Date(DateSpec::Weekday(day)) => WeekdaySet::new([day]).map(Item::Days),
        Item::Date(DateSpec::DayOfMonth(day)) => Some(Item::MonthDay(day)),
        // `every 2 weeks on weekdays`.
        Item::Repeat(RepeatSpec {
            days: Some(days), ..
        }) if tokens
            .get(start)
            .is_some_and(|t| matches!(t.key.as_str(), "weekdays" | "weekends")) =>
        {
            Some(Item::Days(days))
        }
        _ => None,
    };
    let Some(selector) = selector else {
        return item;
    };
    let before = match start.checked_sub(1).and_then(|i| tokens.get(i)) {
        Some(token) if token.key == "on" => start - 1,
        _ => start,
    };
    match phrase_ending_at(tokens, before, ZoneSlot::SlashOnly, example_year) {
        Some((_, Ok((Item::Repeat(_), _)))) => selector,
        _ => item,
    }
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

/// `at 3pm`, `on friday`, `for 30m`, `saat 15:00`, `every` + a list of days: a small word
/// that belongs to the phrase after it.
fn connects(key: &str, kind: WordKind) -> bool {
    match key {
        "at" | "saat" => kind == WordKind::Time,
        "on" => matches!(kind, WordKind::Date | WordKind::Days),
        "for" => kind == WordKind::Duration,
        _ => is_every(key) && kind == WordKind::Days,
    }
}

fn is_every(key: &str) -> bool {
    matches!(key, "every" | "each" | "her")
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
                let item = day_of_repeat(tokens, start, item, example_year);
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
                let Some(word) = tokens.get(end - 1).map(|t| t.key.as_str()) else {
                    break;
                };
                match next_kind {
                    Some(kind) if connects(word, kind) => {
                        if kind == WordKind::Days && is_every(word) {
                            schedule.promote_days(tokens.get(end - 1).map_or(word, |t| t.raw))?;
                        }
                        next_kind = None;
                        end -= 1;
                    }
                    _ => break,
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
/// user probably mistyped the order, and a silent topic would hide that. Also refuses,
/// anywhere in the topic, a misspelt schedule word (`tmrw`, `nxt fri`) and a duration or
/// time shaped like one that we do not read but can tell what was meant (`45perc`, `30мин`,
/// `2 stunden`, `10:30a`, `3p`): a schedule word read as a topic word would put the meeting
/// at the wrong time without a word said, while a refused topic word costs a pair of quotes
/// (`"Phase 2a review"`). An hour with a capital `A` or `P` (`Room 4A`, `Gate 2A`) is a name,
/// not a time, and so is a shape we cannot place (`200ms`, `5G`): those stay in the topic
/// unless they stand right before the schedule, where the scan refuses them.
pub(crate) fn check_topic(topic: &[Token<'_>], example_year: i32) -> Result<(), CommandError> {
    for start in 0..topic.len() {
        for len in 1..=2 {
            let found = topic
                .get(start..start + len)
                .and_then(|span| classify(span, ZoneSlot::SlashOnly, example_year));
            if let Some(Err(
                err @ CommandError::UnknownWord {
                    suggestion: Some(_),
                    ..
                },
            )) = found
                && !a_name(&err)
            {
                return Err(err);
            }
        }
    }
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

/// `4A`, `12P`: digits and a capital `A` or `P`, a room, gate or form rather than a time.
fn a_name(err: &CommandError) -> bool {
    match err {
        CommandError::UnknownWord {
            kind: WordKind::Time,
            word,
            ..
        } => word
            .strip_suffix(['A', 'P'])
            .is_some_and(|hour| !hour.is_empty() && hour.bytes().all(|b| b.is_ascii_digit())),
        _ => false,
    }
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

    /// Every parser, without the [`may_start_phrase`] shortcut.
    fn classify_slowly(span: &[Token<'_>]) -> Option<Classified> {
        let keys: Vec<&str> = span.iter().map(|t| t.key.as_str()).collect();
        let said = Said(span);
        if let Some(found) = clock::parse(&keys, said) {
            return Some(found.map(|(c, s)| (Item::Clock(c), s)));
        }
        if let Some(found) = date::parse(&keys, said, 2026) {
            return Some(found.map(|(d, s)| (Item::Date(d), s)));
        }
        if let Some((kind, suggestion)) = typo::check(&keys) {
            return Some(Err(CommandError::UnknownWord {
                word: said.text(),
                kind,
                suggestion,
            }));
        }
        if let Some(found) = duration::parse(&keys, said) {
            return Some(found.map(|(m, s)| (Item::Duration(m), s)));
        }
        repeat::parse(&keys, said, 2026)
    }

    #[test]
    fn the_phrase_filter_rejects_only_spans_no_parser_claims() {
        // Every starter, and words that end phrases or sit in their middle.
        let mut words: Vec<&str> = PHRASE_STARTERS.to_vec();
        words.extend([
            "review", "2", "15", "2026", "1st", "15th", "dec", "aralik", "fri", "cuma", "mon,wed",
            "and", "ve", "after", "tomorrow", "gun", "yarisi", "sonra", "once", "3", "3:30", "pm",
            "weeks", "hafta", "ici", "haftada", "bir", "times", "kez", "kadar", "itibaren",
            "boyunca", "hours", "saat", "dakika", "30", "other", "weekday", "8", "day",
        ]);
        let text = words.join(" ");
        let tokens = tokenize(&text);
        let check = |span: &[Token<'_>]| {
            let fast = classify(span, ZoneSlot::SlashOnly, 2026);
            let slow = classify_slowly(span);
            assert_eq!(fast, slow, "{:?}", join_raw(span));
        };
        for a in 0..tokens.len() {
            for b in 0..tokens.len() {
                let (Some(x), Some(y)) = (tokens.get(a), tokens.get(b)) else {
                    continue;
                };
                let pair = [Token::new(x.raw), Token::new(y.raw)];
                check(&pair);
                for c in [0, 5, 17, 31, 44, 60] {
                    if let Some(z) = tokens.get(c) {
                        check(&[Token::new(x.raw), Token::new(y.raw), Token::new(z.raw)]);
                        check(&[Token::new(z.raw), Token::new(x.raw), Token::new(y.raw)]);
                    }
                }
            }
        }
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
