//! The Socket Mode door: envelopes from Slack's WebSocket go to the same handlers as HTTP
//! requests, and their immediate answers go back in the acks.

use std::time::Instant;

use serde_json::Value;

use crate::app::metrics::{Ack, CommandOutcome};
use crate::app::state::{AppState, Guards};
use crate::app::{handler, interactions};
use crate::i18n::{Key, Lang};
use crate::slack::interaction::Interaction;
use crate::slack::socket::{Envelope, EnvelopeKind, SocketModeClient, SocketModeConfig};
use crate::slack::{Reply, SlashCommand};

/// A client that hands every envelope to `state`'s handlers.
pub fn client(state: &AppState, config: SocketModeConfig) -> Result<SocketModeClient, String> {
    let state = state.clone();
    let handler = move |envelope: Envelope| {
        let state = state.clone();
        async move { answer(&state, envelope).await }
    };
    SocketModeClient::new(config, handler).map_err(|e| e.to_string())
}

/// The ack payload for one envelope. The authenticated socket is the trust boundary here (no
/// request signature), so only the workspace rule and the payload's own shape are checked.
async fn answer(state: &AppState, envelope: Envelope) -> Option<Value> {
    let arrived = Instant::now();
    match envelope.kind() {
        EnvelopeKind::SlashCommand(_) => {
            let form = envelope.slash_command_form()?;
            let command = match SlashCommand::parse(form.as_bytes(), state.response_url_prefixes())
            {
                Ok(command) => command,
                Err(e) => {
                    tracing::warn!(error = %e, envelope = envelope.id().as_str(), "rejected: malformed slash-command envelope");
                    state.metrics().command(CommandOutcome::Malformed);
                    state.metrics().acked(Ack::Command, arrived);
                    return None;
                }
            };
            let span = tracing::info_span!(
                "envelope",
                id = envelope.id().as_str(),
                retry = envelope.retry_attempt(),
                team = command.team_id().as_str(),
                user = command.user_id().as_str(),
                channel = command.channel_id().as_str(),
            );
            let reply = tracing::Instrument::instrument(
                async {
                    if !state.team_allowed(command.team_id().as_str()) {
                        tracing::warn!("refused: workspace is not on SLACK_ALLOWED_TEAM_IDS");
                        state.metrics().command(CommandOutcome::TeamNotAllowed);
                        // The bot token cannot look up another workspace's users: English.
                        return Some(Reply::ephemeral(Lang::En.text(Key::ReplyTeamNotAllowed)));
                    }
                    let guards = Guards::new(None, command.delivery_key());
                    handler::handle(state, command, guards).await
                },
                span,
            )
            .await;
            state.metrics().acked(Ack::Command, arrived);
            reply.and_then(|reply| serde_json::to_value(reply).ok())
        }
        EnvelopeKind::Interactive(payload) => {
            let interaction = match Interaction::from_json(
                Value::Object(payload.clone()),
                state.response_url_prefixes(),
            ) {
                Ok(interaction) => interaction,
                Err(e) => {
                    tracing::warn!(error = %e, envelope = envelope.id().as_str(), "rejected: malformed interactive envelope");
                    state.metrics().acked(Ack::Interaction, arrived);
                    return None;
                }
            };
            let span = tracing::info_span!(
                "envelope",
                id = envelope.id().as_str(),
                retry = envelope.retry_attempt(),
                team = interaction.team_id().map(|t| t.as_str()).unwrap_or("-"),
            );
            let answer = tracing::Instrument::instrument(
                async {
                    if interaction
                        .team_id()
                        .is_some_and(|team| !state.team_allowed(team.as_str()))
                    {
                        tracing::warn!("refused: workspace is not on SLACK_ALLOWED_TEAM_IDS");
                        return None;
                    }
                    interactions::handle(state, interaction).await
                },
                span,
            )
            .await;
            state.metrics().acked(Ack::Interaction, arrived);
            answer
        }
        EnvelopeKind::EventsApi(_) | EnvelopeKind::Other { .. } => None,
    }
}
