//! A Zoom whose token endpoint answers at once and whose create endpoint never answers within
//! the run, noting when each create arrived and for which command (the shared fake keeps no
//! arrival times).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// Far longer than any run: the create is answered only if someone waits an hour.
const HANG: Duration = Duration::from_secs(3600);
const TOKEN: &str = "hanging-zoom-token";

pub struct HangingZoom {
    pub base_url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    tokens: AtomicUsize,
    /// (command index from the topic `Meeting {i}`, arrival), in arrival order.
    creates: Mutex<Vec<(Option<usize>, Instant)>>,
    /// Creates still open (the service has not hung up).
    open: AtomicUsize,
}

impl Drop for HangingZoom {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl HangingZoom {
    pub async fn start() -> HangingZoom {
        let shared = Arc::new(Shared {
            tokens: AtomicUsize::new(0),
            creates: Mutex::new(Vec::new()),
            open: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route("/v2/users/{host}/meetings", post(create))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the hanging Zoom on loopback");
        let base_url = format!(
            "http://{}",
            listener
                .local_addr()
                .expect("a bound listener has an address")
        );
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the hanging Zoom serves");
        });
        HangingZoom {
            base_url,
            shared,
            server,
        }
    }

    pub fn oauth_url(&self) -> String {
        format!("{}/oauth/token", self.base_url)
    }

    pub fn api_url(&self) -> String {
        format!("{}/v2", self.base_url)
    }

    pub fn token_requests(&self) -> usize {
        self.shared.tokens.load(Ordering::Relaxed)
    }

    /// Every create that arrived: the command it was for (if the topic said) and when.
    pub fn creates(&self) -> Vec<(Option<usize>, Instant)> {
        self.shared
            .creates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Creates the service is still waiting on.
    pub fn open(&self) -> usize {
        self.shared.open.load(Ordering::Relaxed)
    }
}

/// Any credentials get a token: this fake is about the create, not about OAuth.
async fn token(State(shared): State<Arc<Shared>>) -> Response {
    shared.tokens.fetch_add(1, Ordering::Relaxed);
    Json(json!({
        "access_token": TOKEN,
        "token_type": "bearer",
        "expires_in": 3599,
        "scope": "meeting:write:meeting:admin",
    }))
    .into_response()
}

async fn create(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let arrived = Instant::now();
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"));
    let command = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b["topic"].as_str().and_then(command_index));
    shared
        .creates
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((command, arrived));
    if !authorized {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    // Counted down when the service hangs up and this future is dropped.
    let _open = OpenCreate::new(&shared);
    tokio::time::sleep(HANG).await;
    StatusCode::GATEWAY_TIMEOUT.into_response()
}

/// `Meeting 17` → 17.
fn command_index(topic: &str) -> Option<usize> {
    topic.strip_prefix("Meeting ")?.trim().parse().ok()
}

struct OpenCreate(Arc<Shared>);

impl OpenCreate {
    fn new(shared: &Arc<Shared>) -> OpenCreate {
        shared.open.fetch_add(1, Ordering::Relaxed);
        OpenCreate(Arc::clone(shared))
    }
}

impl Drop for OpenCreate {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}
