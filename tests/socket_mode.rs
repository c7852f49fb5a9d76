//! The Socket Mode client against a fake Slack on loopback: acks, redeliveries, reconnects, close.
//!
//! Timings are shortened only where a case is about them; every wait has a generous deadline
//! and the assertions are on order and counts, so a loaded machine makes tests slower, not red.

mod support;

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{Value, json};
use slack_zoom::slack::socket::{
    Envelope, EnvelopeHandler, EnvelopeKind, SocketModeClient, SocketModeConfig, SocketModeHandle,
};
use support::fake_socket::{APP_TOKEN, Event, FakeSocket, OpenFault, OutEnvelope};
use tokio::sync::{Notify, oneshot};

/// How long any awaited thing may take before the test fails; far beyond what it needs.
const WAIT: Duration = Duration::from_secs(20);

/// Timings for tests: nothing times out by accident, reconnects are quick.
fn config(fake: &FakeSocket) -> SocketModeConfig {
    let mut config = SocketModeConfig::new(&fake.api_url(), SecretString::from(APP_TOKEN))
        .expect("valid config");
    config.ping_interval = Duration::from_secs(5);
    config.pong_timeout = Duration::from_secs(20);
    config.ack_deadline = Duration::from_secs(2);
    config.connect_timeout = Duration::from_secs(20);
    config.backoff_base = Duration::from_millis(5);
    config.backoff_max = Duration::from_millis(50);
    config.fatal_retry = Duration::from_secs(3600);
    config
}

/// A stand-in for the app: records every envelope, answers with a payload naming it, and can
/// be told to hold an envelope until released or never answer it.
#[derive(Default)]
struct Stub {
    started: Mutex<Vec<Envelope>>,
    finished: Mutex<Vec<String>>,
    gates: Mutex<HashMap<String, oneshot::Receiver<()>>>,
    changed: Notify,
}

impl Stub {
    fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn handler(self: &Arc<Self>) -> impl EnvelopeHandler {
        let stub = self.clone();
        move |envelope: Envelope| {
            let stub = stub.clone();
            async move { stub.handle(envelope).await }
        }
    }

    async fn handle(&self, envelope: Envelope) -> Option<Value> {
        let id = envelope.id().as_str().to_owned();
        let gate = self.gates.lock().unwrap().remove(&id);
        self.started.lock().unwrap().push(envelope);
        self.changed.notify_waiters();
        if let Some(gate) = gate {
            // A dropped sender means "never answer".
            if gate.await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        self.finished.lock().unwrap().push(id.clone());
        self.changed.notify_waiters();
        Some(Self::answer(&id))
    }

    /// The payload the stub answers `id` with.
    fn answer(id: &str) -> Value {
        json!({"response_type": "ephemeral", "text": format!("handled {id}")})
    }

    /// The handler for `id` waits until the returned sender fires (or never, if it drops).
    fn hold(&self, id: &str) -> oneshot::Sender<()> {
        let (tx, rx) = oneshot::channel();
        self.gates.lock().unwrap().insert(id.to_owned(), rx);
        tx
    }

    fn calls(&self, id: &str) -> Vec<Envelope> {
        let started = self.started.lock().unwrap();
        started
            .iter()
            .filter(|e| e.id().as_str() == id)
            .cloned()
            .collect()
    }

    fn finished(&self, id: &str) -> bool {
        self.finished.lock().unwrap().iter().any(|f| f == id)
    }

    async fn wait_started(&self, id: &str) -> bool {
        let wait = async {
            loop {
                let notified = self.changed.notified();
                if !self.calls(id).is_empty() {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(WAIT, wait).await.is_ok()
    }
}

async fn start(config: SocketModeConfig, stub: &Arc<Stub>) -> SocketModeHandle {
    SocketModeClient::new(config, stub.handler())
        .expect("client builds")
        .spawn()
}

/// Polls `condition` until it holds or the deadline passes.
async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    condition()
}

/// Everything logged on this thread while the guard lives. Tests using it run on the
/// default current-thread runtime, so every task of the client logs here.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (logs, guard)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// `true` when a line at `level` contains every one of `words`.
    fn has(&self, level: &str, words: &[&str]) -> bool {
        self.text()
            .lines()
            .any(|line| line.contains(level) && words.iter().all(|w| line.contains(w)))
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn envelopes_after_hello_are_acked_with_the_handlers_payload_where_slack_accepts_one() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let client = start(config(&fake), &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await, "no link");
    let cases = [
        (
            "slash command",
            OutEnvelope::slash_command("e-slash", "standup 15m"),
            true,
        ),
        (
            "view submission",
            OutEnvelope::view_submission("e-view"),
            true,
        ),
        ("button click", OutEnvelope::block_actions("e-click"), false),
        ("event", OutEnvelope::events_api("e-event"), false),
        (
            "unknown type",
            OutEnvelope::new("e-new", "brand_new_type", json!({"x": 1}), false),
            false,
        ),
    ];
    for (case, envelope, with_payload) in &cases {
        fake.send(1, envelope);
        let ack = fake
            .wait_for_ack(&envelope.envelope_id, WAIT)
            .await
            .unwrap_or_else(|| panic!("{case}: no ack"));
        let want = with_payload.then(|| Stub::answer(&envelope.envelope_id));
        assert_eq!(ack.payload, want, "{case}");
        assert_eq!(stub.calls(&envelope.envelope_id).len(), 1, "{case}");
    }

    // The handler got typed envelopes, without Slack's deprecated verification token.
    match stub.calls("e-slash")[0].kind() {
        EnvelopeKind::SlashCommand(fields) => {
            assert_eq!(fields["command"], "/zoom");
            assert_eq!(fields["text"], "standup 15m");
            assert_eq!(fields["user_id"], "U0001");
            assert!(!fields.contains_key("token"), "{fields:?}");
        }
        other => panic!("slash command arrived as {other:?}"),
    }
    assert!(stub.calls("e-slash")[0].accepts_response_payload());
    match stub.calls("e-view")[0].kind() {
        EnvelopeKind::Interactive(fields) => assert_eq!(fields["type"], "view_submission"),
        other => panic!("view submission arrived as {other:?}"),
    }
    match stub.calls("e-click")[0].kind() {
        EnvelopeKind::Interactive(fields) => {
            assert_eq!(fields["actions"][0]["value"], "857");
            assert!(!fields.contains_key("token"), "{fields:?}");
        }
        other => panic!("button click arrived as {other:?}"),
    }
    assert!(matches!(
        stub.calls("e-event")[0].kind(),
        EnvelopeKind::EventsApi(_)
    ));
    assert!(matches!(
        stub.calls("e-new")[0].kind(),
        EnvelopeKind::Other { kind, .. } if kind == "brand_new_type"
    ));
    assert!(eventually(|| client.is_connected()).await);
    client.close().await.expect("closes cleanly");
}

#[tokio::test]
async fn a_slow_envelope_never_delays_another_ones_ack() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let mut config = config(&fake);
    // Only the test decides when the slow one answers.
    config.ack_deadline = Duration::from_secs(60);
    let client = start(config, &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);

    let release = stub.hold("e-slow");
    fake.send(1, &OutEnvelope::slash_command("e-slow", "slow"));
    assert!(stub.wait_started("e-slow").await);
    fake.send(1, &OutEnvelope::slash_command("e-fast", "fast"));
    let fast = fake.wait_for_ack("e-fast", WAIT).await.expect("fast ack");
    assert_eq!(fast.payload, Some(Stub::answer("e-fast")));
    assert!(
        fake.acks_for("e-slow").is_empty(),
        "the slow envelope was acked before its handler answered"
    );

    release.send(()).unwrap();
    let slow = fake.wait_for_ack("e-slow", WAIT).await.expect("slow ack");
    assert_eq!(slow.payload, Some(Stub::answer("e-slow")));
    assert!(fast.at < slow.at);
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_handler_slower_than_the_ack_deadline_still_gets_its_envelope_acked_without_a_payload() {
    let (logs, _guard) = Logs::capture();
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let mut config = config(&fake);
    config.ack_deadline = Duration::from_millis(200);
    let client = start(config, &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);

    let never = stub.hold("e-stuck");
    drop(never);
    fake.send(1, &OutEnvelope::slash_command("e-stuck", "stuck"));
    let ack = fake.wait_for_ack("e-stuck", WAIT).await.expect("ack");
    assert_eq!(ack.payload, None);
    assert!(
        !stub.finished("e-stuck"),
        "the handler cannot have answered"
    );
    assert!(
        logs.has("WARN", &["ack deadline", "e-stuck"]),
        "{}",
        logs.text()
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_duplicate_is_acked_again_with_the_same_payload_but_handled_once() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let client = start(config(&fake), &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);

    fake.send(1, &OutEnvelope::slash_command("e-dup", "standup"));
    let first = fake.wait_for_ack("e-dup", WAIT).await.expect("first ack");
    fake.redeliver("e-dup");
    fake.redeliver("e-dup");
    let acks = fake.wait_for_acks("e-dup", 3, WAIT).await;
    assert_eq!(acks.len(), 3, "{acks:?}");
    for ack in &acks {
        assert_eq!(ack.payload, first.payload);
    }
    assert_eq!(stub.calls("e-dup").len(), 1);
    client.close().await.unwrap();
}

#[tokio::test]
async fn an_envelope_whose_ack_was_lost_with_its_link_is_acked_on_redelivery_without_running_again()
{
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let mut config = config(&fake);
    config.ack_deadline = Duration::from_secs(60);
    let client = start(config, &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);

    let release = stub.hold("e-lost");
    fake.send(1, &OutEnvelope::slash_command("e-lost", "standup"));
    assert!(stub.wait_started("e-lost").await);
    fake.drop_connection(1);
    assert!(fake.wait_for_connections(2, WAIT).await, "no new link");
    release.send(()).unwrap();

    assert_eq!(fake.redeliver_unacked(), ["e-lost"]);
    let ack = fake.wait_for_ack("e-lost", WAIT).await.expect("ack");
    assert_eq!(ack.connection, 2);
    assert_eq!(ack.payload, Some(Stub::answer("e-lost")));
    assert_eq!(stub.calls("e-lost").len(), 1);
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_retry_seen_for_the_first_time_is_handled_and_its_attempt_reaches_the_handler() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let client = start(config(&fake), &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);

    fake.send(
        1,
        &OutEnvelope::slash_command("e-retry", "standup").retried(2, "timeout"),
    );
    let ack = fake.wait_for_ack("e-retry", WAIT).await.expect("ack");
    assert_eq!(ack.payload, Some(Stub::answer("e-retry")));
    let calls = stub.calls("e-retry");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].retry_attempt(), 2);
    assert_eq!(calls[0].retry_reason(), Some("timeout"));
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_disconnect_warning_opens_the_new_link_before_closing_the_old_and_loses_nothing() {
    for reason in ["warning", "refresh_requested", "some_future_reason"] {
        let fake = FakeSocket::start().await;
        let stub = Stub::new();
        let client = start(config(&fake), &stub).await;
        assert!(fake.wait_for_connections(1, WAIT).await, "{reason}");

        fake.hold_new_connections();
        fake.disconnect(1, reason);
        assert!(
            fake.wait_for_held(1, WAIT).await,
            "{reason}: no new link was opened"
        );
        // Mid-switch: the new link is not up yet; the old one still carries envelopes.
        fake.send(1, &OutEnvelope::slash_command("e-during", "during"));
        let during = fake.wait_for_ack("e-during", WAIT).await;
        let during = during.unwrap_or_else(|| panic!("{reason}: envelope lost mid-switch"));
        assert_eq!(during.connection, 1, "{reason}");
        assert_eq!(during.payload, Some(Stub::answer("e-during")), "{reason}");
        assert!(!fake.client_closed(1), "{reason}: old link closed first");

        fake.release_held();
        assert!(
            fake.wait_for_client_close(1, WAIT).await,
            "{reason}: the old link was never closed"
        );
        let hello_2 = fake.position(&Event::Hello { connection: 2 });
        let closed_1 = fake.position(&Event::ClientClosed { connection: 1 });
        assert!(
            hello_2.is_some() && hello_2 < closed_1,
            "{reason}: {:?}",
            fake.timeline()
        );
        assert_eq!(fake.open_calls(), 2, "{reason}: a fresh URL per link");

        fake.send(2, &OutEnvelope::slash_command("e-after", "after"));
        let after = fake.wait_for_ack("e-after", WAIT).await;
        assert_eq!(after.map(|a| a.connection), Some(2), "{reason}");
        client.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_disabled_link_or_a_refused_token_is_logged_as_an_error_and_retried_slowly() {
    #[derive(Debug)]
    enum Case {
        LinkDisabled,
        TokenRevoked,
    }
    for case in [Case::LinkDisabled, Case::TokenRevoked] {
        let (logs, _guard) = Logs::capture();
        let fake = FakeSocket::start().await;
        let stub = Stub::new();
        let mut config = config(&fake);
        let fatal_retry = Duration::from_millis(300);
        config.fatal_retry = fatal_retry;
        config.backoff_base = Duration::from_millis(1);
        config.backoff_max = Duration::from_millis(5);
        let word = match case {
            Case::LinkDisabled => {
                // Every link is disabled as soon as it says hello.
                fake.disable_links();
                "link_disabled"
            }
            Case::TokenRevoked => "token_revoked",
        };
        let client = start(config, &stub).await;
        assert!(fake.wait_for_connections(1, WAIT).await, "{case:?}");
        let before = fake.open_calls();
        let since = Instant::now();
        if let Case::TokenRevoked = case {
            fake.revoke_token();
            fake.drop_connection(1);
        }

        assert!(
            fake.wait_for_open_calls(before + 3, WAIT).await,
            "{case:?}: it stopped retrying"
        );
        let calls = fake.open_calls() - before;
        let elapsed = since.elapsed().as_secs_f64();
        // One retry per slow delay (at least 0.75 of it, with jitter), plus the one that
        // found the trouble; a tight loop would make hundreds in the same time.
        let allowed = 2 + (elapsed / (0.75 * fatal_retry.as_secs_f64())) as usize;
        assert!(
            calls <= allowed,
            "{case:?}: {calls} calls to apps.connections.open in {elapsed:.2}s"
        );
        assert!(logs.has("ERROR", &[word]), "{case:?}: {}", logs.text());
        client.close().await.unwrap();
    }
}

#[tokio::test]
async fn an_abrupt_drop_reconnects_with_a_fresh_url() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let client = start(config(&fake), &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);

    fake.drop_connection(1);
    assert!(fake.wait_for_connections(2, WAIT).await, "no reconnect");
    assert_eq!(fake.open_calls(), 2);
    let tickets = fake.issued_tickets();
    assert_eq!(tickets.len(), 2);
    assert_ne!(tickets[0], tickets[1]);
    assert_eq!(fake.refused_handshakes(), 0, "a URL was used twice");

    fake.send(2, &OutEnvelope::slash_command("e-2", "after the drop"));
    let ack = fake.wait_for_ack("e-2", WAIT).await.expect("ack");
    assert_eq!(ack.connection, 2);
    client.close().await.unwrap();
}

#[tokio::test]
async fn after_each_drop_the_client_waits_out_a_backoff_whose_floor_doubles() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let mut config = config(&fake);
    config.backoff_base = Duration::from_millis(200);
    config.backoff_max = Duration::from_secs(5);
    let client = start(config, &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);
    // Each wait is drawn from the upper half of 200 ms · 2^n: at least 100, 200, 400 ms.
    for (drop, least_ms) in [(1, 100), (2, 200), (3, 400)] {
        let dropped = Instant::now();
        fake.drop_connection(drop);
        assert!(
            fake.wait_for_connections(drop + 1, WAIT).await,
            "drop {drop}"
        );
        let opened = fake.open_call_times()[drop];
        let waited = opened.duration_since(dropped);
        assert!(
            waited >= Duration::from_millis(least_ms),
            "drop {drop}: reconnected after {waited:?}, want at least {least_ms} ms"
        );
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_link_that_stops_answering_pings_is_replaced_with_a_fresh_url() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let mut config = config(&fake);
    config.ping_interval = Duration::from_millis(100);
    config.pong_timeout = Duration::from_millis(500);
    let client = start(config, &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);
    assert!(
        fake.wait_for_pings(1, 1, WAIT).await,
        "the client never pinged"
    );

    fake.freeze(1);
    assert!(
        fake.wait_for_connections(2, WAIT).await,
        "a silent link was kept"
    );
    assert_eq!(fake.open_calls(), 2);
    assert_eq!(fake.refused_handshakes(), 0);
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_link_that_answers_pings_is_kept() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let mut config = config(&fake);
    config.ping_interval = Duration::from_millis(20);
    let client = start(config, &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);
    assert!(
        fake.wait_for_pings(1, 10, WAIT).await,
        "the client stopped pinging"
    );
    assert_eq!(fake.connections_opened(), 1);
    assert_eq!(fake.open_calls(), 1);
    client.close().await.unwrap();
}

#[tokio::test]
async fn slacks_pings_are_answered() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let client = start(config(&fake), &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);
    fake.ping(1, b"are-you-there");
    assert!(fake.wait_for_pong(1, b"are-you-there", WAIT).await);
    client.close().await.unwrap();
}

#[tokio::test]
async fn close_acks_what_arrived_then_sends_a_close_frame() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let mut config = config(&fake);
    config.ack_deadline = Duration::from_secs(60);
    let client = start(config, &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);

    let release = stub.hold("e-in-hand");
    fake.send(1, &OutEnvelope::slash_command("e-in-hand", "in hand"));
    assert!(stub.wait_started("e-in-hand").await);
    let closing = tokio::spawn(client.close());
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    // Still arriving before the close frame: handled like any other.
    fake.send(1, &OutEnvelope::slash_command("e-late", "late"));
    let late = fake.wait_for_ack("e-late", WAIT).await.expect("late ack");
    assert_eq!(late.payload, Some(Stub::answer("e-late")));
    assert!(!fake.client_closed(1), "closed with an envelope in hand");
    release.send(()).unwrap();

    tokio::time::timeout(WAIT, closing)
        .await
        .expect("close finishes")
        .unwrap()
        .expect("closes cleanly");
    assert!(fake.wait_for_client_close(1, WAIT).await, "no close frame");
    let acked = fake
        .position(&Event::Acked {
            connection: 1,
            envelope_id: "e-in-hand".into(),
        })
        .expect("the envelope in hand was acked");
    let closed = fake.position(&Event::ClientClosed { connection: 1 });
    assert!(Some(acked) < closed, "{:?}", fake.timeline());
    assert_eq!(fake.open_calls(), 1, "closing must not reconnect");
}

#[tokio::test]
async fn a_link_without_hello_within_the_connect_timeout_is_replaced_with_a_fresh_url() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let mut config = config(&fake);
    config.connect_timeout = Duration::from_millis(300);
    fake.hold_new_connections();
    let client = start(config, &stub).await;
    assert!(fake.wait_for_open_calls(2, WAIT).await, "it waited forever");
    assert_eq!(fake.connections_opened(), 0);
    fake.release_held();
    // The links given up on close once they are released; one stays.
    assert!(eventually(|| client.is_connected() && fake.connections_live() == 1).await);
    let live = fake.newest_connection();
    fake.send(live, &OutEnvelope::slash_command("e-1", "hi"));
    assert!(fake.wait_for_ack("e-1", WAIT).await.is_some());
    client.close().await.unwrap();
}

#[tokio::test]
async fn failures_of_apps_connections_open_are_retried_until_a_link_is_up() {
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    fake.push_open_fault(OpenFault::RateLimited {
        retry_after_secs: 1,
    });
    fake.push_open_fault(OpenFault::NotOk("internal_error"));
    fake.push_open_fault(OpenFault::ServerError);
    let client = start(config(&fake), &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await, "never connected");
    assert_eq!(fake.open_calls(), 4);
    client.close().await.unwrap();
}

#[tokio::test]
async fn wss_to_a_server_that_does_not_speak_tls_is_a_handshake_error_not_a_panic() {
    let (logs, _guard) = Logs::capture();
    // A plain TCP server that answers anything with an HTTP error.
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = plain.local_addr().unwrap().port();
    let first_bytes = Arc::new(Mutex::new(Vec::<u8>::new()));
    let seen = first_bytes.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = plain.accept().await {
            let mut buf = [0u8; 16];
            if let Ok(n) = stream.read(&mut buf).await {
                seen.lock()
                    .unwrap()
                    .push(buf.get(..n).map_or(0, |b| b.first().copied().unwrap_or(0)));
            }
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let fake = FakeSocket::start().await;
    fake.set_url_override(Some(format!(
        "wss://127.0.0.1:{port}/link/?ticket=plain&app_id=A0001"
    )));
    let stub = Stub::new();
    let client = start(config(&fake), &stub).await;

    assert!(
        fake.wait_for_open_calls(3, WAIT).await,
        "the client stopped after the first failure"
    );
    let first = first_bytes.lock().unwrap().clone();
    assert!(!first.is_empty());
    // 0x16: a TLS handshake record, so rustls really tried.
    assert!(first.iter().all(|b| *b == 0x16), "{first:?}");
    assert!(
        logs.has("WARN", &["could not open a Socket Mode link"]),
        "{}",
        logs.text()
    );
    assert!(!client.is_connected());
    client.close().await.expect("the client did not crash");
}

#[tokio::test]
async fn logs_never_contain_the_app_token_or_a_connection_ticket() {
    let (logs, _guard) = Logs::capture();
    let fake = FakeSocket::start().await;
    let stub = Stub::new();
    let client = start(config(&fake), &stub).await;
    assert!(fake.wait_for_connections(1, WAIT).await);
    fake.send(1, &OutEnvelope::slash_command("e-1", "one"));
    assert!(fake.wait_for_ack("e-1", WAIT).await.is_some());
    fake.disconnect(1, "refresh_requested");
    assert!(fake.wait_for_client_close(1, WAIT).await);
    // A failed open is logged too.
    fake.push_open_fault(OpenFault::NotOk("internal_error"));
    fake.drop_connection(2);
    assert!(fake.wait_for_connections(3, WAIT).await);
    client.close().await.unwrap();

    let text = logs.text();
    assert!(text.contains("Socket Mode link is up"), "{text}");
    assert!(text.contains("internal_error"), "{text}");
    assert!(!text.contains(APP_TOKEN), "the app token was logged");
    for ticket in fake.issued_tickets() {
        assert!(!text.contains(&ticket), "a ticket was logged: {ticket}");
    }
}

#[tokio::test]
async fn the_fake_refuses_a_wrong_token_and_a_url_used_twice() {
    let fake = FakeSocket::start().await;
    let http = reqwest::Client::new();
    let open = |token: &'static str| {
        http.post(format!("{}/apps.connections.open", fake.api_url()))
            .bearer_auth(token)
            .send()
    };
    let wrong: Value = open("xapp-wrong").await.unwrap().json().await.unwrap();
    assert_eq!(wrong, json!({"ok": false, "error": "invalid_auth"}));

    let right: Value = open(APP_TOKEN).await.unwrap().json().await.unwrap();
    let url = right["url"].as_str().expect("a URL").to_owned();
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
    let first = tokio_tungstenite::connect_async(url.as_str()).await;
    assert!(first.is_ok(), "first use refused: {:?}", first.err());
    let second = tokio_tungstenite::connect_async(url.as_str()).await;
    assert!(second.is_err(), "a used URL was accepted again");
    assert_eq!(fake.refused_handshakes(), 1);

    fake.revoke_token();
    let revoked: Value = open(APP_TOKEN).await.unwrap().json().await.unwrap();
    assert_eq!(revoked, json!({"ok": false, "error": "token_revoked"}));
}
