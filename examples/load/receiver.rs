//! A minimal `response_url` endpoint that timestamps each card on arrival, for end-to-end latency.
//!
//! The shared fake Slack keeps bodies but no times, so the harness has its own: it notes the
//! instant a POST arrives (before its configured latency), checks the card, then answers.

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

pub struct Receiver {
    pub base_url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    latency: Duration,
    /// When the first good card for command `i` arrived.
    arrivals: Mutex<Vec<Option<Instant>>>,
    cards: AtomicUsize,
    /// Cards for an unknown command, a second post for one command, or not the expected card.
    wrong: AtomicUsize,
    arrived: Notify,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Receiver {
    /// Listens on 127.0.0.1 for the cards of `commands` commands, answering after `latency`.
    pub async fn start(commands: usize, latency: Duration) -> Receiver {
        let shared = Arc::new(Shared {
            latency,
            arrivals: Mutex::new(vec![None; commands]),
            cards: AtomicUsize::new(0),
            wrong: AtomicUsize::new(0),
            arrived: Notify::new(),
        });
        let app = Router::new()
            .route(&format!("{HOOKS}{{id}}"), post(card))
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

    pub fn cards(&self) -> usize {
        self.shared.cards.load(Ordering::Relaxed)
    }

    pub fn wrong(&self) -> usize {
        self.shared.wrong.load(Ordering::Relaxed)
    }

    pub fn arrivals(&self) -> Vec<Option<Instant>> {
        self.shared
            .arrivals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until `n` cards arrived or `deadline` passed; returns how many arrived.
    pub async fn wait_for(&self, n: usize, deadline: Duration) -> usize {
        let wait = async {
            loop {
                let notified = self.shared.arrived.notified();
                tokio::pin!(notified);
                // Registered before the check, so a card between check and await is not missed.
                notified.as_mut().enable();
                if self.cards() >= n {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(deadline, wait).await;
        self.cards()
    }
}

async fn card(State(shared): State<Arc<Shared>>, Path(id): Path<usize>, body: Bytes) -> StatusCode {
    let arrived = Instant::now();
    let good = is_card_for(&body, id) && record(&shared, id, arrived);
    if good {
        shared.cards.fetch_add(1, Ordering::Relaxed);
        shared.arrived.notify_waiters();
    } else {
        shared.wrong.fetch_add(1, Ordering::Relaxed);
    }
    tokio::time::sleep(shared.latency).await;
    StatusCode::OK
}

/// `true` the first time command `id` gets a card; a second card would mean a double post.
fn record(shared: &Shared, id: usize, arrived: Instant) -> bool {
    let mut arrivals = shared.arrivals.lock().unwrap_or_else(|e| e.into_inner());
    match arrivals.get_mut(id) {
        Some(slot @ None) => {
            *slot = Some(arrived);
            true
        }
        _ => false,
    }
}

/// The in-channel card for `Meeting {id}`, with a join link from the fake Zoom.
fn is_card_for(body: &[u8], id: usize) -> bool {
    let Ok(card) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let text = card["text"].as_str().unwrap_or_default();
    card["response_type"] == "in_channel"
        && text.contains(&format!("Meeting {id} "))
        && text.contains("zoom.us/j/")
        && card["blocks"].as_array().is_some_and(|b| !b.is_empty())
}
