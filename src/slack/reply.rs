//! Messages back to Slack: ephemeral notes for the invoker and in-channel cards, as JSON.

use serde::Serialize;
use serde_json::Value;

use crate::slack::blocks::Block;
use crate::slack::markup::{Segment, segments};

/// Who sees a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only the person who typed the command.
    Ephemeral,
    /// Everyone in the channel.
    InChannel,
}

/// A slash-command response body (the HTTP answer or a `response_url` POST).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    response_type: Visibility,
    /// mrkdwn; also the notification and screen-reader fallback when `blocks` are present.
    text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    blocks: Vec<Block>,
    /// For a `response_url` from a click: replace the message the button is on (the card)
    /// instead of adding a new one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    replace_original: bool,
}

impl Reply {
    /// A message only the invoker sees. `text` is mrkdwn written by us: escape user input first.
    pub fn ephemeral(text: impl Into<String>) -> Self {
        Self {
            response_type: Visibility::Ephemeral,
            text: text.into(),
            blocks: Vec::new(),
            replace_original: false,
        }
    }

    /// A message the whole channel sees; with blocks, `text` is their notification fallback.
    pub fn in_channel(text: impl Into<String>) -> Self {
        Self {
            response_type: Visibility::InChannel,
            text: text.into(),
            blocks: Vec::new(),
            replace_original: false,
        }
    }

    /// Adds Block Kit blocks (typed, or written as JSON); `text` stays as the notification
    /// fallback.
    pub fn with_blocks<B: Into<Block>>(mut self, blocks: impl IntoIterator<Item = B>) -> Self {
        self.blocks = blocks.into_iter().map(Into::into).collect();
        self
    }

    /// Sent to a click's `response_url`, this replaces the clicked message in place.
    pub fn replacing_original(mut self) -> Self {
        self.replace_original = true;
        self
    }

    pub fn visibility(&self) -> Visibility {
        self.response_type
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The blocks as Slack reads them, to look into (sending serialises them directly).
    pub fn blocks_as_json(&self) -> Vec<Value> {
        self.blocks
            .iter()
            .map(|block| {
                serde_json::to_value(block).expect("blocks have string keys, so always serialise")
            })
            .collect()
    }
}

/// Escapes user text for mrkdwn: exactly `&`, `<`, `>` (Slack's rule), so `<!channel>` or
/// `<@U…>` typed into a topic is shown, not executed.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Makes Slack-formatted user text (as Slack sent it: `&amp;`-escaped, with markup) safe to
/// post as mrkdwn: user mentions, channel links and honest web links stay live, while
/// everything else in `<…>` (`<!channel>`, `<!here>`, nested markup, a link whose label is
/// another address) is shown as text instead of pinging or misleading. See [`markup`].
///
/// [`markup`]: crate::slack::markup
pub fn neutralise(slack_text: &str) -> String {
    let mut out = String::with_capacity(slack_text.len());
    for segment in segments(slack_text) {
        match segment {
            Segment::Text(text) => out.push_str(&escape(&text)),
            Segment::User(id) => out.push_str(&format!("<@{id}>")),
            Segment::Channel(id) => out.push_str(&format!("<#{id}>")),
            Segment::Link { url, label } => {
                out.push('<');
                out.push_str(&escape(&url));
                if let Some(label) = label {
                    out.push('|');
                    out.push_str(&escape(&label));
                }
                out.push('>');
            }
        }
    }
    out
}

/// Quotes user text as inline code in an error message, escaped and with backticks removed so
/// the code span cannot be broken out of.
pub fn code(text: &str) -> String {
    format!("`{}`", escape(&text.replace('`', "'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_mentions_and_keeps_everything_else() {
        assert_eq!(
            escape("<!channel> R&D *bold* ü"),
            "&lt;!channel&gt; R&amp;D *bold* ü"
        );
    }

    #[test]
    fn neutralising_keeps_mentions_and_links_but_not_broadcasts() {
        let cases = [
            ("<!channel> sync", "&lt;!channel&gt; sync"),
            (
                "<!here|here> <!everyone>",
                "&lt;!here|here&gt; &lt;!everyone&gt;",
            ),
            (
                "<!subteam^S1|@design> crit",
                "&lt;!subteam^S1|@design&gt; crit",
            ),
            ("with <@U123> in <#C1|general>", "with <@U123> in <#C1>"),
            ("<@U1|<!channel>>", "&lt;@U1|&lt;!channel&gt;&gt;"),
            ("read <https://x.io|the doc>", "read <https://x.io|the doc>"),
            ("R&amp;D &lt;x&gt;", "R&amp;D &lt;x&gt;"),
            ("stray < and >", "stray &lt; and &gt;"),
        ];
        for (input, expected) in cases {
            assert_eq!(neutralise(input), expected, "{input}");
        }
    }

    #[test]
    fn an_ephemeral_reply_serialises_as_slack_expects() {
        let json = serde_json::to_value(Reply::ephemeral("hi")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"response_type": "ephemeral", "text": "hi"})
        );
    }
}
