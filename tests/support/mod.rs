//! Test support: spawn the real service on 127.0.0.1:0 against loopback fakes, sign requests like Slack, run a real PostgreSQL.
#![allow(dead_code)]

pub mod fake_slack;
pub mod fake_socket;
pub mod fake_zoom;
pub mod pg_install;
pub mod postgres;
pub mod service;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fake_slack::FakeSlack;
use fake_zoom::{FakeZoom, FakeZoomOptions};
use secrecy::SecretString;
use serde_json::{Value, json};
use slack_zoom::config::Config;
use slack_zoom::slack::SignatureVerifier;
use tokio::sync::oneshot;

pub const SIGNING_SECRET: &str = "test-signing-secret-8f742231b10e";
pub const TEAM_ID: &str = "T0001";
pub const USER_ID: &str = "U0001";
pub const CHANNEL_ID: &str = "C0001";

/// The service under test, with its fakes.
pub struct TestApp {
    pub address: SocketAddr,
    /// `/metrics`' own listener when `METRICS_PORT` gives it one.
    pub metrics_address: Option<SocketAddr>,
    pub client: reqwest::Client,
    pub slack: FakeSlack,
    pub zoom: FakeZoom,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The test's own SQLite file, removed (with its WAL files) when the app is dropped.
    database: Option<std::path::PathBuf>,
    /// The service's `DATABASE_URL`, so a test can open the same store.
    pub database_url: String,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(path) = &self.database {
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

/// The environment a test service starts from: valid, pointing at the fakes.
pub fn test_env(slack: &FakeSlack, zoom: &FakeZoom) -> HashMap<String, String> {
    let options = zoom.options();
    [
        ("SLACK_SIGNING_SECRET", SIGNING_SECRET.to_owned()),
        ("SLACK_BOT_TOKEN", fake_slack::BOT_TOKEN.to_owned()),
        ("SLACK_API_URL", slack.api_url()),
        ("SLACK_RESPONSE_URL_PREFIXES", slack.hooks_prefix()),
        ("ZOOM_ACCOUNT_ID", options.account_id.clone()),
        ("ZOOM_CLIENT_ID", options.client_id.clone()),
        ("ZOOM_CLIENT_SECRET", options.client_secret.clone()),
        ("ZOOM_OAUTH_URL", zoom.oauth_url()),
        ("ZOOM_API_URL", zoom.api_url()),
        ("PORT", "0".to_owned()),
        (
            "DATABASE_URL",
            format!("sqlite://{}", temp_database().display()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    // A binary the tests start lives on the same clock as they do, also when that clock is
    // shifted to find dates that will go stale (`faketime -f +45d cargo test`).
    .chain(std::env::vars().filter(|(k, _)| k.starts_with("FAKETIME") || k == "LD_PRELOAD"))
    .collect()
}

/// The environment of one binary (`service::Service`) against the fakes, on `database`, with
/// its info lines logged.
pub fn binary_env(slack: &FakeSlack, zoom: &FakeZoom, database: &str) -> HashMap<String, String> {
    let mut env = test_env(slack, zoom);
    env.insert("DATABASE_URL".into(), database.into());
    env.insert("RUST_LOG".into(), "info".into());
    env
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_, _| {}).await
}

/// Spawns the service after `adjust` may change its environment.
pub async fn spawn_app_with(
    adjust: impl FnOnce(&mut HashMap<String, String>, &FakeSlack),
) -> TestApp {
    spawn_app_with_zoom(FakeZoomOptions::default(), adjust).await
}

/// Spawns the service against a fake Zoom started with `options`.
pub async fn spawn_app_with_zoom(
    options: FakeZoomOptions,
    adjust: impl FnOnce(&mut HashMap<String, String>, &FakeSlack),
) -> TestApp {
    spawn_app_with_config(options, adjust, |_| {}).await
}

/// The most general form: `adjust` changes the environment, `tweak` the parsed configuration.
pub async fn spawn_app_with_config(
    options: FakeZoomOptions,
    adjust: impl FnOnce(&mut HashMap<String, String>, &FakeSlack),
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let slack = FakeSlack::start().await;
    let zoom = FakeZoom::start_with(options).await;
    spawn_app_on(slack, zoom, adjust, tweak).await
}

/// Fakes and a fresh SQLite store, for a test to fill before the service starts on them.
pub struct Before {
    pub slack: FakeSlack,
    pub zoom: FakeZoom,
    pub store: slack_zoom::store::Store,
    url: String,
}

pub async fn before_start() -> Before {
    let url = format!("sqlite://{}", temp_database().display());
    let store = slack_zoom::store::Store::open(&url)
        .await
        .expect("the test opens the store");
    Before {
        slack: FakeSlack::start().await,
        zoom: FakeZoom::start_with(FakeZoomOptions::default()).await,
        store,
        url,
    }
}

impl Before {
    /// Starts the service on the fakes and the store, after `tweak` may change its
    /// configuration; the test keeps its own store on the same file.
    pub async fn start(
        self,
        tweak: impl FnOnce(&mut Config),
    ) -> (TestApp, slack_zoom::store::Store) {
        let Before {
            slack,
            zoom,
            store,
            url,
        } = self;
        let app = spawn_app_on(
            slack,
            zoom,
            move |vars, _| {
                vars.insert("DATABASE_URL".into(), url);
            },
            tweak,
        )
        .await;
        (app, store)
    }
}

/// Like [`spawn_app_with_config`], against fakes the test started (and perhaps filled) first.
pub async fn spawn_app_on(
    slack: FakeSlack,
    zoom: FakeZoom,
    adjust: impl FnOnce(&mut HashMap<String, String>, &FakeSlack),
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let mut env = test_env(&slack, &zoom);
    adjust(&mut env, &slack);
    let database_url = env.get("DATABASE_URL").cloned().unwrap_or_default();
    let database = env
        .get("DATABASE_URL")
        .and_then(|url| url.strip_prefix("sqlite://"))
        .map(std::path::PathBuf::from)
        .filter(|path| path.starts_with(std::env::temp_dir()));
    let mut config =
        Config::from_lookup(|name| env.get(name).cloned(), false).expect("test config is valid");
    config.bind = "127.0.0.1:0".parse().unwrap();
    // Retries of response_url posts in milliseconds, not seconds.
    config.delivery.first_backoff = Duration::from_millis(20);
    // A stuck shutdown fails a test in seconds rather than half a minute.
    config.drain_timeout = Duration::from_secs(3);
    tweak(&mut config);
    let app = slack_zoom::app::build(config).await.expect("app builds");
    let address = app.local_addr();
    let metrics_address = app.metrics_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        metrics_address,
        client: reqwest::Client::builder()
            // Slack gives up after 3 s; a response slower than that is a failure.
            .timeout(Duration::from_secs(3))
            .build()
            .unwrap(),
        slack,
        zoom,
        shutdown: Some(tx),
        server: Some(server),
        database,
        database_url,
    }
}

/// Asks `done` every 20 ms until it says yes or `within` has passed; whether it said yes.
pub async fn until<F, Fut>(within: Duration, mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if done().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A fresh SQLite file path under the system temp directory, unique in this process and run.
pub fn temp_database() -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "slack-zoom-test-{}-{}-{:x}.db",
        std::process::id(),
        rand_suffix(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    ))
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Signs `body` at `timestamp` exactly as Slack does.
pub fn sign(body: &str, timestamp: i64) -> String {
    SignatureVerifier::new(SecretString::from(SIGNING_SECRET)).sign(timestamp, body.as_bytes())
}

/// A form body like Slack's, for `text` typed after `/zoom`.
pub fn command_body(text: &str, response_url: &str) -> String {
    command_body_for(TEAM_ID, USER_ID, text, response_url)
}

pub fn command_body_for(team: &str, user: &str, text: &str, response_url: &str) -> String {
    // Slack gives every invocation its own trigger_id; a copy with the same one is a re-delivery.
    let trigger_id = format!("13345224609.738474920.{:032x}", rand_suffix());
    serde_urlencoded::to_string([
        ("token", "deprecated-verification-token"),
        ("team_id", team),
        ("team_domain", "acme"),
        ("channel_id", CHANNEL_ID),
        ("channel_name", "general"),
        ("user_id", user),
        ("user_name", "ada"),
        ("command", "/zoom"),
        ("text", text),
        ("api_app_id", "A0001"),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id.as_str()),
    ])
    .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// POSTs `body` to the command endpoint with the given Slack headers (none when `None`).
    pub async fn post_raw(
        &self,
        body: impl Into<reqwest::Body>,
        timestamp: Option<&str>,
        signature: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/slack/commands"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(ts) = timestamp {
            request = request.header("X-Slack-Request-Timestamp", ts);
        }
        if let Some(sig) = signature {
            request = request.header("X-Slack-Signature", sig);
        }
        request.send().await.expect("request reaches the service")
    }

    /// POSTs `body` signed now, as Slack would.
    pub async fn post_signed(&self, body: &str) -> reqwest::Response {
        let ts = unix_now();
        self.post_raw(
            body.to_owned(),
            Some(&ts.to_string()),
            Some(&sign(body, ts)),
        )
        .await
    }

    /// Sends `/zoom {text}` from the default user with a fresh response_url; returns it and the answer.
    pub async fn command(&self, text: &str) -> (String, reqwest::Response) {
        let response_url = self.slack.response_url(&format!("{:x}", rand_suffix()));
        let response = self.post_signed(&command_body(text, &response_url)).await;
        (response_url, response)
    }

    /// Stops the service the way SIGTERM does and waits for it to drain; the fakes stay up.
    pub async fn shutdown(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.server
            .take()
            .expect("not shut down yet")
            .await
            .expect("server task")
    }

    /// POSTs an interaction `payload` (JSON) to `/slack/interactions`, form-encoded and signed
    /// now, as Slack does.
    /// The value of one series in `/metrics` (written as exposed, labels included, e.g.
    /// `slack_zoom_swept_total{sweep="cards",outcome="retry"}`), or `None` when absent.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("the service answers")
            .text()
            .await
            .expect("a scrape");
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
    }

    pub async fn interact(&self, payload: &serde_json::Value) -> reqwest::Response {
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        let ts = unix_now();
        self.client
            .post(self.url("/slack/interactions"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Slack-Request-Timestamp", ts.to_string())
            .header("X-Slack-Signature", sign(&body, ts))
            .body(body)
            .send()
            .await
            .expect("request reaches the service")
    }

    /// The service's store, opened a second time (SQLite allows it; PostgreSQL too).
    pub async fn store(&self) -> slack_zoom::store::Store {
        slack_zoom::store::Store::open(&self.database_url)
            .await
            .expect("the test store opens")
    }

    /// The meeting `zoom_id` as the service stored it.
    pub async fn stored_meeting(&self, zoom_id: u64) -> slack_zoom::store::MeetingRecord {
        self.store()
            .await
            .meetings()
            .get(zoom_id)
            .await
            .expect("the store answers")
            .unwrap_or_else(|| panic!("meeting {zoom_id} is not stored"))
    }

    /// A request carrying `body` signed now, ready to send (for concurrent senders).
    pub fn signed_request(&self, body: &str) -> reqwest::RequestBuilder {
        let ts = unix_now();
        self.client
            .post(self.url("/slack/commands"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Slack-Request-Timestamp", ts.to_string())
            .header("X-Slack-Signature", sign(body, ts))
            .body(body.to_owned())
    }
}

/// A command POST to the service at `base` (`http://127.0.0.1:port`) carrying exactly these
/// Slack headers, so a test can replay it or re-sign it.
pub fn command_request(
    client: &reqwest::Client,
    base: &str,
    body: &str,
    timestamp: i64,
    signature: &str,
) -> reqwest::RequestBuilder {
    client
        .post(format!("{base}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("X-Slack-Request-Timestamp", timestamp.to_string())
        .header("X-Slack-Signature", signature)
        .body(body.to_owned())
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The JSON body of a 200 reply.
pub async fn json(response: reqwest::Response) -> serde_json::Value {
    assert_eq!(response.status(), 200, "expected 200");
    response.json().await.expect("JSON body")
}

/// A `view_submission` of `view` with these input values, by `user`.
pub fn submission(view: &Value, user: &str, values: Value) -> Value {
    json!({
        "type": "view_submission",
        "user": {"id": user, "username": "someone", "team_id": TEAM_ID},
        "team": {"id": TEAM_ID, "domain": "acme"},
        "trigger_id": "1.2.submit",
        "view": {
            "id": "V0001",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {"values": values},
        },
    })
}

pub fn new_meeting_values(topic: &str, start: i64, minutes: &str, channel: &str) -> Value {
    json!({
        "topic": {"topic": {"type": "plain_text_input", "value": topic}},
        "start": {"start": {"type": "datetimepicker", "selected_date_time": start}},
        "duration": {"duration": {"type": "static_select", "selected_option": {"value": minutes}}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": channel}},
    })
}
