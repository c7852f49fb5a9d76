//! Slack's Socket Mode messages as JSON: what arrives on the socket, and the ack we send back.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::slack::socket::{Envelope, EnvelopeId, EnvelopeKind};

/// A message from Slack, read into what the client acts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inbound {
    Hello {
        num_connections: Option<u64>,
    },
    Disconnect(DisconnectReason),
    Envelope(Envelope),
    /// An envelope whose payload is not what its type promises. Acked anyway: Slack would
    /// otherwise redeliver something no one can handle.
    Unreadable {
        id: EnvelopeId,
        why: &'static str,
    },
    /// Anything else (no type, a type without an envelope id); logged and skipped.
    Ignored(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DisconnectReason {
    /// The link will be closed soon (Slack sends it ~10 s ahead).
    Warning,
    /// Slack wants this link replaced now.
    RefreshRequested,
    /// Socket Mode was turned off for the app: a person must act.
    LinkDisabled,
    /// A reason this client does not know; treated like a refresh.
    Other(String),
}

impl DisconnectReason {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            DisconnectReason::Warning => "warning",
            DisconnectReason::RefreshRequested => "refresh_requested",
            DisconnectReason::LinkDisabled => "link_disabled",
            DisconnectReason::Other(other) => other,
        }
    }
}

/// Every field optional: one missing field should give a precise log line, not a parse error.
#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "type")]
    kind: Option<String>,
    envelope_id: Option<String>,
    payload: Option<Value>,
    accepts_response_payload: Option<bool>,
    retry_attempt: Option<u64>,
    retry_reason: Option<String>,
    reason: Option<String>,
    num_connections: Option<u64>,
}

/// Reads one text frame. `Err` when it is not a JSON object at all.
pub(crate) fn parse(text: &str) -> Result<Inbound, serde_json::Error> {
    let raw: Raw = serde_json::from_str(text)?;
    let kind = raw.kind.unwrap_or_default();
    match kind.as_str() {
        "hello" => {
            return Ok(Inbound::Hello {
                num_connections: raw.num_connections,
            });
        }
        "disconnect" => {
            let reason = match raw.reason.as_deref() {
                Some("warning") => DisconnectReason::Warning,
                Some("refresh_requested") => DisconnectReason::RefreshRequested,
                Some("link_disabled") => DisconnectReason::LinkDisabled,
                other => DisconnectReason::Other(other.unwrap_or("").chars().take(64).collect()),
            };
            return Ok(Inbound::Disconnect(reason));
        }
        _ => {}
    }
    let Some(id) = raw.envelope_id.as_deref().and_then(EnvelopeId::parse) else {
        let shown: String = kind.chars().take(64).collect();
        return Ok(Inbound::Ignored(format!(
            "a `{shown}` message without a usable envelope_id"
        )));
    };
    let payload = raw.payload.unwrap_or(Value::Null);
    let kind = match kind.as_str() {
        "slash_commands" => match without_token(payload) {
            Some(fields) => EnvelopeKind::SlashCommand(fields),
            None => {
                return Ok(Inbound::Unreadable {
                    id,
                    why: "a slash command whose payload is not a JSON object",
                });
            }
        },
        "interactive" => match without_token(payload) {
            Some(fields) => EnvelopeKind::Interactive(fields),
            None => {
                return Ok(Inbound::Unreadable {
                    id,
                    why: "an interaction whose payload is not a JSON object",
                });
            }
        },
        "events_api" => EnvelopeKind::EventsApi(payload),
        other => EnvelopeKind::Other {
            kind: other.chars().take(64).collect(),
            payload,
        },
    };
    let retry_attempt = raw
        .retry_attempt
        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
    Ok(Inbound::Envelope(Envelope::new(
        id,
        kind,
        retry_attempt,
        raw.retry_reason,
        raw.accepts_response_payload.unwrap_or(false),
    )))
}

/// The payload object without its deprecated verification `token`: nothing should read it,
/// and dropping it here keeps it out of every `Debug` and log line downstream.
fn without_token(payload: Value) -> Option<Map<String, Value>> {
    match payload {
        Value::Object(mut fields) => {
            fields.remove("token");
            Some(fields)
        }
        _ => None,
    }
}

#[derive(Serialize)]
struct Ack<'a> {
    envelope_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a Value>,
}

/// `{"envelope_id": "…"}`, with `"payload"` when there is one.
pub(crate) fn ack(id: &EnvelopeId, payload: Option<&Value>) -> String {
    let ack = Ack {
        envelope_id: id.as_str(),
        payload,
    };
    // Serialising a struct of a string and a `Value` cannot fail; an empty frame would be
    // a protocol error rather than a crash.
    serde_json::to_string(&ack).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn id(raw: &str) -> EnvelopeId {
        EnvelopeId::parse(raw).unwrap()
    }

    #[test]
    fn slacks_messages_are_read_into_what_the_client_acts_on() {
        let cases = [
            (
                "hello",
                json!({"type": "hello", "num_connections": 2, "debug_info": {"host": "h"},
                       "connection_info": {"app_id": "A1"}}),
                Inbound::Hello {
                    num_connections: Some(2),
                },
            ),
            (
                "disconnect warning",
                json!({"type": "disconnect", "reason": "warning", "debug_info": {}}),
                Inbound::Disconnect(DisconnectReason::Warning),
            ),
            (
                "disconnect refresh",
                json!({"type": "disconnect", "reason": "refresh_requested"}),
                Inbound::Disconnect(DisconnectReason::RefreshRequested),
            ),
            (
                "disconnect link_disabled",
                json!({"type": "disconnect", "reason": "link_disabled"}),
                Inbound::Disconnect(DisconnectReason::LinkDisabled),
            ),
            (
                "disconnect unknown",
                json!({"type": "disconnect", "reason": "too_many_websockets"}),
                Inbound::Disconnect(DisconnectReason::Other("too_many_websockets".into())),
            ),
            (
                "slash command",
                json!({"envelope_id": "e1", "type": "slash_commands", "accepts_response_payload": true,
                       "payload": {"token": "verif", "command": "/zoom", "text": "standup"}}),
                Inbound::Envelope(Envelope::new(
                    id("e1"),
                    EnvelopeKind::SlashCommand(
                        json!({"command": "/zoom", "text": "standup"})
                            .as_object()
                            .unwrap()
                            .clone(),
                    ),
                    0,
                    None,
                    true,
                )),
            ),
            (
                "interactive retry",
                json!({"envelope_id": "e2", "type": "interactive", "retry_attempt": 2,
                       "retry_reason": "timeout", "accepts_response_payload": false,
                       "payload": {"type": "block_actions", "token": "verif"}}),
                Inbound::Envelope(Envelope::new(
                    id("e2"),
                    EnvelopeKind::Interactive(
                        json!({"type": "block_actions"})
                            .as_object()
                            .unwrap()
                            .clone(),
                    ),
                    2,
                    Some("timeout".into()),
                    false,
                )),
            ),
            (
                "events api",
                json!({"envelope_id": "e3", "type": "events_api", "payload": {"event": {}}}),
                Inbound::Envelope(Envelope::new(
                    id("e3"),
                    EnvelopeKind::EventsApi(json!({"event": {}})),
                    0,
                    None,
                    false,
                )),
            ),
            (
                "unknown type",
                json!({"envelope_id": "e4", "type": "new_thing", "payload": [1]}),
                Inbound::Envelope(Envelope::new(
                    id("e4"),
                    EnvelopeKind::Other {
                        kind: "new_thing".into(),
                        payload: json!([1]),
                    },
                    0,
                    None,
                    false,
                )),
            ),
            (
                "slash command without an object",
                json!({"envelope_id": "e5", "type": "slash_commands", "payload": "text"}),
                Inbound::Unreadable {
                    id: id("e5"),
                    why: "a slash command whose payload is not a JSON object",
                },
            ),
            (
                "huge retry attempt",
                json!({"envelope_id": "e6", "type": "events_api", "retry_attempt": 99999999999u64}),
                Inbound::Envelope(Envelope::new(
                    id("e6"),
                    EnvelopeKind::EventsApi(Value::Null),
                    u32::MAX,
                    None,
                    false,
                )),
            ),
        ];
        for (case, message, want) in cases {
            let got = parse(&message.to_string()).expect(case);
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn messages_without_a_usable_envelope_id_are_ignored() {
        for (case, message) in [
            ("no id", json!({"type": "slash_commands", "payload": {}})),
            (
                "empty id",
                json!({"type": "slash_commands", "envelope_id": ""}),
            ),
            ("no type", json!({"something": 1})),
        ] {
            let got = parse(&message.to_string()).expect(case);
            assert!(matches!(got, Inbound::Ignored(_)), "{case}: {got:?}");
        }
    }

    #[test]
    fn text_that_is_not_a_json_object_is_an_error_not_a_panic() {
        for text in ["", "not json", "[1,2]", "\"hello\"", "{\"type\": 5}"] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn an_ack_names_the_envelope_and_carries_a_payload_only_when_there_is_one() {
        let e = id("e1");
        let bare: Value = serde_json::from_str(&ack(&e, None)).unwrap();
        assert_eq!(bare, json!({"envelope_id": "e1"}));
        let reply = json!({"response_type": "ephemeral", "text": "hi"});
        let full: Value = serde_json::from_str(&ack(&e, Some(&reply))).unwrap();
        assert_eq!(full, json!({"envelope_id": "e1", "payload": reply}));
    }
}
