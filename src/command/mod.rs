//! The command language: text typed after `/zoom` → a typed meeting request (pure, no I/O).
//!
//! `/zoom <topic> <duration> <date> <time> [repeat] [zone]`, every part optional, in English
//! or Turkish. Schedule words are read from the end of the text (see `scan.rs`); the words
//! before them are the topic. A word that looks like a schedule word but is not one we read
//! (`tmrw`, `3p`, `45perc`) is refused rather than left in the topic.
//! [`usage`] is the user-facing description of the language and must match this code.

mod action;
mod clock;
mod date;
mod duration;
mod error;
mod fold;
mod form;
mod recurrence;
mod repeat;
mod request;
mod resolve;
mod scan;
mod series;
mod topic;
mod typo;

use chrono::{DateTime, Datelike, Utc};

pub use action::Action;
pub use duration::Minutes;
pub use error::{CommandError, WordKind};
pub use form::{Field, FormError, Understood, understood};
pub use recurrence::{Frequency, Occurrence, Recurrence, RepeatUnit, SeriesEnd, WeekdaySet};
pub use request::{MeetingRequest, Note};
pub use topic::{Topic, is_bidi_control};

use crate::i18n::{Key, Lang, t};
use crate::time::Zone;

/// Longest command we read. Slack allows about 4000 characters; a topic is capped at 200,
/// so anything this long is a paste accident.
pub const MAX_INPUT_CHARS: usize = 3000;

/// What the parse needs from outside: the clock, the user's zone and the team default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    pub now: DateTime<Utc>,
    pub zone: Zone,
    pub default_duration: Minutes,
}

/// A successfully read command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// `help`, `-h`, `--help` or `?`: reply with [`usage`].
    Help,
    /// `list`, `cancel <id>`, `new`.
    Action(Action),
    Meeting(MeetingRequest),
}

/// Reads the text after `/zoom`. Never panics; every refusal is a [`CommandError`] whose
/// [`user_message`](CommandError::user_message) is ready for Slack.
pub fn parse(text: &str, ctx: &Context) -> Result<Parsed, CommandError> {
    let chars = text.chars().count();
    if chars > MAX_INPUT_CHARS {
        return Err(CommandError::TooLong {
            chars,
            max: MAX_INPUT_CHARS,
        });
    }
    // Control characters (newlines from pasted text included) separate words like spaces.
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = cleaned.trim();
    if is_help(text) {
        return Ok(Parsed::Help);
    }
    if let Some(action) = action::parse(text) {
        return action.map(Parsed::Action);
    }
    let example_year = ctx.now.year();
    let (quoted, rest) = topic::split_quoted(text)?;
    let tokens = scan::tokenize(rest);
    let found = scan::scan(&tokens, quoted.is_some(), example_year)?;
    let topic_words = tokens.get(..found.topic_end).unwrap_or_default();
    let topic = match quoted {
        Some(quoted) => {
            if let Some(stray) = topic_words.last() {
                let after = match topic_words
                    .len()
                    .checked_sub(2)
                    .and_then(|i| topic_words.get(i))
                {
                    Some(previous) => previous.raw().to_owned(),
                    None => format!("\"{quoted}\""),
                };
                return Err(CommandError::UnexpectedWord {
                    word: stray.raw().to_owned(),
                    after,
                });
            }
            Topic::parse(quoted)?
        }
        None => {
            scan::check_topic(topic_words, example_year)?;
            let words: Vec<&str> = topic_words.iter().map(|t| t.raw()).collect();
            Topic::parse(&words.join(" "))?
        }
    };
    resolve::resolve(topic, found.schedule, ctx).map(Parsed::Meeting)
}

/// `true` for the words that ask for help (`help`, `-h`, `--help`, `?`, `yardım`), so a
/// caller can answer them before doing any work the parse would need.
pub fn is_help(text: &str) -> bool {
    let key = fold::key(text.trim());
    ["help", "-h", "--help", "?", "yardim"].contains(&key.as_str())
}

/// The Slack mrkdwn help text shown for `/zoom help`, in English; `default_duration` is the
/// length a meeting gets when the command names none.
pub fn usage(default_duration: Minutes) -> String {
    usage_in(Lang::En, default_duration)
}

/// [`usage`] in `lang` (its examples in that language's words; both languages are understood).
pub fn usage_in(lang: Lang, default_duration: Minutes) -> String {
    [
        lang.text(Key::HelpIntro).to_owned(),
        lang.text(Key::HelpExamples).to_owned(),
        t!(lang, HelpRules, minutes = default_duration.get()),
        lang.text(Key::HelpMeetings).to_owned(),
    ]
    .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Key;
    use chrono::TimeZone;

    /// Every `/zoom …` command a message shows as an example, in every language, is one the
    /// command language reads (a help text must never teach a command that is refused).
    #[test]
    fn every_example_command_in_every_catalog_is_understood() {
        let ctx = Context {
            now: Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap(),
            zone: Zone::parse("Europe/Istanbul").unwrap(),
            default_duration: Minutes::new(30).unwrap(),
        };
        let mut checked = 0;
        for lang in Lang::ALL {
            for key in Key::ALL {
                let dummy: Vec<(&str, &dyn std::fmt::Display)> = key
                    .placeholders()
                    .iter()
                    .map(|p| (*p, &"\u{1}" as &dyn std::fmt::Display))
                    .collect();
                let text = lang.render(key, &dummy);
                for (i, span) in text.split('`').enumerate() {
                    let Some(command) = span.strip_prefix("/zoom") else {
                        continue;
                    };
                    // Odd spans are inside backticks; skip syntax (`<topic>`) and fill-ins.
                    if i % 2 == 0 || command.contains(['<', '\u{1}']) {
                        continue;
                    }
                    let got = parse(command, &ctx);
                    assert!(
                        got.is_ok(),
                        "{lang} {}: `/zoom{command}` is refused: {:?}",
                        key.name(),
                        got.map_err(|e| e.user_message_in(lang))
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 40, "only {checked} examples found");
    }

    #[test]
    fn usage_documents_the_h_rule_next_weekday_repeats_turkish_and_the_default() {
        let text = usage(Minutes::new(45).expect("45 minutes is valid"));
        for needle in [
            "Default: 45 minutes.",
            "`every weekday`",
            "`until dec 20`",
            "`x 8`",
            "60 meetings",
            "`yarın`",
            "`öğleden sonra 3`",
            "`her pazartesi`",
            "`15h30`",
            "`1.5h`",
            "`next fri`",
            "weeks start on Monday",
            "`2026-04-03`",
        ] {
            assert!(text.contains(needle), "usage is missing {needle}");
        }
    }
}
