//! Inbound Slack: request signatures, the slash-command payload, and replies.

pub mod card;
pub mod command;
pub mod replay;
pub mod reply;
pub mod respond;
pub mod signature;
pub mod users;

pub use command::{ChannelId, PayloadError, ResponseUrl, SlashCommand, TeamId, UserId};
pub use reply::Reply;
pub use signature::{SignatureError, SignatureVerifier};
