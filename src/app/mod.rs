//! App wiring: configuration → router, state, startup and graceful shutdown.

mod answer;
mod card_hold;
mod handler;
mod intents;
mod interactions;
mod manage;
pub mod meeting;
mod metrics;
mod notices;
pub mod outbox;
mod readiness;
mod routes;
mod schedule;
mod server;
mod shutdown;
mod socket;
mod state;
mod supervised;
mod sweep;
mod zoom_health;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::{Config, MetricsEndpoint};
pub use handler::{acknowledgement, invoker_notes, unpinnable_series};
pub use meeting::preview_card;
pub use server::{ConnectionLimits, descriptor_limit, raise_descriptor_limit};
pub use shutdown::shutdown_signal;
pub use state::AppState;

/// How long shutdown waits, in all, for open requests and background work to finish.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Before the deadline, background tasks are told to stop waiting on Zoom or Slack, so that
/// what they leave unfinished is logged (a created meeting nobody was told about) rather than
/// dropped silently.
pub(crate) const CANCEL_MARGIN: Duration = Duration::from_secs(2);

/// `METRICS_PORT`'s listener: few scrapers, quick answers.
const METRICS_LIMITS: ConnectionLimits = ConnectionLimits {
    header_read_timeout: ConnectionLimits::DEFAULT_HEADER_READ_TIMEOUT,
    max_connections: 64,
};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot build an HTTP client: {0}")]
    HttpClient(String),
    #[error("cannot set up Socket Mode: {0}")]
    SocketMode(String),
    /// The database cannot be opened or migrated: nothing could be recorded, so do not start.
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
}

/// A service that is bound to its port and ready to run.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    metrics: MetricsEndpoint,
    /// `METRICS_PORT`'s own listener, when it has one.
    metrics_listener: Option<TcpListener>,
    state: AppState,
    /// Present in Socket Mode (`SLACK_APP_TOKEN`).
    socket: Option<crate::slack::socket::SocketModeClient>,
    limits: ConnectionLimits,
    drain_timeout: Duration,
}

/// Builds the whole service from its configuration and binds the listener, so callers (and
/// tests, with port 0) know the address before requests flow.
pub async fn build(config: Config) -> Result<App, StartupError> {
    let store =
        crate::store::Store::open_with(&config.database_url, config.store_commit_window).await?;
    let state = AppState::new(&config, store)?;
    let router = routes::router(state.clone(), config.metrics == MetricsEndpoint::MainPort);
    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })
    };
    let listener = bind(config.bind).await?;
    let metrics_listener = match config.metrics {
        MetricsEndpoint::Port(port) => Some(bind(SocketAddr::new(config.bind.ip(), port)).await?),
        MetricsEndpoint::MainPort | MetricsEndpoint::Off => None,
    };
    let socket = match config.socket_mode.clone() {
        Some(socket_config) => {
            Some(socket::client(&state, socket_config).map_err(StartupError::SocketMode)?)
        }
        None => None,
    };
    Ok(App {
        listener,
        router,
        metrics: config.metrics,
        metrics_listener,
        state,
        socket,
        limits: ConnectionLimits {
            header_read_timeout: config.header_read_timeout,
            max_connections: connection_cap(config.max_connections),
        },
        drain_timeout: config.drain_timeout,
    })
}

impl App {
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// Where `GET /metrics` is served when it has a listener of its own (`METRICS_PORT`).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// One line that says how this process is set up, so a new user sees at once what it will do.
    fn log_startup(&self) {
        let state = &self.state;
        let address = self.local_addr();
        let mode = mode(
            self.socket.is_some(),
            state.zoom().is_none(),
            address.port(),
        );
        let user_zones = if state.slack_api().has_token() {
            "looked up in Slack"
        } else {
            "not looked up (no SLACK_BOT_TOKEN): DEFAULT_TIMEZONE is used"
        };
        let metrics = match (self.metrics, self.metrics_addr()) {
            (MetricsEndpoint::MainPort, _) => "on PORT".to_owned(),
            (MetricsEndpoint::Port(_), Some(address)) => format!("on port {}", address.port()),
            (MetricsEndpoint::Port(_) | MetricsEndpoint::Off, _) => "off".to_owned(),
        };
        // The address stays the last field: scripts and tests read the port from the line's end.
        tracing::info!(
            mode,
            metrics,
            default_zone = %state.default_zone(),
            default_duration = %state.default_duration(),
            user_zones,
            zoom_host = state.zoom_host(),
            max_connections = self.limits.max_connections,
            address = %address,
            "slack-zoom started; listening"
        );
    }

    /// Serves until SIGTERM or Ctrl-C, then drains.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes: stops accepting, starts no new Zoom create, lets
    /// in-flight requests finish, then waits for background work such as meeting creation.
    /// Everything after the signal shares one budget (`Config::drain_timeout`, 30 s by
    /// default), so a client that keeps a connection open cannot hold the process up.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.log_startup();
        // Socket Mode connects now and stays connected until the background work has drained,
        // so envelopes arriving during the drain are still answered (with "restarting").
        let socket = self.socket.map(|client| client.spawn());
        // Start notices and the card outbox: a first sweep now (what a previous run left),
        // then periodically until SIGTERM; shutdown waits for a sweep in progress.
        sweep::start(&self.state);
        // /metrics stays up through the drain, so a scraper sees the queue empty; it stops last.
        let metrics_stop = tokio_util::sync::CancellationToken::new();
        let metrics_server = self.metrics_listener.map(|listener| {
            let stop = metrics_stop.clone();
            tokio::spawn(server::serve(
                listener,
                metrics::router(self.state.clone()),
                METRICS_LIMITS,
                async move { stop.cancelled().await },
                Duration::from_secs(1),
                prometheus_client::metrics::gauge::Gauge::default(),
            ))
        });
        let state = self.state.clone();
        let signal = async move {
            shutdown.await;
            state.begin_shutdown();
        };
        let deadline = server::serve(
            self.listener,
            self.router,
            self.limits,
            signal,
            self.drain_timeout,
            self.state.metrics().open_connections(),
        )
        .await;
        tracing::info!("stopped accepting requests; finishing background work");
        self.state.drain(deadline).await;
        if let Some(socket) = socket
            && let Err(e) = socket.close().await
        {
            tracing::error!(error = %e, "Socket Mode did not close cleanly");
        }
        metrics_stop.cancel();
        if let Some(metrics_server) = metrics_server {
            let _ = metrics_server.await;
        }
        tracing::info!("shut down");
        Ok(())
    }
}

/// `MAX_CONNECTIONS`, lowered (and logged) when the descriptor limit cannot hold so many.
fn connection_cap(asked: usize) -> usize {
    let limit = server::descriptor_limit();
    let cap = ConnectionLimits::within_descriptors(asked, limit);
    if cap < asked {
        tracing::warn!(
            asked,
            descriptor_limit = limit,
            cap,
            "MAX_CONNECTIONS is more than the descriptor limit leaves room for; capped"
        );
    }
    cap
}

/// How commands reach this process, for the startup line: over Socket Mode (the port then
/// serves health and metrics only) or HTTP, and whether Zoom is called at all.
fn mode(socket_mode: bool, dry_run: bool, port: u16) -> String {
    let doors = if socket_mode {
        format!("Socket Mode (health and metrics on port {port})")
    } else {
        format!("HTTP on port {port}")
    };
    if dry_run {
        format!("{doors}, dry run (Zoom is never called)")
    } else {
        doors
    }
}

#[cfg(test)]
mod tests {
    use super::mode;

    #[test]
    fn the_startup_line_names_how_commands_arrive_and_whether_zoom_is_called() {
        let cases = [
            (false, false, "HTTP on port 3000"),
            (
                false,
                true,
                "HTTP on port 3000, dry run (Zoom is never called)",
            ),
            (true, false, "Socket Mode (health and metrics on port 3000)"),
            (
                true,
                true,
                "Socket Mode (health and metrics on port 3000), dry run (Zoom is never called)",
            ),
        ];
        for (socket_mode, dry_run, want) in cases {
            assert_eq!(
                mode(socket_mode, dry_run, 3000),
                want,
                "socket mode {socket_mode}, dry run {dry_run}"
            );
        }
    }
}
