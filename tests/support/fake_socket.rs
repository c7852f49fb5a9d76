//! A fake Slack Socket Mode on loopback: `apps.connections.open` and the WebSocket links it hands out.
//!
//! Behaves as the reference's slack.md ("Socket Mode") describes Slack: the app-level token is checked, every
//! URL is single-use (a second handshake with it is refused), each link starts with `hello`,
//! and an envelope that was never acked can be redelivered with `retry_attempt + 1`. Tests
//! drive it (send envelopes, duplicates, `disconnect`, abrupt drops, a link that goes silent,
//! a revoked token) and await what the client did (acks, close frames, new links) with a
//! deadline.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request, Response as WsResponse,
};
use tokio_tungstenite::tungstenite::http;

/// The app-level token the fake accepts.
pub const APP_TOKEN: &str = "xapp-1-A0001-1-fake-app-level-token";

/// What the next `apps.connections.open` answers instead of a URL (FIFO).
#[derive(Clone, Debug)]
pub enum OpenFault {
    /// HTTP 200 `{"ok": false, "error": …}`.
    NotOk(&'static str),
    /// HTTP 429 with `Retry-After` in seconds.
    RateLimited { retry_after_secs: u64 },
    /// HTTP 500.
    ServerError,
}

/// An envelope as Slack sends it.
#[derive(Clone, Debug)]
pub struct OutEnvelope {
    pub envelope_id: String,
    pub kind: String,
    pub payload: Value,
    pub retry_attempt: u32,
    pub retry_reason: Option<String>,
    pub accepts_response_payload: bool,
}

impl OutEnvelope {
    pub fn new(envelope_id: &str, kind: &str, payload: Value, accepts: bool) -> Self {
        Self {
            envelope_id: envelope_id.to_owned(),
            kind: kind.to_owned(),
            payload,
            retry_attempt: 0,
            retry_reason: None,
            accepts_response_payload: accepts,
        }
    }

    /// `/zoom {text}`: the HTTP form's fields as a JSON object, as Socket Mode sends them.
    pub fn slash_command(envelope_id: &str, text: &str) -> Self {
        let payload = json!({
            "token": "deprecated-verification-token",
            "team_id": "T0001",
            "team_domain": "acme",
            "channel_id": "C0001",
            "channel_name": "general",
            "user_id": "U0001",
            "user_name": "ada",
            "command": "/zoom",
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": "https://hooks.slack.com/commands/T0001/1/abc",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        });
        Self::new(envelope_id, "slash_commands", payload, true)
    }

    /// A button click; Slack takes no payload in its ack.
    pub fn block_actions(envelope_id: &str) -> Self {
        let payload = json!({
            "type": "block_actions",
            "token": "deprecated-verification-token",
            "user": {"id": "U0001", "username": "ada", "team_id": "T0001"},
            "team": {"id": "T0001", "domain": "acme"},
            "api_app_id": "A0001",
            "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0001", "is_ephemeral": false},
            "channel": {"id": "C0001", "name": "general"},
            "response_url": "https://hooks.slack.com/actions/T0001/1/abc",
            "trigger_id": "1.2.3",
            "actions": [{"action_id": "cancel", "block_id": "b", "type": "button", "value": "857", "action_ts": "1.3"}],
        });
        Self::new(envelope_id, "interactive", payload, false)
    }

    /// A modal submission; its ack may carry `response_action`.
    pub fn view_submission(envelope_id: &str) -> Self {
        let payload = json!({
            "type": "view_submission",
            "user": {"id": "U0001", "username": "ada", "team_id": "T0001"},
            "team": {"id": "T0001", "domain": "acme"},
            "view": {"id": "V1", "callback_id": "schedule", "private_metadata": "", "state": {"values": {}}},
        });
        Self::new(envelope_id, "interactive", payload, true)
    }

    pub fn events_api(envelope_id: &str) -> Self {
        let payload = json!({
            "type": "event_callback",
            "event": {"type": "app_mention", "text": "<@U0BOT> hi", "user": "U0001"},
        });
        Self::new(envelope_id, "events_api", payload, false)
    }

    pub fn retried(mut self, attempt: u32, reason: &str) -> Self {
        self.retry_attempt = attempt;
        self.retry_reason = Some(reason.to_owned());
        self
    }

    pub fn to_json(&self) -> String {
        json!({
            "envelope_id": self.envelope_id,
            "type": self.kind,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
            "retry_attempt": self.retry_attempt,
            "retry_reason": self.retry_reason.clone().unwrap_or_default(),
        })
        .to_string()
    }
}

/// One ack the client sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Ack {
    /// The link it arrived on (1 for the first).
    pub connection: usize,
    pub envelope_id: String,
    pub payload: Option<Value>,
    /// Its place in [`FakeSocket::timeline`].
    pub at: usize,
}

/// What happened, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `hello` was sent: the link is up.
    Hello { connection: usize },
    Acked {
        connection: usize,
        envelope_id: String,
    },
    /// The client sent a WebSocket close frame.
    ClientClosed { connection: usize },
    /// The socket is gone (either side).
    Ended { connection: usize },
}

enum Command {
    Text(String),
    Ping(Vec<u8>),
    /// Drop the TCP connection without a close frame.
    Drop,
    /// Stop reading: pings go unanswered, acks unread (a link that went silent).
    Freeze,
}

struct Conn {
    commands: mpsc::UnboundedSender<Command>,
    ended: bool,
    /// When the client's close frame arrived.
    client_closed: Option<std::time::Instant>,
    pings_received: usize,
    pongs_received: Vec<Vec<u8>>,
}

#[derive(Default)]
struct FakeState {
    revoked: bool,
    open_calls: usize,
    /// When each `apps.connections.open` call arrived.
    opened_at: Vec<std::time::Instant>,
    open_faults: VecDeque<OpenFault>,
    url_override: Option<String>,
    /// Issued tickets, and whether each was used.
    tickets: HashMap<String, bool>,
    issued: Vec<String>,
    refused_handshakes: usize,
    hold: bool,
    held: usize,
    disable_links: bool,
    connections: Vec<Conn>,
    timeline: Vec<Event>,
    acks: Vec<Ack>,
    /// Every envelope sent, latest delivery last.
    sent: Vec<OutEnvelope>,
}

struct Inner {
    state: Mutex<FakeState>,
    changed: Notify,
    ws_address: std::net::SocketAddr,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap()
    }

    fn touch(&self) {
        self.changed.notify_waiters();
    }
}

pub struct FakeSocket {
    pub base_url: String,
    inner: Arc<Inner>,
    _http: tokio::task::JoinHandle<()>,
    _ws: tokio::task::JoinHandle<()>,
}

impl FakeSocket {
    pub async fn start() -> FakeSocket {
        let ws_listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake WS");
        let inner = Arc::new(Inner {
            state: Mutex::new(FakeState::default()),
            changed: Notify::new(),
            ws_address: ws_listener.local_addr().unwrap(),
        });
        let router = Router::new()
            .route("/api/apps.connections.open", post(connections_open))
            .with_state(inner.clone());
        let http_listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Slack API");
        let base_url = format!("http://{}", http_listener.local_addr().unwrap());
        let http = tokio::spawn(async move {
            axum::serve(http_listener, router)
                .await
                .expect("fake Slack API serves");
        });
        let accepting = inner.clone();
        let ws = tokio::spawn(async move {
            while let Ok((stream, _)) = ws_listener.accept().await {
                tokio::spawn(serve_link(stream, accepting.clone()));
            }
        });
        FakeSocket {
            base_url,
            inner,
            _http: http,
            _ws: ws,
        }
    }

    /// The Web API base, as `SLACK_API_URL` would hold it.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.base_url)
    }

    // ---- scripting ----

    /// From now on `apps.connections.open` answers `token_revoked`.
    pub fn revoke_token(&self) {
        self.inner.lock().revoked = true;
    }

    pub fn push_open_fault(&self, fault: OpenFault) {
        self.inner.lock().open_faults.push_back(fault);
    }

    /// Hands out `url` instead of a ticket URL on this fake (e.g. a `wss://` one).
    pub fn set_url_override(&self, url: Option<String>) {
        self.inner.lock().url_override = url;
    }

    /// New links complete the handshake but wait before `hello` until released.
    pub fn hold_new_connections(&self) {
        self.inner.lock().hold = true;
    }

    pub fn release_held(&self) {
        self.inner.lock().hold = false;
        self.inner.touch();
    }

    /// Every link (this one on) gets `disconnect: link_disabled` right after `hello`.
    pub fn disable_links(&self) {
        self.inner.lock().disable_links = true;
    }

    /// Sends `envelope` on link `connection` and remembers it for redelivery.
    pub fn send(&self, connection: usize, envelope: &OutEnvelope) {
        self.inner.lock().sent.push(envelope.clone());
        self.command(connection, Command::Text(envelope.to_json()));
    }

    pub fn send_raw(&self, connection: usize, text: &str) {
        self.command(connection, Command::Text(text.to_owned()));
    }

    pub fn disconnect(&self, connection: usize, reason: &str) {
        let message =
            json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}});
        self.send_raw(connection, &message.to_string());
    }

    /// Drops the TCP connection with no close frame.
    pub fn drop_connection(&self, connection: usize) {
        self.command(connection, Command::Drop);
    }

    /// The link goes silent: nothing is read any more, so pings are never answered.
    pub fn freeze(&self, connection: usize) {
        self.command(connection, Command::Freeze);
    }

    pub fn ping(&self, connection: usize, payload: &[u8]) {
        self.command(connection, Command::Ping(payload.to_vec()));
    }

    /// Like Slack: every envelope never acked is sent again, with `retry_attempt + 1`, on the
    /// newest live link. Returns their ids.
    pub fn redeliver_unacked(&self) -> Vec<String> {
        let unacked: Vec<OutEnvelope> = {
            let state = self.inner.lock();
            let mut latest: Vec<OutEnvelope> = Vec::new();
            for envelope in state.sent.iter().rev() {
                let acked = state
                    .acks
                    .iter()
                    .any(|a| a.envelope_id == envelope.envelope_id);
                let listed = latest.iter().any(|e| e.envelope_id == envelope.envelope_id);
                if !acked && !listed {
                    latest.push(envelope.clone());
                }
            }
            latest.reverse();
            latest
        };
        let connection = self.newest_connection();
        for envelope in &unacked {
            let again = envelope
                .clone()
                .retried(envelope.retry_attempt + 1, "timeout");
            self.send(connection, &again);
        }
        unacked.into_iter().map(|e| e.envelope_id).collect()
    }

    /// Sends envelope `id` again (as if its ack had not reached Slack) on the newest live link.
    pub fn redeliver(&self, id: &str) {
        let last = {
            let state = self.inner.lock();
            state
                .sent
                .iter()
                .rev()
                .find(|e| e.envelope_id == id)
                .cloned()
                .expect("redeliver an envelope that was sent")
        };
        let again = last.clone().retried(last.retry_attempt + 1, "timeout");
        self.send(self.newest_connection(), &again);
    }

    fn command(&self, connection: usize, command: Command) {
        let state = self.inner.lock();
        let conn = connection
            .checked_sub(1)
            .and_then(|i| state.connections.get(i))
            .expect("no such connection");
        let _ = conn.commands.send(command);
    }

    // ---- observations ----

    pub fn open_calls(&self) -> usize {
        self.inner.lock().open_calls
    }

    /// When each `apps.connections.open` call arrived, in order.
    pub fn open_call_times(&self) -> Vec<std::time::Instant> {
        self.inner.lock().opened_at.clone()
    }

    /// Links that got their `hello`.
    pub fn connections_opened(&self) -> usize {
        self.inner.lock().connections.len()
    }

    pub fn connections_live(&self) -> usize {
        self.inner
            .lock()
            .connections
            .iter()
            .filter(|c| !c.ended)
            .count()
    }

    /// The newest link that is still up (0 when none).
    pub fn newest_connection(&self) -> usize {
        let state = self.inner.lock();
        state
            .connections
            .iter()
            .rposition(|c| !c.ended)
            .map_or(0, |i| i + 1)
    }

    pub fn issued_tickets(&self) -> Vec<String> {
        self.inner.lock().issued.clone()
    }

    /// Handshakes refused because their URL was unknown or already used.
    pub fn refused_handshakes(&self) -> usize {
        self.inner.lock().refused_handshakes
    }

    pub fn client_closed(&self, connection: usize) -> bool {
        self.client_closed_at(connection).is_some()
    }

    /// When the client's close frame arrived on `connection`, if it did.
    pub fn client_closed_at(&self, connection: usize) -> Option<std::time::Instant> {
        self.with_conn(connection, |c| c.client_closed)
    }

    pub fn acks(&self) -> Vec<Ack> {
        self.inner.lock().acks.clone()
    }

    pub fn acks_for(&self, id: &str) -> Vec<Ack> {
        let state = self.inner.lock();
        state
            .acks
            .iter()
            .filter(|a| a.envelope_id == id)
            .cloned()
            .collect()
    }

    pub fn timeline(&self) -> Vec<Event> {
        self.inner.lock().timeline.clone()
    }

    /// Where `event` first happened in the timeline.
    pub fn position(&self, event: &Event) -> Option<usize> {
        self.inner.lock().timeline.iter().position(|e| e == event)
    }

    fn with_conn<T>(&self, connection: usize, f: impl Fn(&Conn) -> T) -> T {
        let state = self.inner.lock();
        f(connection
            .checked_sub(1)
            .and_then(|i| state.connections.get(i))
            .expect("no such connection"))
    }

    // ---- waiting (each returns when the condition holds or the deadline passes) ----

    async fn wait_until(&self, deadline: Duration, done: impl Fn(&FakeState) -> bool) -> bool {
        let wait = async {
            loop {
                let notified = self.inner.changed.notified();
                if done(&self.inner.lock()) {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(deadline, wait).await.is_ok()
    }

    pub async fn wait_for_connections(&self, n: usize, deadline: Duration) -> bool {
        self.wait_until(deadline, |s| s.connections.len() >= n)
            .await
    }

    pub async fn wait_for_open_calls(&self, n: usize, deadline: Duration) -> bool {
        self.wait_until(deadline, |s| s.open_calls >= n).await
    }

    /// Waits for `n` connections that finished the handshake and wait for release.
    pub async fn wait_for_held(&self, n: usize, deadline: Duration) -> bool {
        self.wait_until(deadline, |s| s.held >= n).await
    }

    pub async fn wait_for_acks(&self, id: &str, n: usize, deadline: Duration) -> Vec<Ack> {
        self.wait_until(deadline, |s| {
            s.acks.iter().filter(|a| a.envelope_id == id).count() >= n
        })
        .await;
        self.acks_for(id)
    }

    pub async fn wait_for_ack(&self, id: &str, deadline: Duration) -> Option<Ack> {
        self.wait_for_acks(id, 1, deadline).await.into_iter().next()
    }

    pub async fn wait_for_client_close(&self, connection: usize, deadline: Duration) -> bool {
        self.wait_until(deadline, |s| {
            s.connections
                .get(connection.wrapping_sub(1))
                .is_some_and(|c| c.client_closed.is_some())
        })
        .await
    }

    pub async fn wait_for_ended(&self, connection: usize, deadline: Duration) -> bool {
        self.wait_until(deadline, |s| {
            s.connections
                .get(connection.wrapping_sub(1))
                .is_some_and(|c| c.ended)
        })
        .await
    }

    pub async fn wait_for_pings(&self, connection: usize, n: usize, deadline: Duration) -> bool {
        self.wait_until(deadline, |s| {
            s.connections
                .get(connection.wrapping_sub(1))
                .is_some_and(|c| c.pings_received >= n)
        })
        .await
    }

    pub async fn wait_for_pong(
        &self,
        connection: usize,
        payload: &[u8],
        deadline: Duration,
    ) -> bool {
        self.wait_until(deadline, |s| {
            s.connections
                .get(connection.wrapping_sub(1))
                .is_some_and(|c| c.pongs_received.iter().any(|p| p == payload))
        })
        .await
    }
}

async fn connections_open(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let answer = {
        let mut state = inner.lock();
        state.open_calls += 1;
        state.opened_at.push(std::time::Instant::now());
        let fault = state.open_faults.pop_front();
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match (fault, bearer) {
            (Some(OpenFault::NotOk(error)), _) => {
                Json(json!({"ok": false, "error": error})).into_response()
            }
            (Some(OpenFault::RateLimited { retry_after_secs }), _) => (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", retry_after_secs.to_string())],
                Json(json!({"ok": false, "error": "ratelimited"})),
            )
                .into_response(),
            (Some(OpenFault::ServerError), _) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            (None, None) => Json(json!({"ok": false, "error": "not_authed"})).into_response(),
            (None, Some(token)) if token != APP_TOKEN => {
                Json(json!({"ok": false, "error": "invalid_auth"})).into_response()
            }
            (None, Some(_)) if state.revoked => {
                Json(json!({"ok": false, "error": "token_revoked"})).into_response()
            }
            (None, Some(_)) => {
                let url = match &state.url_override {
                    Some(url) => url.clone(),
                    None => {
                        let ticket = format!(
                            "{:016x}{:016x}",
                            rand::random::<u64>(),
                            rand::random::<u64>()
                        );
                        state.tickets.insert(ticket.clone(), false);
                        state.issued.push(ticket.clone());
                        format!(
                            "ws://{}/link/?ticket={ticket}&app_id=A0001",
                            inner.ws_address
                        )
                    }
                };
                Json(json!({"ok": true, "url": url})).into_response()
            }
        }
    };
    inner.touch();
    answer
}

/// One WebSocket link, from handshake to end.
// The handshake callback's error type is tungstenite's, large or not.
#[allow(clippy::result_large_err)]
async fn serve_link(stream: TcpStream, inner: Arc<Inner>) {
    let checking = inner.clone();
    let check_ticket =
        move |request: &Request, response: WsResponse| -> Result<WsResponse, ErrorResponse> {
            let ticket = request
                .uri()
                .query()
                .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
                .and_then(|pairs| {
                    pairs
                        .into_iter()
                        .find(|(k, _)| k == "ticket")
                        .map(|(_, v)| v)
                });
            let mut state = checking.lock();
            match ticket.and_then(|t| state.tickets.get_mut(&t)) {
                Some(used) if !*used => {
                    *used = true;
                    Ok(response)
                }
                _ => {
                    state.refused_handshakes += 1;
                    let refusal = http::Response::builder()
                        .status(http::StatusCode::FORBIDDEN)
                        .body(Some(
                            "this link URL is unknown or was already used".to_owned(),
                        ))
                        .unwrap();
                    Err(refusal)
                }
            }
        };
    let accepted = tokio_tungstenite::accept_hdr_async(stream, check_ticket).await;
    inner.touch();
    let Ok(mut ws) = accepted else {
        return;
    };

    // Held links wait here, handshake done, until released.
    let held = {
        let mut state = inner.lock();
        if state.hold {
            state.held += 1;
        }
        state.hold
    };
    if held {
        inner.touch();
        loop {
            let notified = inner.changed.notified();
            if !inner.lock().hold {
                break;
            }
            notified.await;
        }
        inner.lock().held -= 1;
    }

    let (tx, mut commands) = mpsc::unbounded_channel();
    let (id, hello, disable) = {
        let mut state = inner.lock();
        state.connections.push(Conn {
            commands: tx,
            ended: false,
            client_closed: None,
            pings_received: 0,
            pongs_received: Vec::new(),
        });
        let id = state.connections.len();
        let live = state.connections.iter().filter(|c| !c.ended).count();
        let hello = json!({
            "type": "hello",
            "num_connections": live,
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0001"},
        });
        (id, hello, state.disable_links)
    };
    let mut alive = ws.send(Message::text(hello.to_string())).await.is_ok();
    {
        let mut state = inner.lock();
        state.timeline.push(Event::Hello { connection: id });
    }
    inner.touch();
    if alive && disable {
        let message = json!({"type": "disconnect", "reason": "link_disabled", "debug_info": {"host": "applink-fake"}});
        alive = ws.send(Message::text(message.to_string())).await.is_ok();
    }

    let mut frozen = false;
    while alive {
        tokio::select! {
            command = commands.recv() => match command {
                None | Some(Command::Drop) => break,
                Some(Command::Text(text)) => alive = ws.send(Message::text(text)).await.is_ok(),
                Some(Command::Ping(payload)) => alive = ws.send(Message::Ping(payload.into())).await.is_ok(),
                Some(Command::Freeze) => frozen = true,
            },
            message = ws.next(), if !frozen => match message {
                None | Some(Err(_)) => break,
                Some(Ok(Message::Text(text))) => record_ack(&inner, id, text.as_str()),
                Some(Ok(Message::Ping(_))) => {
                    // tungstenite queues the pong and sends it with the next read.
                    inner.lock().connections[id - 1].pings_received += 1;
                    inner.touch();
                }
                Some(Ok(Message::Pong(payload))) => {
                    inner.lock().connections[id - 1].pongs_received.push(payload.to_vec());
                    inner.touch();
                }
                Some(Ok(Message::Close(_))) => {
                    let mut state = inner.lock();
                    state.connections[id - 1].client_closed = Some(std::time::Instant::now());
                    state.timeline.push(Event::ClientClosed { connection: id });
                    drop(state);
                    inner.touch();
                    // tungstenite answers the close; the stream then ends.
                }
                Some(Ok(_)) => {}
            },
        }
    }
    drop(ws);
    let mut state = inner.lock();
    state.connections[id - 1].ended = true;
    state.timeline.push(Event::Ended { connection: id });
    drop(state);
    inner.touch();
}

fn record_ack(inner: &Inner, connection: usize, text: &str) {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let Some(envelope_id) = value.get("envelope_id").and_then(Value::as_str) else {
        return;
    };
    let mut state = inner.lock();
    let at = state.timeline.len();
    state.timeline.push(Event::Acked {
        connection,
        envelope_id: envelope_id.to_owned(),
    });
    state.acks.push(Ack {
        connection,
        envelope_id: envelope_id.to_owned(),
        payload: value.get("payload").cloned(),
        at,
    });
    drop(state);
    inner.touch();
}
