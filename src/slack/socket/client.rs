//! The Socket Mode supervisor: opens links, replaces them before they go, and closes on request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

use crate::slack::socket::backoff::{self, Backoff};
use crate::slack::socket::link::{self, End, Link, LinkEvent, Shared};
use crate::slack::socket::open::{self, ConnectionUrl};
use crate::slack::socket::seen::SeenEnvelopes;
use crate::slack::socket::tls;
use crate::slack::socket::wire::DisconnectReason;
use crate::slack::socket::{EnvelopeHandler, SocketModeConfig, SocketModeError};

/// Envelopes are small JSON documents; anything near this is not from Slack.
const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// Events from links that are still being opened, kept until they go live; bounded because
/// links that never say hello leave theirs behind.
const MAX_EARLY_EVENTS: usize = 64;

/// A Socket Mode client, ready to connect.
pub struct SocketModeClient {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    http: reqwest::Client,
    endpoint: reqwest::Url,
    token: SecretString,
    connector: Connector,
    connect_timeout: Duration,
    fatal_retry: Duration,
    backoff: Backoff,
    /// A link that stayed up this long proves the trouble is over: the backoff restarts.
    stable_after: Duration,
    last_link_id: AtomicU64,
    connected: Arc<AtomicBool>,
}

type Opening = Pin<Box<dyn Future<Output = Link> + Send>>;
type Events = mpsc::UnboundedSender<(u64, LinkEvent)>;

impl SocketModeClient {
    /// Builds the HTTP and TLS clients; connects nothing yet.
    pub fn new(
        config: SocketModeConfig,
        handler: impl EnvelopeHandler,
    ) -> Result<Self, SocketModeError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SocketModeError::HttpClient(e.to_string()))?;
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            seen: SeenEnvelopes::new(),
            ping_interval: config.ping_interval,
            pong_timeout: config.pong_timeout,
            ack_deadline: config.ack_deadline,
        });
        Ok(Self {
            inner: Arc::new(Inner {
                shared,
                http,
                endpoint: config.open_endpoint(),
                token: config.app_token().clone(),
                connector: tls::connector()?,
                connect_timeout: config.connect_timeout,
                fatal_retry: config.fatal_retry,
                backoff: Backoff::new(config.backoff_base, config.backoff_max),
                stable_after: config.backoff_max,
                last_link_id: AtomicU64::new(0),
                connected: Arc::new(AtomicBool::new(false)),
            }),
        })
    }

    /// Connects in a background task and stays connected until [`SocketModeHandle::close`].
    pub fn spawn(self) -> SocketModeHandle {
        let close = CancellationToken::new();
        let connected = self.inner.connected.clone();
        let task = tokio::spawn(self.run_until(close.clone().cancelled_owned()));
        SocketModeHandle {
            close,
            task: Some(task),
            connected,
        }
    }

    /// Connects and stays connected until `close` completes; then acks what is in hand,
    /// sends a close frame on every link and returns.
    pub async fn run_until(self, close: impl Future<Output = ()> + Send) {
        let inner = self.inner;
        tokio::pin!(close);
        let (events_tx, mut events_rx) = mpsc::unbounded_channel();
        let mut links = Links::default();
        let mut opening: Option<Opening> =
            Some(inner.clone().open(Duration::ZERO, events_tx.clone()));
        loop {
            let next = tokio::select! {
                () = &mut close => break,
                link = async {
                    match opening.as_mut() {
                        Some(opening) => opening.await,
                        None => std::future::pending().await,
                    }
                } => {
                    opening = None;
                    links.went_live(link, &inner)
                }
                Some((id, event)) = events_rx.recv() => links.on_event(id, event, &inner),
            };
            for step in next {
                match step {
                    Next::Refresh if opening.is_none() => {
                        opening = Some(inner.clone().open(Duration::ZERO, events_tx.clone()));
                    }
                    Next::Reconnect if opening.is_none() => {
                        let delay = inner.backoff.next();
                        tracing::info!(retry_in = ?delay, "reconnecting to Slack");
                        opening = Some(inner.clone().open(delay, events_tx.clone()));
                    }
                    Next::Slowly => {
                        let delay = backoff::slow(inner.fatal_retry);
                        // Replaces any link being opened: it would hit the same wall.
                        opening = Some(inner.clone().open(delay, events_tx.clone()));
                    }
                    Next::Refresh | Next::Reconnect => {}
                }
            }
            links.retiring.retain(|link| !link.is_finished());
            inner
                .connected
                .store(links.live.is_some(), Ordering::Relaxed);
        }
        inner.connected.store(false, Ordering::Relaxed);
        // A link still being opened is dropped, which retires it.
        drop(opening);
        tracing::info!("closing Socket Mode");
        let budget = link::close_budget(&inner.shared);
        let mut all: Vec<Link> = links.live.take().into_iter().collect();
        all.append(&mut links.retiring);
        for link in &all {
            link.retire();
        }
        for mut link in all {
            link.finish(budget).await;
        }
        tracing::info!("Socket Mode closed");
    }
}

/// What the supervisor does after an event.
enum Next {
    /// Open a new link now, keeping the current one until it is up.
    Refresh,
    /// The live link is gone: open a new one after the backoff.
    Reconnect,
    /// A person must act: open a new one after the slow retry.
    Slowly,
}

/// The supervisor's view of its links.
#[derive(Default)]
struct Links {
    live: Option<Link>,
    /// Id of the newest link that went live; ids only grow.
    newest: u64,
    /// Replaced links finishing their acks and closing.
    retiring: Vec<Link>,
    /// Events from links not yet live, in arrival order.
    early: Vec<(u64, LinkEvent)>,
}

impl Links {
    fn went_live(&mut self, link: Link, inner: &Inner) -> Vec<Next> {
        self.newest = link.id;
        if let Some(old) = self.live.replace(link) {
            tracing::info!(
                old = old.id,
                new = self.newest,
                "the new link is up; closing the old one"
            );
            old.retire();
            self.retiring.push(old);
        }
        let newest = self.newest;
        let early = std::mem::take(&mut self.early);
        let mut next = Vec::new();
        for (id, event) in early {
            if id == newest {
                next.extend(self.on_event(id, event, inner));
            } else if id > newest {
                self.early.push((id, event));
            }
        }
        next
    }

    fn on_event(&mut self, id: u64, event: LinkEvent, inner: &Inner) -> Vec<Next> {
        let live_id = self.live.as_ref().map(|link| link.id);
        if id > self.newest {
            if self.early.len() >= MAX_EARLY_EVENTS {
                self.early.remove(0);
            }
            self.early.push((id, event));
            return Vec::new();
        }
        if Some(id) != live_id {
            // A retired link (or one that ended already) has nothing left to say.
            return Vec::new();
        }
        match event {
            LinkEvent::Disconnect(DisconnectReason::LinkDisabled) => {
                tracing::error!(
                    link = id,
                    retry_in = ?inner.fatal_retry,
                    "Slack disabled the Socket Mode link (link_disabled): check that Socket Mode is enabled for the app; retrying slowly"
                );
                if let Some(link) = self.live.take() {
                    link.retire();
                    self.retiring.push(link);
                }
                vec![Next::Slowly]
            }
            LinkEvent::Disconnect(_) => vec![Next::Refresh],
            LinkEvent::Ended(end) => {
                if let Some(link) = self.live.take()
                    && link.opened.elapsed() >= inner.stable_after
                {
                    inner.backoff.reset();
                }
                if matches!(end, End::Retired) {
                    Vec::new()
                } else {
                    vec![Next::Reconnect]
                }
            }
        }
    }
}

impl Inner {
    /// Opens a link after `delay`, retrying until one is up. Dropping the future gives up.
    fn open(self: Arc<Self>, delay: Duration, events: Events) -> Opening {
        Box::pin(async move {
            let mut delay = delay;
            loop {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                match self.connect(&events).await {
                    Ok(link) => return link,
                    Err(error) => delay = self.retry_delay(&error),
                }
            }
        })
    }

    fn retry_delay(&self, error: &SocketModeError) -> Duration {
        if error.is_fatal() {
            let delay = backoff::slow(self.fatal_retry);
            tracing::error!(
                %error,
                retry_in = ?delay,
                "Socket Mode cannot connect until SLACK_APP_TOKEN is fixed; retrying slowly"
            );
            return delay;
        }
        let backoff = self.backoff.next();
        let delay = match error {
            // Slack's wait, but never shorter than our own backoff nor absurdly long.
            SocketModeError::RateLimited {
                retry_after: Some(after),
            } => (*after).max(backoff).min(self.fatal_retry.max(backoff)),
            _ => backoff,
        };
        tracing::warn!(%error, retry_in = ?delay, "could not open a Socket Mode link; retrying");
        delay
    }

    /// One attempt: a fresh URL, the WebSocket handshake, and Slack's `hello`.
    async fn connect(&self, events: &Events) -> Result<Link, SocketModeError> {
        let url = open::open(&self.http, &self.endpoint, &self.token).await?;
        let ws = self.handshake(&url).await?;
        let id = self.last_link_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (hello_tx, hello_rx) = oneshot::channel();
        let link = link::spawn(id, ws, self.shared.clone(), events.clone(), hello_tx);
        match tokio::time::timeout(self.connect_timeout, hello_rx).await {
            Ok(Ok(num_connections)) => {
                tracing::info!(
                    link = id,
                    host = url.host(),
                    num_connections,
                    "Socket Mode link is up"
                );
                Ok(link)
            }
            // Dropping `link` retires it.
            Ok(Err(_)) => Err(SocketModeError::WebSocket(
                "the link ended before Slack said hello".into(),
            )),
            Err(_) => Err(SocketModeError::NoHello(self.connect_timeout)),
        }
    }

    async fn handshake(&self, url: &ConnectionUrl) -> Result<link::Ws, SocketModeError> {
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let connecting = tokio_tungstenite::connect_async_tls_with_config(
            url.expose(),
            Some(config),
            true,
            Some(self.connector.clone()),
        );
        match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(Ok((ws, _response))) => Ok(ws),
            // tungstenite's errors name the failure, never the URL.
            Ok(Err(e)) => Err(SocketModeError::WebSocket(e.to_string())),
            Err(_) => Err(SocketModeError::WebSocket(format!(
                "no handshake within {:?}",
                self.connect_timeout
            ))),
        }
    }
}

/// A running client.
pub struct SocketModeHandle {
    close: CancellationToken,
    task: Option<JoinHandle<()>>,
    connected: Arc<AtomicBool>,
}

impl SocketModeHandle {
    /// `true` while a link to Slack is up (for readiness checks).
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Acks what is in hand, sends a close frame on every link, and waits for the client to
    /// stop (bounded by the ack deadline plus a few pong timeouts).
    pub async fn close(mut self) -> Result<(), SocketModeError> {
        self.close.cancel();
        match self.task.take() {
            Some(task) => task.await.map_err(|_| SocketModeError::Crashed),
            None => Ok(()),
        }
    }
}

impl Drop for SocketModeHandle {
    /// A handle dropped without `close` still stops the client rather than leak it.
    fn drop(&mut self) {
        self.close.cancel();
    }
}
