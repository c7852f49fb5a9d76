//! The scheduling form's fields (topic, start instant, length) read into a meeting request
//! under the same rules as a typed command, with each refusal pinned to its field.

use chrono::{DateTime, TimeDelta, Utc};

use super::duration::Minutes;
use super::error::CommandError;
use super::request::{MeetingRequest, Parts};
use super::resolve::{GRACE, HORIZON_DAYS, this_minute};
use super::topic::Topic;
use crate::i18n::{Key, Lang};
use crate::time::Zone;

/// Which form field a refusal belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Topic,
    Start,
    Duration,
}

/// A refused form: the field, and the sentence to show under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    pub field: Field,
    pub message: String,
}

impl MeetingRequest {
    /// A meeting from the form: `topic` as typed (plain text, so `<` stays a `<`), `start`
    /// as picked (an instant), `minutes` as selected, in the user's `zone` (which Zoom gets).
    /// Past starts (beyond the five-minute grace), starts more than a year ahead, lengths
    /// outside 1 minute to 24 hours and empty or over-long topics are refused.
    pub fn from_form(
        topic: &str,
        start: DateTime<Utc>,
        minutes: u32,
        zone: Zone,
        now: DateTime<Utc>,
    ) -> Result<MeetingRequest, FormError> {
        MeetingRequest::from_form_in(Lang::En, topic, start, minutes, zone, now)
    }

    /// [`from_form`](Self::from_form), its refusals worded in `lang`.
    pub fn from_form_in(
        lang: Lang,
        topic: &str,
        start: DateTime<Utc>,
        minutes: u32,
        zone: Zone,
        now: DateTime<Utc>,
    ) -> Result<MeetingRequest, FormError> {
        let refuse = |field, key: Key| FormError {
            field,
            message: lang.text(key).to_owned(),
        };
        if topic.trim().is_empty() {
            return Err(refuse(Field::Topic, Key::FormNeedTopic));
        }
        // The form's text is plain: escape it like Slack escapes typed text, so the topic
        // keeps one meaning in both forms.
        let escaped = topic
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let topic = Topic::parse(&escaped).map_err(|e| FormError {
            field: Field::Topic,
            message: e.user_message_in(lang),
        })?;
        let duration =
            Minutes::new(minutes).map_err(|_| refuse(Field::Duration, Key::FormPickLength))?;
        let now = this_minute(now);
        let start = this_minute(start);
        if start < now - GRACE {
            return Err(refuse(Field::Start, Key::FormPast));
        }
        if start - now > TimeDelta::days(HORIZON_DAYS) {
            return Err(refuse(Field::Start, Key::FormTooFar));
        }
        let start = start.max(now);
        Ok(MeetingRequest::new(Parts {
            topic,
            duration,
            start,
            zone,
            explicit_zone: true,
            starts_now: start == now,
            recurrence: None,
            notes: Vec::new(),
        }))
    }
}

/// What the form is opened with after a refused command: whatever could be read from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Understood {
    pub topic: Option<String>,
    pub minutes: Option<u16>,
    pub start: Option<DateTime<Utc>>,
}

impl Understood {
    /// All of a request that the form can hold (not its repetition).
    pub fn of(request: &MeetingRequest) -> Understood {
        Understood {
            topic: Some(request.topic().as_str().to_owned()).filter(|t| t != Topic::DEFAULT),
            minutes: Some(request.duration().get()),
            start: (!request.starts_now()).then(|| request.start()),
        }
    }
}

/// Reads as much of a refused command as possible: without the word it stumbled on, the
/// rest may parse; otherwise the words typed become the topic.
pub fn understood(text: &str, error: &CommandError, ctx: &super::Context) -> Understood {
    let without = error
        .word()
        .map(|word| text.replacen(word, " ", 1))
        .unwrap_or_else(|| text.to_owned());
    match super::parse(&without, ctx) {
        Ok(super::Parsed::Meeting(request)) => Understood::of(&request),
        _ => {
            let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            Understood {
                topic: Some(words.chars().take(Topic::MAX_CHARS).collect())
                    .filter(|t: &String| !t.is_empty()),
                ..Understood::default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_form_is_read_under_the_typed_commands_rules_and_refusals_name_their_field() {
        let zone = Zone::utc();
        let hour = TimeDelta::hours(1);
        let cases = [
            ("Retro", now() + hour, 45, None),
            ("", now() + hour, 45, Some(Field::Topic)),
            ("   ", now() + hour, 45, Some(Field::Topic)),
            (&*"x".repeat(201), now() + hour, 45, Some(Field::Topic)),
            ("Retro", now() - hour, 45, Some(Field::Start)),
            (
                "Retro",
                now() + TimeDelta::days(400),
                45,
                Some(Field::Start),
            ),
            ("Retro", now() + hour, 0, Some(Field::Duration)),
            ("Retro", now() + hour, 1441, Some(Field::Duration)),
        ];
        for (topic, start, minutes, refused) in cases {
            let got = MeetingRequest::from_form(topic, start, minutes, zone, now());
            assert_eq!(
                got.as_ref().err().map(|e| e.field),
                refused,
                "{topic:?} {start} {minutes}"
            );
        }
    }

    #[test]
    fn a_form_topic_is_plain_text() {
        let request =
            MeetingRequest::from_form("R&D <b> <!channel>", now(), 30, Zone::utc(), now()).unwrap();
        assert_eq!(request.topic().as_str(), "R&D <b> <!channel>");
        assert_eq!(
            request.topic().as_slack(),
            "R&amp;D &lt;b&gt; &lt;!channel&gt;"
        );
        assert!(request.starts_now());
    }
}
