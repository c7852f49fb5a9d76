//! Meeting topic: whitespace-normalised, Slack entities decoded, mentions kept, ≤ 200 chars.

use std::fmt;

use super::error::CommandError;

/// What Zoom calls the meeting. Slack sends `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`; the
/// topic holds them decoded, while Slack markup (`<@U123>`, `<#C1|name>`, `<https://x|x>`)
/// is kept exactly as sent so it still renders as a mention or link when echoed back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Topic {
    text: String,
    /// The same topic as Slack-formatted text, so it can be put back into a message or a
    /// command without losing the difference between `&lt;` and markup.
    slack: String,
}

impl Topic {
    /// Zoom's limit on a meeting topic, in characters.
    pub const MAX_CHARS: usize = 200;

    /// The topic used when none is given.
    pub const DEFAULT: &'static str = "Zoom meeting";

    /// A topic from Slack-formatted text: whitespace collapsed to single spaces and
    /// trimmed, control characters dropped, empty → [`Topic::DEFAULT`], over 200
    /// characters (after decoding) refused.
    pub fn parse(slack_text: &str) -> Result<Topic, CommandError> {
        let visible: String = slack_text
            .chars()
            .filter(|c| !is_bidi_control(*c))
            .collect();
        let slack = visible
            .split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|word| !word.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if slack.is_empty() {
            return Ok(Topic {
                text: Topic::DEFAULT.to_owned(),
                slack: Topic::DEFAULT.to_owned(),
            });
        }
        let text = decode_entities(&slack);
        let chars = text.chars().count();
        if chars > Topic::MAX_CHARS {
            return Err(CommandError::TopicTooLong {
                chars,
                max: Topic::MAX_CHARS,
            });
        }
        Ok(Topic { text, slack })
    }

    /// The topic for Zoom and for display: entities decoded, mentions intact.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The topic as Slack-formatted text (entities escaped, markup intact), to put back into
    /// a Slack message (after neutralising `<!channel>`-style specials).
    pub fn as_slack(&self) -> &str {
        &self.slack
    }

    /// The topic as plain text for Zoom, where Slack markup means nothing: `<@U1>` → `@U1`,
    /// `<#C1|general>` → `#general`, `<https://x.io|the doc>` → `the doc`, `<!here>` → `@here`.
    pub fn plain(&self) -> String {
        let mut out = String::with_capacity(self.slack.len());
        let mut rest = self.slack.as_str();
        while let Some(open) = rest.find('<') {
            out.push_str(&decode_entities(rest.get(..open).unwrap_or_default()));
            let after = rest.get(open + 1..).unwrap_or_default();
            match after.find('>') {
                Some(close) => {
                    out.push_str(&render_markup(after.get(..close).unwrap_or_default()));
                    rest = after.get(close + 1..).unwrap_or_default();
                }
                None => {
                    out.push('<');
                    rest = after;
                }
            }
        }
        out.push_str(&decode_entities(rest));
        out
    }
}

/// Bidirectional controls (U+202A–U+202E, U+2066–U+2069) can make a topic read differently
/// from what it is ("Budget weiv" shown as "Budget view"), in Slack and in Zoom alike.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One piece of Slack markup (the text between `<` and `>`) as a person would read it.
fn render_markup(inner: &str) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) if !label.is_empty() => (target, Some(decode_entities(label))),
        Some((target, _)) => (target, None),
        None => (inner, None),
    };
    let sigil = |prefix: char, label: String| {
        if label.starts_with(prefix) {
            label
        } else {
            format!("{prefix}{label}")
        }
    };
    match (target.chars().next(), label) {
        (Some('@'), Some(label)) => sigil('@', label),
        (Some('#'), Some(label)) => sigil('#', label),
        (Some('!'), Some(label)) => label,
        (Some('!'), None) => format!("@{}", target.get(1..).unwrap_or_default()),
        (_, Some(label)) => label,
        (_, None) => decode_entities(target),
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Decodes `&amp;`, `&lt;`, `&gt;` in one left-to-right pass (so `&amp;lt;` → `&lt;`),
/// leaving `<…>` markup untouched.
fn decode_entities(slack: &str) -> String {
    let mut out = String::with_capacity(slack.len());
    let mut rest = slack;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(close) = rest.find('>')
            && let Some(markup) = rest.get(..=close)
        {
            out.push_str(markup);
            rest = rest.get(close + 1..).unwrap_or("");
            continue;
        }
        let entity = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>')]
            .into_iter()
            .find(|(name, _)| rest.starts_with(name));
        let (decoded, len) = match entity {
            Some((name, decoded)) => (decoded, name.len()),
            None => (c, c.len_utf8()),
        };
        out.push(decoded);
        rest = rest.get(len..).unwrap_or("");
    }
    out
}

/// Quote characters that may open a quoted topic (straight, curly, and German low-9).
const OPENERS: [char; 4] = ['"', '\u{201C}', '\u{201D}', '\u{201E}'];
/// Quote characters that may close it; autocorrect mixes them, so any one will do.
const CLOSERS: [char; 3] = ['"', '\u{201C}', '\u{201D}'];

/// Splits `"Q3 plan" 30m tomorrow` into the quoted topic and the rest.
///
/// The topic runs to the *last* closing quote that ends a word, so quotes inside a topic
/// survive (`"Say "hi" there" 30m`). Text not starting with a quote has no quoted topic.
pub(crate) fn split_quoted(text: &str) -> Result<(Option<&str>, &str), CommandError> {
    let mut chars = text.char_indices();
    let Some((_, opener)) = chars.next() else {
        return Ok((None, text));
    };
    if !OPENERS.contains(&opener) {
        return Ok((None, text));
    }
    let body_start = opener.len_utf8();
    let mut close: Option<usize> = None;
    let mut previous: Option<(usize, char)> = None;
    for (i, c) in chars.chain(std::iter::once((text.len(), ' '))) {
        if c.is_whitespace()
            && let Some((p, pc)) = previous
            && CLOSERS.contains(&pc)
        {
            close = Some(p);
        }
        previous = Some((i, c));
    }
    let close = close.ok_or(CommandError::UnclosedQuote)?;
    let topic = text
        .get(body_start..close)
        .ok_or(CommandError::UnclosedQuote)?;
    let rest = text
        .get(close..)
        .and_then(|r| r.char_indices().nth(1).and_then(|(i, _)| r.get(i..)))
        .unwrap_or("");
    Ok((Some(topic), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_form_reads_slack_markup_as_a_person_would() {
        let cases = [
            ("Sync with <@U123>", "Sync with @U123"),
            ("Sync with <@U123|ada>", "Sync with @ada"),
            ("In <#C1|general>", "In #general"),
            ("Read <https://x.io|the doc> first", "Read the doc first"),
            ("See <https://x.io?a=1&amp;b=2>", "See https://x.io?a=1&b=2"),
            ("<!here> R&amp;D &lt;x&gt;", "@here R&D <x>"),
            ("<!subteam^S1|@design> crit", "@design crit"),
            ("unclosed <@U1", "unclosed <@U1"),
        ];
        for (slack, plain) in cases {
            assert_eq!(Topic::parse(slack).unwrap().plain(), plain, "{slack}");
        }
    }

    #[test]
    fn topics_are_normalised_and_decoded() {
        for (input, expected) in [
            ("  Design   review ", "Design review"),
            ("Q&amp;A", "Q&A"),
            ("a &lt;b&gt; c", "a <b> c"),
            ("&amp;lt;", "&lt;"),
            (
                "ping <@U123> in <#C1|general>",
                "ping <@U123> in <#C1|general>",
            ),
            (
                "see <https://x.io?a=1&amp;b=2|doc>",
                "see <https://x.io?a=1&amp;b=2|doc>",
            ),
            ("tab\tand\u{7}bell", "tab and bell"),
            (
                "Budget \u{202E}weiv\u{202C} \u{2066}x\u{2069}",
                "Budget weiv x",
            ),
            ("", "Zoom meeting"),
            ("   ", "Zoom meeting"),
            ("émoji 🎉 שלום", "émoji 🎉 שלום"),
            ("lone < and &", "lone < and &"),
        ] {
            assert_eq!(
                Topic::parse(input).map(|t| t.as_str().to_owned()),
                Ok(expected.to_owned()),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn the_slack_form_keeps_entities_escaped() {
        let topic = Topic::parse("Q&amp;A  <@U1>").expect("valid topic");
        assert_eq!(topic.as_slack(), "Q&amp;A <@U1>");
        assert_eq!(topic.as_str(), "Q&A <@U1>");
    }

    #[test]
    fn the_limit_counts_decoded_characters() {
        let exactly = "é".repeat(200);
        assert!(Topic::parse(&exactly).is_ok());
        assert!(Topic::parse(&"&amp;".repeat(200)).is_ok());
        assert_eq!(
            Topic::parse(&"a".repeat(201)),
            Err(CommandError::TopicTooLong {
                chars: 201,
                max: 200
            })
        );
    }

    #[test]
    fn quoted_topics_are_split_off() {
        for (input, topic, rest) in [
            ("\"Q3 plan\" 30m", Some("Q3 plan"), " 30m"),
            ("\u{201C}Q3 plan\u{201D} 30m", Some("Q3 plan"), " 30m"),
            ("\"Say \"hi\" there\" 30m", Some("Say \"hi\" there"), " 30m"),
            ("\"\"", Some(""), ""),
            ("\"Q3\"", Some("Q3"), ""),
            ("plain 30m", None, "plain 30m"),
            ("", None, ""),
        ] {
            assert_eq!(split_quoted(input), Ok((topic, rest)), "input {input:?}");
        }
    }

    #[test]
    fn an_unclosed_quote_is_an_error() {
        for input in ["\"", "\"Q3 plan 30m", "\u{201C}", "\"a\"b"] {
            assert_eq!(
                split_quoted(input),
                Err(CommandError::UnclosedQuote),
                "input {input:?}"
            );
        }
    }
}
