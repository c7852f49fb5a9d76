//! Shared state of the running service: verifier, replay guard, clients, policy and background tasks.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use std::time::Instant;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::StartupError;
use crate::app::metrics::{Metrics, Via};
use crate::app::readiness::Readiness;
use crate::cache::ExpiringCache;
use crate::command::Minutes;
use crate::config::Config;
use crate::slack::SignatureVerifier;
use crate::slack::replay::ReplayGuard;
use crate::slack::respond::{DeliveryError, DeliveryPolicy, deliver_observed};
use crate::slack::signature::VerifiedSignature;
use crate::slack::users::SlackApi;
use crate::slack::{Reply, ResponseUrl};
use crate::store::Store;
use crate::time::Zone;
use crate::zoom::{ZoomClient, ZoomConfig};

/// The user lookup sits on the acknowledgement path, so it gets a small slice of Slack's 3 s.
pub const USER_LOOKUP_BUDGET: Duration = Duration::from_millis(1200);

/// How long a command's `trigger_id` is remembered: Slack's `response_url` lives 30 minutes,
/// and a copy delivered later could not be answered anyway.
const DELIVERY_MEMORY: Duration = Duration::from_secs(30 * 60);
/// How long the shared replay and delivery guards may take before a request is guarded by
/// this replica alone: Slack waits 3 s for the whole answer.
const SHARED_CLAIM_BUDGET: Duration = Duration::from_millis(300);

/// A turn at posting to a `response_url` ([`AppState::delivery_turn`]); the next waiter's
/// comes when it drops.
pub struct DeliveryTurn<'a> {
    _slot: Option<tokio::sync::SemaphorePermit<'a>>,
}

/// What claiming a command's [`Guards`] found: whether the request's signature and the
/// command's delivery were each seen for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replay {
    pub signature: bool,
    pub delivery: bool,
}

/// What keeps a command to one run, not yet claimed: its request's signature (over HTTP; a
/// Socket Mode envelope has none) and its delivery. Claimed by [`AppState::claim_guards`], or,
/// for a meeting on a shared store, in one statement with its intent (`intents::open`).
#[derive(Debug, Clone)]
pub struct Guards {
    signature: Option<VerifiedSignature>,
    delivery_key: String,
}

impl Guards {
    pub fn new(signature: Option<VerifiedSignature>, delivery_key: String) -> Guards {
        Guards {
            signature,
            delivery_key,
        }
    }

    /// The shared claims, in order: the signature's (when there is one), then the delivery's.
    pub(crate) fn keys(&self) -> Vec<(String, Duration)> {
        self.signature
            .iter()
            .map(signature_claim)
            .chain([delivery_claim(&self.delivery_key)])
            .collect()
    }

    /// What claiming [`keys`](Self::keys) found, from whether each was won.
    pub(crate) fn replay(&self, won: &[bool]) -> Replay {
        let mut won = won.iter().copied();
        let signature = self.signature.is_none() || won.next().unwrap_or(false);
        Replay {
            signature,
            delivery: won.next().unwrap_or(false),
        }
    }
}

impl Replay {
    /// `Ok` when the command may run: neither a replay nor a second delivery.
    pub fn first(self) -> Result<(), Again> {
        match self {
            Replay {
                signature: false, ..
            } => Err(Again::Replayed),
            Replay {
                delivery: false, ..
            } => Err(Again::Delivered),
            Replay { .. } => Ok(()),
        }
    }
}

/// Why a command must not run: it ran, or runs, already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Again {
    /// Its request was seen before (the same signature).
    Replayed,
    /// Slack delivered it before (the same `trigger_id`), signed anew.
    Delivered,
    /// Another replica wrote its intent first, and is settling it.
    Opened,
}

/// Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    verifier: SignatureVerifier,
    replay: ReplayGuard,
    allowed_teams: Option<BTreeSet<String>>,
    response_url_prefixes: Vec<String>,
    background: TaskTracker,
    /// Cancelled at SIGTERM: no new Zoom create starts after it.
    shutting_down: CancellationToken,
    /// Cancelled shortly before the shutdown deadline; background tasks then log and stop.
    stopping: CancellationToken,
    /// Commands admitted to the background (waiting for a slot or creating): bounded, so a
    /// hanging Zoom cannot make the queue, and memory, grow without limit.
    admitted: Arc<tokio::sync::Semaphore>,
    /// Whether Zoom has been answering creates lately.
    zoom_health: crate::app::zoom_health::ZoomHealth,
    /// Places in `admitted` (creation slots plus the queue behind them).
    admitted_capacity: usize,
    /// Slack's own double deliveries (same `trigger_id`, signed again): run once.
    deliveries: ExpiringCache<String, ()>,
    slack_api: SlackApi,
    /// For `response_url` deliveries.
    http: reqwest::Client,
    delivery: DeliveryPolicy,
    /// `None` in dry-run mode.
    zoom: Option<ZoomClient>,
    /// Bounds the meeting creations in flight (sockets and memory under a burst).
    zoom_slots: tokio::sync::Semaphore,
    zoom_slots_capacity: usize,
    /// Bounds the `response_url` posts in flight (`Config::delivery_slots`; on loopback a post
    /// takes milliseconds and at Slack about 100–300 ms, so a storm of a thousand answers
    /// drains in seconds): when a thousand queued commands are all told at once that they
    /// waited too long, their posts take turns instead of each holding a connection and its
    /// buffers.
    delivery_slots: tokio::sync::Semaphore,
    create_timeout: Duration,
    zoom_host: String,
    host_from_slack_email: bool,
    default_zone: Zone,
    default_duration: Minutes,
    store: Store,
    /// Names this process in leases on shared rows (notices, the card outbox).
    replica: String,
    admins: BTreeSet<String>,
    start_notice: Option<Duration>,
    notice_grace: Duration,
    sweep_interval: Duration,
    lease: Duration,
    metrics: Arc<Metrics>,
    readiness: Readiness,
}

/// How full the background queue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    /// Commands admitted and not finished.
    pub admitted: usize,
    /// Of those, how many hold a creation slot.
    pub creating: usize,
}

impl AppState {
    pub fn new(config: &Config, store: Store) -> Result<Self, StartupError> {
        let client_error = |e: reqwest::Error| StartupError::HttpClient(e.to_string());
        let slack_http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(USER_LOOKUP_BUDGET)
            .timeout(USER_LOOKUP_BUDGET)
            .build()
            .map_err(client_error)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // A burst of cards leaves idle connections behind: keep a few, not hundreds.
            .pool_max_idle_per_host(32)
            .pool_idle_timeout(Duration::from_secs(30))
            // The allow-list vouches for the first hop only: never follow a redirect elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(client_error)?;
        let metrics = Arc::new(Metrics::new());
        let zoom = match &config.zoom {
            Some(credentials) if !config.dry_run => {
                let zoom_config = ZoomConfig {
                    oauth_url: config.zoom_oauth_url.clone(),
                    api_url: config.zoom_api_url.clone(),
                    account_id: credentials.account_id.clone(),
                    client_id: credentials.client_id.clone(),
                    client_secret: credentials.client_secret.clone(),
                    connect_timeout: ZoomConfig::DEFAULT_CONNECT_TIMEOUT,
                    request_timeout: config.zoom_request_timeout,
                };
                let client = ZoomClient::with_observer(zoom_config, metrics.clone())
                    .map_err(|e| StartupError::HttpClient(e.to_string()))?;
                Some(client)
            }
            _ => None,
        };
        let create_slots = config.max_concurrent_creates.max(1);
        let admitted_capacity = create_slots + config.max_queued_commands;

        Ok(Self(Arc::new(Inner {
            verifier: SignatureVerifier::new(config.slack_signing_secret.clone()),
            replay: ReplayGuard::default(),
            allowed_teams: config.slack_allowed_team_ids.clone(),
            response_url_prefixes: config.slack_response_url_prefixes.clone(),
            background: TaskTracker::new(),
            zoom_health: Default::default(),
            shutting_down: CancellationToken::new(),
            stopping: CancellationToken::new(),
            admitted: Arc::new(tokio::sync::Semaphore::new(admitted_capacity)),
            admitted_capacity,
            deliveries: ExpiringCache::new(DELIVERY_MEMORY, crate::slack::replay::DEFAULT_CAPACITY),
            slack_api: SlackApi::new(
                slack_http,
                &config.slack_api_url,
                config.slack_bot_token.clone(),
            )
            .with_observer(metrics.clone()),
            http,
            delivery: config.delivery,
            zoom,
            zoom_slots: tokio::sync::Semaphore::new(create_slots),
            zoom_slots_capacity: create_slots,
            delivery_slots: tokio::sync::Semaphore::new(config.delivery_slots.max(1)),
            create_timeout: config.zoom_request_timeout,
            zoom_host: config.zoom_host.clone(),
            host_from_slack_email: config.zoom_host_from_slack_email,
            default_zone: config.default_timezone,
            default_duration: config.default_duration,
            store,
            replica: format!(
                "{}-{}-{:08x}",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "replica".into()),
                std::process::id(),
                rand::random::<u32>()
            ),
            admins: config.admin_user_ids.clone(),
            start_notice: config
                .start_notice_minutes
                .map(|m| Duration::from_secs(60 * u64::from(m))),
            notice_grace: config.notice_grace,
            sweep_interval: config.sweep_interval,
            lease: config.lease,
            metrics,
            readiness: Readiness::default(),
        })))
    }

    pub fn verifier(&self) -> &SignatureVerifier {
        &self.0.verifier
    }

    pub fn replay(&self) -> &ReplayGuard {
        &self.0.replay
    }

    /// `true` when the workspace may use the command (any workspace when no list is configured).
    pub fn team_allowed(&self, team_id: &str) -> bool {
        self.0
            .allowed_teams
            .as_ref()
            .is_none_or(|allowed| allowed.contains(team_id))
    }

    pub fn response_url_prefixes(&self) -> &[String] {
        &self.0.response_url_prefixes
    }

    /// Work that outlives the HTTP response; shutdown waits for it.
    pub fn background(&self) -> &TaskTracker {
        &self.0.background
    }

    pub fn zoom_health(&self) -> &crate::app::zoom_health::ZoomHealth {
        &self.0.zoom_health
    }

    /// Called at SIGTERM: from now on no new Zoom create starts.
    pub fn begin_shutdown(&self) {
        self.0.shutting_down.cancel();
        if let Some(zoom) = self.zoom() {
            zoom.stop_creating();
        }
    }

    pub fn is_shutting_down(&self) -> bool {
        self.0.shutting_down.is_cancelled()
    }

    /// Completes at SIGTERM.
    pub async fn shutting_down(&self) {
        self.0.shutting_down.cancelled().await;
    }

    /// A place in the background queue, or `None` when it is full (the caller answers "busy").
    pub fn admit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        Arc::clone(&self.0.admitted).try_acquire_owned().ok()
    }

    /// How full the background queue is now.
    pub(crate) fn queue(&self) -> Queue {
        let inner = &self.0;
        Queue {
            admitted: inner
                .admitted_capacity
                .saturating_sub(inner.admitted.available_permits()),
            creating: inner
                .zoom_slots_capacity
                .saturating_sub(inner.zoom_slots.available_permits()),
        }
    }

    /// `true` the first time this request signature is seen within the replay window, on any
    /// replica when the store is PostgreSQL.
    pub async fn first_signature(&self, signature: VerifiedSignature) -> bool {
        if let Some(won) = self.shared_claims(&[signature_claim(&signature)]).await {
            return won.first().copied().unwrap_or(false);
        }
        self.0.replay.first_time(signature, Instant::now())
    }

    /// Claims a command's `guards` (with PostgreSQL, shared by every replica, in one
    /// statement; with SQLite, one process, in memory): whether its request's signature and
    /// its delivery were each seen for the first time. A command that writes an intent claims
    /// them with it instead (`intents::open`).
    pub async fn claim_guards(&self, guards: &Guards) -> Replay {
        if let Some(won) = self.shared_claims(&guards.keys()).await {
            return guards.replay(&won);
        }
        self.claim_guards_here(guards)
    }

    /// [`claim_guards`](Self::claim_guards) in this process alone: SQLite, or a shared store
    /// that failed or was too slow to answer. Claiming the delivery of a replayed request
    /// changes nothing (its first delivery claimed it already), so it is not claimed.
    pub(crate) fn claim_guards_here(&self, guards: &Guards) -> Replay {
        let now = Instant::now();
        let signature = guards
            .signature
            .is_none_or(|signature| self.0.replay.first_time(signature, now));
        Replay {
            signature,
            delivery: signature && self.first_delivery_here(&guards.delivery_key, now),
        }
    }

    fn first_delivery_here(&self, key: &str, now: Instant) -> bool {
        self.0.deliveries.insert_if_absent(key.to_owned(), (), now)
    }

    /// Claims in the shared store, when replicas share one (PostgreSQL), in one statement:
    /// for each key, whether this was its first live claim. `None` means "decide in this
    /// process": SQLite, or a store that failed to answer, or did not within
    /// [`SHARED_CLAIM_BUDGET`] (logged; a command is then guarded by this replica alone rather
    /// than refused, and Slack still gets its answer in time).
    async fn shared_claims(&self, keys: &[(String, Duration)]) -> Option<Vec<bool>> {
        if !self.shares_store() {
            return None;
        }
        let keys: Vec<_> = keys.iter().map(|(key, ttl)| (key.as_str(), *ttl)).collect();
        let claims = self.0.store.claims();
        let claim = claims.claim_all(&keys, chrono::Utc::now());
        match tokio::time::timeout(SHARED_CLAIM_BUDGET, claim).await {
            Ok(Ok(won)) => Some(won),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "shared replay guard unavailable; guarding in this process only");
                self.0.metrics.guard_fallback();
                None
            }
            Err(_) => {
                tracing::error!(budget = ?SHARED_CLAIM_BUDGET, "shared replay guard too slow; guarding in this process only");
                self.0.metrics.guard_fallback();
                None
            }
        }
    }

    /// Completes when shutdown wants background work to give up.
    pub async fn stopping(&self) {
        self.0.stopping.cancelled().await;
    }

    /// Waits for background work until `deadline`; shortly before it, asks the remaining tasks
    /// to stop so they can log what they leave unfinished.
    pub async fn drain(&self, deadline: Instant) {
        let background = &self.0.background;
        background.close();
        let soft = deadline
            .checked_sub(super::CANCEL_MARGIN)
            .unwrap_or(deadline)
            .max(Instant::now());
        if tokio::time::timeout_at(soft.into(), background.wait())
            .await
            .is_ok()
        {
            return;
        }
        tracing::warn!(
            pending = background.len(),
            "shutdown deadline near; interrupting background work"
        );
        self.0.stopping.cancel();
        if tokio::time::timeout_at(deadline.into(), background.wait())
            .await
            .is_err()
        {
            tracing::error!(
                pending = background.len(),
                "background work still running at the shutdown deadline; exiting anyway"
            );
        }
    }

    pub fn slack_api(&self) -> &SlackApi {
        &self.0.slack_api
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    pub fn delivery(&self) -> DeliveryPolicy {
        self.0.delivery
    }

    /// POSTs `reply` to a `response_url` (see [`deliver`](crate::slack::respond::deliver)),
    /// counted in the metrics. Every `response_url` post of the app goes through here.
    pub async fn deliver(
        &self,
        url: &ResponseUrl,
        reply: &Reply,
        policy: DeliveryPolicy,
    ) -> Result<(), DeliveryError> {
        let turn = self.delivery_turn().await;
        self.deliver_in(turn, url, reply, policy).await
    }

    /// Waits for one of the `response_url` delivery slots, for a caller with something to
    /// check between its turn coming and its post going out (a card's hold; `card_hold.rs`).
    pub async fn delivery_turn(&self) -> DeliveryTurn<'_> {
        // The semaphore is never closed.
        DeliveryTurn {
            _slot: self.0.delivery_slots.acquire().await.ok(),
        }
    }

    /// [`deliver`](Self::deliver) in a turn already taken.
    pub async fn deliver_in(
        &self,
        turn: DeliveryTurn<'_>,
        url: &ResponseUrl,
        reply: &Reply,
        policy: DeliveryPolicy,
    ) -> Result<(), DeliveryError> {
        let metrics = &self.0.metrics;
        let observe = |event| metrics.delivery(Via::ResponseUrl, event);
        // The post itself is boxed, so a command waiting for its turn holds only a small future.
        let delivered =
            Box::pin(deliver_observed(&self.0.http, url, reply, policy, &observe)).await;
        drop(turn);
        delivered
    }

    /// The Zoom client, or `None` in dry-run mode.
    pub fn zoom(&self) -> Option<&ZoomClient> {
        self.0.zoom.as_ref()
    }

    /// Waits for a free meeting-creation slot; the slot is released when the guard drops.
    pub async fn zoom_slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed, so this only fails in theory.
        self.0.zoom_slots.acquire().await.ok()
    }

    /// How long a create may take; a command that waited this long for its turn is not sent.
    pub fn create_timeout(&self) -> Duration {
        self.0.create_timeout
    }

    pub fn zoom_host(&self) -> &str {
        &self.0.zoom_host
    }

    pub fn host_from_slack_email(&self) -> bool {
        self.0.host_from_slack_email
    }

    pub fn default_zone(&self) -> Zone {
        self.0.default_zone
    }

    pub fn default_duration(&self) -> Minutes {
        self.0.default_duration
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// This process's name in leases on shared rows.
    pub fn replica(&self) -> &str {
        &self.0.replica
    }

    /// `true` for a user on `ADMIN_USER_IDS`.
    pub fn is_admin(&self, user: &str) -> bool {
        self.0.admins.contains(user)
    }

    /// How long before a meeting's start its notice is posted; `None` when notices are off
    /// (or cannot be posted, for want of a bot token).
    pub fn start_notice(&self) -> Option<Duration> {
        self.0.start_notice.filter(|_| self.0.slack_api.has_token())
    }

    pub fn notice_grace(&self) -> Duration {
        self.0.notice_grace
    }

    pub fn sweep_interval(&self) -> Duration {
        self.0.sweep_interval
    }

    /// Whether replicas may share this store (PostgreSQL): then the guards and the commands'
    /// intents live in it; with SQLite (one process) they stay in memory.
    pub fn shares_store(&self) -> bool {
        self.0.store.engine() == crate::store::Engine::Postgres
    }

    /// How long this replica holds claimed work before another may take it over.
    pub fn lease(&self) -> Duration {
        self.0.lease
    }

    /// How long a card stays with the replica posting it: the lease, but never less than a
    /// card's slowest post (the command's `response_url` retried for about 44 s, the sweep's
    /// for about 11 s, or a `chat.postMessage`) and twice the hold's
    /// margin (one for the writes after a post and the replicas' clocks, one for a slow
    /// renewal), so a post under way is not taken for a dead replica's. The hold is renewed before each post
    /// that might outlast it (`card_hold.rs`), so waiting for a turn cannot outlast it either.
    pub fn card_lease(&self) -> Duration {
        let longest_post = self
            .0
            .delivery
            .longest()
            .max(crate::app::outbox::DELIVERY.longest())
            .max(crate::slack::web::MESSAGE_TIMEOUT);
        self.0
            .lease
            .max(longest_post + crate::app::card_hold::MARGIN * 2)
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub(crate) fn readiness(&self) -> &Readiness {
        &self.0.readiness
    }
}

/// The shared claim that guards against a replayed request.
fn signature_claim(signature: &VerifiedSignature) -> (String, Duration) {
    let key = format!("signature:{}", hex::encode(signature.as_bytes()));
    (key, crate::slack::replay::WINDOW)
}

/// The shared claim that guards against a command delivered twice.
fn delivery_claim(delivery_key: &str) -> (String, Duration) {
    (format!("delivery:{delivery_key}"), DELIVERY_MEMORY)
}
