//! `GET /readyz`: ready only while the store answers and takes writes (and the service is not shutting down).

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::state::AppState;
use crate::store::Ping;

/// How long the store has to answer a ping.
const PING_TIMEOUT: Duration = Duration::from_secs(1);
/// A probe reuses an answer this young: however many probes arrive (the path is on the public
/// port), the store sees at most about one ping a second.
const REUSE_FOR: Duration = Duration::from_secs(1);

/// Why the service is not ready, as the probe's body says it.
type NotReady = &'static str;

/// The last ping's result; the lock makes concurrent probes share one ping.
#[derive(Default)]
pub struct Readiness {
    last: tokio::sync::Mutex<Option<(Instant, Result<(), NotReady>)>>,
}

impl Readiness {
    async fn check(&self, state: &AppState) -> Result<(), NotReady> {
        let mut last = self.last.lock().await;
        if let Some((at, result)) = *last
            && at.elapsed() < REUSE_FOR
        {
            return result;
        }
        let result = match tokio::time::timeout(PING_TIMEOUT, state.store().ping()).await {
            Ok(Ok(Ping::Writable)) => Ok(()),
            Ok(Ok(Ping::ReadOnly)) => {
                tracing::warn!("not ready: the store takes no writes (a standby, or read-only)");
                Err("the store is read-only")
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "not ready: the store did not answer");
                Err("the store is unavailable")
            }
            Err(_) => {
                tracing::warn!(timeout = ?PING_TIMEOUT, "not ready: the store did not answer in time");
                Err("the store did not answer within 1 s")
            }
        };
        *last = Some((Instant::now(), result));
        result
    }
}

/// `200 ready`, or `503` with the reason.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.is_shutting_down() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    match state.readiness().check(&state).await {
        Ok(()) => "ready".into_response(),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason).into_response(),
    }
}
