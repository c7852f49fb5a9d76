//! The in-channel meeting card (Block Kit + plain fallback) and the short texts around it.
//!
//! Built from plain values, so this module knows nothing of Zoom's or the parser's types.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::i18n::{Key, Lang, t};
use crate::slack::blocks::{Block, Button, Confirm, Inline, RichTextSection, Style, Text};
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
    pub cancelled_by: Option<Canceller>,
    /// The scheduler's language: the card's words and the dates it writes out (its date token
    /// is rendered by each reader's own client). `duration` and the series' description are
    /// expected in it too.
    pub lang: Lang,
}

/// Who cancelled a meeting, as its card says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Canceller {
    /// Someone in Slack (its scheduler or an admin): mentioned by name.
    User(UserId),
    /// Nobody in Slack: it was found deleted in Zoom itself.
    Zoom,
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
        Reply::in_channel(self.fallback_text()).with_blocks(self.blocks())
    }

    /// A dry-run preview: the same card, only for the invoker, clearly marked.
    pub fn preview(&self) -> Reply {
        let lang = self.lang;
        let mut blocks = vec![Block::context(Text::mrkdwn(lang.text(Key::CardPreview)))];
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

    /// The text notifications and screen readers get. A cancelled meeting's says so first and,
    /// like its card, offers no way to join.
    fn fallback_text(&self) -> String {
        let lang = self.lang;
        let cancelled = self.cancelled_by.is_some();
        let mut text = if cancelled {
            lang.text(Key::CardFallbackCancelled).to_owned()
        } else {
            String::new()
        };
        text.push_str(&t!(
            lang,
            CardFallback,
            topic = neutralise(&self.topic),
            time = escape(&self.organiser_time()),
            duration = self.duration,
        ));
        if !self.join_url.is_empty() && !cancelled {
            text.push_str(&t!(lang, CardFallbackJoin, url = escape(&self.join_url)));
        }
        text.push_str(&t!(lang, CardFallbackMeetingId, id = self.meeting_id));
        if let Some(passcode) = self
            .passcode
            .as_deref()
            .filter(|p| !p.is_empty() && !cancelled)
        {
            text.push_str(&t!(lang, CardFallbackPasscode, passcode = escape(passcode)));
        }
        text
    }

    /// The card says only facts about the meeting; notes for the person who typed the
    /// command go to them alone. The topic is a `rich_text` block, so `*`, `_`, `~` and
    /// backticks typed in it are shown as typed instead of being read as formatting.
    fn blocks(&self) -> Vec<Block> {
        let lang = self.lang;
        let cancelled = self.cancelled_by.is_some();
        let mut fields = vec![Text::mrkdwn(t!(
            lang,
            CardMeetingId,
            id = code_span(&self.meeting_id)
        ))];
        if let Some(passcode) = self
            .passcode
            .as_deref()
            .filter(|p| !p.is_empty() && !cancelled)
        {
            fields.push(Text::mrkdwn(t!(
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
        let join =
            (!cancelled && self.join_url.len() <= MAX_BUTTON_URL && !self.join_url.is_empty())
                .then(|| Button {
                    style: Some("primary"),
                    url: Some(self.join_url.clone()),
                    // Slack reports clicks on link buttons too: the id tells which meeting's card
                    // it was.
                    value: self.zoom_id.map(|id| id.to_string()),
                    ..Button::new(action::JOIN, lang.text(Key::ButtonJoin))
                });
        let mut blocks = vec![
            Block::RichText {
                elements: vec![RichTextSection {
                    elements: topic_elements(&self.topic, cancelled),
                }],
            },
            Block::Section {
                text: Some(Text::mrkdwn(when)),
                fields: Vec::new(),
                accessory: join,
            },
            Block::Section {
                text: None,
                fields,
                accessory: None,
            },
        ];
        if let Some(actions) = self.actions() {
            blocks.push(actions);
        }
        let context = match &self.cancelled_by {
            Some(Canceller::User(by)) => t!(lang, CardCancelledBy, by, user = self.scheduled_by),
            Some(Canceller::Zoom) => t!(lang, CardDeletedInZoom, user = self.scheduled_by),
            None => t!(lang, CardScheduledBy, user = self.scheduled_by),
        };
        blocks.push(Block::context(Text::mrkdwn(context)));
        blocks
    }

    /// Add to calendar (for everyone), change time and cancel (checked on every click).
    fn actions(&self) -> Option<Block> {
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
                elements.push(Button {
                    url: Some(url),
                    value: Some(id.clone()),
                    ..Button::new(action_id, label)
                });
            }
        }
        let (cancel, confirm) = if self.series.is_some() {
            (Key::CardCancelSeries, Key::CardConfirmSeries)
        } else {
            (Key::CardCancelMeeting, Key::CardConfirmMeeting)
        };
        // A series cannot be moved from Slack (its occurrences would each need moving): no
        // button that could only say so.
        if self.series.is_none() {
            elements.push(Button {
                value: Some(id.clone()),
                ..Button::new(action::CHANGE_TIME, lang.text(Key::ButtonChangeTime))
            });
        }
        elements.push(Button {
            style: Some("danger"),
            value: Some(id),
            confirm: Some(Box::new(Confirm {
                title: Text::plain(lang.text(confirm)),
                text: Text::plain(t!(lang, CardConfirmText, id = self.meeting_id)),
                confirm: Text::plain(lang.text(cancel)),
                deny: Text::plain(lang.text(Key::ButtonKeep)),
                style: "danger",
            })),
            ..Button::new(action::CANCEL, lang.text(cancel))
        });
        Some(Block::Actions {
            block_id: "meeting_actions",
            elements,
        })
    }
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
fn topic_elements(topic: &str, cancelled: bool) -> Vec<Inline> {
    let style = Style {
        bold: true,
        strike: cancelled,
    };
    let mut elements = vec![
        Inline::Emoji {
            name: "video_camera",
        },
        Inline::Text {
            text: " ".into(),
            style: None,
        },
    ];
    elements.extend(segments(topic).into_iter().map(|segment| match segment {
        Segment::Text(text) => Inline::Text {
            text,
            style: Some(style),
        },
        Segment::User(id) => Inline::User { user_id: id, style },
        Segment::Channel(id) => Inline::Channel {
            channel_id: id,
            style,
        },
        Segment::Link { url, label } => Inline::Link {
            url,
            text: label,
            style,
        },
    }));
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
    use serde_json::Value;

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

    /// Cards as Slack was sent them before the blocks were typed (tests/fixtures/cards.json,
    /// written by the JSON-tree code; since then, series cards lost their "Change time…"):
    /// the typed blocks must say the same, key for key.
    #[test]
    fn cards_serialise_to_the_recorded_block_kit() {
        let recorded: serde_json::Map<String, Value> =
            serde_json::from_str(include_str!("../../tests/fixtures/cards.json")).unwrap();
        let base = |lang| MeetingCard {
            topic: "<!channel> R&amp;D <@U999> in <#C1|gen> read <https://x.io|the doc> *b* \
                    <https://y.io>"
                .into(),
            passcode: Some("a1<b>`x".into()),
            lang,
            ..card()
        };
        let series = |description: &str, rrule: Option<&str>| {
            Some(Series {
                description: description.into(),
                rrule: rrule.map(str::to_owned),
            })
        };
        let cases = [
            ("En-plain/in_channel", base(Lang::En).in_channel()),
            (
                "En-cancelled/in_channel",
                MeetingCard {
                    cancelled_by: Some(Canceller::User(UserId::parse("U0002").unwrap())),
                    ..base(Lang::En)
                }
                .in_channel(),
            ),
            (
                "En-series/in_channel",
                MeetingCard {
                    series: series("Every Monday <x>", Some("FREQ=WEEKLY;BYDAY=MO;COUNT=8")),
                    ..base(Lang::En)
                }
                .in_channel(),
            ),
            (
                "En-emptypass-nojoin/in_channel",
                MeetingCard {
                    passcode: Some(String::new()),
                    join_url: String::new(),
                    ..base(Lang::En)
                }
                .in_channel(),
            ),
            (
                "Tr-series-norrule/in_channel",
                MeetingCard {
                    series: series("Every day", None),
                    ..base(Lang::Tr)
                }
                .in_channel(),
            ),
            (
                "Tr-nopass-noid/preview",
                MeetingCard {
                    passcode: None,
                    zoom_id: None,
                    ..base(Lang::Tr)
                }
                .preview(),
            ),
        ];
        assert_eq!(
            cases.len(),
            recorded.len(),
            "every recorded card is checked"
        );
        for (name, reply) in cases {
            assert_eq!(
                serde_json::to_value(&reply).unwrap(),
                recorded[name],
                "{name}"
            );
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
        reply
            .blocks_as_json()
            .iter()
            .for_each(|b| walk(b, &mut out));
        out
    }

    /// The topic's rich-text elements, after the camera and the space.
    fn topic(reply: &Reply) -> Vec<Value> {
        reply.blocks_as_json()[0]["elements"][0]["elements"]
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
    fn a_card_found_deleted_in_zoom_says_so_and_names_nobody_as_its_canceller() {
        for (lang, says) in [(Lang::En, "Deleted in Zoom"), (Lang::Tr, "Zoom'da silindi")] {
            let reply = MeetingCard {
                cancelled_by: Some(Canceller::Zoom),
                lang,
                ..card()
            }
            .in_channel();
            let context = mrkdwn(&reply).pop().unwrap();
            assert!(context.contains(says), "{lang:?}: {context}");
            assert_eq!(
                context.matches("<@").count(),
                1,
                "{lang:?}: only the scheduler is mentioned: {context}"
            );
            assert!(context.contains("<@U0001>"), "{lang:?}: {context}");
            let blocks = serde_json::to_string(&reply.blocks_as_json()).unwrap();
            assert!(
                !blocks.contains("\"action_id\""),
                "{lang:?}: nothing to click, no Join: {blocks}"
            );
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
                reply.blocks_as_json()[2]["fields"][1]["text"],
                expected,
                "{passcode}"
            );
            assert_eq!(
                reply.blocks_as_json()[2]["fields"][0]["text"],
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
        assert!(reply.blocks_as_json()[1].get("accessory").is_none());
        let reply = card().in_channel();
        assert_eq!(
            reply.blocks_as_json()[1]["accessory"]["url"],
            card().join_url
        );
    }

    #[test]
    fn the_start_is_a_date_token_with_the_organisers_zone_as_fallback() {
        let reply = card().in_channel();
        let section = reply.blocks_as_json()[1]["text"]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            section.contains("<!date^1796166000^{date_long_pretty} at {time}|Tuesday, December 1, 2026 at 3:00 PM (America/Los_Angeles)>"),
            "{section}"
        );
        assert!(reply.text().contains("3:00 PM (America/Los_Angeles)"));
    }
}
