//! The in-channel meeting card (Block Kit + plain fallback) and the short texts around it.
//!
//! Built from plain values, so this module knows nothing of Zoom's or the parser's types.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value, json};

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
    /// Sentences for the context line (zone assumed, host fallback, …); plain text.
    pub notes: Vec<String>,
}

impl MeetingCard {
    /// The message everyone in the channel sees.
    pub fn in_channel(&self) -> Reply {
        Reply::in_channel(self.fallback_text(), self.blocks())
    }

    /// A dry-run preview: the same card, only for the invoker, clearly marked.
    pub fn preview(&self) -> Reply {
        let mut blocks = vec![json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": ":eyes: *Preview (dry run)*: Zoom was not called and no meeting exists. This is the card the channel would see."}]
        })];
        blocks.extend(self.blocks());
        Reply::ephemeral(format!("Preview (dry run): {}", self.fallback_text())).with_blocks(blocks)
    }

    /// `Tuesday, December 1, 2026 at 3:00 PM (America/Los_Angeles)`: the organiser's view.
    pub fn organiser_time(&self) -> String {
        format!(
            "{} ({})",
            self.local_start.format("%A, %B %-d, %Y at %-I:%M %p"),
            self.zone
        )
    }

    /// A date token every reader's client renders in their own timezone.
    fn date_token(&self) -> String {
        format!(
            "<!date^{}^{{date_long_pretty}} at {{time}}|{}>",
            self.start.timestamp(),
            escape(&self.organiser_time())
        )
    }

    fn fallback_text(&self) -> String {
        let mut text = format!(
            "Zoom meeting: {} — {}, {}. Join: {} · Meeting ID {}",
            neutralise(&self.topic),
            escape(&self.organiser_time()),
            self.duration,
            self.join_url,
            self.meeting_id,
        );
        if let Some(passcode) = self.passcode.as_deref().filter(|p| !p.is_empty()) {
            text.push_str(&format!(" · Passcode {}", escape(passcode)));
        }
        text
    }

    fn blocks(&self) -> Vec<Value> {
        let mut fields =
            vec![json!({"type": "mrkdwn", "text": format!("*Meeting ID*\n{}", self.meeting_id)})];
        if let Some(passcode) = self.passcode.as_deref().filter(|p| !p.is_empty()) {
            fields.push(
                json!({"type": "mrkdwn", "text": format!("*Passcode*\n{}", escape(passcode))}),
            );
        }
        let mut context = format!("Scheduled by <@{}>", self.scheduled_by);
        for note in &self.notes {
            context.push_str(" · ");
            context.push_str(&escape(note));
        }
        vec![
            json!({
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": format!(
                        ":video_camera: *{}*\n{} · {}",
                        neutralise(&self.topic),
                        self.date_token(),
                        self.duration
                    ),
                },
                "accessory": {
                    "type": "button",
                    "action_id": "join",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Join"},
                    "url": self.join_url,
                },
            }),
            json!({"type": "section", "fields": fields}),
            json!({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]}),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            notes: vec![],
        }
    }

    #[test]
    fn the_card_neutralises_broadcasts_in_the_topic_and_keeps_mentions() {
        let json = serde_json::to_string(&card().in_channel()).unwrap();
        assert!(!json.contains("<!channel>"), "{json}");
        assert!(json.contains("&lt;!channel&gt; R&amp;D <@U999>"), "{json}");
    }

    #[test]
    fn the_start_is_a_date_token_with_the_organisers_zone_as_fallback() {
        let reply = card().in_channel();
        let section = reply.blocks()[0]["text"]["text"].as_str().unwrap();
        assert!(
            section.contains("<!date^1796166000^{date_long_pretty} at {time}|Tuesday, December 1, 2026 at 3:00 PM (America/Los_Angeles)>"),
            "{section}"
        );
        assert!(reply.text().contains("3:00 PM (America/Los_Angeles)"));
    }
}
