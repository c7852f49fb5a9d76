//! Socket Mode settings: where to ask for a connection, the app-level token, and the timings.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::slack::socket::SocketModeError;

/// What the client needs. Build it with [`SocketModeConfig::new`]; the timings are public so
/// tests can shorten them.
#[derive(Debug, Clone)]
pub struct SocketModeConfig {
    api_url: reqwest::Url,
    app_token: SecretString,
    /// How often a WebSocket ping is sent to check that the link is alive.
    pub ping_interval: Duration,
    /// No pong within this long after a ping means the link is dead. Also bounds each write
    /// and the wait for Slack's answer to our close frame.
    pub pong_timeout: Duration,
    /// How long the handler may take before the envelope is acked without a payload. Slack
    /// redelivers what is not acked within 3 s, so this leaves room for the ack to travel.
    pub ack_deadline: Duration,
    /// Bounds each step of opening a link: `apps.connections.open`, the WebSocket handshake,
    /// and the wait for `hello`.
    pub connect_timeout: Duration,
    /// First delay before reconnecting after a link failed; doubled per failure, jittered.
    pub backoff_base: Duration,
    /// Cap of that delay. A link that stayed up at least this long resets the backoff.
    pub backoff_max: Duration,
    /// Delay after a refused token or `link_disabled`: a person has to fix something, and
    /// retrying faster would only flood the logs and Slack.
    pub fatal_retry: Duration,
}

impl SocketModeConfig {
    /// Production timings. `api_url` is the Web API base (`https://slack.com/api`);
    /// `app_token` must be an app-level token (`xapp-…` with `connections:write`).
    pub fn new(api_url: &str, app_token: SecretString) -> Result<Self, SocketModeError> {
        let trimmed = api_url.trim_end_matches('/');
        let api_url = reqwest::Url::parse(&format!("{trimmed}/"))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or(SocketModeError::InvalidApiUrl)?;
        // A bot (`xoxb-`) or user token here is the usual mistake: say so at startup rather
        // than as a `not_allowed_token_type` error every few minutes.
        if !app_token.expose_secret().starts_with("xapp-") {
            return Err(SocketModeError::NotAnAppToken);
        }
        Ok(Self {
            api_url,
            app_token,
            ping_interval: Duration::from_secs(10),
            pong_timeout: Duration::from_secs(10),
            ack_deadline: Duration::from_millis(2500),
            connect_timeout: Duration::from_secs(10),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            fatal_retry: Duration::from_secs(300),
        })
    }

    /// `{api_url}/apps.connections.open`.
    pub(crate) fn open_endpoint(&self) -> reqwest::Url {
        // The base always ends with `/` and is http(s), so joining a relative name cannot fail;
        // fall back to the base rather than panic.
        self.api_url
            .join("apps.connections.open")
            .unwrap_or_else(|_| self.api_url.clone())
    }

    pub(crate) fn app_token(&self) -> &SecretString {
        &self.app_token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_app_level_token_is_accepted() {
        for (token, ok) in [
            ("xapp-1-A0001-123-abc", true),
            ("xoxb-123-abc", false),
            ("xoxp-123-abc", false),
            ("", false),
        ] {
            let got = SocketModeConfig::new("https://slack.com/api", SecretString::from(token));
            assert_eq!(got.is_ok(), ok, "{token}");
        }
    }

    #[test]
    fn the_open_endpoint_sits_under_the_api_base_with_or_without_a_trailing_slash() {
        for base in ["https://slack.com/api", "https://slack.com/api/"] {
            let config = SocketModeConfig::new(base, SecretString::from("xapp-1")).unwrap();
            assert_eq!(
                config.open_endpoint().as_str(),
                "https://slack.com/api/apps.connections.open",
                "{base}"
            );
        }
    }

    #[test]
    fn an_api_url_that_is_not_http_is_refused() {
        for base in [
            "slack.com/api",
            "ftp://slack.com/api",
            "wss://slack.com",
            "",
        ] {
            let got = SocketModeConfig::new(base, SecretString::from("xapp-1"));
            assert!(matches!(got, Err(SocketModeError::InvalidApiUrl)), "{base}");
        }
    }

    #[test]
    fn the_production_ack_deadline_leaves_room_within_slacks_three_seconds() {
        let config =
            SocketModeConfig::new("https://slack.com/api", SecretString::from("xapp-1")).unwrap();
        // Slack redelivers an envelope not acked within 3 s; the ack still has to travel.
        assert!(
            config.ack_deadline + Duration::from_millis(300) <= Duration::from_secs(3),
            "{:?}",
            config.ack_deadline
        );
    }

    #[test]
    fn debug_output_hides_the_token() {
        let config =
            SocketModeConfig::new("https://slack.com/api", SecretString::from("xapp-secret"))
                .unwrap();
        assert!(!format!("{config:?}").contains("xapp-secret"));
    }
}
