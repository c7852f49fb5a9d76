//! What the app receives from Socket Mode: typed envelopes (Slack's wire format stays private).

use serde_json::{Map, Value};

/// Slack's id for one delivery; the ack names it, and a redelivery repeats it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvelopeId(String);

impl EnvelopeId {
    /// Slack's ids are UUID-like; anything empty, long or with spaces or controls is not one.
    pub fn parse(raw: &str) -> Option<Self> {
        let valid =
            !raw.is_empty() && raw.len() <= 128 && raw.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EnvelopeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an envelope carries.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvelopeKind {
    /// A slash command: the same fields as the HTTP form (`team_id`, `user_id`, `command`,
    /// `text`, `response_url`, …) as a JSON object. Answer with the same JSON as the HTTP body.
    SlashCommand(Map<String, Value>),
    /// An interaction (`block_actions`, `view_submission`, …): the same JSON object as the
    /// HTTP `payload` field.
    Interactive(Map<String, Value>),
    /// An Events API callback (the app subscribes to none today).
    EventsApi(Value),
    /// A type this client does not know; it is acked all the same so Slack does not resend it.
    Other { kind: String, payload: Value },
}

impl EnvelopeKind {
    /// Slack's name for the type, for logs.
    pub fn name(&self) -> &str {
        match self {
            EnvelopeKind::SlashCommand(_) => "slash_commands",
            EnvelopeKind::Interactive(_) => "interactive",
            EnvelopeKind::EventsApi(_) => "events_api",
            EnvelopeKind::Other { kind, .. } => kind,
        }
    }
}

/// One delivery from Slack. No request signature exists on this path: the socket, opened
/// with the app-level token, is the trust boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    id: EnvelopeId,
    kind: EnvelopeKind,
    retry_attempt: u32,
    retry_reason: Option<String>,
    accepts_response_payload: bool,
}

impl Envelope {
    /// For the app's own tests; the client builds envelopes from what Slack sends.
    pub fn new(
        id: EnvelopeId,
        kind: EnvelopeKind,
        retry_attempt: u32,
        retry_reason: Option<String>,
        accepts_response_payload: bool,
    ) -> Self {
        Self {
            id,
            kind,
            retry_attempt,
            retry_reason,
            accepts_response_payload,
        }
    }

    pub fn id(&self) -> &EnvelopeId {
        &self.id
    }

    pub fn kind(&self) -> &EnvelopeKind {
        &self.kind
    }

    pub fn into_kind(self) -> EnvelopeKind {
        self.kind
    }

    /// 0 for a first delivery. The client never hands the same id to the handler twice in
    /// one process; a retry seen here for the first time may still have been handled by
    /// another replica, which is the app's guard to apply.
    pub fn retry_attempt(&self) -> u32 {
        self.retry_attempt
    }

    /// Slack's reason for a retry (`timeout`, …), when it gives one.
    pub fn retry_reason(&self) -> Option<&str> {
        self.retry_reason.as_deref()
    }

    /// A slash command's fields encoded as the HTTP form body Slack would have POSTed, so
    /// the one decoder (`SlashCommand::parse`) serves both doors. `None` for other kinds.
    pub fn slash_command_form(&self) -> Option<String> {
        let EnvelopeKind::SlashCommand(fields) = &self.kind else {
            return None;
        };
        let pairs: Vec<(&str, String)> = fields
            .iter()
            .filter_map(|(key, value)| {
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    // A form has no nested values; Slack sends none for commands.
                    _ => return None,
                };
                Some((key.as_str(), text))
            })
            .collect();
        serde_urlencoded::to_string(pairs).ok()
    }

    /// Whether Slack uses a payload in the ack (slash commands, view submissions). A payload
    /// returned for an envelope that does not accept one is dropped.
    pub fn accepts_response_payload(&self) -> bool {
        self.accepts_response_payload
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::slack::SlashCommand;

    #[test]
    fn a_slash_command_envelope_decodes_like_the_http_form() {
        let fields = json!({
            "team_id": "T0001", "channel_id": "C0001", "user_id": "U0001",
            "command": "/zoom", "text": "Design review 45m tomorrow 3pm & more",
            "response_url": "https://hooks.slack.com/commands/T0001/1/abc",
            "is_enterprise_install": false, "nested": {"ignored": true},
        });
        let envelope = Envelope::new(
            EnvelopeId::parse("e1").unwrap(),
            EnvelopeKind::SlashCommand(fields.as_object().unwrap().clone()),
            0,
            None,
            true,
        );
        let form = envelope.slash_command_form().expect("a form");
        let prefixes = ["https://hooks.slack.com/".to_owned()];
        let command = SlashCommand::parse(form.as_bytes(), &prefixes).expect("decodes");
        assert_eq!(command.text(), "Design review 45m tomorrow 3pm & more");
        assert_eq!(command.user_id().as_str(), "U0001");
        assert_eq!(command.command(), "/zoom");
        assert!(form.contains("is_enterprise_install=false"), "{form}");
        assert!(!form.contains("nested"), "{form}");

        let event = Envelope::new(
            EnvelopeId::parse("e2").unwrap(),
            EnvelopeKind::EventsApi(json!({})),
            0,
            None,
            false,
        );
        assert_eq!(event.slash_command_form(), None);
    }

    #[test]
    fn envelope_ids_are_short_printable_tokens() {
        for (raw, ok) in [
            ("57d6a792-4d35-4d0b-b6aa-3361493e1caf", true),
            ("a", true),
            ("", false),
            ("has space", false),
            ("new\nline", false),
            (&"x".repeat(129), false),
        ] {
            assert_eq!(EnvelopeId::parse(raw).is_some(), ok, "{raw:?}");
        }
    }
}
