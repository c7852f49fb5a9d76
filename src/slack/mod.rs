//! Inbound Slack: request signatures, the slash-command payload, and replies.

pub mod blocks;
pub mod calendar;
pub mod card;
pub mod command;
pub mod interaction;
pub mod markup;
pub mod modal;
pub mod notice;
pub mod replay;
pub mod reply;
pub mod respond;
pub mod signature;
pub mod socket;
pub mod users;
pub mod web;

/// Why an inbound request was not run: the inbound boundary's one error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error("this request was already handled")]
    Replayed,
    #[error("this workspace may not use the command")]
    TeamNotAllowed,
}

pub use command::{ChannelId, PayloadError, ResponseUrl, SlashCommand, TeamId, UserId};
pub use reply::Reply;
pub use signature::{SignatureError, SignatureVerifier};
pub use users::SlackApi;
