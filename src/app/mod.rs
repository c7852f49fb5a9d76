//! App wiring: configuration → router, state, startup and graceful shutdown.

mod handler;
mod routes;
mod schedule;
mod shutdown;
mod state;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::Config;
pub use shutdown::shutdown_signal;
pub use state::AppState;

/// How long shutdown waits for in-flight background work (meeting creation, replies) to finish.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

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
}

/// A service that is bound to its port and ready to run.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
}

/// Builds the whole service from its configuration and binds the listener, so callers (and
/// tests, with port 0) know the address before requests flow.
pub async fn build(config: Config) -> Result<App, StartupError> {
    let state = AppState::new(&config)?;
    let router = routes::router(state.clone());
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartupError::Bind {
            addr: config.bind,
            source,
        })?;
    Ok(App {
        listener,
        router,
        state,
    })
}

impl App {
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// Serves until SIGTERM or Ctrl-C, then drains.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes: stops accepting, lets in-flight requests finish, then
    /// waits (bounded by [`DRAIN_TIMEOUT`]) for background work such as meeting creation.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(address = %self.local_addr(), "listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        tracing::info!("stopped accepting requests; finishing background work");
        let background = self.state.background();
        background.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, background.wait())
            .await
            .is_err()
        {
            tracing::error!(
                pending = background.len(),
                "background work still running after {DRAIN_TIMEOUT:?}; exiting anyway"
            );
        }
        tracing::info!("shut down");
        Ok(())
    }
}
