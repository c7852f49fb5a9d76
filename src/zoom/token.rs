//! Server-to-Server OAuth token: one request to Zoom, and a single-flight cache around it.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::observer::{CallOutcome, Endpoint, TokenOutcome, ZoomObserver};
use super::{ZoomConfig, ZoomError};

/// Zoom's own SDK stops using a token this long before it expires, so a call in flight never
/// carries a token that dies on the way.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// A bearer token; `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct AccessToken(SecretString);

impl AccessToken {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([REDACTED])")
    }
}

/// Zoom's tokens live an hour; a longer `expires_in` is not believed (a token used past its
/// real end costs one 401 and a refresh, nothing worse).
const MAX_LIFETIME: Duration = Duration::from_secs(3600);

/// How long to reuse a token whose answer gave no readable lifetime. Most likely it is an
/// ordinary one-hour token, so not caching it at all would send every call (and every queued
/// caller in turn) to the token endpoint; but it may also be short-lived, so it is kept only
/// this long, and a 401 in the meantime fetches a new one anyway.
const UNKNOWN_LIFETIME: Duration = Duration::from_secs(300);

/// How long Zoom said a token lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifetime {
    /// `expires_in` as read, clamped to 0..=1 hour.
    Known(Duration),
    /// `expires_in` missing or not a number.
    Unknown,
}

impl Lifetime {
    /// Reads `expires_in`: a number or a string of one, in seconds; negative or NaN is 0,
    /// anything above an hour is an hour.
    fn read(raw: Option<&Value>) -> Lifetime {
        let seconds = match raw {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match seconds {
            Some(s) if s.is_nan() => Lifetime::Known(Duration::ZERO),
            Some(s) => Lifetime::Known(
                Duration::try_from_secs_f64(s.clamp(0.0, MAX_LIFETIME.as_secs_f64()))
                    .unwrap_or(Duration::ZERO),
            ),
            None => Lifetime::Unknown,
        }
    }

    /// How long after issue the token may be reused from the cache; zero means "use it for
    /// this call only". Zoom's SDK stops 60 s before expiry, so a call never carries a token
    /// that dies on the way.
    fn reusable_for(self) -> Duration {
        match self {
            Lifetime::Known(lifetime) => lifetime.saturating_sub(EXPIRY_MARGIN),
            Lifetime::Unknown => UNKNOWN_LIFETIME,
        }
    }
}

/// A token as issued, with how long Zoom said it lives.
pub(crate) struct FreshToken {
    pub token: AccessToken,
    pub lifetime: Lifetime,
}

struct CachedToken {
    token: AccessToken,
    refresh_at: Instant,
}

#[derive(Default)]
struct State {
    token: Option<CachedToken>,
    /// The last fetch's failure and its fetch number, handed to callers that queued behind it:
    /// during an outage 1,000 waiters must not each repeat a slow failing fetch in turn.
    failure: Option<(u64, ZoomError)>,
}

/// The token cache. The mutex is held across the fetch, so callers that find no usable token
/// queue behind the one fetch in flight and then share its result (single flight).
#[derive(Default)]
pub(crate) struct TokenCache {
    state: Mutex<State>,
    /// Finished fetches; read before queueing to tell "failed while I waited" from "failed earlier".
    fetches_done: AtomicU64,
    /// Started fetches, for diagnostics.
    requests: AtomicU64,
}

impl TokenCache {
    /// A usable token: the cached one, else the result of one `fetch` shared by all waiters.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<AccessToken, ZoomError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FreshToken, ZoomError>>,
    {
        let seen = self.fetches_done.load(Ordering::Acquire);
        let mut state = self.state.lock().await;
        if let Some(cached) = &state.token
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        if let Some((fetch_no, error)) = &state.failure
            && *fetch_no > seen
        {
            return Err(error.clone());
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let issued_at = Instant::now();
        let result = fetch().await;
        let fetch_no = self.fetches_done.fetch_add(1, Ordering::AcqRel) + 1;
        match result {
            Ok(fresh) => {
                let reusable = fresh.lifetime.reusable_for();
                // Checked: an Instant cannot hold every far-future time.
                state.token = issued_at
                    .checked_add(reusable)
                    .filter(|_| !reusable.is_zero())
                    .map(|refresh_at| CachedToken {
                        token: fresh.token.clone(),
                        refresh_at,
                    });
                state.failure = None;
                Ok(fresh.token)
            }
            Err(error) => {
                state.token = None;
                state.failure = Some((fetch_no, error.clone()));
                Err(error)
            }
        }
    }

    /// Forget `failed` after the API rejected it, unless another caller already replaced it
    /// (then the newer token stays and no extra fetch happens).
    pub async fn invalidate(&self, failed: &AccessToken) {
        let mut state = self.state.lock().await;
        if state
            .token
            .as_ref()
            .is_some_and(|cached| cached.token.expose() == failed.expose())
        {
            state.token = None;
        }
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// The token endpoint's success body; no `Debug`, since it holds the token in the clear.
/// `expires_in` is read by [`Lifetime::read`], whatever its JSON type.
#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    expires_in: Option<Value>,
}

/// The token endpoint's error body (`{"reason": ..., "error": ...}`).
#[derive(Deserialize, Default)]
struct TokenErrorBody {
    #[serde(default)]
    error: String,
}

/// `POST {oauth_url}` with Basic auth and the grant in the form body (query parameters are
/// documented too, but get 400s in practice). `observer` hears of the request and the fetch.
pub(crate) async fn request_token(
    http: &reqwest::Client,
    config: &ZoomConfig,
    observer: &dyn ZoomObserver,
) -> Result<FreshToken, ZoomError> {
    let fetched = fetch(http, config, observer).await;
    observer.token_fetch(token_outcome(&fetched));
    fetched
}

/// How a fetch ended, in the observer's words.
fn token_outcome(fetched: &Result<FreshToken, ZoomError>) -> TokenOutcome {
    match fetched {
        Ok(_) => TokenOutcome::Issued,
        Err(ZoomError::Unreachable) => TokenOutcome::Unreachable,
        Err(ZoomError::TokenUnavailable { .. }) => TokenOutcome::Unavailable,
        Err(ZoomError::TokenUnreadable { .. }) => TokenOutcome::Unreadable,
        Err(_) => TokenOutcome::Refused,
    }
}

async fn fetch(
    http: &reqwest::Client,
    config: &ZoomConfig,
    observer: &dyn ZoomObserver,
) -> Result<FreshToken, ZoomError> {
    let started = Instant::now();
    let response = http
        .post(&config.oauth_url)
        .basic_auth(
            &config.client_id,
            Some(config.client_secret.expose_secret()),
        )
        .form(&[
            ("grant_type", "account_credentials"),
            ("account_id", config.account_id.as_str()),
        ])
        .send()
        .await;
    // A token request creates nothing, so every transport failure means "unreachable".
    let failed = |error: reqwest::Error| {
        observer.request(
            Endpoint::Token,
            CallOutcome::of_error(&error),
            started.elapsed(),
        );
        tracing::warn!(error = %error.without_url(), "Zoom token endpoint unreachable");
        ZoomError::Unreachable
    };
    let response = response.map_err(failed)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(failed)?;
    observer.request(
        Endpoint::Token,
        CallOutcome::Status(status.as_u16()),
        started.elapsed(),
    );

    if status.is_success() {
        return match serde_json::from_slice::<TokenBody>(&bytes) {
            Ok(body) if !body.access_token.is_empty() => Ok(FreshToken {
                token: AccessToken(SecretString::from(body.access_token)),
                lifetime: Lifetime::read(body.expires_in.as_ref()),
            }),
            _ => {
                tracing::error!(status = status.as_u16(), "Zoom token answer is not a token");
                Err(ZoomError::TokenUnreadable {
                    status: status.as_u16(),
                })
            }
        };
    }

    let body: TokenErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
    let error = match body.error.as_str() {
        "invalid_client" => ZoomError::BadCredentials,
        "invalid_request" => ZoomError::BadAccountId,
        "unsupported_grant_type" => ZoomError::WrongAppType,
        _ if status.is_server_error() => ZoomError::TokenUnavailable {
            status: status.as_u16(),
        },
        other => ZoomError::TokenRefused {
            status: status.as_u16(),
            error: oauth_error_code(other),
        },
    };
    tracing::error!(status = status.as_u16(), oauth_error = %body.error.escape_debug(), "Zoom refused a token");
    Err(error)
}

/// Zoom's OAuth error code if it looks like one (`snake_case`), so arbitrary text never reaches users.
fn oauth_error_code(raw: &str) -> String {
    let looks_like_code = !raw.is_empty()
        && raw.len() <= 64
        && raw.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if looks_like_code {
        raw.to_owned()
    } else {
        "unknown".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn token(text: &str, lifetime_secs: u64) -> FreshToken {
        FreshToken {
            token: AccessToken(SecretString::from(text)),
            lifetime: Lifetime::Known(Duration::from_secs(lifetime_secs)),
        }
    }

    #[test]
    fn expires_in_is_read_whatever_zoom_sends_and_clamped() {
        let cases = [
            ("3599", Some(3599)),
            ("\"3599\"", Some(3599)),
            ("3599.7", Some(3599)),
            ("0", Some(0)),
            ("-5", Some(0)),
            ("\"-5\"", Some(0)),
            ("18446744073709551615", Some(3600)),
            ("1e300", Some(3600)),
            ("7200", Some(3600)),
            ("\"soon\"", None),
            ("null", None),
            ("{}", None),
            ("true", None),
        ];
        for (json, expected) in cases {
            let value: Value = serde_json::from_str(json).unwrap();
            let expected = expected.map_or(Lifetime::Unknown, |s| {
                Lifetime::Known(Duration::from_secs(s))
            });
            let got = Lifetime::read(Some(&value));
            // Fractions of a second do not matter; compare whole seconds.
            let got = match got {
                Lifetime::Known(d) => Lifetime::Known(Duration::from_secs(d.as_secs())),
                other => other,
            };
            assert_eq!(got, expected, "expires_in {json}");
        }
        assert_eq!(Lifetime::read(None), Lifetime::Unknown, "missing");
    }

    #[test]
    fn a_token_is_reused_until_sixty_seconds_before_it_expires() {
        let cases = [
            (Lifetime::Known(Duration::from_secs(3599)), 3539),
            (Lifetime::Known(Duration::from_secs(61)), 1),
            (Lifetime::Known(Duration::from_secs(60)), 0),
            (Lifetime::Known(Duration::from_secs(10)), 0),
            (Lifetime::Known(Duration::ZERO), 0),
            (Lifetime::Unknown, 300),
        ];
        for (lifetime, reusable) in cases {
            assert_eq!(
                lifetime.reusable_for(),
                Duration::from_secs(reusable),
                "{lifetime:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_token_without_a_usable_lifetime_serves_its_call_but_is_not_cached() {
        let cache = TokenCache::default();
        let first = cache.get(|| async { Ok(token("once", 30)) }).await.unwrap();
        let second = cache
            .get(|| async { Ok(token("again", 3599)) })
            .await
            .unwrap();
        assert_eq!((first.expose(), second.expose()), ("once", "again"));
        assert_eq!(cache.requests(), 2);
    }

    #[test]
    fn a_tokens_debug_output_hides_it() {
        let shown = format!("{:?}", token("tok-secret-123", 3599).token);
        assert!(!shown.contains("tok-secret-123"), "{shown}");
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(TokenCache::default());
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let cache = Arc::clone(&cache);
                tokio::spawn(async move {
                    cache
                        .get(|| async {
                            tokio::task::yield_now().await;
                            Ok(token("shared", 3599))
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().expose(), "shared");
        }
        assert_eq!(cache.requests(), 1);
    }

    #[tokio::test]
    async fn callers_queued_behind_a_failing_fetch_share_its_failure() {
        let cache = Arc::new(TokenCache::default());
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move {
                cache
                    .get(|| async {
                        released.await.ok();
                        Err(ZoomError::BadCredentials)
                    })
                    .await
            })
        };
        // Wait until the first fetch holds the lock, then queue more callers behind it.
        while cache.requests() == 0 {
            tokio::task::yield_now().await;
        }
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let cache = Arc::clone(&cache);
                tokio::spawn(async move { cache.get(|| async { Ok(token("late", 3599)) }).await })
            })
            .collect();
        tokio::task::yield_now().await;
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().err(), Some(ZoomError::BadCredentials));
        for waiter in waiters {
            assert_eq!(waiter.await.unwrap().err(), Some(ZoomError::BadCredentials));
        }
        assert_eq!(cache.requests(), 1);
        // A caller arriving after the failure tries again.
        let again = cache.get(|| async { Ok(token("later", 3599)) }).await;
        assert_eq!(again.unwrap().expose(), "later");
        assert_eq!(cache.requests(), 2);
    }

    #[tokio::test]
    async fn invalidating_drops_only_the_token_that_failed() {
        let cache = TokenCache::default();
        let old = cache
            .get(|| async { Ok(token("old", 3599)) })
            .await
            .unwrap();
        cache.invalidate(&old).await;
        let new = cache
            .get(|| async { Ok(token("new", 3599)) })
            .await
            .unwrap();
        cache.invalidate(&old).await; // a late caller still holding the old token
        let still = cache
            .get(|| async { Ok(token("newer", 3599)) })
            .await
            .unwrap();
        assert_eq!((new.expose(), still.expose()), ("new", "new"));
        assert_eq!(cache.requests(), 2);
    }
}
