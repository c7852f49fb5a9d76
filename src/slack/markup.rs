//! Slack-formatted user text read as pieces: plain text, user and channel mentions, and links
//! that are safe to keep live. Everything else (`<!channel>`, nested markup, a link wearing
//! another address) comes out as plain text, so it can neither ping nor mislead.

use crate::command::is_bidi_control;

/// One piece of Slack-formatted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text, entities decoded (`&amp;` → `&`), bidi controls removed.
    Text(String),
    User(String),
    Channel(String),
    Link {
        url: String,
        label: Option<String>,
    },
}

/// Splits Slack-formatted text (`&amp;`-escaped, markup in `<…>`) into segments.
pub fn segments(slack_text: &str) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut text = String::new();
    let mut rest = slack_text;
    while let Some(open) = rest.find('<') {
        text.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        let markup = after
            .find('>')
            .and_then(|close| Some((after.get(..close)?, after.get(close + 1..)?)))
            .and_then(|(inner, tail)| live(inner).map(|segment| (segment, tail)));
        match markup {
            Some((segment, tail)) => {
                flush(&mut out, &mut text);
                out.push(segment);
                rest = tail;
            }
            None => {
                // Not live markup: the `<` is literal and whatever follows is read afresh,
                // so markup nested inside stays text too.
                text.push('<');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    flush(&mut out, &mut text);
    out
}

fn flush(out: &mut Vec<Segment>, text: &mut String) {
    if !text.is_empty() {
        out.push(Segment::Text(clean(&decode_entities(text))));
        text.clear();
    }
}

/// The markup between `<` and `>` as a segment, if it is one we keep live.
fn live(inner: &str) -> Option<Segment> {
    if inner.contains('<') {
        return None;
    }
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) => (target, Some(label)),
        None => (inner, None),
    };
    let id =
        |s: &str| !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(user) = target
        .strip_prefix('@')
        .filter(|u| (u.starts_with('U') || u.starts_with('W')) && id(u))
    {
        return Some(Segment::User(user.to_owned()));
    }
    if let Some(channel) = target
        .strip_prefix('#')
        .filter(|c| (c.starts_with('C') || c.starts_with('G')) && id(c))
    {
        return Some(Segment::Channel(channel.to_owned()));
    }
    let lower = target.to_ascii_lowercase();
    let is_link = ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        && !target.chars().any(|c| c.is_whitespace() || c.is_control());
    if !is_link {
        return None;
    }
    let url = decode_entities(target);
    let label = label
        .map(|l| clean(&decode_entities(l)))
        .filter(|l| !l.trim().is_empty());
    if let Some(label) = &label
        && looks_like_address(label)
        && bare(label) != bare(&url)
    {
        // `<https://evil.example|https://zoom.us/j/857>`: the label claims another address.
        return None;
    }
    Some(Segment::Link { url, label })
}

/// True for a label that reads like a web or mail address (`zoom.us`, `https://…`, `a@b.co`).
fn looks_like_address(label: &str) -> bool {
    let label = label.trim();
    if label.contains("://") || label.to_ascii_lowercase().starts_with("www.") {
        return true;
    }
    let first = label.split(['/', '?', '#']).next().unwrap_or_default();
    let host = first.rsplit('@').next().unwrap_or_default();
    let mut parts = host.split('.');
    let tld_is_letters = host
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_alphabetic()));
    host.contains('.')
        && !host.contains(' ')
        && tld_is_letters
        && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '-'))
}

/// An address without scheme, `mailto:` or trailing slash, lower-cased, for comparison.
fn bare(address: &str) -> String {
    let lower = address.trim().to_lowercase();
    let without_scheme = lower
        .split_once("://")
        .map_or(lower.as_str(), |(_, rest)| rest);
    let without_mailto = without_scheme
        .strip_prefix("mailto:")
        .unwrap_or(without_scheme);
    without_mailto.trim_end_matches('/').to_owned()
}

/// Decodes `&amp;`, `&lt;`, `&gt;` in one pass (so `&amp;lt;` → `&lt;`).
pub fn decode_entities(slack: &str) -> String {
    let mut out = String::with_capacity(slack.len());
    let mut rest = slack;
    while let Some(c) = rest.chars().next() {
        let entity = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>')]
            .into_iter()
            .find(|(name, _)| rest.starts_with(name));
        let (decoded, len) = entity.map_or((c, c.len_utf8()), |(name, d)| (d, name.len()));
        out.push(decoded);
        rest = rest.get(len..).unwrap_or_default();
    }
    out
}

/// Removes bidirectional control characters, which can make text read differently from
/// what it is (U+202A–U+202E, U+2066–U+2069).
pub fn clean(text: &str) -> String {
    text.chars().filter(|c| !is_bidi_control(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Segment::*;

    fn text(s: &str) -> Segment {
        Text(s.to_owned())
    }

    #[test]
    fn markup_is_kept_live_only_when_it_is_a_plain_mention_or_an_honest_link() {
        let cases: Vec<(&str, Vec<Segment>)> = vec![
            (
                "sync <@U123> in <#C1|general>",
                vec![
                    text("sync "),
                    User("U123".into()),
                    text(" in "),
                    Channel("C1".into()),
                ],
            ),
            ("<!channel> now", vec![text("<!channel> now")]),
            ("<@U1|<!channel>>", vec![text("<@U1|<!channel>>")]),
            ("<#C1|<!here>>", vec![text("<#C1|<!here>>")]),
            (
                "<https://x|y <!channel>>",
                vec![text("<https://x|y <!channel>>")],
            ),
            (
                "<https://evil.example|https://zoom.us/j/857>",
                vec![text("<https://evil.example|https://zoom.us/j/857>")],
            ),
            (
                "<https://evil.example|zoom.us>",
                vec![text("<https://evil.example|zoom.us>")],
            ),
            (
                "<http://zoom.us|zoom.us>",
                vec![Link {
                    url: "http://zoom.us".into(),
                    label: Some("zoom.us".into()),
                }],
            ),
            (
                "<https://x.io?a=1&amp;b=2|the doc>",
                vec![Link {
                    url: "https://x.io?a=1&b=2".into(),
                    label: Some("the doc".into()),
                }],
            ),
            (
                "<mailto:a@b.co|a@b.co>",
                vec![Link {
                    url: "mailto:a@b.co".into(),
                    label: Some("a@b.co".into()),
                }],
            ),
            (
                "<javascript:alert(1)|x>",
                vec![text("<javascript:alert(1)|x>")],
            ),
            ("R&amp;D &lt;b&gt;", vec![text("R&D <b>")]),
            ("a\u{202E}b\u{2066}c", vec![text("abc")]),
            ("unclosed <@U1", vec![text("unclosed <@U1")]),
        ];
        for (input, expected) in cases {
            assert_eq!(segments(input), expected, "{input}");
        }
    }
}
