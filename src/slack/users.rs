//! Slack Web API `users.info`: the invoking user's timezone and email, cached per user.

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::cache::ExpiringCache;
use crate::slack::UserId;
use crate::slack::web::{ApiError, WebApiObserver};

/// A profile changes rarely; an hour keeps `users.info` (tier 4) calls to one per user per hour.
pub const CACHE_TTL: Duration = Duration::from_secs(3600);
pub const CACHE_CAPACITY: usize = 10_000;

/// What the service needs to know about a user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// IANA name (`America/Los_Angeles`); absent for some users. Never use `tz_offset`: it
    /// silently goes stale across DST.
    pub tz: Option<String>,
    /// Needs the `users:read.email` scope.
    pub email: Option<String>,
    /// For Zoom's agenda ("scheduled by …"); never used to identify anyone.
    pub real_name: Option<String>,
    /// The user's Slack language, e.g. `tr-TR` (`include_locale=true`).
    pub locale: Option<String>,
}

/// A small Slack Web API client: `users.info` here, the message and view methods in `web.rs`.
pub struct SlackApi {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) token: Option<SecretString>,
    cache: ExpiringCache<UserId, UserInfo>,
    pub(crate) observer: Option<Arc<dyn WebApiObserver>>,
}

impl std::fmt::Debug for SlackApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackApi")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct UsersInfoResponse {
    ok: bool,
    error: Option<String>,
    user: Option<User>,
}

#[derive(Deserialize)]
struct User {
    tz: Option<String>,
    locale: Option<String>,
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    email: Option<String>,
    real_name: Option<String>,
}

impl SlackApi {
    /// `http` should carry a short timeout: the lookup sits on the acknowledgement path.
    pub fn new(http: reqwest::Client, base_url: &str, token: Option<SecretString>) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token,
            cache: ExpiringCache::new(CACHE_TTL, CACHE_CAPACITY),
            observer: None,
        }
    }

    /// Tells `observer` how each message and view call ended (not `users.info`).
    pub fn with_observer(mut self, observer: Arc<dyn WebApiObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The user's timezone and email, from the cache or `users.info`. Failures are not cached,
    /// so a passing outage does not pin a user to the default zone for an hour.
    pub async fn user_info(&self, user: &UserId) -> Result<UserInfo, ApiError> {
        if let Some(info) = self.cache.get(user, Instant::now()) {
            return Ok(info);
        }
        let token = self.token.as_ref().ok_or(ApiError::NoToken)?;
        let response = self
            .http
            .get(format!("{}/users.info", self.base_url))
            .query(&[("user", user.as_str()), ("include_locale", "true")])
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|e| ApiError::Network(without_url(e)))?;
        if !response.status().is_success() {
            return Err(ApiError::Status(response.status().as_u16()));
        }
        let body: UsersInfoResponse = response.json().await.map_err(|_| ApiError::Decode)?;
        if !body.ok {
            return Err(ApiError::NotOk(body.error.unwrap_or_default()));
        }
        let user_data = body.user.ok_or(ApiError::Decode)?;
        let profile = user_data.profile;
        let non_empty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        let info = UserInfo {
            tz: non_empty(user_data.tz),
            email: non_empty(profile.as_ref().and_then(|p| p.email.clone())),
            real_name: non_empty(profile.and_then(|p| p.real_name)),
            locale: non_empty(user_data.locale),
        };
        self.cache
            .insert(user.clone(), info.clone(), Instant::now());
        Ok(info)
    }
}

/// reqwest errors print the URL; ours hold no secrets, but keep log lines short and uniform.
pub(crate) fn without_url(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    kind.to_owned()
}
