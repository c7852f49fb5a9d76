//! `slack-zoom try`: how a command is read, with no Slack and no Zoom, through the same parser,
//! acknowledgement, notes and card code as the service, in the language asked for.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::app::{acknowledgement, invoker_notes, preview_card, unpinnable_series};
use crate::command::{self, Context, MeetingRequest, Minutes, Parsed};
use crate::i18n::{Key, Lang, t};
use crate::slack::markup::decode_entities;
use crate::slack::{Reply, UserId};
use crate::time::Zone;

/// Where the zone came from when the command itself names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneSource {
    /// `--tz`, standing in for the invoker's Slack profile.
    Given,
    /// `DEFAULT_TIMEZONE` (or UTC): what the service uses when Slack cannot tell.
    Assumed,
}

/// Everything `try` shows about one command.
#[derive(Debug, Clone)]
pub struct Explanation {
    request: MeetingRequest,
    source: ZoneSource,
    notes: Vec<String>,
    acknowledgement: Reply,
    card: Reply,
}

/// What `try` shows for a command: how a meeting is read, or the usage (`help`).
#[derive(Debug, Clone)]
pub enum Explained {
    Meeting(Box<Explanation>),
    /// The usage (Slack mrkdwn), as `/zoom help` shows it.
    Help(String),
}

/// Reads `text` as the service would for a user in `zone` whose Slack language is `lang`
/// (the card too: they schedule it).
pub fn explain(
    text: &str,
    zone: Zone,
    source: ZoneSource,
    default_duration: Minutes,
    now: DateTime<Utc>,
    lang: Lang,
) -> Result<Explained, String> {
    let ctx = Context {
        now,
        zone,
        default_duration,
    };
    let request = match command::parse(text, &ctx) {
        Ok(Parsed::Meeting(request)) => request,
        Ok(Parsed::Help) => {
            return Ok(Explained::Help(command::usage_in(lang, default_duration)));
        }
        Ok(Parsed::Action(_)) => return Err(lang.text(Key::TryActions).to_owned()),
        Err(e) => return Err(e.user_message_in(lang)),
    };
    if let Some(refusal) = unpinnable_series(&request, lang) {
        return Err(refusal);
    }
    let zone_note =
        (source == ZoneSource::Assumed).then(|| t!(lang, TryZoneNote, zone = zone.name()));
    let notes = invoker_notes(&request, zone_note.clone(), lang);
    let acknowledgement = acknowledgement(&request, zone_note, lang);
    let you = UserId::parse("U0YOU").unwrap_or_else(|| unreachable!("a valid literal id"));
    let card = preview_card(&request, you, lang).in_channel();
    Ok(Explained::Meeting(Box::new(Explanation {
        request,
        source,
        notes,
        acknowledgement,
        card,
    })))
}

impl Explanation {
    /// The terminal form: one fact per line, then the card as Slack would show it.
    pub fn to_text(&self) -> String {
        let r = &self.request;
        let zone_why = if r.explicit_zone() {
            "named in the command"
        } else {
            match self.source {
                ZoneSource::Given => "given with --tz; in Slack, the user's profile timezone",
                ZoneSource::Assumed => {
                    "assumed: DEFAULT_TIMEZONE, or UTC (pass --tz to try another)"
                }
            }
        };
        let mut out = vec![
            format!("Topic:    {}", r.topic().as_str()),
            format!("Duration: {}", r.duration()),
            format!(
                "Start:    {} ({})",
                r.local_start().format("%A, %B %-d, %Y at %-I:%M %p"),
                r.zone().name()
            ),
            format!("          {}", r.start().format("%Y-%m-%d %H:%M UTC")),
            format!("Zone:     {} ({zone_why})", r.zone().name()),
        ];
        if let Some(series) = r.recurrence() {
            out.push(format!(
                "Repeats:  {} (first {}, last {})",
                series.describe(),
                series.first().local().format("%a %b %-d, %Y"),
                series.last().local().format("%a %b %-d, %Y")
            ));
        }
        if self.notes.is_empty() {
            out.push("Notes:    none".to_owned());
        } else {
            out.push("Notes:    (only the person who typed it sees these)".to_owned());
            out.extend(self.notes.iter().map(|n| format!("  • {n}")));
        }
        out.push(String::new());
        out.push("Reply (only the person who typed it sees this, at once):".to_owned());
        out.extend(
            self.acknowledgement
                .text()
                .lines()
                .map(|l| format!("  {}", readable(l))),
        );
        out.push(String::new());
        out.push(
            "Card (everyone in the channel sees this; meeting ID and link are placeholders):"
                .to_owned(),
        );
        out.extend(card_lines(&self.card).into_iter().map(|l| format!("  {l}")));
        out.join("\n")
    }

    /// `--json`: the facts and the card's Block Kit JSON.
    pub fn to_json(&self) -> Value {
        let r = &self.request;
        json!({
            "topic": r.topic().as_str(),
            "duration_minutes": r.duration().get(),
            "start_local": r.local_start().format("%Y-%m-%dT%H:%M:%S").to_string(),
            "start_utc": r.start().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "zone": r.zone().name(),
            "zone_source": if r.explicit_zone() { "command" } else {
                match self.source { ZoneSource::Given => "given", ZoneSource::Assumed => "assumed" }
            },
            "repeats": r.recurrence().map(|s| json!({
                "description": s.describe(),
                "occurrences_utc": s.occurrences().iter()
                    .map(|o| o.start().format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .collect::<Vec<_>>(),
            })),
            "notes": self.notes,
            "acknowledgement": self.acknowledgement,
            "card": self.card,
        })
    }
}

/// The card's blocks as a reader would see them, one line per line of the message.
fn card_lines(card: &Reply) -> Vec<String> {
    let mut lines = Vec::new();
    for block in &card.blocks_as_json() {
        match block["type"].as_str() {
            Some("rich_text") => lines.push(rich_text(block)),
            Some("section") => {
                if let Some(text) = block["text"]["text"].as_str() {
                    let mut line = readable(text);
                    if block["accessory"]["type"] == "button" {
                        let label = block["accessory"]["text"]["text"].as_str().unwrap_or("");
                        line.push_str(&format!("   [{label}]"));
                    }
                    lines.push(line);
                }
                if let Some(fields) = block["fields"].as_array() {
                    let fields: Vec<String> = fields
                        .iter()
                        .filter_map(|f| f["text"].as_str())
                        .map(|t| readable(&t.replace('\n', " ")))
                        .collect();
                    lines.push(fields.join(" · "));
                }
            }
            Some("actions") => {
                let buttons: Vec<String> = block["elements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["text"]["text"].as_str())
                    .map(|label| format!("[{label}]"))
                    .collect();
                lines.push(buttons.join(" "));
            }
            Some("context") => {
                let parts: Vec<String> = block["elements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["text"].as_str())
                    .map(readable)
                    .collect();
                lines.push(parts.join(" "));
            }
            _ => {}
        }
    }
    lines
}

fn rich_text(block: &Value) -> String {
    let mut out = String::new();
    let sections = block["elements"].as_array().into_iter().flatten();
    for element in sections.flat_map(|s| s["elements"].as_array().into_iter().flatten()) {
        match element["type"].as_str() {
            Some("emoji") => out.push_str(&format!(":{}:", element["name"].as_str().unwrap_or(""))),
            Some("text") => out.push_str(element["text"].as_str().unwrap_or("")),
            Some("user") => {
                out.push_str(&format!("@{}", element["user_id"].as_str().unwrap_or("")))
            }
            Some("channel") => out.push_str(&format!(
                "#{}",
                element["channel_id"].as_str().unwrap_or("")
            )),
            Some("link") => out.push_str(
                element["text"]
                    .as_str()
                    .or_else(|| element["url"].as_str())
                    .unwrap_or(""),
            ),
            _ => {}
        }
    }
    out
}

/// mrkdwn as read: date tokens show their fallback, mentions their id, entities decoded.
fn readable(mrkdwn: &str) -> String {
    let mut out = String::new();
    let mut rest = mrkdwn;
    while let Some(open) = rest.find('<') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        let Some(close) = after.find('>') else {
            out.push('<');
            rest = after;
            continue;
        };
        let inner = after.get(..close).unwrap_or_default();
        let shown = match inner.split_once('|') {
            Some((_, label)) => label.to_owned(),
            None => inner.to_owned(),
        };
        out.push_str(&shown);
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    // Bold and code markers are formatting, not text.
    decode_entities(&out.replace(['*', '`'], ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()
    }

    fn thirty() -> Minutes {
        Minutes::new(30).unwrap()
    }

    #[test]
    fn a_command_is_explained_with_its_zone_its_utc_start_and_the_card() {
        let zone = Zone::parse("Europe/Istanbul").unwrap();
        let explained = explain(
            "Design review 45m tomorrow 3pm",
            zone,
            ZoneSource::Given,
            thirty(),
            now(),
            Lang::En,
        );
        let Ok(Explained::Meeting(explained)) = explained else {
            panic!("{explained:?}")
        };
        let text = explained.to_text();
        for needle in [
            "Topic:    Design review",
            "Duration: 45 minutes",
            "Tuesday, December 1, 2026 at 3:00 PM (Europe/Istanbul)",
            "2026-12-01 12:00 UTC",
            "Zone:     Europe/Istanbul (given with --tz",
            "Meeting ID 000 0000 0000",
            "Notes:    none",
            ":video_camera: Design review",
            "[Join]",
            "Scheduled by @U0YOU",
        ] {
            assert!(text.contains(needle), "`{needle}` not in:\n{text}");
        }
        let json = explained.to_json();
        assert_eq!(json["start_utc"], "2026-12-01T12:00:00Z");
        assert_eq!(json["zone_source"], "given");
        assert_eq!(json["card"]["response_type"], "in_channel");
    }

    #[test]
    fn an_assumed_zone_and_the_parsers_notes_are_shown_as_the_invoker_would_see_them() {
        let explained = explain(
            "Sync 8am",
            Zone::utc(),
            ZoneSource::Assumed,
            thirty(),
            now(),
            Lang::En,
        );
        let Ok(Explained::Meeting(explained)) = explained else {
            panic!("{explained:?}")
        };
        let text = explained.to_text();
        assert!(text.contains("already passed today"), "{text}");
        assert!(text.contains("Times are read in UTC"), "{text}");
        assert!(text.contains("assumed"), "{text}");
    }

    #[test]
    fn a_refusal_is_the_message_the_user_would_get() {
        let err = explain(
            "Sync 45x tomorrow 3pm",
            Zone::utc(),
            ZoneSource::Assumed,
            thirty(),
            now(),
            Lang::En,
        )
        .unwrap_err();
        assert!(err.contains("`45x`"), "{err}");
    }

    #[test]
    fn help_is_an_answer_not_a_refusal() {
        for text in ["help", ""] {
            let got = explain(
                text,
                Zone::utc(),
                ZoneSource::Assumed,
                thirty(),
                now(),
                Lang::En,
            );
            match (text, got) {
                ("help", Ok(Explained::Help(usage))) => {
                    assert!(usage.contains("/zoom"), "{usage}")
                }
                ("", Ok(Explained::Meeting(_))) => {}
                (text, got) => panic!("{text:?}: {got:?}"),
            }
        }
    }
}
