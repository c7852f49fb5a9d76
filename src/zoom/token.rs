//! Server-to-Server OAuth token: one request to Zoom, and a single-flight cache around it.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;

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

/// A token as issued, with how long Zoom said it lives.
pub(crate) struct FreshToken {
    pub token: AccessToken,
    pub expires_in: Duration,
}

/// How long after issue a token may still be used.
fn usable_for(expires_in: Duration) -> Duration {
    expires_in.saturating_sub(EXPIRY_MARGIN)
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
                state.token = Some(CachedToken {
                    token: fresh.token.clone(),
                    refresh_at: issued_at + usable_for(fresh.expires_in),
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
#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    expires_in: u64,
}

/// The token endpoint's error body (`{"reason": ..., "error": ...}`).
#[derive(Deserialize, Default)]
struct TokenErrorBody {
    #[serde(default)]
    error: String,
}

/// `POST {oauth_url}` with Basic auth and the grant in the form body (query parameters are
/// documented too, but get 400s in practice).
pub(crate) async fn request_token(
    http: &reqwest::Client,
    config: &ZoomConfig,
) -> Result<FreshToken, ZoomError> {
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
        tracing::warn!(error = %error.without_url(), "Zoom token endpoint unreachable");
        ZoomError::Unreachable
    };
    let response = response.map_err(failed)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(failed)?;

    if status.is_success() {
        return match serde_json::from_slice::<TokenBody>(&bytes) {
            Ok(body) => Ok(FreshToken {
                token: AccessToken(SecretString::from(body.access_token)),
                expires_in: Duration::from_secs(body.expires_in),
            }),
            Err(_) => {
                tracing::error!(status = status.as_u16(), "Zoom token answer is not a token");
                Err(ZoomError::Unexpected {
                    status: status.as_u16(),
                    code: None,
                })
            }
        };
    }

    let body: TokenErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
    let error = match body.error.as_str() {
        "invalid_client" => ZoomError::BadCredentials,
        "invalid_request" => ZoomError::BadAccountId,
        "unsupported_grant_type" => ZoomError::WrongAppType,
        _ if status.is_server_error() => ZoomError::Unavailable {
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
            expires_in: Duration::from_secs(lifetime_secs),
        }
    }

    #[test]
    fn a_token_is_used_until_sixty_seconds_before_it_expires() {
        let cases = [(3599, 3539), (61, 1), (60, 0), (10, 0)];
        for (expires_in, usable) in cases {
            assert_eq!(
                usable_for(Duration::from_secs(expires_in)),
                Duration::from_secs(usable),
                "expires_in {expires_in}"
            );
        }
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
