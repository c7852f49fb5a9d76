//! Operator metrics: one Prometheus registry per running service, the hooks that feed it, and `GET /metrics`.
//!
//! Each service owns its registry (no global recorder), so several services in one process,
//! as in the tests, keep their counts apart. Every label value is a `&'static str` or a
//! number, and the counters for the fixed label sets are created up front: counting on the
//! request path is one atomic add, with no allocation and no lock.

use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::app::state::AppState;
use crate::command::Action;
use crate::slack::Rejection;
use crate::slack::respond::DeliveryEvent;
use crate::slack::web::{ApiError, WebApiObserver};
use crate::zoom::{CallOutcome, Endpoint, TokenOutcome, ZoomObserver};

/// How one slash command was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Accepted: the meeting is being created in the background.
    Scheduled,
    /// The command could not be read (or asks for a series Zoom cannot keep).
    Refused,
    /// The background queue was full.
    Busy,
    /// The service is shutting down.
    Restarting,
    /// A replayed request or Slack's second delivery of a command.
    AlreadyHandled,
    Help,
    List,
    Cancel,
    /// `/zoom new`: the scheduling form.
    Form,
    TeamNotAllowed,
    /// The signature or its timestamp failed: not from Slack, or not from this app's Slack.
    SignatureRejected,
    /// Signed, but not a slash-command form (or a `response_url` off the allow-list).
    Malformed,
}

impl CommandOutcome {
    /// In declaration order, so `outcome as usize` indexes it.
    const ALL: [CommandOutcome; 12] = [
        CommandOutcome::Scheduled,
        CommandOutcome::Refused,
        CommandOutcome::Busy,
        CommandOutcome::Restarting,
        CommandOutcome::AlreadyHandled,
        CommandOutcome::Help,
        CommandOutcome::List,
        CommandOutcome::Cancel,
        CommandOutcome::Form,
        CommandOutcome::TeamNotAllowed,
        CommandOutcome::SignatureRejected,
        CommandOutcome::Malformed,
    ];

    fn as_str(self) -> &'static str {
        match self {
            CommandOutcome::Scheduled => "scheduled",
            CommandOutcome::Refused => "refused",
            CommandOutcome::Busy => "busy",
            CommandOutcome::Restarting => "restarting",
            CommandOutcome::AlreadyHandled => "already_handled",
            CommandOutcome::Help => "help",
            CommandOutcome::List => "list",
            CommandOutcome::Cancel => "cancel",
            CommandOutcome::Form => "form",
            CommandOutcome::TeamNotAllowed => "team_not_allowed",
            CommandOutcome::SignatureRejected => "signature_rejected",
            CommandOutcome::Malformed => "malformed",
        }
    }

    pub fn of_action(action: &Action) -> Self {
        match action {
            Action::List => CommandOutcome::List,
            Action::Cancel(_) => CommandOutcome::Cancel,
            Action::New => CommandOutcome::Form,
        }
    }

    fn of_rejection(rejection: &Rejection) -> Self {
        match rejection {
            Rejection::Signature(_) => CommandOutcome::SignatureRejected,
            Rejection::Payload(_) => CommandOutcome::Malformed,
            Rejection::Replayed => CommandOutcome::AlreadyHandled,
            Rejection::TeamNotAllowed => CommandOutcome::TeamNotAllowed,
        }
    }
}

/// What was acknowledged: a slash command or a click / form submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    Command,
    Interaction,
}

/// How an answer went to Slack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A command's or a click's `response_url`.
    ResponseUrl,
    /// `chat.postMessage`, `chat.postEphemeral`, `chat.update` with the bot token.
    WebApi,
}

const VIAS: [Via; 2] = [Via::ResponseUrl, Via::WebApi];

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::ResponseUrl => "response_url",
            Via::WebApi => "web_api",
        }
    }
}

/// Slack's 3 s deadline sits between buckets, so `le="3"` counts the acks that made it.
const ACK_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0,
];
/// Up to `ZOOM_TIMEOUT_SECONDS`' maximum (120 s).
const ZOOM_BUCKETS: [f64; 13] = [
    0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0,
];

/// The outbox is measured at most this often, however often (or by whom) /metrics is scraped.
const OUTBOX_REFRESH: Duration = Duration::from_secs(1);
/// A scrape must not wait on a slow store.
const OUTBOX_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    via: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SweepLabels {
    sweep: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ZoomLabels {
    endpoint: &'static str,
    status: Status,
}

/// The HTTP status as a number, or `timeout` / `error` when no answer came.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
struct Status(CallOutcome);

impl EncodeLabelValue for Status {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        match self.0 {
            CallOutcome::Status(code) => EncodeLabelValue::encode(&code, encoder),
            CallOutcome::Timeout => EncodeLabelValue::encode(&"timeout", encoder),
            CallOutcome::Error => EncodeLabelValue::encode(&"error", encoder),
        }
    }
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// The service's metrics. Cheap to update from any task.
pub struct Metrics {
    registry: Registry,
    /// Indexed by `CommandOutcome as usize`.
    commands: [Counter; CommandOutcome::ALL.len()],
    ack_command: Histogram,
    ack_interaction: Histogram,
    zoom_requests: Histograms<ZoomLabels>,
    /// Indexed like `TokenOutcome::ALL`.
    token_fetches: [Counter; TokenOutcome::ALL.len()],
    /// Indexed by `VIAS`, then `DeliveryEvent::ALL`.
    deliveries: [[Counter; DeliveryEvent::ALL.len()]; VIAS.len()],
    queue_depth: Gauge,
    queue_waiting: Gauge,
    creates_in_flight: Gauge,
    open_connections: Gauge,
    /// Rows the card outbox and start notice sweeps handled, by outcome (static labels).
    swept: Family<SweepLabels, Counter>,
    guard_fallbacks: Counter,
    outbox_oldest: Gauge<f64, AtomicU64>,
    /// When the outbox was last measured; the lock makes concurrent scrapes share one query.
    outbox_measured: tokio::sync::Mutex<Option<Instant>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("slack_zoom");

        let commands = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "commands",
            "Slash commands by how they were answered",
            commands.clone(),
        );
        let commands = CommandOutcome::ALL.map(|outcome| {
            commands.get_or_create_owned(&OutcomeLabel {
                outcome: outcome.as_str(),
            })
        });

        let ack: Histograms<KindLabel> =
            Family::new_with_constructor(|| Histogram::new(ACK_BUCKETS));
        registry.register_with_unit(
            "ack",
            "Time from a request's (or a Socket Mode envelope's) arrival to its immediate answer, for requests that passed the signature check",
            Unit::Seconds,
            ack.clone(),
        );
        let ack_for = |kind| ack.get_or_create_owned(&KindLabel { kind });

        let zoom_requests: Histograms<ZoomLabels> =
            Family::new_with_constructor(|| Histogram::new(ZOOM_BUCKETS));
        registry.register_with_unit(
            "zoom_request",
            "Requests to Zoom (each retry counts) by endpoint and HTTP status, or timeout / error when no answer came",
            Unit::Seconds,
            zoom_requests.clone(),
        );

        let token_fetches = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "token_fetches",
            "Zoom OAuth token fetches by outcome (calls served from the cache fetch nothing)",
            token_fetches.clone(),
        );
        let token_fetches = TokenOutcome::ALL.map(|outcome| {
            token_fetches.get_or_create_owned(&OutcomeLabel {
                outcome: outcome.as_str(),
            })
        });

        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Messages to Slack: response_url posts and Web API posts, by outcome (retried counts each retry)",
            deliveries.clone(),
        );
        let deliveries = VIAS.map(|via| {
            DeliveryEvent::ALL.map(|event| {
                deliveries.get_or_create_owned(&DeliveryLabels {
                    via: via.as_str(),
                    outcome: event.as_str(),
                })
            })
        });

        let swept = Family::<SweepLabels, Counter>::default();
        registry.register(
            "swept",
            "Cards and start notices the sweeps handled, by sweep (cards, notices) and outcome",
            swept.clone(),
        );
        let guard_fallbacks = Counter::default();
        registry.register(
            "guard_fallbacks",
            "Commands guarded against replays and double delivery by this replica alone, because the shared store failed or was too slow to claim or record them",
            guard_fallbacks.clone(),
        );

        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let queue_depth = gauge(
            &mut registry,
            "queue_depth",
            "Meetings admitted to the background and not finished (waiting for a slot, creating, or posting the card)",
        );
        let queue_waiting = gauge(
            &mut registry,
            "queue_waiting",
            "Meetings waiting for a creation slot",
        );
        let creates_in_flight = gauge(
            &mut registry,
            "creates_in_flight",
            "Meeting creations holding a slot",
        );
        let open_connections = gauge(
            &mut registry,
            "open_connections",
            "Open inbound HTTP connections on PORT",
        );
        let outbox_oldest = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "outbox_oldest",
            "Age of the oldest card not yet posted (0 when none is pending; NaN when the store did not answer)",
            Unit::Seconds,
            outbox_oldest.clone(),
        );

        Metrics {
            commands,
            ack_command: ack_for("command"),
            ack_interaction: ack_for("interaction"),
            zoom_requests,
            token_fetches,
            deliveries,
            queue_depth,
            queue_waiting,
            creates_in_flight,
            open_connections,
            swept,
            guard_fallbacks,
            outbox_oldest,
            outbox_measured: tokio::sync::Mutex::new(None),
            registry,
        }
    }

    /// Counts one answered slash command.
    pub fn command(&self, outcome: CommandOutcome) {
        if let Some(counter) = self.commands.get(outcome as usize) {
            counter.inc();
        }
    }

    /// Records how long the immediate answer took since `arrived`.
    pub fn acked(&self, what: Ack, arrived: Instant) {
        let histogram = match what {
            Ack::Command => &self.ack_command,
            Ack::Interaction => &self.ack_interaction,
        };
        histogram.observe(arrived.elapsed().as_secs_f64());
    }

    /// A request refused before its handler ran: counted (a command) and timed, unless its
    /// signature failed (forged requests must not make Slack's acks look fast).
    pub fn refused(&self, what: Ack, rejection: &Rejection, arrived: Instant) {
        if what == Ack::Command {
            self.command(CommandOutcome::of_rejection(rejection));
        }
        if !matches!(rejection, Rejection::Signature(_)) {
            self.acked(what, arrived);
        }
    }

    /// Counts one step of a delivery to Slack.
    pub fn delivery(&self, via: Via, event: DeliveryEvent) {
        let counter = self
            .deliveries
            .get(via as usize)
            .and_then(|events| events.get(event as usize));
        if let Some(counter) = counter {
            counter.inc();
        }
    }

    /// Counts `n` rows a sweep (`cards`, `notices`) handled with `outcome`.
    pub fn swept(&self, sweep: &'static str, outcome: &'static str, n: usize) {
        if n > 0 {
            self.swept
                .get_or_create(&SweepLabels { sweep, outcome })
                .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
        }
    }

    /// Counts one command guarded by this replica alone (the shared store did not answer).
    pub fn guard_fallback(&self) {
        self.guard_fallbacks.inc();
    }

    /// Marks one meeting as waiting for a creation slot until the guard drops.
    pub fn waiting_for_slot(&self) -> Waiting {
        self.queue_waiting.inc();
        Waiting(self.queue_waiting.clone())
    }

    /// The gauge the accept loop keeps up to date.
    pub fn open_connections(&self) -> Gauge {
        self.open_connections.clone()
    }

    /// The exposition: gauges read now (the outbox at most once a second), then every family.
    async fn render(&self, state: &AppState, openmetrics: bool) -> Result<String, std::fmt::Error> {
        let queue = state.queue();
        self.queue_depth.set(gauge_value(queue.admitted));
        self.creates_in_flight.set(gauge_value(queue.creating));
        self.measure_outbox(state).await;
        let mut text = String::with_capacity(8 * 1024);
        if openmetrics {
            prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        } else {
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        }
        Ok(text)
    }

    async fn measure_outbox(&self, state: &AppState) {
        let mut measured = self.outbox_measured.lock().await;
        if measured.is_some_and(|at| at.elapsed() < OUTBOX_REFRESH) {
            return;
        }
        let outbox = state.store().outbox();
        let asked = outbox.oldest_pending_age(Utc::now());
        let age = match tokio::time::timeout(OUTBOX_TIMEOUT, asked).await {
            Ok(Ok(age)) => age.unwrap_or_default().as_secs_f64(),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "metrics: could not measure the card outbox");
                f64::NAN
            }
            Err(_) => {
                tracing::warn!(
                    timeout = ?OUTBOX_TIMEOUT,
                    "metrics: the store did not answer in time; outbox age unknown"
                );
                f64::NAN
            }
        };
        self.outbox_oldest.set(age);
        *measured = Some(Instant::now());
    }
}

fn gauge_value(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One meeting waiting for a creation slot; dropping it ends the wait.
pub struct Waiting(Gauge);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl ZoomObserver for Metrics {
    fn request(&self, endpoint: Endpoint, outcome: CallOutcome, took: Duration) {
        let labels = ZoomLabels {
            endpoint: endpoint.as_str(),
            status: Status(outcome),
        };
        self.zoom_requests
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    fn token_fetch(&self, outcome: TokenOutcome) {
        let counter = TokenOutcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .and_then(|i| self.token_fetches.get(i));
        if let Some(counter) = counter {
            counter.inc();
        }
    }
}

impl WebApiObserver for Metrics {
    fn answered(&self, method: &'static str, result: Result<(), &ApiError>) {
        if !matches!(
            method,
            "chat.postMessage" | "chat.postEphemeral" | "chat.update"
        ) {
            return;
        }
        let event = match result {
            Ok(()) => DeliveryEvent::Delivered,
            Err(ApiError::NotOk(_) | ApiError::NoToken) => DeliveryEvent::Refused,
            Err(ApiError::Status(status)) if (400..500).contains(status) => DeliveryEvent::Refused,
            // No Web API call is retried: a rate limit, a 5xx or a lost answer ends it.
            Err(_) => DeliveryEvent::GaveUp,
        };
        self.delivery(Via::WebApi, event);
    }
}

/// The router for a listener of its own (`METRICS_PORT`): `/metrics` and nothing else.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

/// `GET /metrics`: OpenMetrics text when the scraper asks for it (Prometheus does), else the
/// classic Prometheus text format (curl, older scrapers).
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("application/openmetrics-text"));
    let content_type = if openmetrics {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        prometheus_client::encoding::prometheus_text::CONTENT_TYPE
    };
    match state.metrics().render(&state, openmetrics).await {
        Ok(text) => ([(header::CONTENT_TYPE, content_type)], text).into_response(),
        Err(_) => {
            tracing::error!("metrics could not be encoded");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_tables_are_in_declaration_order() {
        for (i, outcome) in CommandOutcome::ALL.iter().enumerate() {
            assert_eq!(*outcome as usize, i, "{outcome:?}");
        }
        for (i, event) in DeliveryEvent::ALL.iter().enumerate() {
            assert_eq!(*event as usize, i, "{event:?}");
        }
        for (i, via) in VIAS.iter().enumerate() {
            assert_eq!(*via as usize, i, "{via:?}");
        }
    }

    #[test]
    fn every_fixed_label_set_is_exposed_before_anything_happens() {
        let metrics = Metrics::new();
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &metrics.registry).unwrap();
        for outcome in CommandOutcome::ALL {
            let line = format!(
                "slack_zoom_commands_total{{outcome=\"{}\"}} 0",
                outcome.as_str()
            );
            assert!(text.contains(&line), "{line} missing from:\n{text}");
        }
        for outcome in TokenOutcome::ALL {
            let line = format!(
                "slack_zoom_token_fetches_total{{outcome=\"{}\"}} 0",
                outcome.as_str()
            );
            assert!(text.contains(&line), "{line} missing from:\n{text}");
        }
    }

    #[test]
    fn web_api_answers_count_as_deliveries_only_for_messages() {
        let cases: [(&str, Result<(), ApiError>, Option<&str>); 7] = [
            ("chat.postMessage", Ok(()), Some("delivered")),
            (
                "chat.update",
                Err(ApiError::NotOk("channel_not_found".into())),
                Some("refused"),
            ),
            (
                "chat.postEphemeral",
                Err(ApiError::Status(404)),
                Some("refused"),
            ),
            (
                "chat.postMessage",
                Err(ApiError::Status(503)),
                Some("gave_up"),
            ),
            (
                "chat.postMessage",
                Err(ApiError::RateLimited(None)),
                Some("gave_up"),
            ),
            (
                "chat.postMessage",
                Err(ApiError::Network("timed out".into())),
                Some("gave_up"),
            ),
            ("views.open", Ok(()), None),
        ];
        for (method, result, want) in cases {
            let metrics = Metrics::new();
            metrics.answered(method, result.as_ref().map(|_| ()));
            for event in DeliveryEvent::ALL {
                let expected = u64::from(want == Some(event.as_str()));
                let web_api = &metrics.deliveries[Via::WebApi as usize];
                assert_eq!(
                    web_api[event as usize].get(),
                    expected,
                    "{method} {result:?}: {}",
                    event.as_str()
                );
                let hooks = &metrics.deliveries[Via::ResponseUrl as usize];
                assert_eq!(hooks[event as usize].get(), 0, "{method} {result:?}");
            }
        }
    }

    #[test]
    fn zoom_requests_are_labelled_with_the_status_or_what_went_wrong() {
        let metrics = Metrics::new();
        let cases = [
            (Endpoint::Create, CallOutcome::Status(201), "create", "201"),
            (Endpoint::Token, CallOutcome::Timeout, "token", "timeout"),
            (Endpoint::Delete, CallOutcome::Error, "delete", "error"),
        ];
        for (endpoint, outcome, ..) in cases {
            metrics.request(endpoint, outcome, Duration::from_millis(30));
        }
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &metrics.registry).unwrap();
        for (.., endpoint, status) in cases {
            let line = format!(
                "slack_zoom_zoom_request_seconds_count{{endpoint=\"{endpoint}\",status=\"{status}\"}} 1"
            );
            assert!(text.contains(&line), "{line} missing from:\n{text}");
        }
    }
}
