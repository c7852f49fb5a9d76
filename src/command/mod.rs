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

/// The Slack mrkdwn help text shown for `/zoom help`; `default_duration` is the length a
/// meeting gets when the command names none.
pub fn usage(default_duration: Minutes) -> String {
    let minutes = default_duration.get();
    [
        "*Schedule a Zoom meeting*".to_owned(),
        "`/zoom <topic> <duration> <date> <time> [repeat] [time zone]` (every part is optional)".to_owned(),
        String::new(),
        "*Examples*".to_owned(),
        "• `/zoom` (a meeting right now)".to_owned(),
        "• `/zoom Design review 45m tomorrow 3pm`".to_owned(),
        "• `/zoom Standup tomorrow 9:30 15m`".to_owned(),
        "• `/zoom \"Q3 plan\" 1h30m 2026-12-01 15:00 Europe/Berlin`".to_owned(),
        "• `/zoom Retro 1h next fri 14h`".to_owned(),
        "• `/zoom Standup 15m every weekday 9:30 until dec 20`".to_owned(),
        "• `/zoom Toplantı 45dk yarın 15:00`".to_owned(),
        String::new(),
        "*Topic*: the words before the schedule, up to 200 characters. Quote it (`\"Review 2pm changes\" 30m`) when it contains times, dates or durations. Default: _Zoom meeting_.".to_owned(),
        format!("*Duration*: `45`, `45m`, `45 minutes`, `1h`, `1h30m`, `1h 30m`, `1.5h`, `2 hours`; 1 minute to 24 hours. Default: {minutes} minutes."),
        "*Date*: `today`, `tomorrow`, `day after tomorrow`, `2026-12-01`, `dec 1`, `1 dec`, `december 1st`, `the 15th`. `fri` is the next Friday (today if the time is still ahead); `next fri` is Friday of next week (weeks start on Monday). A month and day without a year is the next one to come. Numeric day/month dates like `03/04` are ambiguous: write `2026-04-03` or `apr 3`. No date: today, or tomorrow if that time has passed.".to_owned(),
        "*Time*: `15:00`, `15.00`, `3pm`, `3:30 PM`, `noon`, `midnight`, `now`. A two-digit hour with `h` is a time (`09h`, `15h`, `15h30`); `1h` to `9h`, `1h30m`, `1.5h` and `24h` are durations. No time: now.".to_owned(),
        "*Time zone*: an IANA name such as `Europe/Istanbul` or `America/New_York`, or `UTC`. Abbreviations like `EST` or `IST` mean different places, so use the full name. Default: your time zone.".to_owned(),
        "*Repeat*: `daily`, `every day`, `every weekday`, `every monday`, `every mon, wed`, `weekly on fri`, `every 2 weeks on tue`, `monthly on the 15th`, `every month on the 1st`, with a time. End with `until dec 20`, `for 6 weeks`, `x 8` or `8 times`; without an end a series stops at Zoom's limit of 60 meetings. Zoom repeats at most every 90 days, 12 weeks or 3 months.".to_owned(),
        "*Türkçe*: `bugün`, `yarın`, `öbür gün`, `pazartesi`…`pazar`, `gelecek cuma`, `20 aralık`, `30dk`, `1 saat`, `1,5 saat`, `saat 15:00`, `öğleden sonra 3`, `sabah 10`, `öğlen`, `şimdi`, `her pazartesi`, `her gün`, `her hafta içi`, `8 kez`, `20 aralık'a kadar`. Turkish letters are optional (`carsamba`, `yarin`).".to_owned(),
        "Meetings start at most a year ahead; a time up to 5 minutes ago means now. A word that looks like a date or time but isn't one I read (`tmrw`, `3p`) is refused: quote the topic if it's part of it.".to_owned(),
        "".to_owned(),
        "*Your meetings*".to_owned(),
        "• `/zoom list`: your upcoming meetings scheduled here, as Zoom has them, each with Join and Cancel".to_owned(),
        "• `/zoom cancel 857 4606 5432`: cancel one (yours, or any if you are an admin); its card says so".to_owned(),
        "• `/zoom new`: a form instead of typing".to_owned(),
        "• On a card: *Google Calendar* / *Outlook* to add it to your calendar, *Change time…* and *Cancel* for whoever scheduled it".to_owned(),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

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
