//! `apps.connections.open`: trades the app-level token for a single-use WebSocket URL.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::slack::socket::SocketModeError;
use crate::slack::users::without_url;

/// Where one link connects. The query holds a single-use ticket: it is never logged, and
/// `Debug` shows the host only.
pub(crate) struct ConnectionUrl(reqwest::Url);

impl ConnectionUrl {
    pub fn parse(raw: &str) -> Result<Self, SocketModeError> {
        let url = reqwest::Url::parse(raw).map_err(|_| SocketModeError::NotAWebSocketUrl)?;
        if !matches!(url.scheme(), "ws" | "wss") || url.host_str().is_none() {
            return Err(SocketModeError::NotAWebSocketUrl);
        }
        Ok(Self(url))
    }

    /// For logs: which Slack host serves the link, without the ticket.
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or("")
    }

    /// The whole URL, ticket included: only for the WebSocket handshake.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Debug for ConnectionUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConnectionUrl({}://{}/…)", self.0.scheme(), self.host())
    }
}

#[derive(Deserialize)]
struct OpenResponse {
    ok: bool,
    url: Option<String>,
    error: Option<String>,
}

/// Errors that mean the token itself is refused: retrying cannot help until someone acts.
const TOKEN_ERRORS: &[&str] = &[
    "not_authed",
    "invalid_auth",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "not_allowed_token_type",
    "missing_scope",
    "no_permission",
    "invalid_token",
    "app_deleted",
    "team_disabled",
];

/// One call. `http` should have a timeout; every failure is classified for the retry policy.
pub(crate) async fn open(
    http: &reqwest::Client,
    endpoint: &reqwest::Url,
    token: &SecretString,
) -> Result<ConnectionUrl, SocketModeError> {
    let response = http
        .post(endpoint.clone())
        .bearer_auth(token.expose_secret())
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .map_err(|e| SocketModeError::Network(without_url(e)))?;
    let status = response.status();
    if status.as_u16() == 429 {
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Err(SocketModeError::RateLimited { retry_after });
    }
    if !status.is_success() {
        return Err(SocketModeError::Status(status.as_u16()));
    }
    let body: OpenResponse = response.json().await.map_err(|_| SocketModeError::Decode)?;
    if !body.ok {
        let error: String = body
            .error
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(64)
            .collect();
        if TOKEN_ERRORS.contains(&error.as_str()) {
            return Err(SocketModeError::TokenRefused(error));
        }
        if error == "ratelimited" {
            return Err(SocketModeError::RateLimited { retry_after: None });
        }
        return Err(SocketModeError::Api(error));
    }
    ConnectionUrl::parse(body.url.as_deref().ok_or(SocketModeError::Decode)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_websocket_urls_are_accepted() {
        for (raw, ok) in [
            (
                "wss://wss-primary.slack.com/link/?ticket=abc&app_id=A1",
                true,
            ),
            ("ws://127.0.0.1:9000/link/?ticket=abc", true),
            ("https://slack.com/link", false),
            ("wss://", false),
            ("ws:/relative", true),
            ("not a url", false),
        ] {
            assert_eq!(ConnectionUrl::parse(raw).is_ok(), ok, "{raw}");
        }
    }

    #[test]
    fn debug_output_shows_the_host_but_never_the_ticket() {
        let url = ConnectionUrl::parse("wss://wss-primary.slack.com/link/?ticket=s3cr3t&app_id=A1")
            .unwrap();
        let shown = format!("{url:?}");
        assert!(shown.contains("wss-primary.slack.com"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert_eq!(url.host(), "wss-primary.slack.com");
    }
}
