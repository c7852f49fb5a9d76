//! The baselines slack-zoom is compared with, each served by the harness binary re-executed:
//! a bare axum route (the cost of one inbound exchange) and the "floor" (that route plus the
//! two outbound calls every command needs, made the way the service makes them). Given
//! `FLOOR_DATABASE_URL`, the floor also writes one row per meeting to that database, committed
//! before the card is posted, with the service's store settings: the least a service that
//! durably records each meeting pays ("floor + 1 write").

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use chrono::Utc;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use tokio_util::task::TaskTracker;

/// A baseline stops by itself after this, even if the harness vanished.
const MAX_LIFETIME: Duration = Duration::from_secs(600);
/// After SIGTERM the floor waits this long at most for its background calls (like the service).
const DRAIN: Duration = Duration::from_secs(30);

/// Which baseline to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads the body, answers 200, nothing else.
    Bare,
    /// Answers Slack first, then in the background creates the meeting at Zoom and posts a card
    /// to the command's `response_url`, with the service's HTTP client settings.
    Floor,
}

impl Kind {
    /// The hidden flag that makes the harness serve this baseline.
    pub fn flag(self) -> &'static str {
        match self {
            Kind::Bare => "--baseline-server",
            Kind::Floor => "--floor-server",
        }
    }
}

/// Serves `kind` on 127.0.0.1 with the service's runtime (multi-threaded, one worker per
/// core), prints `… listening address=<addr>` and stops at SIGTERM.
pub fn serve(kind: Kind) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime starts");
    runtime.block_on(async {
        let (app, tracker) = match kind {
            Kind::Bare => {
                // The body is read, as any real handler must, and then ignored.
                let app = Router::new().route(
                    "/slack/commands",
                    post(|_body: Bytes| async { StatusCode::OK }),
                );
                (app, None)
            }
            Kind::Floor => {
                let floor = Arc::new(Floor::from_env().await);
                let tracker = floor.background.clone();
                let app = Router::new()
                    .route("/slack/commands", post(floor_command))
                    .with_state(floor);
                (app, Some(tracker))
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the baseline on loopback");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        println!("baseline listening address={addr}");
        let stop = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM can be watched");
            tokio::select! {
                _ = term.recv() => {}
                () = tokio::time::sleep(MAX_LIFETIME) => {}
            }
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
            .expect("the baseline serves");
        if let Some(tracker) = tracker {
            tracker.close();
            let _ = tokio::time::timeout(DRAIN, tracker.wait()).await;
        }
    });
}

/// What the floor needs for its two outbound calls.
struct Floor {
    /// Zoom's client as the service builds it (`ZoomClient::new`).
    zoom: reqwest::Client,
    /// The `response_url` client as the service builds it (`AppState::new`).
    hooks: reqwest::Client,
    create_url: String,
    /// Fetched once at start: the service also holds one token for its lifetime.
    token: String,
    background: TaskTracker,
    /// Where each meeting is recorded, when `FLOOR_DATABASE_URL` is set.
    store: Option<FloorStore>,
}

/// One table, one row per meeting, one commit each, pooled as the service pools its store.
enum FloorStore {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

const FLOOR_TABLE: &str = "CREATE TABLE IF NOT EXISTS meetings (zoom_id BIGINT PRIMARY KEY, \
     channel_id TEXT NOT NULL, topic TEXT NOT NULL, join_url TEXT NOT NULL, created_at BIGINT NOT NULL)";
const FLOOR_INSERT: &str = "INSERT INTO meetings (zoom_id, channel_id, topic, join_url, created_at) \
     VALUES ($1, $2, $3, $4, $5)";

impl FloorStore {
    /// The service's settings: SQLite in WAL mode with `synchronous=FULL` on one connection,
    /// PostgreSQL with up to 10 connections (`src/store/open.rs`).
    async fn open(url: &str) -> FloorStore {
        if url.starts_with("sqlite:") {
            let options = url
                .parse::<SqliteConnectOptions>()
                .expect("FLOOR_DATABASE_URL is a SQLite URL")
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full);
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .expect("the floor opens its SQLite file");
            sqlx::query(FLOOR_TABLE)
                .execute(&pool)
                .await
                .expect("the floor creates its table");
            FloorStore::Sqlite(pool)
        } else {
            let options = url
                .parse::<PgConnectOptions>()
                .expect("FLOOR_DATABASE_URL is a PostgreSQL URL");
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .connect_with(options)
                .await
                .expect("the floor connects to PostgreSQL");
            sqlx::query(FLOOR_TABLE)
                .execute(&pool)
                .await
                .expect("the floor creates its table");
            FloorStore::Postgres(pool)
        }
    }

    async fn record(&self, zoom_id: i64, topic: &str, join_url: &str) {
        let now = Utc::now().timestamp();
        let written = match self {
            FloorStore::Sqlite(pool) => sqlx::query(FLOOR_INSERT)
                .bind(zoom_id)
                .bind("C0001")
                .bind(topic)
                .bind(join_url)
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ()),
            FloorStore::Postgres(pool) => sqlx::query(FLOOR_INSERT)
                .bind(zoom_id)
                .bind("C0001")
                .bind(topic)
                .bind(join_url)
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ()),
        };
        if let Err(e) = written {
            eprintln!("floor: could not record meeting {zoom_id}: {e}");
        }
    }
}

impl Floor {
    /// Reads the same variables as the service (`ZOOM_OAUTH_URL`, `ZOOM_API_URL`,
    /// `ZOOM_ACCOUNT_ID`, `ZOOM_CLIENT_ID`, `ZOOM_CLIENT_SECRET`) and fetches a token.
    async fn from_env() -> Floor {
        let var =
            |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("the floor needs {name}"));
        // Same settings as slack-zoom: reqwest with rustls, these timeouts and idle pools
        // (`src/zoom/mod.rs`, `src/app/state.rs`).
        let zoom = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .pool_max_idle_per_host(64)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent("slack-zoom-floor/0")
            .build()
            .expect("the Zoom client builds");
        let hooks = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(32)
            .pool_idle_timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("the response_url client builds");
        let token: Value = zoom
            .post(var("ZOOM_OAUTH_URL"))
            .basic_auth(var("ZOOM_CLIENT_ID"), Some(var("ZOOM_CLIENT_SECRET")))
            .form(&[
                ("grant_type", "account_credentials".to_owned()),
                ("account_id", var("ZOOM_ACCOUNT_ID")),
            ])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("the fake Zoom gives the floor a token")
            .json()
            .await
            .expect("the token answer is JSON");
        let store = match std::env::var("FLOOR_DATABASE_URL") {
            Ok(url) => Some(FloorStore::open(&url).await),
            Err(_) => None,
        };
        Floor {
            zoom,
            hooks,
            store,
            create_url: format!("{}/users/me/meetings", var("ZOOM_API_URL")),
            token: token["access_token"]
                .as_str()
                .expect("the token answer has an access_token")
                .to_owned(),
            background: TaskTracker::new(),
        }
    }
}

/// Reads the form (the two fields the calls need), answers at once, calls in the background.
async fn floor_command(State(floor): State<Arc<Floor>>, body: Bytes) -> Response {
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (Some(text), Some(response_url)) = (field("text"), field("response_url")) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let ack = json!({
        "response_type": "ephemeral",
        "text": format!(":hourglass_flowing_sand: Scheduling *{text}*…"),
    });
    let task = Arc::clone(&floor);
    floor.background.spawn(async move {
        task.create_and_post(&text, &response_url).await;
    });
    Json(ack).into_response()
}

impl Floor {
    /// One Zoom create with a bearer token, then one JSON card to `response_url` (5 s timeout).
    async fn create_and_post(&self, text: &str, response_url: &str) {
        let start = (Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT10:00:00");
        let meeting: Value = match self
            .zoom
            .post(&self.create_url)
            .bearer_auth(&self.token)
            .json(&json!({
                "topic": text,
                "type": 2,
                "start_time": start.to_string(),
                "duration": 30,
                "timezone": "UTC",
                "agenda": "Scheduled from Slack by Slack user U0001 in #general.",
            }))
            .send()
            .await
        {
            Ok(response) => response.json().await.unwrap_or(Value::Null),
            Err(_) => return,
        };
        let join_url = meeting["join_url"].as_str().unwrap_or_default();
        if let (Some(store), Some(id)) = (&self.store, meeting["id"].as_i64()) {
            store.record(id, text, join_url).await;
        }
        let card = json!({
            "response_type": "in_channel",
            "text": format!("{text} {join_url}"),
            "blocks": [{
                "type": "section",
                "text": {"type": "mrkdwn", "text": format!("*{text}*\n<{join_url}|Join>")},
            }],
        });
        let _ = self
            .hooks
            .post(response_url)
            .timeout(Duration::from_secs(5))
            .json(&card)
            .send()
            .await;
    }
}
