//! A fake Slack on loopback: `users.info` (timezone and email lookups) and `response_url` hooks.
//!
//! Self-contained so the load harness can include it with `#[path]`.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// A [`FakeSlack::push_web_fault`] that posts the message and then breaks off its answer.
pub const NO_ANSWER: &str = "!no_answer";
/// The bot token the fake accepts.
pub const BOT_TOKEN: &str = "xoxb-test-bot-token";

/// A user as `users.info` describes them.
#[derive(Clone, Debug, Default)]
pub struct FakeUser {
    pub tz: Option<String>,
    pub email: Option<String>,
    /// `include_locale=true` answers this, e.g. `tr-TR`.
    pub locale: Option<String>,
}

/// What one `users.info` call answers instead of the user (scripted failures).
#[derive(Clone, Debug)]
pub enum UsersInfoFault {
    /// HTTP 200 `{"ok": false, "error": …}` — how the Web API reports errors.
    NotOk(&'static str),
    /// HTTP 429 with `Retry-After`.
    RateLimited,
    /// HTTP 500.
    ServerError,
    /// Never answers within any sane timeout.
    Hang,
}

/// One Web API call with the bot token (`chat.postMessage`, `chat.update`, `views.open`).
#[derive(Clone, Debug)]
pub struct WebCall {
    pub method: String,
    pub body: Value,
    /// What the fake answered (`ok`, `ts`, `error`).
    pub answer: Value,
}

/// One POST received at a `response_url`.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub path: String,
    pub body: Value,
    /// When it arrived, to order it against what other fakes saw.
    pub received: std::time::Instant,
}

#[derive(Default)]
struct Inner {
    users: Mutex<HashMap<String, FakeUser>>,
    users_info_calls: Mutex<Vec<String>>,
    users_info_faults: Mutex<VecDeque<UsersInfoFault>>,
    /// Every POST to a hook, including ones answered with a scripted failure.
    hook_attempts: Mutex<Vec<Delivery>>,
    /// Successful deliveries only.
    deliveries: Mutex<Vec<Delivery>>,
    hook_failures: Mutex<VecDeque<StatusCode>>,
    hook_latency: Mutex<Duration>,
    /// Hook POSTs still to hang (each for this long) before answering, whatever the latency.
    hook_hangs: Mutex<(usize, Duration)>,
    delivered: Notify,
    web_calls: Mutex<Vec<WebCall>>,
    /// Channels the bot is not in: `chat.postMessage` answers `not_in_channel` there.
    closed_channels: Mutex<Vec<String>>,
    next_ts: Mutex<u64>,
    /// Scripted `{"ok": false, "error": …}` answers for the next calls of a method.
    web_faults: Mutex<HashMap<String, VecDeque<String>>>,
}

pub struct FakeSlack {
    pub base_url: String,
    inner: Arc<Inner>,
    _server: tokio::task::JoinHandle<()>,
}

impl FakeSlack {
    pub async fn start() -> FakeSlack {
        let inner = Arc::new(Inner::default());
        let router = Router::new()
            .route("/api/users.info", get(users_info).post(users_info))
            .route("/hooks/{*rest}", post(hook))
            .route("/api/{method}", post(web_call))
            .with_state(inner.clone());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Slack");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("fake Slack serves");
        });
        FakeSlack {
            base_url,
            inner,
            _server: server,
        }
    }

    /// Value for `SLACK_API_URL`.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.base_url)
    }

    /// Value for `SLACK_RESPONSE_URL_PREFIXES`.
    pub fn hooks_prefix(&self) -> String {
        format!("{}/hooks/", self.base_url)
    }

    /// A fresh `response_url` under the allowed prefix.
    pub fn response_url(&self, name: &str) -> String {
        format!("{}/hooks/commands/T0001/{name}", self.base_url)
    }

    /// Every `chat.*`/`views.*` call, in order.
    pub fn web_calls(&self) -> Vec<WebCall> {
        self.inner.web_calls.lock().unwrap().clone()
    }

    /// The calls of one method, in order.
    pub fn calls_of(&self, method: &str) -> Vec<WebCall> {
        self.web_calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// The bot is not a member of `channel` (a private channel or DM).
    pub fn close_channel(&self, channel: &str) {
        self.inner
            .closed_channels
            .lock()
            .unwrap()
            .push(channel.into());
    }

    /// The next call of `method` answers `{"ok": false, "error": error}`; with [`NO_ANSWER`]
    /// it does what was asked, but its answer breaks off before the body.
    pub fn push_web_fault(&self, method: &str, error: &str) {
        self.inner
            .web_faults
            .lock()
            .unwrap()
            .entry(method.into())
            .or_default()
            .push_back(error.into());
    }

    /// Waits until `method` was called at least `n` times, or `deadline` passes.
    pub async fn wait_for_calls(&self, method: &str, n: usize, deadline: Duration) -> Vec<WebCall> {
        let wait = async {
            loop {
                let notified = self.inner.delivered.notified();
                let calls = self.calls_of(method);
                if calls.len() >= n {
                    return calls;
                }
                notified.await;
            }
        };
        tokio::time::timeout(deadline, wait)
            .await
            .unwrap_or_else(|_| self.calls_of(method))
    }

    pub fn add_user(&self, id: &str, user: FakeUser) {
        self.inner.users.lock().unwrap().insert(id.into(), user);
    }

    pub fn push_users_info_fault(&self, fault: UsersInfoFault) {
        self.inner
            .users_info_faults
            .lock()
            .unwrap()
            .push_back(fault);
    }

    /// The `user` argument of every `users.info` call, in order.
    pub fn users_info_calls(&self) -> Vec<String> {
        self.inner.users_info_calls.lock().unwrap().clone()
    }

    /// The next hook POSTs answer these statuses, in order, before answering 200 again.
    pub fn push_hook_failures(&self, statuses: &[u16]) {
        let mut failures = self.inner.hook_failures.lock().unwrap();
        failures.extend(statuses.iter().map(|s| StatusCode::from_u16(*s).unwrap()));
    }

    /// The next `n` hook POSTs hang for `hang` before they are answered as usual (a sender
    /// that gives up first cannot tell whether its message arrived).
    pub fn push_hook_hangs(&self, n: usize, hang: Duration) {
        *self.inner.hook_hangs.lock().unwrap() = (n, hang);
    }

    pub fn set_hook_latency(&self, latency: Duration) {
        *self.inner.hook_latency.lock().unwrap() = latency;
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.deliveries.lock().unwrap().clone()
    }

    pub fn hook_attempts(&self) -> Vec<Delivery> {
        self.inner.hook_attempts.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages were delivered, or `deadline` passes; returns them.
    /// Waits until at least `n` POSTs reached a hook (delivered or not), or `deadline` passes.
    pub async fn wait_for_hook_attempts(&self, n: usize, deadline: Duration) -> Vec<Delivery> {
        let wait = async {
            loop {
                let notified = self.inner.delivered.notified();
                let attempts = self.hook_attempts();
                if attempts.len() >= n {
                    return attempts;
                }
                notified.await;
            }
        };
        tokio::time::timeout(deadline, wait)
            .await
            .unwrap_or_else(|_| self.hook_attempts())
    }

    pub async fn wait_for_deliveries(&self, n: usize, deadline: Duration) -> Vec<Delivery> {
        let wait = async {
            loop {
                let notified = self.inner.delivered.notified();
                let deliveries = self.deliveries();
                if deliveries.len() >= n {
                    return deliveries;
                }
                notified.await;
            }
        };
        tokio::time::timeout(deadline, wait)
            .await
            .unwrap_or_else(|_| self.deliveries())
    }
}

async fn users_info(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let user_id = query.get("user").cloned().unwrap_or_default();
    inner.users_info_calls.lock().unwrap().push(user_id.clone());
    let fault = inner.users_info_faults.lock().unwrap().pop_front();
    match fault {
        Some(UsersInfoFault::NotOk(error)) => {
            return Json(json!({"ok": false, "error": error})).into_response();
        }
        Some(UsersInfoFault::RateLimited) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "30")],
                Json(json!({"ok": false, "error": "ratelimited"})),
            )
                .into_response();
        }
        Some(UsersInfoFault::ServerError) => {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Some(UsersInfoFault::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        None => {}
    }
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {BOT_TOKEN}"));
    if !authorized {
        return Json(json!({"ok": false, "error": "invalid_auth"})).into_response();
    }
    let user = inner.users.lock().unwrap().get(&user_id).cloned();
    let Some(user) = user else {
        return Json(json!({"ok": false, "error": "user_not_found"})).into_response();
    };
    let mut body = json!({
        "ok": true,
        "user": {
            "id": user_id,
            "name": "someone",
            "tz_label": "whatever",
            "tz_offset": -28800,
            "profile": {"real_name": "Some One"}
        }
    });
    if let Some(tz) = user.tz {
        body["user"]["tz"] = json!(tz);
    }
    if let Some(email) = user.email {
        body["user"]["profile"]["email"] = json!(email);
    }
    if query.get("include_locale").is_some_and(|v| v == "true")
        && let Some(locale) = user.locale
    {
        body["user"]["locale"] = json!(locale);
    }
    Json(body).into_response()
}

async fn hook(
    State(inner): State<Arc<Inner>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let json_content = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if !json_content {
        return StatusCode::BAD_REQUEST;
    }
    let delivery = Delivery {
        path: format!("/hooks/{rest}"),
        body,
        received: std::time::Instant::now(),
    };
    // Recorded on arrival: a hook that then hangs has still received the message once.
    inner.hook_attempts.lock().unwrap().push(delivery.clone());
    inner.delivered.notify_waiters();
    let hang = {
        let mut hangs = inner.hook_hangs.lock().unwrap();
        let (left, hang) = *hangs;
        (left > 0).then(|| {
            hangs.0 = left - 1;
            hang
        })
    };
    let latency = hang.unwrap_or(*inner.hook_latency.lock().unwrap());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(status) = inner.hook_failures.lock().unwrap().pop_front() {
        return status;
    }
    inner.deliveries.lock().unwrap().push(delivery);
    inner.delivered.notify_waiters();
    StatusCode::OK
}

/// `chat.postMessage`, `chat.update`, `views.open`: bot token, JSON body, Slack's answers.
async fn web_call(
    State(inner): State<Arc<Inner>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {BOT_TOKEN}"));
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let fault = inner
        .web_faults
        .lock()
        .unwrap()
        .get_mut(&method)
        .and_then(VecDeque::pop_front);
    let channel = body["channel"].as_str().unwrap_or_default().to_owned();
    let no_answer = fault.as_deref() == Some(NO_ANSWER);
    let fault = fault.filter(|_| !no_answer);
    let answer = if !authorized {
        json!({"ok": false, "error": "invalid_auth"})
    } else if let Some(error) = fault {
        json!({"ok": false, "error": error})
    } else {
        match method.as_str() {
            "chat.postMessage" | "chat.update" | "chat.postEphemeral" => {
                if channel.is_empty() {
                    json!({"ok": false, "error": "channel_not_found"})
                } else if inner.closed_channels.lock().unwrap().contains(&channel) {
                    json!({"ok": false, "error": "not_in_channel"})
                } else if method == "chat.update" {
                    json!({"ok": true, "channel": channel, "ts": body["ts"]})
                } else if method == "chat.postEphemeral" {
                    json!({"ok": true, "message_ts": "1700000000.999999"})
                } else {
                    let mut next = inner.next_ts.lock().unwrap();
                    *next += 1;
                    json!({"ok": true, "channel": channel, "ts": format!("1700000000.{:06}", *next)})
                }
            }
            "views.open" => {
                if body["trigger_id"].as_str().is_some_and(|t| !t.is_empty()) {
                    json!({"ok": true, "view": {"id": "V0001"}})
                } else {
                    json!({"ok": false, "error": "invalid_trigger_id"})
                }
            }
            _ => json!({"ok": false, "error": "unknown_method"}),
        }
    };
    inner.web_calls.lock().unwrap().push(WebCall {
        method,
        body,
        answer: answer.clone(),
    });
    inner.delivered.notify_waiters();
    if no_answer {
        // The headers go out, then the connection breaks before the body: done, but unsaid.
        let broken = futures_util::stream::once(async {
            Err::<axum::body::Bytes, _>(std::io::Error::other("connection reset"))
        });
        return (StatusCode::OK, axum::body::Body::from_stream(broken)).into_response();
    }
    Json(answer).into_response()
}
