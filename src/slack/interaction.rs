//! Interactivity payloads (buttons, modals): Slack's JSON read into typed values. Who clicked
//! comes only from the signed payload's `user.id`; a button's `value` is data, never identity.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::slack::command::{ChannelId, PayloadError, ResponseUrl, TeamId, UserId};

/// A verified interaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Interaction {
    BlockActions(BlockActions),
    ViewSubmission(ViewSubmission),
    /// Any other type (`view_closed`, `shortcut`, …): acknowledged and ignored.
    Other(String),
}

/// A click on a button (or another element) in a message.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockActions {
    pub team_id: TeamId,
    pub user_id: UserId,
    /// Where the clicked message lives; absent for clicks in a modal.
    pub channel_id: Option<ChannelId>,
    pub message_ts: Option<String>,
    pub is_ephemeral: bool,
    pub response_url: Option<ResponseUrl>,
    pub trigger_id: Option<String>,
    pub actions: Vec<Action>,
}

/// One element's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub action_id: String,
    pub block_id: Option<String>,
    /// A button's `value`, or the selected option's value.
    pub value: Option<String>,
}

/// A submitted modal.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewSubmission {
    pub team_id: TeamId,
    pub user_id: UserId,
    pub view_id: String,
    pub callback_id: String,
    pub private_metadata: String,
    pub trigger_id: Option<String>,
    /// `block_id` → `action_id` → the input's state, as Slack sent it.
    pub values: BTreeMap<String, BTreeMap<String, InputValue>>,
}

/// The value of one input in a submitted modal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InputValue {
    pub value: Option<String>,
    pub selected_date_time: Option<i64>,
    pub selected_option: Option<String>,
    pub selected_conversation: Option<String>,
}

impl ViewSubmission {
    /// The state of input `action_id` in block `block_id`.
    pub fn input(&self, block_id: &str, action_id: &str) -> Option<&InputValue> {
        self.values.get(block_id)?.get(action_id)
    }
}

#[derive(Deserialize)]
struct RawForm {
    payload: Option<String>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "type")]
    kind: Option<String>,
    user: Option<RawUser>,
    team: Option<RawTeam>,
    container: Option<RawContainer>,
    channel: Option<RawChannel>,
    response_url: Option<String>,
    trigger_id: Option<String>,
    #[serde(default)]
    actions: Vec<RawAction>,
    view: Option<RawView>,
}

#[derive(Deserialize)]
struct RawUser {
    id: Option<String>,
    team_id: Option<String>,
}

#[derive(Deserialize)]
struct RawTeam {
    id: Option<String>,
}

#[derive(Deserialize)]
struct RawContainer {
    message_ts: Option<String>,
    channel_id: Option<String>,
    #[serde(default)]
    is_ephemeral: bool,
}

#[derive(Deserialize)]
struct RawChannel {
    id: Option<String>,
}

#[derive(Deserialize)]
struct RawAction {
    action_id: Option<String>,
    block_id: Option<String>,
    value: Option<String>,
    selected_option: Option<RawOption>,
}

#[derive(Deserialize)]
struct RawOption {
    value: Option<String>,
}

#[derive(Deserialize)]
struct RawView {
    id: Option<String>,
    callback_id: Option<String>,
    #[serde(default)]
    private_metadata: String,
    state: Option<RawState>,
}

#[derive(Deserialize)]
struct RawState {
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, RawInput>>,
}

#[derive(Deserialize)]
struct RawInput {
    value: Option<String>,
    selected_date_time: Option<i64>,
    selected_option: Option<RawOption>,
    selected_conversation: Option<String>,
}

impl Interaction {
    /// Decodes a verified form body (`payload=<json>`, as Slack POSTs interactions).
    pub fn parse_form(body: &[u8], prefixes: &[String]) -> Result<Self, PayloadError> {
        let form: RawForm =
            serde_urlencoded::from_bytes(body).map_err(|_| PayloadError::NotAForm)?;
        let payload = form.payload.ok_or(PayloadError::Missing("payload"))?;
        let json: Value = serde_json::from_str(&payload).map_err(|_| PayloadError::NotAForm)?;
        Self::from_json(json, prefixes)
    }

    /// Decodes the payload JSON (the form's `payload`, or a Socket Mode `interactive` envelope).
    pub fn from_json(json: Value, prefixes: &[String]) -> Result<Self, PayloadError> {
        let raw: Raw = serde_json::from_value(json).map_err(|_| PayloadError::NotAForm)?;
        let kind = raw.kind.clone().ok_or(PayloadError::Missing("type"))?;
        let user = raw.user.as_ref().ok_or(PayloadError::Missing("user"))?;
        let user_id = user
            .id
            .as_deref()
            .ok_or(PayloadError::Missing("user.id"))
            .and_then(|id| UserId::parse(id).ok_or(PayloadError::InvalidId("user.id")))?;
        let team = raw
            .team
            .as_ref()
            .and_then(|t| t.id.clone())
            .or_else(|| user.team_id.clone())
            .ok_or(PayloadError::Missing("team.id"))?;
        let team_id = TeamId::parse(&team).ok_or(PayloadError::InvalidId("team.id"))?;
        let trigger_id = raw.trigger_id.filter(|t| !t.is_empty() && t.len() <= 256);
        match kind.as_str() {
            "block_actions" => {
                let container = raw.container;
                let channel = container
                    .as_ref()
                    .and_then(|c| c.channel_id.clone())
                    .or_else(|| raw.channel.and_then(|c| c.id));
                let channel_id = match channel {
                    Some(id) => {
                        Some(ChannelId::parse(&id).ok_or(PayloadError::InvalidId("channel.id"))?)
                    }
                    None => None,
                };
                let response_url = match raw.response_url {
                    Some(url) => Some(
                        ResponseUrl::parse(&url, prefixes)
                            .ok_or(PayloadError::ResponseUrlNotAllowed)?,
                    ),
                    None => None,
                };
                let actions = raw
                    .actions
                    .into_iter()
                    .filter_map(|a| {
                        Some(Action {
                            action_id: a.action_id.filter(|id| id.len() <= 255)?,
                            block_id: a.block_id,
                            value: a.value.or(a.selected_option.and_then(|o| o.value)),
                        })
                    })
                    .collect();
                Ok(Interaction::BlockActions(BlockActions {
                    team_id,
                    user_id,
                    channel_id,
                    message_ts: container
                        .as_ref()
                        .and_then(|c| c.message_ts.clone())
                        .filter(|ts| is_ts(ts)),
                    is_ephemeral: container.is_some_and(|c| c.is_ephemeral),
                    response_url,
                    trigger_id,
                    actions,
                }))
            }
            "view_submission" => {
                let view = raw.view.ok_or(PayloadError::Missing("view"))?;
                let values = view
                    .state
                    .map(|s| s.values)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(block, inputs)| {
                        let inputs = inputs
                            .into_iter()
                            .map(|(action, input)| {
                                (
                                    action,
                                    InputValue {
                                        value: input.value,
                                        selected_date_time: input.selected_date_time,
                                        selected_option: input
                                            .selected_option
                                            .and_then(|o| o.value),
                                        selected_conversation: input.selected_conversation,
                                    },
                                )
                            })
                            .collect();
                        (block, inputs)
                    })
                    .collect();
                Ok(Interaction::ViewSubmission(ViewSubmission {
                    team_id,
                    user_id,
                    view_id: view.id.unwrap_or_default(),
                    callback_id: view.callback_id.unwrap_or_default(),
                    private_metadata: view.private_metadata,
                    trigger_id,
                    values,
                }))
            }
            other => Ok(Interaction::Other(other.chars().take(64).collect())),
        }
    }

    /// The workspace the interaction came from.
    pub fn team_id(&self) -> Option<&TeamId> {
        match self {
            Interaction::BlockActions(a) => Some(&a.team_id),
            Interaction::ViewSubmission(v) => Some(&v.team_id),
            Interaction::Other(_) => None,
        }
    }
}

/// A Slack message timestamp: digits, a dot, digits (`1700000000.000100`).
fn is_ts(ts: &str) -> bool {
    ts.len() <= 32
        && ts.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prefixes() -> Vec<String> {
        vec!["https://hooks.slack.com/".into()]
    }

    fn form(payload: &Value) -> Vec<u8> {
        serde_urlencoded::to_string([("payload", payload.to_string())])
            .unwrap()
            .into_bytes()
    }

    #[test]
    fn a_button_click_is_read_with_who_clicked_and_where() {
        let payload = json!({
            "type": "block_actions",
            "user": {"id": "U2", "username": "bob", "team_id": "T1"},
            "team": {"id": "T1", "domain": "acme"},
            "api_app_id": "A1",
            "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C1", "is_ephemeral": false},
            "channel": {"id": "C1", "name": "general"},
            "response_url": "https://hooks.slack.com/actions/T1/1/abc",
            "trigger_id": "1.2.3",
            "actions": [{"action_id": "cancel", "block_id": "b", "type": "button", "value": "85746065432", "action_ts": "1.2"}],
        });
        let Interaction::BlockActions(click) =
            Interaction::parse_form(&form(&payload), &prefixes()).unwrap()
        else {
            panic!("not block_actions");
        };
        assert_eq!(click.user_id.as_str(), "U2");
        assert_eq!(click.team_id.as_str(), "T1");
        assert_eq!(click.channel_id.unwrap().as_str(), "C1");
        assert_eq!(click.message_ts.as_deref(), Some("1700000000.000100"));
        assert_eq!(click.actions[0].action_id, "cancel");
        assert_eq!(click.actions[0].value.as_deref(), Some("85746065432"));
    }

    #[test]
    fn a_modal_submission_is_read_with_its_inputs() {
        let payload = json!({
            "type": "view_submission",
            "user": {"id": "U2", "team_id": "T1"},
            "team": {"id": "T1"},
            "trigger_id": "1.2.3",
            "view": {"id": "V1", "callback_id": "new_meeting", "private_metadata": "{\"c\":1}",
                "state": {"values": {
                    "topic": {"topic": {"type": "plain_text_input", "value": "Retro"}},
                    "start": {"start": {"type": "datetimepicker", "selected_date_time": 1796166000}},
                    "duration": {"duration": {"type": "static_select", "selected_option": {"value": "45"}}},
                    "channel": {"channel": {"type": "conversations_select", "selected_conversation": "C9"}},
                }}},
        });
        let Interaction::ViewSubmission(view) =
            Interaction::parse_form(&form(&payload), &prefixes()).unwrap()
        else {
            panic!("not view_submission");
        };
        assert_eq!(view.callback_id, "new_meeting");
        assert_eq!(
            view.input("topic", "topic").unwrap().value.as_deref(),
            Some("Retro")
        );
        assert_eq!(
            view.input("start", "start").unwrap().selected_date_time,
            Some(1796166000)
        );
        assert_eq!(
            view.input("duration", "duration")
                .unwrap()
                .selected_option
                .as_deref(),
            Some("45")
        );
        assert_eq!(
            view.input("channel", "channel")
                .unwrap()
                .selected_conversation
                .as_deref(),
            Some("C9")
        );
    }

    #[test]
    fn bad_payloads_are_refused_and_unknown_types_are_other() {
        let cases: Vec<(Vec<u8>, Result<&str, PayloadError>)> = vec![
            (b"text=hi".to_vec(), Err(PayloadError::Missing("payload"))),
            (b"payload=%7Bnot-json".to_vec(), Err(PayloadError::NotAForm)),
            (
                form(&json!({"type": "block_actions", "team": {"id": "T1"}})),
                Err(PayloadError::Missing("user")),
            ),
            (
                form(
                    &json!({"type": "block_actions", "user": {"id": "../x"}, "team": {"id": "T1"}}),
                ),
                Err(PayloadError::InvalidId("user.id")),
            ),
            (
                form(
                    &json!({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}, "response_url": "https://evil.example/x"}),
                ),
                Err(PayloadError::ResponseUrlNotAllowed),
            ),
            (
                form(&json!({"type": "view_closed", "user": {"id": "U1"}, "team": {"id": "T1"}})),
                Ok("view_closed"),
            ),
        ];
        for (body, expected) in cases {
            let got = Interaction::parse_form(&body, &prefixes());
            match expected {
                Ok(kind) => assert_eq!(got, Ok(Interaction::Other(kind.into())), "{body:?}"),
                Err(e) => assert_eq!(got, Err(e), "{body:?}"),
            }
        }
    }
}
