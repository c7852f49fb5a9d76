//! A fake Zoom on loopback (token endpoint and meeting endpoints), behaving like Zoom's documented API.
//!
//! Self-contained so tests and the load-harness example can include it with `#[path]`.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Zoom's timezone IDs: the only zones Zoom reads a wall-clock `start_time` in.
const ZOOM_TIMEZONES: &str = include_str!("../../src/zoom/zoom-timezones.txt");

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
    /// Creates and updates allowed per host before the daily-limit 429 (Zoom: 100); `None` =
    /// unlimited.
    pub daily_limit_per_host: Option<usize>,
    /// The zone a wall-clock `start_time` is read in when its `timezone` is missing or not on
    /// Zoom's list. Zoom does not document the second case; the worst (the account's zone,
    /// silently) is modelled, so a wrong zone shows up in tests as a wrong instant.
    pub account_timezone: String,
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
            account_timezone: "America/Los_Angeles".into(),
        }
    }
}

/// The fake's endpoints, for scripting answers and reading what each received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /oauth/token`
    Token,
    /// `POST /v2/users/{userId}/meetings`
    Create,
    /// `GET /v2/meetings/{meetingId}`
    Get,
    /// `PATCH /v2/meetings/{meetingId}`
    Update,
    /// `DELETE /v2/meetings/{meetingId}`
    Delete,
    /// `GET /v2/users/{userId}/meetings`
    List,
}

/// A canned answer, used instead of the normal behaviour for the next request to its endpoint
/// (FIFO per endpoint).
#[derive(Debug, Clone)]
pub enum ScriptedResponse {
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Never answer (for timeout tests).
    Hang,
    /// Close the connection without answering, after the request arrived.
    Drop,
    /// 201 with a truncated meeting body (it includes a `start_url`).
    Garbage,
    /// Token endpoint: a valid token (it lives an hour here) whose answer reports `expires_in`
    /// as this JSON value, or leaves it out when `None`.
    Token { expires_in: Option<Value> },
    /// Create endpoint: the meeting is created as usual, but the answer lacks these fields.
    CreatedWithout(Vec<String>),
    /// Create endpoint: the meeting is created, but stored and answered as Zoom altered it.
    CreatedAltered(Altered),
}

/// What Zoom changed of a meeting it created (each `None` as asked).
#[derive(Debug, Clone, Default)]
pub struct Altered {
    pub start: Option<DateTime<Utc>>,
    pub duration: Option<i64>,
    pub topic: Option<String>,
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

    /// A token whose answer carries `expires_in` as given (`None`: no such field).
    pub fn token_expiring(expires_in: Option<Value>) -> Self {
        ScriptedResponse::Token { expires_in }
    }

    pub fn created_without(fields: &[&str]) -> Self {
        ScriptedResponse::CreatedWithout(fields.iter().map(|f| (*f).to_owned()).collect())
    }

    pub fn created_starting_at(start: DateTime<Utc>) -> Self {
        ScriptedResponse::CreatedAltered(Altered {
            start: Some(start),
            ..Altered::default()
        })
    }

    pub fn created_altered(altered: Altered) -> Self {
        ScriptedResponse::CreatedAltered(altered)
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

/// One API request (any endpoint but the token's) as Zoom received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub endpoint: Endpoint,
    /// The `{userId}` or `{meetingId}` path segment, percent-decoded.
    pub target: String,
    /// The request path as sent, still percent-encoded.
    pub raw_path: String,
    /// Query parameters, decoded.
    pub query: HashMap<String, String>,
    /// The JSON body (`Value::Null` if none or not JSON).
    pub body: Value,
    pub authorization: Option<String>,
    /// When it arrived.
    pub received: Instant,
}

/// One request the fake finished with, answered or not (a client that gave up meanwhile does
/// not read it): GETs and DELETEs of a meeting.
#[derive(Debug, Clone)]
pub struct Finished {
    pub endpoint: Endpoint,
    /// The `{meetingId}` path segment.
    pub target: String,
    /// The HTTP status it answered.
    pub status: u16,
    /// When its answer went out.
    pub at: Instant,
}

pub struct FakeZoom {
    pub base_url: String,
    state: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    opts: FakeZoomOptions,
    account_zone: Tz,
    inner: Mutex<Inner>,
    /// Endpoints (create, GET and DELETE of a meeting) whose requests are recorded and then
    /// wait (see [`FakeZoom::hold`]).
    held: tokio::sync::watch::Sender<Vec<Endpoint>>,
    /// Notified when any API request arrives or a held one finishes.
    request_seen: Notify,
}

#[derive(Default)]
struct Inner {
    /// Issued token → when it expires.
    tokens: HashMap<String, Instant>,
    token_requests: usize,
    scripts: HashMap<Endpoint, VecDeque<ScriptedResponse>>,
    requests: Vec<RecordedRequest>,
    finished: Vec<Finished>,
    creates: Vec<RecordedCreate>,
    meetings_created: usize,
    writes_per_host: HashMap<String, usize>,
    start_urls: Vec<String>,
    next_id: u64,
    meetings: BTreeMap<u64, StoredMeeting>,
}

/// A meeting as the fake keeps it.
#[derive(Debug, Clone)]
struct StoredMeeting {
    id: u64,
    host: String,
    topic: String,
    kind: i64,
    start: DateTime<Utc>,
    duration: i64,
    /// The Zoom ID it is stored in (the account's zone when the one sent is not listed).
    timezone: Tz,
    agenda: String,
    password: String,
    start_url: String,
    created_at: DateTime<Utc>,
    recurrence: Option<Series>,
}

/// A series as sent (validated) and its occurrences' starts.
#[derive(Debug, Clone)]
struct Series {
    body: Value,
    occurrences: Vec<DateTime<Utc>>,
}

impl StoredMeeting {
    /// The meeting as `GET /meetings/{id}` (and the create answer) shows it: with `start_url`,
    /// like Zoom, so tests can prove the client drops it.
    fn to_json(&self) -> Value {
        let mut meeting = json!({
            "uuid": format!("fakeUuid{:x}==", self.id),
            "id": self.id,
            "host_id": "fakeHostId123",
            "host_email": self.host_email(),
            "topic": self.topic,
            "type": self.kind,
            "status": "waiting",
            "start_time": zulu(self.start),
            "duration": self.duration,
            "timezone": self.timezone.name(),
            "agenda": self.agenda,
            "created_at": zulu(self.created_at),
            "start_url": self.start_url,
            "join_url": self.join_url(),
            "password": self.password,
            "h323_password": self.password,
            "pstn_password": self.password,
            "encrypted_password": self.encrypted_password(),
            "settings": {
                "host_video": false, "participant_video": false, "join_before_host": false,
                "mute_upon_entry": false, "waiting_room": true, "auto_recording": "none",
            },
            "pre_schedule": false,
        });
        if let (Some(series), Value::Object(fields)) = (&self.recurrence, &mut meeting) {
            fields.insert("recurrence".into(), series.body.clone());
            let occurrences: Vec<Value> = series
                .occurrences
                .iter()
                .map(|start| {
                    json!({
                        "occurrence_id": start.timestamp_millis().to_string(),
                        "start_time": zulu(*start),
                        "duration": self.duration,
                        "status": "available",
                    })
                })
                .collect();
            fields.insert("occurrences".into(), Value::Array(occurrences));
        }
        meeting
    }

    /// The meeting as a list entry shows it.
    fn list_item(&self) -> Value {
        json!({
            "uuid": format!("fakeUuid{:x}==", self.id),
            "id": self.id,
            "host_id": "fakeHostId123",
            "topic": self.topic,
            "type": self.kind,
            "start_time": zulu(self.next_start(Utc::now())),
            "duration": self.duration,
            "timezone": self.timezone.name(),
            "created_at": zulu(self.created_at),
            "join_url": self.join_url(),
        })
    }

    fn host_email(&self) -> String {
        if self.host.contains('@') {
            self.host.clone()
        } else {
            "owner@example.com".to_owned()
        }
    }

    fn join_url(&self) -> String {
        format!(
            "https://zoom.us/j/{}?pwd={}",
            self.id,
            self.encrypted_password()
        )
    }

    /// Like Zoom's: derived from the passcode but not containing it.
    fn encrypted_password(&self) -> String {
        let mixed = self.password.bytes().fold(self.id, |h, b| {
            h.rotate_left(7) ^ u64::from(b).wrapping_mul(0x9e37_79b9)
        });
        format!("fakeEnc{mixed:x}")
    }

    fn starts(&self) -> Vec<DateTime<Utc>> {
        match &self.recurrence {
            Some(series) => series.occurrences.clone(),
            None => vec![self.start],
        }
    }

    /// The first start that has not ended by `now` (the last start if all have).
    fn next_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let starts = self.starts();
        starts
            .iter()
            .copied()
            .find(|start| self.ends(*start) >= now)
            .or_else(|| starts.last().copied())
            .unwrap_or(self.start)
    }

    fn ends(&self, start: DateTime<Utc>) -> DateTime<Utc> {
        start + chrono::Duration::minutes(self.duration)
    }

    /// Zoom's `upcoming`: an occurrence has yet to start (the fake has no live meetings, so a
    /// meeting whose start passed is not upcoming even if nobody started it).
    fn upcoming(&self, now: DateTime<Utc>) -> bool {
        self.starts().iter().any(|start| *start >= now)
    }

    /// Zoom's `scheduled`: not expired (ended less than 30 days ago), upcoming or past.
    fn unexpired(&self, now: DateTime<Utc>) -> bool {
        let expiry = chrono::Duration::days(30);
        self.starts()
            .iter()
            .any(|start| self.ends(*start) + expiry >= now)
    }
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
        let account_zone = opts
            .account_timezone
            .parse()
            .expect("account_timezone is a tz database name");
        let state = Arc::new(Shared {
            inner: Mutex::new(Inner {
                next_id: opts.first_meeting_id,
                ..Inner::default()
            }),
            opts,
            account_zone,
            held: tokio::sync::watch::Sender::new(Vec::new()),
            request_seen: Notify::new(),
        });
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route(
                "/v2/users/{host}/meetings",
                post(create_meeting).get(list_meetings),
            )
            .route(
                "/v2/meetings/{id}",
                get(get_meeting)
                    .patch(update_meeting)
                    .delete(delete_meeting),
            )
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

    /// Every request to `endpoint` (not the token endpoint's), accepted or not, in order.
    pub fn requests(&self, endpoint: Endpoint) -> Vec<RecordedRequest> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .cloned()
            .collect()
    }

    /// Meetings created through the API (deleted ones included).
    pub fn meetings_created(&self) -> usize {
        self.lock().meetings_created
    }

    /// The ids of the meetings that exist now, in order.
    pub fn meeting_ids(&self) -> Vec<u64> {
        self.lock().meetings.keys().copied().collect()
    }

    /// A meeting as `GET /meetings/{id}` would answer it, if it exists.
    pub fn meeting(&self, id: u64) -> Option<Value> {
        self.lock().meetings.get(&id).map(StoredMeeting::to_json)
    }

    /// Deletes a meeting as if someone did in Zoom's own web page; false if there was none.
    pub fn remove_meeting(&self, id: u64) -> bool {
        self.lock().meetings.remove(&id).is_some()
    }

    /// Moves a meeting as if someone did in Zoom's own web page; false if there is none.
    pub fn move_meeting(&self, id: u64, start: DateTime<Utc>) -> bool {
        let mut inner = self.lock();
        let Some(meeting) = inner.meetings.get_mut(&id) else {
            return false;
        };
        meeting.start = start;
        true
    }

    /// Sets a meeting's agenda (as a create with that agenda would); false if there is none.
    pub fn set_agenda(&self, id: u64, agenda: &str) -> bool {
        let mut inner = self.lock();
        let Some(meeting) = inner.meetings.get_mut(&id) else {
            return false;
        };
        meeting.agenda = agenda.to_owned();
        true
    }

    /// Adds a one-off meeting for `host` as if scheduled in Zoom's own web page; its id.
    pub fn add_meeting(&self, host: &str, topic: &str, start: DateTime<Utc>, minutes: i64) -> u64 {
        let zone = self.state.account_zone;
        let mut inner = self.lock();
        let (id, start_url) = inner.book_id();
        inner.meetings.insert(
            id,
            StoredMeeting {
                id,
                host: host.to_owned(),
                topic: topic.to_owned(),
                kind: 2,
                start,
                duration: minutes,
                timezone: zone,
                agenda: String::new(),
                password: "123456".into(),
                start_url,
                created_at: Utc::now(),
                recurrence: None,
            },
        );
        id
    }

    /// Every `start_url` the fake handed out (so tests can prove none leaks).
    pub fn start_urls(&self) -> Vec<String> {
        self.lock().start_urls.clone()
    }

    pub fn push_response(&self, endpoint: Endpoint, response: ScriptedResponse) {
        self.lock()
            .scripts
            .entry(endpoint)
            .or_default()
            .push_back(response);
    }

    pub fn push_create_response(&self, response: ScriptedResponse) {
        self.push_response(Endpoint::Create, response);
    }

    pub fn push_token_response(&self, response: ScriptedResponse) {
        self.push_response(Endpoint::Token, response);
    }

    /// Expires every issued token, so the next API call gets 401 code 124.
    pub fn expire_all_tokens(&self) {
        let now = Instant::now();
        for expiry in self.lock().tokens.values_mut() {
            *expiry = now;
        }
    }

    /// From now on, creates that arrive are recorded and then wait, unanswered, until
    /// [`release_creates`](Self::release_creates): a test can act while they are in flight.
    pub fn hold_creates(&self) {
        self.hold(Endpoint::Create);
    }

    /// Lets held creates (and later ones) go on.
    pub fn release_creates(&self) {
        self.release(Endpoint::Create);
    }

    /// Waits until at least `n` create requests arrived; false if `deadline` passed first.
    pub async fn wait_for_creates(&self, n: usize, deadline: Duration) -> bool {
        self.wait_until(deadline, |inner| inner.creates.len() >= n)
            .await
    }

    /// From now on, requests to `endpoint` (`Create`, `Get` or `Delete`) are recorded when they
    /// arrive and then wait, unanswered and not carried out, until [`release`](Self::release):
    /// a test can see what the service does while Zoom is slow, without a clock.
    pub fn hold(&self, endpoint: Endpoint) {
        assert!(
            matches!(
                endpoint,
                Endpoint::Create | Endpoint::Get | Endpoint::Delete
            ),
            "only creates, GETs and DELETEs can be held"
        );
        self.state.held.send_modify(|held| held.push(endpoint));
    }

    /// Lets held requests to `endpoint` (and later ones) go on.
    pub fn release(&self, endpoint: Endpoint) {
        self.state
            .held
            .send_modify(|held| held.retain(|e| *e != endpoint));
    }

    /// The GETs and DELETEs of a meeting the fake finished with, in order.
    pub fn finished(&self, endpoint: Endpoint) -> Vec<Finished> {
        self.lock()
            .finished
            .iter()
            .filter(|f| f.endpoint == endpoint)
            .cloned()
            .collect()
    }

    /// Waits until at least `n` requests to `endpoint` arrived; false if `deadline` passed
    /// first.
    pub async fn wait_for_requests(
        &self,
        endpoint: Endpoint,
        n: usize,
        deadline: Duration,
    ) -> bool {
        self.wait_until(deadline, |inner| {
            inner
                .requests
                .iter()
                .filter(|r| r.endpoint == endpoint)
                .count()
                >= n
        })
        .await
    }

    async fn wait_until(&self, deadline: Duration, done: impl Fn(&Inner) -> bool) -> bool {
        let wait = async {
            loop {
                let mut notified = pin!(self.state.request_seen.notified());
                // Register before checking, so a request between check and await is not missed.
                notified.as_mut().enable();
                if done(&self.lock()) {
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
    fn book_id(&mut self) -> (u64, String) {
        let id = self.next_id;
        self.next_id += 1;
        let start_url = format!(
            "https://zoom.us/s/{id}?zak=fake-host-zak-{:016x}",
            rand::random::<u64>()
        );
        self.start_urls.push(start_url.clone());
        (id, start_url)
    }

    fn next_script(&mut self, endpoint: Endpoint) -> Option<ScriptedResponse> {
        self.scripts
            .get_mut(&endpoint)
            .and_then(VecDeque::pop_front)
    }

    /// Counts a create or update against the host's daily limit; false when it is used up.
    fn count_write(&mut self, host: &str, limit: Option<usize>) -> bool {
        let count = self.writes_per_host.entry(host.to_owned()).or_default();
        if limit.is_some_and(|limit| *count >= limit) {
            return false;
        }
        *count += 1;
        true
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records an API request; returns whether its bearer token is valid now, and the body.
    fn record(
        &self,
        endpoint: Endpoint,
        target: &str,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> (Option<Response>, Option<Value>) {
        let authorization = header_str(headers, header::AUTHORIZATION).map(str::to_owned);
        let json_body: Option<Value> = serde_json::from_slice(body).ok();
        let query: HashMap<String, String> = uri
            .query()
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        let mut inner = self.lock();
        inner.requests.push(RecordedRequest {
            endpoint,
            target: target.to_owned(),
            raw_path: uri.path().to_owned(),
            query,
            body: json_body.clone().unwrap_or(Value::Null),
            authorization: authorization.clone(),
            received: Instant::now(),
        });
        if endpoint == Endpoint::Create {
            inner.creates.push(RecordedCreate {
                host: target.to_owned(),
                raw_path: uri.path().to_owned(),
                body: json_body.clone().unwrap_or(Value::Null),
                authorization: authorization.clone(),
            });
        }
        self.request_seen.notify_waiters();
        let bearer = authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "));
        let token_problem = match bearer.and_then(|t| inner.tokens.get(t).copied()) {
            None => Some(api_error(401, 124, "Invalid access token.")),
            Some(expiry) if expiry <= Instant::now() => {
                Some(api_error(401, 124, "Access token is expired."))
            }
            Some(_) => None,
        };
        (token_problem, json_body)
    }

    /// The token check, then any scripted answer for `endpoint`.
    async fn refuse_or_script(
        &self,
        endpoint: Endpoint,
        token_problem: Option<Response>,
    ) -> Result<Option<ScriptedResponse>, Response> {
        if let Some(refusal) = token_problem {
            return Err(refusal);
        }
        let scripted = self.lock().next_script(endpoint);
        match scripted {
            Some(
                special @ (ScriptedResponse::CreatedWithout(_)
                | ScriptedResponse::CreatedAltered(_)),
            ) if endpoint == Endpoint::Create => Ok(Some(special)),
            Some(scripted) => Err(scripted_reply(scripted).await),
            None => Ok(None),
        }
    }

    /// Waits while `endpoint` is held, then for its latency (creates only).
    async fn delay(&self, endpoint: Endpoint) {
        let latency = match endpoint {
            Endpoint::Create => self.opts.create_latency,
            _ => Duration::ZERO,
        };
        let _ = self
            .held
            .subscribe()
            .wait_for(|held| !held.contains(&endpoint))
            .await;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }

    /// Records that a request to `endpoint` was finished with, answering `response`.
    fn finish(&self, endpoint: Endpoint, target: &str, response: Response) -> Response {
        self.lock().finished.push(Finished {
            endpoint,
            target: target.to_owned(),
            status: response.status().as_u16(),
            at: Instant::now(),
        });
        self.request_seen.notify_waiters();
        response
    }

    /// Zoom's reading of a `timezone` field: a listed zone as itself; a missing or unlisted one
    /// as the account's zone.
    fn zone(&self, name: Option<&str>) -> Tz {
        name.filter(|name| ZOOM_TIMEZONES.lines().any(|line| line.trim() == *name))
            .and_then(|name| name.parse().ok())
            .unwrap_or(self.account_zone)
    }
}

async fn token(State(state): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let scripted = {
        let mut inner = state.lock();
        inner.token_requests += 1;
        inner.next_script(Endpoint::Token)
    };
    tokio::time::sleep(state.opts.token_latency).await;
    let reported = match scripted {
        Some(ScriptedResponse::Token { expires_in }) => Some(expires_in),
        Some(scripted) => return scripted_reply(scripted).await,
        None => None,
    };

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
    let lives = match reported {
        Some(_) => Duration::from_secs(3600),
        None => Duration::from_secs(state.opts.expires_in),
    };
    let now = Instant::now();
    let expiry = now
        .checked_add(lives)
        .unwrap_or(now + Duration::from_secs(86_400 * 365));
    state.lock().tokens.insert(access_token.clone(), expiry);
    let mut answer = json!({
        "access_token": access_token,
        "token_type": "bearer",
        "scope": "meeting:write:meeting:admin user:read:user:admin",
        "api_url": "https://api.zoom.us",
    });
    let expires_in = match reported {
        Some(reported) => reported,
        None => Some(json!(state.opts.expires_in)),
    };
    if let (Some(expires_in), Value::Object(fields)) = (expires_in, &mut answer) {
        fields.insert("expires_in".into(), expires_in);
    }
    Json(answer).into_response()
}

/// Like Zoom, a create that arrived is carried out even if the client goes away meanwhile (its
/// process killed, its connection cut): the work runs in a task of its own.
async fn create_meeting(
    State(state): State<Arc<Shared>>,
    Path(host): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let work = tokio::spawn(create_meeting_now(
        State(state),
        Path(host),
        uri,
        headers,
        body,
    ));
    match work.await {
        Ok(response) => response,
        // A scripted drop panics in the task; carry it into the handler so the connection drops.
        Err(failure) if failure.is_panic() => std::panic::resume_unwind(failure.into_panic()),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn create_meeting_now(
    State(state): State<Arc<Shared>>,
    Path(host): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (token_problem, json_body) = state.record(Endpoint::Create, &host, &uri, &headers, &body);
    state.delay(Endpoint::Create).await;
    let twist = match state
        .refuse_or_script(Endpoint::Create, token_problem)
        .await
    {
        Ok(twist) => twist,
        Err(response) => return response,
    };
    if state.opts.unknown_hosts.contains(&host) {
        return api_error(404, 1001, &format!("User does not exist: {host}."));
    }
    let Some(Value::Object(request)) = json_body else {
        return api_error(400, 300, "Request Body should be a valid JSON object.");
    };
    let fields = match Fields::read(&state, &request, None) {
        Ok(fields) => fields,
        Err(errors) => return validation_failed(errors),
    };
    let zone = fields.zone.unwrap_or(state.account_zone);
    let mut meeting = StoredMeeting {
        id: 0,
        host: host.clone(),
        topic: fields.topic.unwrap_or_default(),
        kind: fields.kind.unwrap_or(2),
        start: fields.start.unwrap_or_else(now_in_seconds),
        duration: fields.duration.unwrap_or(60),
        timezone: zone,
        agenda: fields.agenda.unwrap_or_default(),
        password: format!("{:06}", rand::random::<u32>() % 1_000_000),
        start_url: String::new(),
        created_at: now_in_seconds(),
        recurrence: None,
    };
    if meeting.kind == 8 {
        let Some(recurrence) = request.get("recurrence") else {
            return validation_failed(vec![(
                "recurrence".into(),
                "A recurring meeting with a fixed time needs a recurrence.".into(),
            )]);
        };
        match series(recurrence, meeting.start, zone) {
            Ok(series) => meeting.recurrence = Some(series),
            Err(errors) => return validation_failed(errors),
        }
    }
    let stored = {
        let mut inner = state.lock();
        if !inner.count_write(&host, state.opts.daily_limit_per_host) {
            None
        } else {
            let (id, start_url) = inner.book_id();
            inner.meetings_created += 1;
            meeting.id = id;
            meeting.start_url = start_url;
            if let Some(ScriptedResponse::CreatedAltered(altered)) = &twist {
                meeting.start = altered.start.unwrap_or(meeting.start);
                meeting.duration = altered.duration.unwrap_or(meeting.duration);
                meeting.topic = altered.topic.clone().unwrap_or(meeting.topic.clone());
            }
            inner.meetings.insert(id, meeting.clone());
            Some(meeting)
        }
    };
    let Some(meeting) = stored else {
        return scripted_reply(ScriptedResponse::daily_limit()).await;
    };
    let mut answer = meeting.to_json();
    if let (Some(ScriptedResponse::CreatedWithout(missing)), Value::Object(fields)) =
        (&twist, &mut answer)
    {
        for field in missing {
            fields.remove(field);
        }
    }
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn get_meeting(
    State(state): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (token_problem, _) = state.record(Endpoint::Get, &id, &uri, &headers, &[]);
    state.delay(Endpoint::Get).await;
    let response = get_meeting_now(&state, &id, token_problem).await;
    state.finish(Endpoint::Get, &id, response)
}

async fn get_meeting_now(state: &Shared, id: &str, token_problem: Option<Response>) -> Response {
    if let Err(response) = state.refuse_or_script(Endpoint::Get, token_problem).await {
        return response;
    }
    let found = id
        .parse()
        .ok()
        .and_then(|id| state.lock().meetings.get(&id).map(StoredMeeting::to_json));
    match found {
        Some(meeting) => Json(meeting).into_response(),
        None => meeting_not_found(id),
    }
}

async fn update_meeting(
    State(state): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (token_problem, json_body) = state.record(Endpoint::Update, &id, &uri, &headers, &body);
    if let Err(response) = state
        .refuse_or_script(Endpoint::Update, token_problem)
        .await
    {
        return response;
    }
    let Some(mut meeting) = id
        .parse()
        .ok()
        .and_then(|id| state.lock().meetings.get(&id).cloned())
    else {
        return meeting_not_found(&id);
    };
    let Some(Value::Object(request)) = json_body else {
        return api_error(400, 300, "Request Body should be a valid JSON object.");
    };
    let fields = match Fields::read(&state, &request, Some(meeting.timezone)) {
        Ok(fields) => fields,
        Err(errors) => return validation_failed(errors),
    };
    if let Some(topic) = fields.topic {
        meeting.topic = topic;
    }
    if let Some(agenda) = fields.agenda {
        meeting.agenda = agenda;
    }
    if let Some(duration) = fields.duration {
        meeting.duration = duration;
    }
    if let Some(zone) = fields.zone {
        meeting.timezone = zone;
    }
    if let Some(start) = fields.start {
        meeting.start = start;
    }
    if let Some(series_body) = &meeting.recurrence.as_ref().map(|s| s.body.clone()) {
        match series(series_body, meeting.start, meeting.timezone) {
            Ok(series) => meeting.recurrence = Some(series),
            Err(errors) => return validation_failed(errors),
        }
    }
    let counted = {
        let mut inner = state.lock();
        let counted = inner.count_write(&meeting.host, state.opts.daily_limit_per_host);
        // Deleted meanwhile: the update finds nothing.
        if counted && inner.meetings.contains_key(&meeting.id) {
            inner.meetings.insert(meeting.id, meeting);
            return StatusCode::NO_CONTENT.into_response();
        }
        counted
    };
    if counted {
        meeting_not_found(&id)
    } else {
        scripted_reply(ScriptedResponse::daily_limit()).await
    }
}

async fn delete_meeting(
    State(state): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (token_problem, _) = state.record(Endpoint::Delete, &id, &uri, &headers, &[]);
    // Like Zoom, a delete that arrived is carried out when its (held or slow) turn comes,
    // whether or not the client still waits for the answer.
    let work = tokio::spawn(async move {
        state.delay(Endpoint::Delete).await;
        let response = delete_meeting_now(&state, &id, token_problem).await;
        state.finish(Endpoint::Delete, &id, response)
    });
    match work.await {
        Ok(response) => response,
        // A scripted drop panics in the task; carry it into the handler so the connection drops.
        Err(failure) if failure.is_panic() => std::panic::resume_unwind(failure.into_panic()),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn delete_meeting_now(state: &Shared, id: &str, token_problem: Option<Response>) -> Response {
    if let Err(response) = state
        .refuse_or_script(Endpoint::Delete, token_problem)
        .await
    {
        return response;
    }
    let removed = id
        .parse()
        .ok()
        .and_then(|id| state.lock().meetings.remove(&id));
    match removed {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => meeting_not_found(id),
    }
}

async fn list_meetings(
    State(state): State<Arc<Shared>>,
    Path(host): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (token_problem, _) = state.record(Endpoint::List, &host, &uri, &headers, &[]);
    if let Err(response) = state.refuse_or_script(Endpoint::List, token_problem).await {
        return response;
    }
    if state.opts.unknown_hosts.contains(&host) {
        return api_error(404, 1001, &format!("User does not exist: {host}."));
    }
    let now = Utc::now();
    let upcoming_only = match query.get("type").map(String::as_str) {
        None | Some("scheduled") => false,
        Some("upcoming") => true,
        Some(_) => return api_error(400, 300, "Invalid field: type."),
    };
    let listed = |m: &StoredMeeting| {
        if upcoming_only {
            m.upcoming(now)
        } else {
            m.unexpired(now)
        }
    };
    let page_size = match query.get("page_size").map(|s| s.parse::<usize>()) {
        None => 30,
        Some(Ok(size)) if size >= 1 => size.min(300),
        Some(_) => return api_error(400, 300, "Invalid field: page_size."),
    };
    let offset = match query.get("next_page_token").map(String::as_str) {
        None | Some("") => 0,
        Some(token) => match token
            .strip_prefix("fakePage")
            .and_then(|n| usize::from_str_radix(n, 16).ok())
        {
            Some(offset) => offset,
            None => return api_error(400, 300, "Invalid next_page_token."),
        },
    };
    let mut meetings: Vec<StoredMeeting> = state
        .lock()
        .meetings
        .values()
        .filter(|m| m.host == host && listed(m))
        .cloned()
        .collect();
    meetings.sort_by_key(|m| (m.next_start(now), m.id));
    let total = meetings.len();
    let page: Vec<Value> = meetings
        .iter()
        .skip(offset)
        .take(page_size)
        .map(StoredMeeting::list_item)
        .collect();
    let next = offset + page.len();
    let next_page_token = if next < total {
        format!("fakePage{next:x}")
    } else {
        String::new()
    };
    Json(json!({
        "page_size": page_size,
        "total_records": total,
        "next_page_token": next_page_token,
        "meetings": page,
    }))
    .into_response()
}

/// The meeting fields of a create or update body, checked as Zoom does.
struct Fields {
    topic: Option<String>,
    kind: Option<i64>,
    duration: Option<i64>,
    agenda: Option<String>,
    /// The zone Zoom stores: `timezone` if listed, else the account's (only when sent, or when
    /// a start was read in it).
    zone: Option<Tz>,
    start: Option<DateTime<Utc>>,
}

impl Fields {
    /// `current_zone`: the meeting's zone, for an update's `start_time` sent without `timezone`.
    fn read(
        state: &Shared,
        request: &Map<String, Value>,
        current_zone: Option<Tz>,
    ) -> Result<Fields, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let mut fail =
            |field: &str, message: &str| errors.push((field.to_owned(), message.to_owned()));
        let text = |field: &str| request.get(field).map(|v| v.as_str().map(str::to_owned));

        let topic = text("topic");
        if topic
            .as_ref()
            .is_some_and(|t| t.as_ref().is_none_or(|t| t.chars().count() > 200))
        {
            fail("topic", "Topic must be at most 200 characters.");
        }
        let agenda = text("agenda");
        if agenda
            .as_ref()
            .is_some_and(|a| a.as_ref().is_none_or(|a| a.chars().count() > 2000))
        {
            fail("agenda", "Agenda must be at most 2000 characters.");
        }
        let kind = request.get("type").map(Value::as_i64);
        if kind.is_some_and(|k| !matches!(k, Some(1 | 2 | 3 | 8))) {
            fail("type", "Invalid meeting type.");
        }
        let duration = request.get("duration").map(Value::as_i64);
        if duration.is_some_and(|d| !d.is_some_and(|d| (1..=1440).contains(&d))) {
            fail("duration", "Duration must be between 1 and 1440 minutes.");
        }
        let sent_zone = request.get("timezone").map(|z| state.zone(z.as_str()));
        let read_zone = sent_zone.or(current_zone).unwrap_or(state.account_zone);
        let start = match request.get("start_time") {
            None => None,
            Some(start) => match start.as_str().and_then(|s| parse_start(s, read_zone)) {
                // A start in the past silently becomes "now", as in Zoom.
                Some(start) => Some(start.max(now_in_seconds())),
                None => {
                    fail(
                        "start_time",
                        "Invalid start_time: use yyyy-MM-ddTHH:mm:ss or yyyy-MM-ddTHH:mm:ssZ.",
                    );
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Fields {
            topic: topic.flatten(),
            kind: kind.flatten(),
            duration: duration.flatten(),
            agenda: agenda.flatten(),
            zone: sent_zone.or(start.and(current_zone.is_none().then_some(read_zone))),
            start,
        })
    }
}

/// A `...Z` time is UTC (and the zone is ignored, as Zoom does); otherwise wall-clock in `zone`.
fn parse_start(text: &str, zone: Tz) -> Option<DateTime<Utc>> {
    const FORMAT: &str = "%Y-%m-%dT%H:%M:%S";
    if let Some(utc) = text.strip_suffix('Z') {
        return NaiveDateTime::parse_from_str(utc, FORMAT)
            .ok()
            .map(|t| t.and_utc());
    }
    NaiveDateTime::parse_from_str(text, FORMAT)
        .ok()
        .map(|local| read_wall(zone, local))
}

/// A wall-clock time in `zone`: the earlier instant of an hour that happens twice; in a gap,
/// an hour later.
fn read_wall(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| local.and_utc(), |start| start.with_timezone(&Utc))
}

/// Checks a `recurrence` object as Zoom documents it and lists the series' starts: every day
/// on or after the start's date matching the pattern, at the start's wall-clock time in `zone`.
fn series(
    recurrence: &Value,
    start: DateTime<Utc>,
    zone: Tz,
) -> Result<Series, Vec<(String, String)>> {
    let field = |name: &str| recurrence.get(name);
    let int = |name: &str| field(name).and_then(Value::as_i64);
    let invalid =
        |name: &str, message: &str| Err(vec![(format!("recurrence.{name}"), message.to_owned())]);
    let kind = int("type").unwrap_or(0);
    let max_interval = match kind {
        1 => 90,
        2 => 12,
        3 => 3,
        _ => return invalid("type", "Recurrence type must be 1, 2 or 3."),
    };
    let interval = int("repeat_interval").unwrap_or(1);
    if !(1..=max_interval).contains(&interval) {
        return invalid("repeat_interval", "Invalid repeat interval.");
    }
    // 0 = Sunday, from Zoom's 1 = Sunday ... 7 = Saturday.
    let weekdays: Vec<u32> = match field("weekly_days") {
        None if kind == 2 => vec![0],
        None => Vec::new(),
        Some(days) => {
            let parsed: Option<Vec<u32>> = days.as_str().and_then(|s| {
                s.split(',')
                    .map(|d| d.trim().parse::<u32>().ok().filter(|d| (1..=7).contains(d)))
                    .map(|d| d.map(|d| d - 1))
                    .collect()
            });
            match parsed {
                Some(days) if !days.is_empty() => days,
                _ => return invalid("weekly_days", "Invalid weekly days."),
            }
        }
    };
    let month_day = int("monthly_day").unwrap_or(1);
    if kind == 3 && !(1..=31).contains(&month_day) {
        return invalid("monthly_day", "Monthly day must be between 1 and 31.");
    }
    let end_times = int("end_times");
    let end_date = field("end_date_time");
    let until = match (end_times, end_date) {
        (Some(_), Some(_)) => {
            return invalid(
                "end_times",
                "end_times and end_date_time cannot both be set.",
            );
        }
        (Some(n), None) if !(1..=60).contains(&n) => {
            return invalid("end_times", "end_times must be between 1 and 60.");
        }
        (_, Some(date)) => match date.as_str().and_then(|d| parse_start(d, chrono_tz::UTC)) {
            Some(until) if date.as_str().is_some_and(|d| d.ends_with('Z')) => Some(until),
            _ => {
                return invalid(
                    "end_date_time",
                    "end_date_time must be a UTC time ending in Z.",
                );
            }
        },
        (_, None) => None,
    };
    let count =
        usize::try_from(end_times.unwrap_or(if until.is_some() { 61 } else { 1 })).unwrap_or(1);

    let first = start.with_timezone(&zone).naive_local();
    let first_date = first.date();
    let epoch_sunday = NaiveDate::from_ymd_opt(1970, 1, 4).expect("a Sunday");
    let week = |date: NaiveDate| (date - epoch_sunday).num_days().div_euclid(7);
    let month = |date: NaiveDate| i64::from(date.year()) * 12 + i64::from(date.month0());
    let mut occurrences = Vec::new();
    let mut date = first_date;
    // Day by day; 61 occurrences of the sparsest pattern fit in 20 years.
    for _ in 0..(366 * 20) {
        let matches = match kind {
            1 => (date - first_date).num_days() % interval == 0,
            2 => {
                weekdays.contains(&date.weekday().num_days_from_sunday())
                    && (week(date) - week(first_date)) % interval == 0
            }
            _ => {
                i64::from(date.day()) == month_day
                    && (month(date) - month(first_date)) % interval == 0
            }
        };
        if matches {
            let at = read_wall(zone, date.and_time(first.time()));
            if until.is_some_and(|until| at > until) || occurrences.len() == count {
                break;
            }
            occurrences.push(at);
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    if occurrences.len() > 60 {
        return invalid(
            "end_date_time",
            "A recurring meeting can have at most 60 occurrences.",
        );
    }
    if occurrences.is_empty() {
        return invalid("end_date_time", "The recurring meeting has no occurrence.");
    }
    Ok(Series {
        body: recurrence.clone(),
        occurrences,
    })
}

fn now_in_seconds() -> DateTime<Utc> {
    let now = Utc::now();
    now.with_nanosecond(0).unwrap_or(now)
}

fn zulu(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn scripted_reply(scripted: ScriptedResponse) -> Response {
    match scripted {
        ScriptedResponse::Hang => std::future::pending().await,
        ScriptedResponse::Drop => {
            // Panicking in a handler makes hyper close the connection without an answer.
            std::panic::resume_unwind(Box::new("fake Zoom drops this connection"))
        }
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
        other => api_error(
            500,
            500,
            &format!("fake Zoom: {other:?} is scripted for another endpoint"),
        ),
    }
}

fn validation_failed(errors: Vec<(String, String)>) -> Response {
    let errors: Vec<Value> = errors
        .into_iter()
        .map(|(field, message)| json!({"field": field, "message": message}))
        .collect();
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"code": 300, "message": "Validation Failed.", "errors": errors})),
    )
        .into_response()
}

fn meeting_not_found(id: &str) -> Response {
    api_error(404, 3001, &format!("Meeting does not exist: {id}."))
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
