//! Where a user's answers go: a command's or a click's `response_url`, or — for the form, which
//! has none — the chosen channel through the Web API. Remembers that an answer went out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::app::card_hold::{CardHold, deliver_held};
use crate::app::state::AppState;
use crate::slack::respond::{DeliveryError, DeliveryPolicy};
use crate::slack::web::{ApiError, MESSAGE_TIMEOUT, Posted};
use crate::slack::{ChannelId, Reply, ResponseUrl, UserId};

/// Where answers for one piece of work go.
#[derive(Debug, Clone)]
pub enum ReplyTo {
    /// A slash command or a click: its `response_url`.
    Hook(ResponseUrl),
    /// A form submission: cards with `chat.postMessage`, notes with `chat.postEphemeral`.
    Channel { channel: ChannelId, user: UserId },
}

/// Why an answer did not arrive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error(transparent)]
    Hook(#[from] DeliveryError),
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Nothing was sent: while this replica waited to post the card, its hold lapsed and
    /// another claim took it (see `card_hold.rs`); the card is theirs to post.
    #[error("another replica took the card over before its turn to post came")]
    TakenOver,
}

impl AnswerError {
    /// Whether the message may have arrived all the same (a post that went out and got no
    /// readable answer): sending it again, this way or another, could show it twice.
    pub fn may_have_arrived(&self) -> bool {
        match self {
            AnswerError::Hook(e) => matches!(e, DeliveryError::Uncertain { .. }),
            AnswerError::Api(e) => e.may_have_acted(),
            AnswerError::TakenOver => false,
        }
    }
}

/// Sends answers for one piece of work; `answered` records that at least one went out (or
/// was attempted), for the no-answer guard.
pub struct Answer<'a> {
    pub(crate) state: &'a AppState,
    pub(crate) to: ReplyTo,
    pub(crate) answered: Arc<AtomicBool>,
}

impl<'a> Answer<'a> {
    pub fn new(state: &'a AppState, to: ReplyTo, answered: Arc<AtomicBool>) -> Self {
        Self {
            state,
            to,
            answered,
        }
    }

    /// Posts a message everyone in the channel sees; returns where it landed when the Web API
    /// posted it (so it can be updated later). A card held in the outbox is posted only while
    /// `hold` is still this replica's ([`AnswerError::TakenOver`] otherwise).
    pub async fn post(
        &self,
        reply: &Reply,
        hold: Option<&mut CardHold>,
    ) -> Result<Option<Posted>, AnswerError> {
        let sent = match (&self.to, hold) {
            (ReplyTo::Hook(url), hold) => self
                .hook(url, reply, self.state.delivery(), hold)
                .await
                .map(|()| None),
            (ReplyTo::Channel { channel, .. }, hold) => {
                let held = match hold {
                    Some(hold) => hold.keep_for(self.state, MESSAGE_TIMEOUT).await,
                    None => true,
                };
                if held {
                    self.state
                        .slack_api()
                        .post_message(channel, reply, None)
                        .await
                        .map(Some)
                        .map_err(AnswerError::from)
                } else {
                    Err(AnswerError::TakenOver)
                }
            }
        };
        self.answered.store(true, Ordering::SeqCst);
        sent
    }

    /// Nothing more is owed to the user from this work: another replica, the outbox or an
    /// earlier answer speaks for it. Keeps the no-answer guard quiet.
    pub fn owe_nothing(&self) {
        self.answered.store(true, Ordering::SeqCst);
    }

    /// A message only the user sees; logged if it cannot be delivered.
    pub async fn say(&self, text: String) {
        self.say_with(text, self.state.delivery()).await;
    }

    /// Like [`say`](Self::say), one quick attempt: for the last moments before shutdown.
    pub async fn say_quickly(&self, text: String) {
        let quick = DeliveryPolicy {
            attempts: 1,
            first_backoff: Duration::ZERO,
            timeout: Duration::from_secs(1),
        };
        self.say_with(text, quick).await;
    }

    async fn say_with(&self, text: String, policy: DeliveryPolicy) {
        let reply = Reply::ephemeral(text);
        let sent = match &self.to {
            ReplyTo::Hook(url) => self.hook(url, &reply, policy, None).await,
            ReplyTo::Channel { channel, user } => self
                .state
                .slack_api()
                .post_ephemeral(channel, user, &reply)
                .await
                .map_err(AnswerError::from),
        };
        self.answered.store(true, Ordering::SeqCst);
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not deliver the reply to Slack");
        }
    }

    async fn hook(
        &self,
        url: &ResponseUrl,
        reply: &Reply,
        policy: DeliveryPolicy,
        hold: Option<&mut CardHold>,
    ) -> Result<(), AnswerError> {
        let delivered = async {
            match hold {
                Some(hold) => deliver_held(self.state, url, reply, policy, hold)
                    .await
                    .ok_or(AnswerError::TakenOver)?
                    .map_err(AnswerError::from),
                None => self
                    .state
                    .deliver(url, reply, policy)
                    .await
                    .map_err(AnswerError::from),
            }
        };
        // Right at the deadline, stop waiting on Slack (the quick path is used then).
        let stopping = policy.attempts > 1;
        tokio::select! {
            delivered = delivered => delivered,
            () = self.state.stopping(), if stopping => Err(DeliveryError::Interrupted.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_post_that_went_out_unanswered_may_have_arrived() {
        let cases = [
            (
                AnswerError::Api(ApiError::NoAnswer("timed out".into())),
                true,
            ),
            (AnswerError::Api(ApiError::Decode), true),
            (AnswerError::Api(ApiError::Network("refused".into())), false),
            (AnswerError::Api(ApiError::Status(503)), false),
            (
                AnswerError::Api(ApiError::NotOk("not_in_channel".into())),
                false,
            ),
            (AnswerError::Api(ApiError::RateLimited(None)), false),
            (
                AnswerError::Hook(DeliveryError::Uncertain {
                    attempts: 1,
                    last: "timed out".into(),
                }),
                true,
            ),
            (AnswerError::Hook(DeliveryError::Refused(404)), false),
            (AnswerError::TakenOver, false),
        ];
        for (error, may) in cases {
            assert_eq!(error.may_have_arrived(), may, "{error:?}");
        }
    }
}
