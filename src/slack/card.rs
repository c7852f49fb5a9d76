//! The in-channel meeting card (Block Kit + plain fallback) and the short texts around it.
//!
//! Built from plain values, so this module knows nothing of Zoom's or the parser's types.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value, json};

use crate::i18n::{Key, Lang, t};
use crate::slack::calendar::Event;
use crate::slack::markup::{Segment, segments};
use crate::slack::reply::{escape, neutralise};
use crate::slack::{Reply, UserId};

/// Everything a meeting card shows.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingCard {
    /// Slack-formatted, as typed (Slack's `&amp;` escaping, mentions as `<@U…>`); broadcasts
    /// such as `<!channel>` are neutralised here.
    pub topic: String,
    pub start: DateTime<Utc>,
    /// The organiser's zone and wall-clock time, for the fallback text.
    pub zone: String,
    pub local_start: NaiveDateTime,
    /// Already written out (`1 hour 30 minutes`).
    pub duration: String,
    pub join_url: String,
    /// Already grouped as Zoom shows it (`857 4606 5432`).
    pub meeting_id: String,
    pub passcode: Option<String>,
    pub scheduled_by: UserId,
    /// Length in minutes, for the calendar links' end time.
    pub minutes: u16,
    /// The Zoom meeting the buttons act on; `None` shows no buttons.
    pub zoom_id: Option<u64>,
    /// For a recurring series: how it repeats, for people and for calendars.
    pub series: Option<Series>,
    /// Set once the meeting is cancelled: the card then says so and offers nothing to click.
    pub cancelled_by: Option<UserId>,
    /// The scheduler's language: the card's words and the dates it writes out (its date token
    /// is rendered by each reader's own client). `duration` and the series' description are
    /// expected in it too.
    pub lang: Lang,
}

/// A recurring series as the card shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// "Every Monday at 10:00 AM (Europe/Berlin), 8 times".
    pub description: String,
    /// RFC 5545 rule for calendars (`FREQ=WEEKLY;BYDAY=MO;COUNT=8`).
    pub rrule: Option<String>,
}

/// Slack refuses a button whose `url` is longer than this.
const MAX_BUTTON_URL: usize = 3000;

/// `action_id`s of the card's buttons, matched by the interaction handler.
pub mod action {
    pub const JOIN: &str = "join";
    pub const CALENDAR_GOOGLE: &str = "calendar_google";
    pub const CALENDAR_OUTLOOK: &str = "calendar_outlook";
    pub const CHANGE_TIME: &str = "change_time";
    pub const CANCEL: &str = "cancel";
}

impl MeetingCard {
    /// The message everyone in the channel sees.
    pub fn in_channel(&self) -> Reply {
        Reply::in_channel(self.fallback_text(), self.blocks())
    }

    /// A dry-run preview: the same card, only for the invoker, clearly marked.
    pub fn preview(&self) -> Reply {
        let lang = self.lang;
        let mut blocks = vec![json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": lang.text(Key::CardPreview)}]
        })];
        blocks.extend(self.blocks());
        Reply::ephemeral(t!(lang, CardPreviewFallback, card = self.fallback_text()))
            .with_blocks(blocks)
    }

    /// `Tuesday, December 1, 2026 at 3:00 PM (America/Los_Angeles)`: the organiser's view.
    pub fn organiser_time(&self) -> String {
        format!(
            "{} ({})",
            self.lang.datetime(Key::FormatFull, self.local_start),
            self.zone
        )
    }

    /// A date token every reader's client renders in their own timezone.
    fn date_token(&self) -> String {
        t!(
            self.lang,
            TokenLong,
            ts = self.start.timestamp(),
            fallback = escape(&self.organiser_time())
        )
    }

    fn fallback_text(&self) -> String {
        let lang = self.lang;
        let mut text = t!(
            lang,
            CardFallback,
            topic = neutralise(&self.topic),
            time = escape(&self.organiser_time()),
            duration = self.duration,
        );
        if !self.join_url.is_empty() {
            text.push_str(&t!(lang, CardFallbackJoin, url = escape(&self.join_url)));
        }
        text.push_str(&t!(lang, CardFallbackMeetingId, id = self.meeting_id));
        if let Some(passcode) = self.passcode.as_deref().filter(|p| !p.is_empty()) {
            text.push_str(&t!(lang, CardFallbackPasscode, passcode = escape(passcode)));
        }
        text
    }

    /// The card says only facts about the meeting; notes for the person who typed the
    /// command go to them alone. The topic is a `rich_text` block, so `*`, `_`, `~` and
    /// backticks typed in it are shown as typed instead of being read as formatting.
    fn blocks(&self) -> Vec<Value> {
        let lang = self.lang;
        let cancelled = self.cancelled_by.is_some();
        let mut fields = vec![mrkdwn(t!(
            lang,
            CardMeetingId,
            id = code_span(&self.meeting_id)
        ))];
        if let Some(passcode) = self
            .passcode
            .as_deref()
            .filter(|p| !p.is_empty() && !cancelled)
        {
            fields.push(mrkdwn(t!(
                lang,
                CardPasscode,
                passcode = code_span(passcode)
            )));
        }
        let when = match &self.series {
            Some(series) => t!(
                lang,
                CardSeriesWhen,
                series = escape(&series.description),
                duration = self.duration,
                token = self.date_token()
            ),
            None => format!("{} · {}", self.date_token(), self.duration),
        };
        let mut when_section = object([("type", "section".into()), ("text", mrkdwn(when))]);
        if !cancelled && self.join_url.len() <= MAX_BUTTON_URL && !self.join_url.is_empty() {
            let mut join = button(action::JOIN, lang.text(Key::ButtonJoin));
            join["style"] = "primary".into();
            join["url"] = self.join_url.clone().into();
            // Slack reports clicks on link buttons too: the id tells which meeting's card it was.
            if let Some(id) = self.zoom_id {
                join["value"] = id.to_string().into();
            }
            when_section["accessory"] = join;
        }
        let topic = object([
            ("type", "rich_text_section".into()),
            ("elements", topic_elements(&self.topic, cancelled).into()),
        ]);
        let mut blocks = vec![
            object([
                ("type", "rich_text".into()),
                ("elements", vec![topic].into()),
            ]),
            when_section,
            object([("type", "section".into()), ("fields", fields.into())]),
        ];
        if let Some(actions) = self.actions() {
            blocks.push(actions);
        }
        let context = match &self.cancelled_by {
            Some(by) => t!(lang, CardCancelledBy, by, user = self.scheduled_by),
            None => t!(lang, CardScheduledBy, user = self.scheduled_by),
        };
        blocks.push(object([
            ("type", "context".into()),
            ("elements", vec![mrkdwn(context)].into()),
        ]));
        blocks
    }

    /// Add to calendar (for everyone), change time and cancel (checked on every click).
    fn actions(&self) -> Option<Value> {
        let id = self.zoom_id?.to_string();
        if self.cancelled_by.is_some() {
            return None;
        }
        let lang = self.lang;
        let mut elements = Vec::with_capacity(4);
        if !self.join_url.is_empty() {
            let event = Event {
                title: &plain(&self.topic),
                start: self.start,
                end: self.start + chrono::Duration::minutes(i64::from(self.minutes)),
                join_url: &self.join_url,
                rrule: self.series.as_ref().and_then(|s| s.rrule.clone()),
                lang,
            };
            for (action_id, label, url) in [
                (
                    action::CALENDAR_GOOGLE,
                    lang.text(Key::ButtonGoogle),
                    event.google(),
                ),
                (
                    action::CALENDAR_OUTLOOK,
                    lang.text(Key::ButtonOutlook),
                    event.outlook(),
                ),
            ] {
                let mut calendar = button(action_id, label);
                calendar["url"] = url.into();
                calendar["value"] = id.clone().into();
                elements.push(calendar);
            }
        }
        let (cancel, confirm) = if self.series.is_some() {
            (Key::CardCancelSeries, Key::CardConfirmSeries)
        } else {
            (Key::CardCancelMeeting, Key::CardConfirmMeeting)
        };
        let mut change = button(action::CHANGE_TIME, lang.text(Key::ButtonChangeTime));
        change["value"] = id.clone().into();
        elements.push(change);
        let mut cancel_button = button(action::CANCEL, lang.text(cancel));
        cancel_button["style"] = "danger".into();
        cancel_button["value"] = id.into();
        cancel_button["confirm"] = object([
            ("title", plain_text(lang.text(confirm))),
            (
                "text",
                plain_text(t!(lang, CardConfirmText, id = self.meeting_id)),
            ),
            ("confirm", plain_text(lang.text(cancel))),
            ("deny", plain_text(lang.text(Key::ButtonKeep))),
            ("style", "danger".into()),
        ]);
        elements.push(cancel_button);
        Some(object([
            ("type", "actions".into()),
            ("block_id", "meeting_actions".into()),
            ("elements", elements.into()),
        ]))
    }
}

/// A JSON object of `fields`, moved in: `json!` copies every value it interpolates, and the
/// card is built for every meeting (docs/PERFORMANCE.md).
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}

fn mrkdwn(text: String) -> Value {
    object([("type", "mrkdwn".into()), ("text", text.into())])
}

fn plain_text(text: impl Into<String>) -> Value {
    object([("type", "plain_text".into()), ("text", text.into().into())])
}

/// A button with its id and label; the caller adds its `url`, `value`, `style`….
fn button(action_id: &str, label: impl Into<String>) -> Value {
    object([
        ("type", "button".into()),
        ("action_id", action_id.into()),
        ("text", plain_text(label)),
    ])
}

/// The topic as plain words (mentions as `@U…`, links as their label), for calendars.
fn plain(topic: &str) -> String {
    segments(topic)
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(text) => text,
            Segment::User(id) => format!("@{id}"),
            Segment::Channel(id) => format!("#{id}"),
            Segment::Link { url, label } => label.unwrap_or(url),
        })
        .collect()
}

/// A camera, then the topic in bold (struck through once cancelled): mentions and honest
/// links stay live, the rest is text.
fn topic_elements(topic: &str, cancelled: bool) -> Vec<Value> {
    let bold = || {
        let mut style = object([("bold", true.into())]);
        if cancelled {
            style["strike"] = true.into();
        }
        style
    };
    let mut elements = vec![
        object([("type", "emoji".into()), ("name", "video_camera".into())]),
        object([("type", "text".into()), ("text", " ".into())]),
    ];
    for segment in segments(topic) {
        elements.push(match segment {
            Segment::Text(text) => object([
                ("type", "text".into()),
                ("text", text.into()),
                ("style", bold()),
            ]),
            Segment::User(id) => object([
                ("type", "user".into()),
                ("user_id", id.into()),
                ("style", bold()),
            ]),
            Segment::Channel(id) => object([
                ("type", "channel".into()),
                ("channel_id", id.into()),
                ("style", bold()),
            ]),
            Segment::Link { url, label } => {
                let mut link = object([
                    ("type", "link".into()),
                    ("url", url.into()),
                    ("style", bold()),
                ]);
                if let Some(label) = label {
                    link["text"] = label.into();
                }
                link
            }
        });
    }
    elements
}

/// Text shown exactly as given: inside a code span `_ab12_` stays `_ab12_`, not italic. A
/// value with a backtick cannot be a code span, so it gets zero-width joins instead.
fn code_span(value: &str) -> String {
    if value.contains('`') {
        escape(value)
            .chars()
            .flat_map(|c| [c, '\u{2060}'])
            .collect()
    } else {
        format!("`{}`", escape(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::markup;
    use chrono::TimeZone;

    fn card() -> MeetingCard {
        MeetingCard {
            topic: "<!channel> R&amp;D <@U999>".into(),
            start: Utc.with_ymd_and_hms(2026, 12, 1, 23, 0, 0).unwrap(),
            zone: "America/Los_Angeles".into(),
            local_start: chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
                .unwrap()
                .and_hms_opt(15, 0, 0)
                .unwrap(),
            duration: "45 minutes".into(),
            join_url: "https://us02web.zoom.us/j/85746065432?pwd=abc".into(),
            meeting_id: "857 4606 5432".into(),
            passcode: Some("a1<b>".into()),
            scheduled_by: UserId::parse("U0001").unwrap(),
            minutes: 45,
            zoom_id: Some(85_746_065_432),
            series: None,
            cancelled_by: None,
            lang: Lang::En,
        }
    }

    /// Every mrkdwn string Slack will parse on the card: the fallback and each mrkdwn object.
    fn mrkdwn(reply: &Reply) -> Vec<String> {
        fn walk(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if map.get("type").and_then(Value::as_str) == Some("mrkdwn")
                        && let Some(text) = map.get("text").and_then(Value::as_str)
                    {
                        out.push(text.to_owned());
                    }
                    map.values().for_each(|v| walk(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut out = vec![reply.text().to_owned()];
        reply.blocks().iter().for_each(|b| walk(b, &mut out));
        out
    }

    /// The topic's rich-text elements, after the camera and the space.
    fn topic(reply: &Reply) -> Vec<Value> {
        reply.blocks()[0]["elements"][0]["elements"]
            .as_array()
            .unwrap()
            .iter()
            .skip(2)
            .cloned()
            .collect()
    }

    fn with_topic(topic: &str) -> Reply {
        MeetingCard {
            topic: topic.into(),
            ..card()
        }
        .in_channel()
    }

    #[test]
    fn nothing_in_a_topic_can_ping_or_wear_another_address() {
        let cases = [
            "<!channel> R&amp;D",
            "<@U1|<!channel>>",
            "<#C1|<!here>>",
            "<https://x|y <!channel>>",
            "<https://evil.example|https://zoom.us/j/857>",
            "<https://evil.example|zoom.us/j/857>",
            "<!subteam^S1|@design> crit",
            "<!everyone>",
        ];
        for case in cases {
            let reply = with_topic(case);
            for text in mrkdwn(&reply) {
                let broadcast = text
                    .match_indices("<!")
                    .any(|(i, _)| !text[i..].starts_with("<!date^"));
                assert!(!broadcast, "{case}: live broadcast in {text}");
                assert!(
                    !text.contains("<https://evil"),
                    "{case}: live link in {text}"
                );
            }
            let elements = topic(&reply);
            assert_eq!(elements.len(), 1, "{case}: {elements:?}");
            assert_eq!(elements[0]["type"], "text", "{case}");
            let shown = elements[0]["text"].as_str().unwrap();
            assert_eq!(shown, markup::decode_entities(case), "{case}");
        }
    }

    #[test]
    fn mentions_and_honest_links_stay_live() {
        let reply = with_topic("Sync <@U999> in <#C1|general> re <https://x.io/doc|the doc>");
        let elements = topic(&reply);
        let kinds: Vec<&str> = elements
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["text", "user", "text", "channel", "text", "link"]);
        assert_eq!(elements[1]["user_id"], "U999");
        assert_eq!(elements[5]["url"], "https://x.io/doc");
        assert!(reply.text().contains("<@U999>"), "{}", reply.text());
    }

    #[test]
    fn bidi_controls_never_reach_the_card() {
        let reply = with_topic("Budget \u{202E}weiv\u{202C} \u{2066}x\u{2069}");
        let json = serde_json::to_string(&reply).unwrap();
        for c in ['\u{202A}', '\u{202C}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert!(!json.contains(c), "{c:?} in {json}");
        }
        assert_eq!(topic(&reply)[0]["text"], "Budget weiv x");
    }

    #[test]
    fn formatting_characters_in_a_topic_are_shown_as_typed() {
        for case in ["a*b*c", "_ital_", "~strike~", "`code`", "*_~`"] {
            let reply = with_topic(case);
            assert_eq!(topic(&reply)[0]["text"], case, "{case}");
            assert_eq!(topic(&reply)[0]["style"]["bold"], true, "{case}");
            // The topic is not in any mrkdwn block, so it cannot break the card's formatting.
            for text in mrkdwn(&reply).iter().skip(1) {
                assert!(!text.contains(case), "{case} in {text}");
            }
        }
    }

    #[test]
    fn passcode_and_meeting_id_show_exactly_as_zoom_gave_them() {
        let cases = [
            ("_ab12_", "*Passcode*\n`_ab12_`"),
            ("*x@-_*", "*Passcode*\n`*x@-_*`"),
            ("a<b>&", "*Passcode*\n`a&lt;b&gt;&amp;`"),
        ];
        for (passcode, expected) in cases {
            let reply = MeetingCard {
                passcode: Some(passcode.into()),
                ..card()
            }
            .in_channel();
            assert_eq!(
                reply.blocks()[2]["fields"][1]["text"],
                expected,
                "{passcode}"
            );
            assert_eq!(
                reply.blocks()[2]["fields"][0]["text"],
                "*Meeting ID*\n`857 4606 5432`"
            );
        }
    }

    #[test]
    fn a_join_url_longer_than_slack_allows_gets_no_button() {
        let long = format!("https://zoom.us/j/1?pwd={}", "a".repeat(3000));
        // (Calendar links carry the join link too; they are cut to fit, the Join button is dropped.)
        let reply = MeetingCard {
            join_url: long,
            ..card()
        }
        .in_channel();
        assert!(reply.blocks()[1].get("accessory").is_none());
        let reply = card().in_channel();
        assert_eq!(reply.blocks()[1]["accessory"]["url"], card().join_url);
    }

    #[test]
    fn the_start_is_a_date_token_with_the_organisers_zone_as_fallback() {
        let reply = card().in_channel();
        let section = reply.blocks()[1]["text"]["text"].as_str().unwrap();
        assert!(
            section.contains("<!date^1796166000^{date_long_pretty} at {time}|Tuesday, December 1, 2026 at 3:00 PM (America/Los_Angeles)>"),
            "{section}"
        );
        assert!(reply.text().contains("3:00 PM (America/Los_Angeles)"));
    }
}
