//! Slack Web API calls with the bot token: `chat.postMessage`, `chat.update`, `views.open`,
//! and the one error type every Web API call reports.

use std::time::Duration;

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::slack::blocks::Block;
use crate::slack::users::without_url;
use crate::slack::{ChannelId, Reply, SlackApi};

/// How long a call made while Slack waits for our answer may take: `views.open` must land
/// within the trigger's 3 s, and the form's `chat.postEphemeral` check within the submission's.
const ANSWER_PATH_TIMEOUT: Duration = Duration::from_secs(2);
/// How long `chat.postMessage` and `chat.update` may take. They run in the background, and a
/// post that times out may still have landed (it is then not posted again), so Slack gets
/// time to answer.
pub(crate) const MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a Web API call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("SLACK_BOT_TOKEN is not set")]
    NoToken,
    /// `{"ok": false, "error": …}`: `not_in_channel`, `channel_not_found`, `expired_trigger_id`, …
    #[error("Slack answered `{0}`")]
    NotOk(String),
    #[error("Slack is rate limiting this call (retry after {0:?})")]
    RateLimited(Option<Duration>),
    #[error("Slack answered HTTP {0}")]
    Status(u16),
    #[error("Slack could not be reached: {0}")]
    Network(String),
    /// The call went out but no answer came back (it timed out, or the connection broke).
    #[error("Slack did not answer: {0}")]
    NoAnswer(String),
    #[error("Slack's answer could not be read")]
    Decode,
}

impl ApiError {
    /// Whether Slack may have done what was asked although the call failed: it went out and
    /// no readable answer came back. A message may then be in the channel already, and
    /// posting it again could show it twice.
    pub fn may_have_acted(&self) -> bool {
        matches!(self, ApiError::NoAnswer(_) | ApiError::Decode)
    }

    /// The bot cannot post where it was asked to (a private channel or DM it is not in).
    pub fn cannot_post_here(&self) -> bool {
        matches!(self, ApiError::NotOk(e) if matches!(e.as_str(), "not_in_channel" | "channel_not_found" | "is_archived" | "restricted_action"))
    }
}

/// Told how each Web API call that reached Slack ended (for metrics). Called on the request
/// path: implementations must be quick and must not block.
pub trait WebApiObserver: Send + Sync {
    /// `method` is Slack's name for it, such as `chat.postMessage`.
    fn answered(&self, method: &'static str, result: Result<(), &ApiError>);
}

/// Where a posted message lives, so it can be updated or replied to in a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub channel: ChannelId,
    pub ts: String,
}

/// The body of `chat.postMessage`, `chat.postEphemeral` and `chat.update`, serialised from the
/// message as it is (a card is not copied into a JSON tree on the way).
#[derive(Serialize)]
struct MessageBody<'a> {
    channel: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    blocks: Option<&'a [Block]>,
    /// `chat.postEphemeral`: who sees it.
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    /// `chat.update`: the message replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_ts: Option<&'a str>,
    /// `chat.postMessage`: whether Slack unfurls links and media.
    #[serde(skip_serializing_if = "Option::is_none")]
    unfurl_links: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unfurl_media: Option<bool>,
}

impl<'a> MessageBody<'a> {
    /// `message` in `channel`, its blocks when it has any.
    fn new(channel: &'a ChannelId, message: &'a Reply) -> Self {
        Self {
            channel: channel.as_str(),
            text: message.text(),
            blocks: (!message.blocks().is_empty()).then(|| message.blocks()),
            user: None,
            ts: None,
            thread_ts: None,
            unfurl_links: None,
            unfurl_media: None,
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    ok: bool,
    error: Option<String>,
    channel: Option<String>,
    ts: Option<String>,
}

impl SlackApi {
    /// `chat.postMessage`: `message` in `channel`, in the thread of `thread_ts` if given.
    pub async fn post_message(
        &self,
        channel: &ChannelId,
        message: &Reply,
        thread_ts: Option<&str>,
    ) -> Result<Posted, ApiError> {
        let body = MessageBody {
            thread_ts,
            unfurl_links: Some(false),
            unfurl_media: Some(false),
            ..MessageBody::new(channel, message)
        };
        let answer = self.call("chat.postMessage", &body).await?;
        let channel = answer
            .channel
            .as_deref()
            .and_then(ChannelId::parse)
            .unwrap_or_else(|| channel.clone());
        let ts = answer.ts.ok_or(ApiError::Decode)?;
        Ok(Posted { channel, ts })
    }

    /// `chat.update`: replaces the message at `posted` with `message`.
    pub async fn update_message(&self, posted: &Posted, message: &Reply) -> Result<(), ApiError> {
        let body = MessageBody {
            ts: Some(&posted.ts),
            // Always sent: an update without blocks removes the card's.
            blocks: Some(message.blocks()),
            ..MessageBody::new(&posted.channel, message)
        };
        self.call("chat.update", &body).await.map(|_| ())
    }

    /// `chat.postEphemeral`: `text` to `user` alone in `channel`. Fails like `chat.postMessage`
    /// where the bot is not a member, so it also tells whether the bot may post there.
    pub async fn post_ephemeral(
        &self,
        channel: &ChannelId,
        user: &crate::slack::UserId,
        message: &Reply,
    ) -> Result<(), ApiError> {
        let body = MessageBody {
            user: Some(user.as_str()),
            ..MessageBody::new(channel, message)
        };
        self.call("chat.postEphemeral", &body).await.map(|_| ())
    }

    /// `views.open` with a command's or a click's `trigger_id` (single use, valid for 3 s).
    pub async fn open_view(&self, trigger_id: &str, view: &Value) -> Result<(), ApiError> {
        let body = json!({"trigger_id": trigger_id, "view": view});
        self.call("views.open", &body).await.map(|_| ())
    }

    async fn call<B: Serialize + ?Sized>(
        &self,
        method: &'static str,
        body: &B,
    ) -> Result<Answer, ApiError> {
        let token = self.token.as_ref().ok_or(ApiError::NoToken)?;
        let answer = self.exchange(method, token, body).await;
        if let Some(observer) = &self.observer {
            observer.answered(method, answer.as_ref().map(drop));
        }
        answer
    }

    async fn exchange<B: Serialize + ?Sized>(
        &self,
        method: &'static str,
        token: &secrecy::SecretString,
        body: &B,
    ) -> Result<Answer, ApiError> {
        let response = self
            .http
            .post(format!("{}/{method}", self.base_url))
            .bearer_auth(token.expose_secret())
            .timeout(match method {
                "views.open" | "chat.postEphemeral" => ANSWER_PATH_TIMEOUT,
                _ => MESSAGE_TIMEOUT,
            })
            .json(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() || e.is_builder() {
                    ApiError::Network(without_url(e))
                } else {
                    ApiError::NoAnswer(without_url(e))
                }
            })?;
        let status = response.status();
        if status.as_u16() == 429 {
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(ApiError::RateLimited(retry_after));
        }
        if !status.is_success() {
            return Err(ApiError::Status(status.as_u16()));
        }
        let answer: Answer = response.json().await.map_err(|_| ApiError::Decode)?;
        if !answer.ok {
            let error = answer.error.unwrap_or_default();
            // Slack's error codes are short snake_case words; anything else is not shown.
            let error = if error.len() <= 64
                && error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            {
                error
            } else {
                "unknown".to_owned()
            };
            tracing::warn!(method, %error, "Slack Web API call refused");
            return Err(ApiError::NotOk(error));
        }
        Ok(answer)
    }
}
