//! The scheduling form (a Slack modal): the new-meeting view, the change-time view, and the
//! field errors Slack shows under the inputs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::command::Minutes;
use crate::i18n::{Key, Lang};
use crate::slack::ChannelId;

/// `callback_id` of the new-meeting form.
pub const NEW_MEETING: &str = "new_meeting";
/// `callback_id` of the change-time form.
pub const CHANGE_TIME: &str = "change_time";

/// Block and action ids of the inputs (each input's block id equals its action id).
pub mod input {
    pub const TOPIC: &str = "topic";
    pub const START: &str = "start";
    pub const DURATION: &str = "duration";
    pub const CHANNEL: &str = "channel";
}

/// Lengths offered in the select, in minutes; the team default is added when missing.
const LENGTHS: [u16; 9] = [15, 30, 45, 60, 90, 120, 180, 240, 480];

/// What the form opens with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormValues {
    pub topic: Option<String>,
    pub start: DateTime<Utc>,
    pub minutes: u16,
    /// The conversation to post in; `None` defaults to the one the form was opened from.
    pub channel: Option<ChannelId>,
}

/// The new-meeting modal in `lang`. `private_metadata` travels back with the submission.
pub fn new_meeting(lang: Lang, values: &FormValues, private_metadata: &str) -> Value {
    let text = |key| json!({"type": "plain_text", "text": lang.text(key)});
    let mut topic = json!({
        "type": "plain_text_input",
        "action_id": input::TOPIC,
        "max_length": 200,
        "placeholder": text(Key::FormTopicPlaceholder),
    });
    if let Some(initial) = values.topic.as_deref().filter(|t| !t.is_empty()) {
        topic["initial_value"] = json!(initial);
    }
    let mut channel = json!({
        "type": "conversations_select",
        "action_id": input::CHANNEL,
        "default_to_current_conversation": true,
        "filter": {"exclude_bot_users": true},
    });
    if let Some(initial) = &values.channel {
        channel["initial_conversation"] = json!(initial.as_str());
    }
    json!({
        "type": "modal",
        "callback_id": NEW_MEETING,
        "title": text(Key::FormTitleNew),
        "submit": text(Key::FormSubmitNew),
        "close": text(Key::FormClose),
        "private_metadata": private_metadata,
        "blocks": [
            {"type": "input", "block_id": input::TOPIC, "label": text(Key::FormTopic), "element": topic},
            start_block(lang, values.start),
            duration_block(lang, values.minutes),
            {"type": "input", "block_id": input::CHANNEL, "label": text(Key::FormChannel), "element": channel},
        ],
    })
}

/// The change-time modal in `lang`, for a meeting whose topic is shown, not edited.
pub fn change_time(
    lang: Lang,
    topic_mrkdwn: &str,
    values: &FormValues,
    private_metadata: &str,
) -> Value {
    let text = |key| json!({"type": "plain_text", "text": lang.text(key)});
    json!({
        "type": "modal",
        "callback_id": CHANGE_TIME,
        "title": text(Key::FormTitleChange),
        "submit": text(Key::FormSubmitChange),
        "close": text(Key::FormClose),
        "private_metadata": private_metadata,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": topic_mrkdwn}},
            start_block(lang, values.start),
            duration_block(lang, values.minutes),
        ],
    })
}

fn start_block(lang: Lang, start: DateTime<Utc>) -> Value {
    json!({
        "type": "input",
        "block_id": input::START,
        "label": {"type": "plain_text", "text": lang.text(Key::FormStarts)},
        "element": {"type": "datetimepicker", "action_id": input::START, "initial_date_time": start.timestamp()},
    })
}

fn duration_block(lang: Lang, minutes: u16) -> Value {
    let mut lengths: Vec<u16> = LENGTHS.to_vec();
    if !lengths.contains(&minutes) && (1..=1440).contains(&minutes) {
        lengths.push(minutes);
        lengths.sort_unstable();
    }
    let option = |m: u16| json!({"text": {"type": "plain_text", "text": length(lang, m)}, "value": m.to_string()});
    let options: Vec<Value> = lengths.iter().map(|m| option(*m)).collect();
    json!({
        "type": "input",
        "block_id": input::DURATION,
        "label": {"type": "plain_text", "text": lang.text(Key::FormLength)},
        "element": {
            "type": "static_select",
            "action_id": input::DURATION,
            "options": options,
            "initial_option": option(if lengths.contains(&minutes) { minutes } else { 30 }),
        },
    })
}

/// `45 minutes`, `1 hour`, `1 hour 30 minutes`: the same words as everywhere else.
fn length(lang: Lang, minutes: u16) -> String {
    Minutes::new(u32::from(minutes)).map_or_else(
        |_| lang.render(Key::DurationMinutesOther, &[("n", &minutes)]),
        |m| m.in_words(lang),
    )
}

/// The answer that keeps the modal open and shows `errors` under their inputs.
pub fn errors(errors: &BTreeMap<&str, String>) -> Value {
    json!({"response_action": "errors", "errors": errors})
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn values() -> FormValues {
        FormValues {
            topic: Some("Retro".into()),
            start: Utc.with_ymd_and_hms(2026, 12, 1, 15, 0, 0).unwrap(),
            minutes: 50,
            channel: None,
        }
    }

    #[test]
    fn the_form_has_topic_start_length_and_channel_prefilled() {
        let view = new_meeting(Lang::En, &values(), "{\"c\":\"C1\"}");
        let blocks = view["blocks"].as_array().unwrap();
        let ids: Vec<&str> = blocks
            .iter()
            .map(|b| b["block_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["topic", "start", "duration", "channel"]);
        assert_eq!(blocks[0]["element"]["initial_value"], "Retro");
        assert_eq!(blocks[1]["element"]["type"], "datetimepicker");
        assert_eq!(blocks[1]["element"]["initial_date_time"], 1796137200);
        assert_eq!(
            blocks[2]["element"]["initial_option"]["value"], "50",
            "the default is offered"
        );
        assert_eq!(
            blocks[3]["element"]["default_to_current_conversation"],
            true
        );
        assert!(view["title"]["text"].as_str().unwrap().chars().count() <= 24);
        assert_eq!(view["private_metadata"], "{\"c\":\"C1\"}");
    }

    /// Slack refuses a view whose title, submit or close text is over 24 characters.
    #[test]
    fn the_forms_titles_and_buttons_fit_slacks_limit_in_every_language() {
        for lang in Lang::ALL {
            let views = [
                new_meeting(lang, &values(), "{}"),
                change_time(lang, "*Retro*", &values(), "{}"),
            ];
            for view in views {
                for part in ["title", "submit", "close"] {
                    let text = view[part]["text"].as_str().unwrap();
                    assert!(
                        !text.is_empty() && text.chars().count() <= 24,
                        "{lang} {part}: {text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn lengths_read_naturally() {
        for (m, text) in [
            (15, "15 minutes"),
            (60, "1 hour"),
            (90, "1 hour 30 minutes"),
            (480, "8 hours"),
        ] {
            assert_eq!(length(Lang::En, m), text);
        }
    }
}
