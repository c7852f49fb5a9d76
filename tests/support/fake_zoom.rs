//! A fake Zoom (token endpoint + create meeting) on loopback, behaving like Zoom's documented API.
//!
//! Self-contained so tests and the load-harness example can include it with `#[path]`.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How the fake behaves when nothing is scripted.
#[derive(Debug, Clone)]
pub struct FakeZoomOptions {
    pub client_id: String,
    pub client_secret: String,
    pub account_id: String,
    /// Token lifetime in seconds, as Zoom reports it (Zoom: 3599).
    pub expires_in: u64,
    pub token_latency: Duration,
    pub create_latency: Duration,
    /// Ids then count up; the default is above 2^32 like real 11-digit ids.
    pub first_meeting_id: u64,
    /// Hosts answered with 404 code 1001.
    pub unknown_hosts: Vec<String>,
    /// Creates allowed per host before the daily-limit 429 (Zoom: 100); `None` = unlimited.
    pub daily_limit_per_host: Option<usize>,
}

impl Default for FakeZoomOptions {
    fn default() -> Self {
        FakeZoomOptions {
            client_id: "fake-client-id".into(),
            client_secret: "fake-client-secret".into(),
            account_id: "fake-account-id".into(),
            expires_in: 3599,
            token_latency: Duration::ZERO,
            create_latency: Duration::ZERO,
            first_meeting_id: 85_746_065_432,
            unknown_hosts: Vec::new(),
            daily_limit_per_host: None,
        }
    }
}

/// A canned answer, used instead of the normal behaviour for the next request (FIFO).
#[derive(Debug, Clone)]
pub enum ScriptedResponse {
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Never answer (for timeout tests).
    Hang,
    /// 201 with a truncated meeting body (it includes a `start_url`).
    Garbage,
}

impl ScriptedResponse {
    pub fn json(status: u16, body: Value) -> Self {
        ScriptedResponse::Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    /// An API error body `{"code", "message"}`.
    pub fn api_error(status: u16, code: i64, message: &str) -> Self {
        Self::json(status, json!({"code": code, "message": message}))
    }

    /// A token endpoint error body `{"reason", "error"}` with HTTP 400.
    pub fn oauth_error(error: &str, reason: &str) -> Self {
        Self::json(400, json!({"reason": reason, "error": error}))
    }

    pub fn per_second_limit() -> Self {
        Self::api_error(
            429,
            429,
            "You have reached the maximum per-second rate limit for this API. Try again later.",
        )
    }

    pub fn daily_limit() -> Self {
        Self::api_error(
            429,
            429,
            "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests \
             permitted for this particular user. You may resume these requests at GMT 00:00:00.",
        )
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let ScriptedResponse::Reply { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

/// One create request as Zoom received it.
#[derive(Debug, Clone)]
pub struct RecordedCreate {
    /// The `{userId}` path segment, percent-decoded.
    pub host: String,
    /// The request path as sent, still percent-encoded.
    pub raw_path: String,
    /// The JSON body (`Value::Null` if it was not JSON).
    pub body: Value,
    pub authorization: Option<String>,
}

pub struct FakeZoom {
    pub base_url: String,
    state: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    opts: FakeZoomOptions,
    inner: Mutex<Inner>,
    create_seen: Notify,
}

#[derive(Default)]
struct Inner {
    /// Issued token → when it expires.
    tokens: HashMap<String, Instant>,
    token_requests: usize,
    token_script: VecDeque<ScriptedResponse>,
    create_script: VecDeque<ScriptedResponse>,
    creates: Vec<RecordedCreate>,
    meetings_created: usize,
    creates_per_host: HashMap<String, usize>,
    start_urls: Vec<String>,
    next_id: u64,
}

impl Drop for FakeZoom {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeZoom {
    pub async fn start() -> FakeZoom {
        Self::start_with(FakeZoomOptions::default()).await
    }

    pub async fn start_with(opts: FakeZoomOptions) -> FakeZoom {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Zoom");
        let base_url = format!("http://{}", listener.local_addr().expect("local addr"));
        let state = Arc::new(Shared {
            inner: Mutex::new(Inner {
                next_id: opts.first_meeting_id,
                ..Inner::default()
            }),
            opts,
            create_seen: Notify::new(),
        });
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route("/v2/users/{host}/meetings", post(create_meeting))
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake Zoom server");
        });
        FakeZoom {
            base_url,
            state,
            server,
        }
    }

    pub fn options(&self) -> &FakeZoomOptions {
        &self.state.opts
    }

    pub fn oauth_url(&self) -> String {
        format!("{}/oauth/token", self.base_url)
    }

    pub fn api_url(&self) -> String {
        format!("{}/v2", self.base_url)
    }

    /// Every request to the token endpoint, accepted or not.
    pub fn token_requests(&self) -> usize {
        self.lock().token_requests
    }

    /// Every token the fake issued (so tests can prove none leaks).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.lock().tokens.keys().cloned().collect()
    }

    /// Every request to the create endpoint, accepted or not.
    pub fn create_requests(&self) -> Vec<RecordedCreate> {
        self.lock().creates.clone()
    }

    pub fn meetings_created(&self) -> usize {
        self.lock().meetings_created
    }

    /// Every `start_url` the fake handed out (so tests can prove none leaks).
    pub fn start_urls(&self) -> Vec<String> {
        self.lock().start_urls.clone()
    }

    pub fn push_create_response(&self, response: ScriptedResponse) {
        self.lock().create_script.push_back(response);
    }

    pub fn push_token_response(&self, response: ScriptedResponse) {
        self.lock().token_script.push_back(response);
    }

    /// Expires every issued token, so the next API call gets 401 code 124.
    pub fn expire_all_tokens(&self) {
        let now = Instant::now();
        for expiry in self.lock().tokens.values_mut() {
            *expiry = now;
        }
    }

    /// Waits until at least `n` create requests arrived; false if `deadline` passed first.
    pub async fn wait_for_creates(&self, n: usize, deadline: Duration) -> bool {
        let wait = async {
            loop {
                let mut notified = pin!(self.state.create_seen.notified());
                // Register before checking, so a create between check and await is not missed.
                notified.as_mut().enable();
                if self.lock().creates.len() >= n {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(deadline, wait).await.is_ok()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.state.lock()
    }
}

impl Inner {
    /// Books the next meeting id and its host-only `start_url`.
    fn create(&mut self) -> (u64, String) {
        let id = self.next_id;
        self.next_id += 1;
        self.meetings_created += 1;
        let start_url = format!(
            "https://zoom.us/s/{id}?zak=fake-host-zak-{:016x}",
            rand::random::<u64>()
        );
        self.start_urls.push(start_url.clone());
        (id, start_url)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn token(State(state): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let scripted = {
        let mut inner = state.lock();
        inner.token_requests += 1;
        inner.token_script.pop_front()
    };
    tokio::time::sleep(state.opts.token_latency).await;
    if let Some(scripted) = scripted {
        return scripted_reply(scripted).await;
    }

    let expected = format!(
        "Basic {}",
        base64(format!("{}:{}", state.opts.client_id, state.opts.client_secret).as_bytes())
    );
    if header_str(&headers, header::AUTHORIZATION) != Some(expected.as_str()) {
        return oauth_error("invalid_client", "Invalid client_id or client_secret");
    }
    let is_form = header_str(&headers, header::CONTENT_TYPE)
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let form: HashMap<String, String> = if is_form {
        serde_urlencoded::from_bytes(&body).unwrap_or_default()
    } else {
        HashMap::new()
    };
    if form.get("grant_type").map(String::as_str) != Some("account_credentials") {
        return oauth_error("unsupported_grant_type", "unsupported grant type");
    }
    if form.get("account_id") != Some(&state.opts.account_id) {
        return oauth_error("invalid_request", "Bad request");
    }

    let access_token = format!("fake-zoom-token-{:016x}", rand::random::<u64>());
    let expires_in = state.opts.expires_in;
    state.lock().tokens.insert(
        access_token.clone(),
        Instant::now() + Duration::from_secs(expires_in),
    );
    Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "scope": "meeting:write:meeting:admin user:read:user:admin",
        "api_url": "https://api.zoom.us",
    }))
    .into_response()
}

async fn create_meeting(
    State(state): State<Arc<Shared>>,
    Path(host): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = header_str(&headers, header::AUTHORIZATION).map(str::to_owned);
    let json_body: Option<Value> = serde_json::from_slice(&body).ok();
    let token_state = {
        let mut inner = state.lock();
        inner.creates.push(RecordedCreate {
            host: host.clone(),
            raw_path: uri.path().to_owned(),
            body: json_body.clone().unwrap_or(Value::Null),
            authorization: authorization.clone(),
        });
        let bearer = authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "));
        bearer.and_then(|t| inner.tokens.get(t).copied())
    };
    state.create_seen.notify_waiters();
    tokio::time::sleep(state.opts.create_latency).await;

    match token_state {
        None => return api_error(401, 124, "Invalid access token."),
        Some(expiry) if expiry <= Instant::now() => {
            return api_error(401, 124, "Access token is expired.");
        }
        Some(_) => {}
    }
    let scripted = state.lock().create_script.pop_front();
    if let Some(scripted) = scripted {
        return scripted_reply(scripted).await;
    }
    if state.opts.unknown_hosts.contains(&host) {
        return api_error(404, 1001, &format!("User does not exist: {host}."));
    }
    let Some(Value::Object(request)) = json_body else {
        return api_error(400, 300, "Request Body should be a valid JSON object.");
    };
    let meeting = match validate(&request) {
        Ok(meeting) => meeting,
        Err(errors) => {
            let errors: Vec<Value> = errors
                .into_iter()
                .map(|(field, message)| json!({"field": field, "message": message}))
                .collect();
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"code": 300, "message": "Validation Failed.", "errors": errors})),
            )
                .into_response();
        }
    };

    let created = {
        let mut inner = state.lock();
        let count = inner.creates_per_host.entry(host.clone()).or_default();
        if state
            .opts
            .daily_limit_per_host
            .is_some_and(|limit| *count >= limit)
        {
            None
        } else {
            *count += 1;
            Some(inner.create())
        }
    };
    let Some((id, start_url)) = created else {
        return scripted_reply(ScriptedResponse::daily_limit()).await;
    };
    let password = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let host_email = if host.contains('@') {
        host.clone()
    } else {
        "owner@example.com".to_owned()
    };
    (
        StatusCode::CREATED,
        Json(json!({
            "uuid": format!("fakeUuid{id:x}=="),
            "id": id,
            "host_id": "fakeHostId123",
            "host_email": host_email,
            "topic": meeting.topic,
            "type": meeting.kind,
            "status": "waiting",
            "start_time": meeting.start_utc.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "duration": meeting.duration,
            "timezone": meeting.timezone,
            "agenda": meeting.agenda,
            "created_at": Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "start_url": start_url,
            "join_url": format!("https://zoom.us/j/{id}?pwd=fakeEncryptedPwd{password}"),
            "password": password,
            "h323_password": password,
            "pstn_password": password,
            "encrypted_password": format!("fakeEncryptedPwd{password}"),
            "settings": {
                "host_video": false, "participant_video": false, "join_before_host": false,
                "mute_upon_entry": false, "waiting_room": true, "auto_recording": "none",
            },
            "pre_schedule": false,
        })),
    )
        .into_response()
}

struct ValidMeeting {
    topic: String,
    kind: i64,
    start_utc: chrono::DateTime<Utc>,
    duration: i64,
    timezone: String,
    agenda: String,
}

/// Zoom's checks on the create body; errors as (field, message) like Zoom's `errors` array.
fn validate(
    request: &serde_json::Map<String, Value>,
) -> Result<ValidMeeting, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: &str| errors.push((field.to_owned(), message.to_owned()));
    let text = |field: &str| {
        request
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };

    let topic = text("topic").to_owned();
    if topic.chars().count() > 200 {
        fail("topic", "Topic must be at most 200 characters.");
    }
    let agenda = text("agenda").to_owned();
    if agenda.chars().count() > 2000 {
        fail("agenda", "Agenda must be at most 2000 characters.");
    }
    let kind = request.get("type").map_or(Some(2), Value::as_i64);
    if !matches!(kind, Some(1 | 2 | 3 | 8)) {
        fail("type", "Invalid meeting type.");
    }
    let duration = request.get("duration").map_or(Some(60), Value::as_i64);
    if !duration.is_some_and(|d| (1..=1440).contains(&d)) {
        fail("duration", "Duration must be between 1 and 1440 minutes.");
    }
    let timezone = match request.get("timezone") {
        None => Some(chrono_tz::UTC),
        Some(zone) => zone.as_str().and_then(|z| z.parse::<Tz>().ok()),
    };
    if timezone.is_none() {
        fail("timezone", "Invalid timezone.");
    }
    let start_utc = match request.get("start_time") {
        None => Some(Utc::now()),
        Some(start) => start
            .as_str()
            .and_then(|s| parse_start(s, timezone.unwrap_or(chrono_tz::UTC))),
    };
    if start_utc.is_none() {
        fail(
            "start_time",
            "Invalid start_time: use yyyy-MM-ddTHH:mm:ss or yyyy-MM-ddTHH:mm:ssZ.",
        );
    }
    match (timezone, start_utc, kind, duration) {
        (Some(zone), Some(start_utc), Some(kind), Some(duration)) if errors.is_empty() => {
            Ok(ValidMeeting {
                topic,
                kind,
                start_utc,
                duration,
                timezone: zone.name().to_owned(),
                agenda,
            })
        }
        _ => Err(errors),
    }
}

/// A `...Z` time is UTC (and the zone is ignored, as Zoom does); otherwise wall-clock in `zone`.
fn parse_start(text: &str, zone: Tz) -> Option<chrono::DateTime<Utc>> {
    const FORMAT: &str = "%Y-%m-%dT%H:%M:%S";
    if let Some(utc) = text.strip_suffix('Z') {
        return NaiveDateTime::parse_from_str(utc, FORMAT)
            .ok()
            .map(|t| t.and_utc());
    }
    let local = NaiveDateTime::parse_from_str(text, FORMAT).ok()?;
    let start = zone
        .from_local_datetime(&local)
        .earliest()
        // A wall-clock time in a DST gap does not exist: take the one an hour later.
        .or_else(|| {
            zone.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })?;
    Some(start.with_timezone(&Utc))
}

async fn scripted_reply(scripted: ScriptedResponse) -> Response {
    match scripted {
        ScriptedResponse::Hang => std::future::pending().await,
        ScriptedResponse::Garbage => (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"id":85746065999,"start_url":"https://zoom.us/s/85746065999?zak=garbage-host-zak","join_url":"https://zoo"#,
        )
            .into_response(),
        ScriptedResponse::Reply {
            status,
            headers,
            body,
        } => {
            let mut response = (StatusCode::from_u16(status).expect("status"), body).into_response();
            for (name, value) in headers {
                response.headers_mut().insert(
                    HeaderName::try_from(name).expect("header name"),
                    HeaderValue::try_from(value).expect("header value"),
                );
            }
            response
        }
    }
}

fn api_error(status: u16, code: i64, message: &str) -> Response {
    let status = StatusCode::from_u16(status).expect("status");
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

fn oauth_error(error: &str, reason: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"reason": reason, "error": error})),
    )
        .into_response()
}

fn header_str(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Standard base64 with padding, enough to build the expected Basic credentials.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
