//! The command handler: what a verified slash command does. Answers fast; slow work goes to the background.

use crate::app::state::AppState;
use crate::slack::reply::code;
use crate::slack::{Reply, SlashCommand};

/// Decides the immediate answer to a verified command.
pub async fn handle(_state: &AppState, command: SlashCommand) -> Reply {
    Reply::ephemeral(format!(
        "Understood {} {} — scheduling is not wired up yet.",
        code(command.command()),
        code(command.text()),
    ))
}
