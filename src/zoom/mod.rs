//! Zoom client: Server-to-Server OAuth token cache and meeting creation (no Slack types here).

mod create;
mod error;
mod meeting;
mod retry;
mod token;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use self::create::Attempt;
pub use self::error::ZoomError;
use self::meeting::CreateMeetingBody;
pub use self::meeting::{Meeting, MeetingId, NewMeeting};
use self::retry::{Retries, RetryPolicy};
use self::token::TokenCache;

/// Where and how to reach Zoom. `Debug` is safe to log: `SecretString` prints as redacted.
#[derive(Debug, Clone)]
pub struct ZoomConfig {
    /// Full token endpoint URL, e.g. `https://zoom.us/oauth/token` (Zoom for Government differs).
    pub oauth_url: String,
    /// REST base, e.g. `https://api.zoom.us/v2`.
    pub api_url: String,
    pub account_id: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub connect_timeout: Duration,
    /// Total time for one request, from connect to the last body byte.
    pub request_timeout: Duration,
}

impl ZoomConfig {
    pub const DEFAULT_OAUTH_URL: &str = "https://zoom.us/oauth/token";
    pub const DEFAULT_API_URL: &str = "https://api.zoom.us/v2";
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

    /// Commercial Zoom with the default timeouts.
    pub fn new(account_id: String, client_id: String, client_secret: SecretString) -> Self {
        ZoomConfig {
            oauth_url: Self::DEFAULT_OAUTH_URL.to_owned(),
            api_url: Self::DEFAULT_API_URL.to_owned(),
            account_id,
            client_id,
            client_secret,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// Creates Zoom meetings. Cheap to clone: clones share the HTTP pool and the token cache.
#[derive(Clone)]
pub struct ZoomClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: ZoomConfig,
    http: reqwest::Client,
    tokens: TokenCache,
}

impl fmt::Debug for ZoomClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZoomClient")
            .field("config", &self.inner.config)
            .field("token_requests", &self.token_requests())
            .finish_non_exhaustive()
    }
}

impl ZoomClient {
    pub fn new(config: ZoomConfig) -> Result<ZoomClient, ZoomError> {
        for (name, url) in [
            ("oauth_url", &config.oauth_url),
            ("api_url", &config.api_url),
        ] {
            let scheme_ok = reqwest::Url::parse(url)
                .is_ok_and(|parsed| matches!(parsed.scheme(), "http" | "https"));
            if !scheme_ok {
                return Err(ZoomError::Config(format!("{name} is not an http(s) URL")));
            }
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("slack-zoom/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| ZoomError::Config("the HTTP client could not be built".to_owned()))?;
        Ok(ZoomClient {
            inner: Arc::new(Inner {
                config,
                http,
                tokens: TokenCache::default(),
            }),
        })
    }

    /// Schedules `meeting` for `host` (a Zoom user id, `me`, or an email).
    ///
    /// Retries only what cannot duplicate a meeting: connections that never reached Zoom and
    /// per-second 429s, within a few seconds. A 401 gets one retry with a new token.
    pub async fn create_meeting(
        &self,
        host: &str,
        meeting: &NewMeeting,
    ) -> Result<Meeting, ZoomError> {
        let inner = &*self.inner;
        let url = format!(
            "{}/users/{}/meetings",
            inner.config.api_url.trim_end_matches('/'),
            encode_path_segment(host)
        );
        let body = CreateMeetingBody::from(meeting);
        let mut retries = Retries::new(RetryPolicy::default());
        let mut token_renewed = false;
        loop {
            let token = inner
                .tokens
                .get(|| token::request_token(&inner.http, &inner.config))
                .await;
            let outcome = match token {
                Ok(token) => {
                    let outcome = create::attempt(&inner.http, &url, &token, &body).await;
                    if matches!(outcome, Attempt::TokenRejected) && !token_renewed {
                        tracing::warn!("Zoom rejected the access token; fetching a new one");
                        inner.tokens.invalidate(&token).await;
                        token_renewed = true;
                        continue;
                    }
                    outcome
                }
                // The token request creates nothing, so failing to reach Zoom is safe to retry.
                Err(ZoomError::Unreachable) => Attempt::Retry {
                    retry_after: None,
                    give_up: ZoomError::Unreachable,
                },
                Err(error) => Attempt::Done(Err(error)),
            };
            match outcome {
                Attempt::Done(result) => return result,
                Attempt::TokenRejected => return Err(ZoomError::TokenRejected),
                Attempt::Retry {
                    retry_after,
                    give_up,
                } => match retries.next_delay(retry_after) {
                    Some(delay) => {
                        tracing::warn!(?delay, reason = %give_up, "retrying Zoom create");
                        tokio::time::sleep(delay).await;
                    }
                    None => return Err(give_up),
                },
            }
        }
    }

    /// How many token requests this client has made (diagnostics and tests).
    pub fn token_requests(&self) -> u64 {
        self.inner.tokens.requests()
    }
}

/// Percent-encodes a user id or email as one path segment. Only unreserved characters and `@`
/// stay literal; `+` becomes `%2B` because some servers read a literal `+` as a space.
fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_encoded_as_a_single_path_segment() {
        let cases = [
            ("me", "me"),
            ("KDcuGIm1QgePTO8WbOqwIQ", "KDcuGIm1QgePTO8WbOqwIQ"),
            ("ana+zoom@example.com", "ana%2Bzoom@example.com"),
            ("a/b?c#d e", "a%2Fb%3Fc%23d%20e"),
            ("josé@example.com", "jos%C3%A9@example.com"),
        ];
        for (host, expected) in cases {
            assert_eq!(encode_path_segment(host), expected);
        }
    }

    #[test]
    fn a_config_with_a_bad_url_is_refused() {
        let mut config = ZoomConfig::new("acct".into(), "id".into(), "secret".into());
        config.api_url = "api.zoom.us/v2".into();
        assert_eq!(
            ZoomClient::new(config).err(),
            Some(ZoomError::Config("api_url is not an http(s) URL".into()))
        );
    }
}
