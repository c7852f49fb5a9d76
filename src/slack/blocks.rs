//! Block Kit blocks, typed, so a card is serialised straight from its values.
//!
//! A tree of JSON maps built and freed per meeting was a tenth of the service's CPU per command
//! (docs/PERFORMANCE.md, "A typed card, one log line"). Only what the card uses is typed; rarer
//! messages may still carry JSON blocks.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

/// One block of a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    RichText {
        elements: Vec<RichTextSection>,
    },
    Section {
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<Text>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Text>,
        #[serde(skip_serializing_if = "Option::is_none")]
        accessory: Option<Button>,
    },
    Actions {
        block_id: &'static str,
        elements: Vec<Button>,
    },
    Context {
        elements: Vec<Text>,
    },
    /// A block written as JSON (messages sent rarely enough not to need types).
    #[serde(untagged)]
    Json(Value),
}

impl Block {
    /// A context line of one text.
    pub fn context(text: Text) -> Self {
        Self::Context {
            elements: vec![text],
        }
    }
}

impl From<Value> for Block {
    fn from(value: Value) -> Self {
        Self::Json(value)
    }
}

/// A text object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Text {
    Mrkdwn { text: Cow<'static, str> },
    PlainText { text: Cow<'static, str> },
}

impl Text {
    pub fn mrkdwn(text: impl Into<Cow<'static, str>>) -> Self {
        Self::Mrkdwn { text: text.into() }
    }

    pub fn plain(text: impl Into<Cow<'static, str>>) -> Self {
        Self::PlainText { text: text.into() }
    }
}

/// A `rich_text_section` of inline elements.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "rich_text_section")]
pub struct RichTextSection {
    pub elements: Vec<Inline>,
}

/// An element of a rich text section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    Emoji {
        name: &'static str,
    },
    Text {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        style: Option<Style>,
    },
    User {
        user_id: String,
        style: Style,
    },
    Channel {
        channel_id: String,
        style: Style,
    },
    Link {
        url: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        style: Style,
    },
}

/// How a rich text element is styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Style {
    pub bold: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub strike: bool,
}

/// A button: a link (`url`) or an action (`value`), or both.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "button")]
pub struct Button {
    pub action_id: &'static str,
    pub text: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm: Option<Box<Confirm>>,
}

impl Button {
    /// A button with its id and label; the caller sets its `url`, `value`, `style`….
    pub fn new(action_id: &'static str, label: impl Into<Cow<'static, str>>) -> Self {
        Self {
            action_id,
            text: Text::plain(label),
            style: None,
            url: None,
            value: None,
            confirm: None,
        }
    }
}

/// The dialog a button asks before it acts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confirm {
    pub title: Text,
    pub text: Text,
    pub confirm: Text,
    pub deny: Text,
    pub style: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_blocks_serialise_as_block_kit_and_json_blocks_as_given() {
        let mut join = Button::new("join", "Join");
        join.style = Some("primary");
        join.url = Some("https://z.us/j/1".into());
        let blocks = [
            Block::RichText {
                elements: vec![RichTextSection {
                    elements: vec![
                        Inline::Emoji {
                            name: "video_camera",
                        },
                        Inline::Text {
                            text: " ".into(),
                            style: None,
                        },
                        Inline::Link {
                            url: "https://x.io".into(),
                            text: None,
                            style: Style {
                                bold: true,
                                strike: true,
                            },
                        },
                    ],
                }],
            },
            Block::Section {
                text: Some(Text::mrkdwn("*when*")),
                fields: Vec::new(),
                accessory: Some(join),
            },
            Block::context(Text::plain("by")),
            Block::from(json!({"type": "divider"})),
        ];
        assert_eq!(
            serde_json::to_value(blocks).unwrap(),
            json!([
                {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
                    {"type": "emoji", "name": "video_camera"},
                    {"type": "text", "text": " "},
                    {"type": "link", "url": "https://x.io", "style": {"bold": true, "strike": true}},
                ]}]},
                {"type": "section", "text": {"type": "mrkdwn", "text": "*when*"}, "accessory":
                    {"type": "button", "action_id": "join", "text": {"type": "plain_text", "text": "Join"},
                     "style": "primary", "url": "https://z.us/j/1"}},
                {"type": "context", "elements": [{"type": "plain_text", "text": "by"}]},
                {"type": "divider"},
            ])
        );
    }
}
