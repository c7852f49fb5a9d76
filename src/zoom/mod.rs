//! Zoom client: Server-to-Server OAuth tokens and the meeting endpoints (no Slack types here).

mod body;
mod call;
mod error;
mod meeting;
mod observer;
mod recurrence;
mod retry;
mod token;
mod zones;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, Url};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use self::body::{CreateMeetingBody, UpdateMeetingBody};
pub use self::body::{MeetingUpdate, NewMeeting};
pub use self::error::{Operation, ZoomError};
pub use self::meeting::{Meeting, MeetingId, Occurrence};
pub use self::observer::{CallOutcome, Endpoint, TokenOutcome, ZoomObserver};
pub use self::recurrence::{Ending, MAX_OCCURRENCES, Recurrence, Repeat, SeriesProblem};
use self::token::TokenCache;
pub use self::zones::{ZoomStart, is_listed, series_zone, start_for};

/// Zoom's largest page of a meeting list.
const PAGE_SIZE: usize = 300;
/// Pages followed before giving up: 20 × 300 = 6,000 upcoming meetings for one host is far
/// beyond any real calendar, and a `next_page_token` that never ends must not loop forever.
const MAX_PAGES: usize = 20;

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

/// Creates, reads, changes, cancels and lists Zoom meetings. Cheap to clone: clones share the HTTP pool and the token cache.
#[derive(Clone)]
pub struct ZoomClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: ZoomConfig,
    http: reqwest::Client,
    tokens: TokenCache,
    observer: Arc<dyn ZoomObserver>,
    /// Set by [`ZoomClient::stop_creating`].
    creates_stopped: std::sync::atomic::AtomicBool,
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
        ZoomClient::with_observer(config, Arc::new(observer::Unobserved))
    }

    /// Like [`new`](Self::new), and tells `observer` of every request and token fetch (for
    /// metrics). Clones share the observer, as they share the pool and the token cache.
    pub fn with_observer(
        config: ZoomConfig,
        observer: Arc<dyn ZoomObserver>,
    ) -> Result<ZoomClient, ZoomError> {
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
            // After a burst, keep enough warm connections for Zoom's rate limit, no more.
            .pool_max_idle_per_host(64)
            .pool_idle_timeout(std::time::Duration::from_secs(60))
            .user_agent(concat!("slack-zoom/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| ZoomError::Config("the HTTP client could not be built".to_owned()))?;
        Ok(ZoomClient {
            inner: Arc::new(Inner {
                config,
                http,
                tokens: TokenCache::default(),
                observer,
                creates_stopped: Default::default(),
            }),
        })
    }

    /// From now on no create starts, nor is sent again after an attempt that created nothing
    /// (a 429, a connection never made): each ends [`ZoomError::Stopped`]. A create already on
    /// its way (fetching its token, or at Zoom) goes on, and shutdown waits for it. For
    /// shutdown, so that no meeting is made that nobody would be told about.
    pub fn stop_creating(&self) {
        self.inner
            .creates_stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Schedules `meeting` for `host` (a Zoom user id, `me`, or an email) and returns the
    /// meeting as Zoom stored it (its start may differ from the one asked: compare).
    ///
    /// Never sent twice once it may have reached Zoom: only connections that never reached
    /// Zoom and per-second 429s are retried (within a few seconds), and a 401 once with a new
    /// token. A series no listed zone can keep at its local time is refused before sending.
    pub async fn create_meeting(
        &self,
        host: &str,
        meeting: &NewMeeting,
    ) -> Result<Meeting, ZoomError> {
        let body = json(&CreateMeetingBody::new(meeting)?)?;
        let url = self.url(&["users", host, "meetings"])?;
        let answer = call::call(
            &self.inner,
            Operation::Create,
            Method::POST,
            url.as_str(),
            Some(&body),
        )
        .await?;
        read_meeting(answer, Operation::Create)
    }

    /// The meeting as Zoom has it now (`GET /meetings/{id}`); [`ZoomError::MeetingNotFound`]
    /// when it was deleted. For a create answer without a `join_url`, say.
    pub async fn get_meeting(&self, id: MeetingId) -> Result<Meeting, ZoomError> {
        let url = self.url(&["meetings", &id.to_string()])?;
        let answer = call::call(
            &self.inner,
            Operation::LookUp,
            Method::GET,
            url.as_str(),
            None,
        )
        .await?;
        read_meeting(answer, Operation::LookUp)
    }

    /// Changes the fields set in `update` (`PATCH /meetings/{id}`, which answers no body: look
    /// the meeting up to see the result). A new start follows the same zone rules as a create.
    /// Nothing is sent for an empty update. Counts against the host's daily create/update limit.
    pub async fn update_meeting(
        &self,
        id: MeetingId,
        update: &MeetingUpdate,
    ) -> Result<(), ZoomError> {
        if update.is_empty() {
            return Ok(());
        }
        let body = json(&UpdateMeetingBody::from(update))?;
        let url = self.url(&["meetings", &id.to_string()])?;
        call::call(
            &self.inner,
            Operation::Update,
            Method::PATCH,
            url.as_str(),
            Some(&body),
        )
        .await
        .map(drop)
    }

    /// Deletes the meeting (`DELETE /meetings/{id}`). [`ZoomError::MeetingNotFound`] means it
    /// was already gone (perhaps deleted in Zoom itself): the caller can treat it as cancelled.
    pub async fn delete_meeting(&self, id: MeetingId) -> Result<(), ZoomError> {
        let url = self.url(&["meetings", &id.to_string()])?;
        call::call(
            &self.inner,
            Operation::Cancel,
            Method::DELETE,
            url.as_str(),
            None,
        )
        .await
        .map(drop)
    }

    /// Every meeting of `host` Zoom calls `scheduled` (unexpired: past ones of the last 30 days,
    /// live and upcoming ones; `upcoming` would miss one whose start passed while nobody
    /// started it), following Zoom's pages (300 a page) to the end.
    /// [`ZoomError::TooManyMeetings`] past 6,000 rather than a silently partial list. Entries
    /// without a readable id are skipped.
    pub async fn list_scheduled(&self, host: &str) -> Result<Vec<Meeting>, ZoomError> {
        let base = self.url(&["users", host, "meetings"])?;
        let mut meetings = Vec::new();
        let mut seen_tokens = HashSet::new();
        let mut next_page: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = base.clone();
            url.query_pairs_mut()
                .append_pair("type", "scheduled")
                .append_pair("page_size", &PAGE_SIZE.to_string());
            if let Some(token) = &next_page {
                url.query_pairs_mut().append_pair("next_page_token", token);
            }
            let answer = call::call(
                &self.inner,
                Operation::List,
                Method::GET,
                url.as_str(),
                None,
            )
            .await?;
            let status = answer.status.as_u16();
            let page: MeetingPage = serde_json::from_slice(&answer.body).map_err(|error| {
                tracing::error!(
                    status,
                    line = error.line(),
                    "Zoom's meeting list is unreadable"
                );
                ZoomError::MalformedResponse { status }
            })?;
            meetings.extend(
                page.meetings
                    .into_iter()
                    .filter_map(|item| serde_json::from_value::<Meeting>(item).ok()),
            );
            match page.next_page_token.filter(|token| !token.is_empty()) {
                None => return Ok(meetings),
                // A token seen before would page in a circle.
                Some(token) if !seen_tokens.insert(token.clone()) => {
                    tracing::error!("Zoom repeated a next_page_token");
                    return Err(ZoomError::MalformedResponse { status });
                }
                Some(token) => next_page = Some(token),
            }
        }
        Err(ZoomError::TooManyMeetings {
            max: MAX_PAGES * PAGE_SIZE,
        })
    }

    /// `{api_url}/{segments...}`, each segment percent-encoded as one path segment.
    fn url(&self, segments: &[&str]) -> Result<Url, ZoomError> {
        let encoded: Vec<String> = segments
            .iter()
            .map(|segment| encode_path_segment(segment))
            .collect();
        let text = format!(
            "{}/{}",
            self.inner.config.api_url.trim_end_matches('/'),
            encoded.join("/")
        );
        Url::parse(&text).map_err(|_| ZoomError::Config("api_url is not an http(s) URL".into()))
    }

    /// How many token requests this client has made (diagnostics and tests).
    pub fn token_requests(&self) -> u64 {
        self.inner.tokens.requests()
    }
}

/// One page of `GET /users/{userId}/meetings`.
#[derive(Deserialize)]
struct MeetingPage {
    #[serde(default)]
    meetings: Vec<Value>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// The meeting in a 2xx answer. Unreadable: after a create the meeting exists all the same.
fn read_meeting(answer: call::Answer, operation: Operation) -> Result<Meeting, ZoomError> {
    serde_json::from_slice::<Meeting>(&answer.body).map_err(|error| {
        // Only the position: serde's message can quote body text such as the start_url.
        tracing::error!(
            status = answer.status.as_u16(),
            line = error.line(),
            column = error.column(),
            ?operation,
            "Zoom's answer is not a meeting"
        );
        ZoomError::MalformedResponse {
            status: answer.status.as_u16(),
        }
    })
}

/// A request body as JSON bytes (our own types: this cannot fail in practice).
fn json(body: &impl serde::Serialize) -> Result<Vec<u8>, ZoomError> {
    serde_json::to_vec(body)
        .map_err(|_| ZoomError::Config("a request body could not be written".to_owned()))
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
