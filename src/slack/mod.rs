//! Inbound Slack: request signatures, the slash-command payload, and replies.

pub mod command;
pub mod replay;
pub mod reply;
pub mod signature;

pub use command::{ChannelId, PayloadError, ResponseUrl, SlashCommand, TeamId, UserId};
pub use reply::Reply;
pub use signature::{SignatureError, SignatureVerifier};
