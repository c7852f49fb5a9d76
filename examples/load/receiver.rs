//! A minimal `response_url` endpoint that timestamps and classifies each message on arrival.
//!
//! The shared fake Slack keeps bodies but no times, so the harness has its own: it notes the
//! instant a POST arrives (before its configured latency), sorts the message into a [`Kind`],
//! then answers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::Value;
use tokio::sync::Notify;

/// Path under which every command's `response_url` lives.
const HOOKS: &str = "/hooks/commands/T0001/";

/// What a message to a command's `response_url` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The in-channel card for that command, with a join link.
    Card,
    /// "waited more than N seconds for its turn, so it was not sent to Zoom".
    WaitedTooLong,
    /// "Zoom did not answer in time" (the create timed out; the meeting may exist).
    ZoomTimedOut,
    /// "The service restarted …" (shutdown before or during the create).
    Restarted,
    /// Anything else, or a message for an unknown command.
    Other,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Card,
        Kind::WaitedTooLong,
        Kind::ZoomTimedOut,
        Kind::Restarted,
        Kind::Other,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

pub struct Receiver {
    pub base_url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    latency: Duration,
    /// When the first message for command `i` arrived, and what it said.
    first: Mutex<Vec<Option<(Instant, Kind)>>>,
    /// First messages per [`Kind`].
    counts: [AtomicUsize; Kind::ALL.len()],
    /// A second message for one command (a double post), or a message for an unknown command.
    extra: AtomicUsize,
    /// Posts being answered right now, and the most there ever were at once.
    open: AtomicUsize,
    peak_open: AtomicUsize,
    arrived: Notify,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Receiver {
    /// Listens on 127.0.0.1 for the messages of `commands` commands, answering after `latency`.
    pub async fn start(commands: usize, latency: Duration) -> Receiver {
        let shared = Arc::new(Shared {
            latency,
            first: Mutex::new(vec![None; commands]),
            counts: Default::default(),
            extra: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
            peak_open: AtomicUsize::new(0),
            arrived: Notify::new(),
        });
        let app = Router::new()
            .route(&format!("{HOOKS}{{id}}"), post(message))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the response_url receiver on loopback");
        let base_url = format!(
            "http://{}",
            listener
                .local_addr()
                .expect("a bound listener has an address")
        );
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the response_url receiver serves");
        });
        Receiver {
            base_url,
            shared,
            server,
        }
    }

    /// Value for `SLACK_RESPONSE_URL_PREFIXES`.
    pub fn prefix(&self) -> String {
        format!("{}/hooks/", self.base_url)
    }

    pub fn response_url(&self, command: usize) -> String {
        format!("{}{HOOKS}{command}", self.base_url)
    }

    /// Commands whose first message was `kind`.
    pub fn count(&self, kind: Kind) -> usize {
        self.shared.counts[kind.index()].load(Ordering::Relaxed)
    }

    /// Commands that got a message of any kind.
    pub fn answered(&self) -> usize {
        Kind::ALL.iter().map(|k| self.count(*k)).sum()
    }

    pub fn cards(&self) -> usize {
        self.count(Kind::Card)
    }

    /// Messages that are not the command's card: other first messages, and any second one.
    pub fn wrong(&self) -> usize {
        self.answered() - self.cards() + self.shared.extra.load(Ordering::Relaxed)
    }

    /// Second messages for one command, and messages for commands that were never sent.
    pub fn extra(&self) -> usize {
        self.shared.extra.load(Ordering::Relaxed)
    }

    /// The most posts that were in progress at once (each held for the configured latency).
    pub fn peak_concurrent(&self) -> usize {
        self.shared.peak_open.load(Ordering::Relaxed)
    }

    /// Per command: when its first message arrived and what it was.
    pub fn firsts(&self) -> Vec<Option<(Instant, Kind)>> {
        self.shared
            .first
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Per command: when its card arrived, if its first message was the card.
    pub fn arrivals(&self) -> Vec<Option<Instant>> {
        self.firsts()
            .into_iter()
            .map(|m| m.and_then(|(at, kind)| (kind == Kind::Card).then_some(at)))
            .collect()
    }

    /// Waits until `n` commands got their card or `deadline` passed; returns how many did.
    pub async fn wait_for(&self, n: usize, deadline: Duration) -> usize {
        self.wait_until(|r| r.cards() >= n, deadline).await;
        self.cards()
    }

    /// Waits until `n` commands got a message of any kind or `deadline` passed.
    pub async fn wait_for_answers(&self, n: usize, deadline: Duration) -> usize {
        self.wait_until(|r| r.answered() >= n, deadline).await;
        self.answered()
    }

    async fn wait_until(&self, done: impl Fn(&Receiver) -> bool, deadline: Duration) {
        let wait = async {
            loop {
                let notified = self.shared.arrived.notified();
                tokio::pin!(notified);
                // Registered before the check, so a message between check and await is not missed.
                notified.as_mut().enable();
                if done(self) {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(deadline, wait).await;
    }
}

async fn message(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<usize>,
    body: Bytes,
) -> StatusCode {
    let arrived = Instant::now();
    let _open = Open::new(&shared);
    let kind = classify(&body, id);
    if record(&shared, id, arrived, kind) {
        shared.counts[kind.index()].fetch_add(1, Ordering::Relaxed);
        shared.arrived.notify_waiters();
    } else {
        shared.extra.fetch_add(1, Ordering::Relaxed);
    }
    tokio::time::sleep(shared.latency).await;
    StatusCode::OK
}

/// Counts a post as in progress until its handler ends or is dropped (the client hung up).
struct Open(Arc<Shared>);

impl Open {
    fn new(shared: &Arc<Shared>) -> Open {
        let open = shared.open.fetch_add(1, Ordering::Relaxed) + 1;
        shared.peak_open.fetch_max(open, Ordering::Relaxed);
        Open(Arc::clone(shared))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `true` the first time command `id` gets a message; a second one would be a double post.
fn record(shared: &Shared, id: usize, arrived: Instant, kind: Kind) -> bool {
    let mut first = shared.first.lock().unwrap_or_else(|e| e.into_inner());
    match first.get_mut(id) {
        Some(slot @ None) => {
            *slot = Some((arrived, kind));
            true
        }
        _ => false,
    }
}

fn classify(body: &[u8], id: usize) -> Kind {
    let Ok(message) = serde_json::from_slice::<Value>(body) else {
        return Kind::Other;
    };
    let text = message["text"].as_str().unwrap_or_default();
    let ephemeral = message["response_type"] == "ephemeral";
    if is_card_for(&message, text, id) {
        Kind::Card
    } else if ephemeral && text.contains("for its turn") && text.contains("not sent to Zoom") {
        Kind::WaitedTooLong
    } else if ephemeral && text.contains("Zoom did not answer in time") {
        Kind::ZoomTimedOut
    } else if ephemeral && text.contains("restarted") {
        Kind::Restarted
    } else {
        Kind::Other
    }
}

/// The in-channel card for `Meeting {id}`, with a join link from the fake Zoom.
fn is_card_for(card: &Value, text: &str, id: usize) -> bool {
    card["response_type"] == "in_channel"
        && text.contains(&format!("Meeting {id} "))
        && text.contains("zoom.us/j/")
        && card["blocks"].as_array().is_some_and(|b| !b.is_empty())
}
