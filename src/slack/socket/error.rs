//! Why Socket Mode could not start or a link could not be opened: this boundary's one error type.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SocketModeError {
    #[error("SLACK_APP_TOKEN must be an app-level token (xapp-…) with the connections:write scope")]
    NotAnAppToken,
    #[error("the Slack API URL is not an http(s) URL")]
    InvalidApiUrl,
    #[error("cannot build an HTTP client: {0}")]
    HttpClient(String),
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// Slack refused the app-level token (`invalid_auth`, `token_revoked`, …): a person must
    /// fix the configuration, so this is retried slowly.
    #[error("Slack refused the app-level token: {0}")]
    TokenRefused(String),
    #[error("apps.connections.open is rate limited")]
    RateLimited { retry_after: Option<Duration> },
    #[error("apps.connections.open answered `{0}`")]
    Api(String),
    #[error("apps.connections.open answered HTTP {0}")]
    Status(u16),
    #[error("Slack could not be reached: {0}")]
    Network(String),
    #[error("Slack's answer to apps.connections.open could not be read")]
    Decode,
    #[error("Slack gave a connection URL that is not ws:// or wss://")]
    NotAWebSocketUrl,
    #[error("the WebSocket could not be opened: {0}")]
    WebSocket(String),
    #[error("Slack sent no hello within {0:?}")]
    NoHello(Duration),
    #[error("the Socket Mode task crashed")]
    Crashed,
}

impl SocketModeError {
    /// Failures only a person can fix; retrying them quickly cannot help.
    pub(crate) fn is_fatal(&self) -> bool {
        matches!(self, SocketModeError::TokenRefused(_))
    }
}
