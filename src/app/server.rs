//! The HTTP/1 accept loop: a cap on open connections, a header-read (and idle) timeout, and a
//! graceful stop. `axum::serve` has none of these, so a few thousand slow clients could hold
//! every descriptor and starve the service without ever signing a request.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use prometheus_client::metrics::gauge::Gauge;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// How the server treats connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A client must send a request's whole header within this long, and an idle keep-alive
    /// connection is closed after it (hyper restarts the timer while it waits for the next
    /// request's first byte). Slack sends a command in milliseconds.
    pub header_read_timeout: Duration,
    /// Open inbound connections at most. At the cap the oldest idle connection is closed to
    /// make room; when all are busy, further clients wait in the kernel's backlog, so the
    /// accept loop never spins on `EMFILE`.
    pub max_connections: usize,
}

impl ConnectionLimits {
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

    /// At most half the process's descriptor limit (less a reserve for logs, the store and
    /// sockets to Zoom and Slack), and never more than `ceiling`.
    pub fn max_connections_for(descriptor_limit: u64, ceiling: usize) -> usize {
        let half = descriptor_limit.saturating_sub(Self::RESERVE) / 2;
        usize::try_from(half)
            .unwrap_or(usize::MAX)
            .clamp(16, ceiling.max(16))
    }

    /// `asked` (`MAX_CONNECTIONS`), or fewer when the descriptor limit leaves no room for so
    /// many beside the reserve: past it, accepting fails with `EMFILE` and the loop stalls.
    pub fn within_descriptors(asked: usize, descriptor_limit: u64) -> usize {
        let room = descriptor_limit.saturating_sub(Self::RESERVE);
        asked
            .min(usize::try_from(room).unwrap_or(usize::MAX))
            .max(16)
    }

    /// Descriptors kept for logs, the store and the sockets to Zoom and Slack.
    const RESERVE: u64 = 64;
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit, as servers commonly do: the default
/// soft limit (often 1024) is far below what the machine allows. Returns the new soft limit.
pub fn raise_descriptor_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass, which lives for the call.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return raised.rlim_cur;
            }
        }
    }
    descriptor_limit()
}

/// The soft `RLIMIT_NOFILE` of this process (1024 when it cannot be read).
pub fn descriptor_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct we pass, which lives for the call.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    if ok { limit.rlim_cur } else { 1024 }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections finish
/// their current request for at most `drain`. Returns the shutdown deadline (signal + `drain`),
/// which the caller shares with background work. `open` counts the open connections.
///
/// At the connection cap, the oldest connection that is not in the middle of a request (a
/// client trickling a header, an idle keep-alive) is closed to make room, so a flood of slow
/// clients cannot lock Slack out; only when every connection is busy do new clients wait.
pub(crate) async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
    open: Gauge,
) -> Instant {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let connections = Arc::new(Connections::default());
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut accept_errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    loop {
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                connections.evict_idle();
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break, // never closed
                    },
                }
            }
        };
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                accept_errors.record(&error);
                // Out of descriptors or memory: give closing connections a moment rather
                // than spinning; per-connection errors (a reset before accept) need no pause.
                if !is_connection_error(&error) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (id, tracked) = connections.register();
        let in_request = Arc::clone(&tracked.in_request);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request| {
            let busy = Busy::enter(&in_request);
            let router = router.clone();
            async move {
                let response = tower::ServiceExt::oneshot(router, request).await;
                drop(busy);
                response
            }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        let connections = Arc::clone(&connections);
        let counted = Open::new(&open);
        tokio::spawn(async move {
            tokio::select! {
                closed = connection => {
                    if let Err(error) = closed {
                        tracing::debug!(%error, "connection closed with an error");
                    }
                }
                () = tracked.evict.cancelled() => {
                    tracing::debug!("idle connection closed to make room at the connection cap");
                }
            }
            connections.remove(id);
            drop(counted);
            drop(slot);
        });
    }
    let deadline = Instant::now() + drain;
    drop(listener);
    if tokio::time::timeout_at(deadline.into(), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open at the shutdown deadline; closing them");
    }
    deadline
}

/// The open connections, oldest first, and whether each is serving a request right now.
#[derive(Default)]
struct Connections {
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, Tracked>>,
    evicted: AtomicU64,
}

#[derive(Clone)]
struct Tracked {
    in_request: Arc<AtomicUsize>,
    evict: CancellationToken,
}

impl Connections {
    fn register(&self) -> (u64, Tracked) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let tracked = Tracked {
            in_request: Arc::new(AtomicUsize::new(0)),
            evict: CancellationToken::new(),
        };
        self.lock().insert(id, tracked.clone());
        (id, tracked)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Closes the oldest connection that is not serving a request, if there is one.
    fn evict_idle(&self) {
        let victim = self
            .lock()
            .values()
            .find(|t| t.in_request.load(Ordering::Acquire) == 0 && !t.evict.is_cancelled())
            .cloned();
        if let Some(victim) = victim {
            victim.evict.cancel();
            let evicted = self.evicted.fetch_add(1, Ordering::Relaxed) + 1;
            if evicted.is_power_of_two() {
                tracing::warn!(
                    evicted,
                    "at the connection cap: closing idle connections to make room"
                );
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Tracked>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Marks a connection busy while one of its requests is being served.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn enter(counter: &Arc<AtomicUsize>) -> Busy {
        counter.fetch_add(1, Ordering::AcqRel);
        Busy(Arc::clone(counter))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One open connection in the gauge, until it drops (also if its task panics).
struct Open(Gauge);

impl Open {
    fn new(gauge: &Gauge) -> Self {
        gauge.inc();
        Open(gauge.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Errors about one connection that closed before we got it: nothing to wait out.
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Logs accept failures at most once every ten seconds, with how many there were.
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<Instant>,
    since: u64,
}

impl AcceptErrors {
    fn record(&mut self, error: &std::io::Error) {
        self.since += 1;
        let due = self
            .last_logged
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(10));
        if due {
            tracing::error!(%error, count = self.since, "cannot accept connections");
            self.last_logged = Some(Instant::now());
            self.since = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_leaves_room_below_the_descriptor_limit() {
        let cases = [
            (1024, 10_000, 480),
            (65_536, 10_000, 10_000),
            (100, 10_000, 18),
            (10, 10_000, 16),
            (1 << 40, 5_000, 5_000),
        ];
        for (limit, ceiling, expected) in cases {
            assert_eq!(
                ConnectionLimits::max_connections_for(limit, ceiling),
                expected,
                "descriptor limit {limit}, ceiling {ceiling}"
            );
        }
    }

    #[test]
    fn a_connection_cap_asked_for_is_kept_only_while_the_descriptors_can_hold_it() {
        let cases = [
            (5_000, 65_536, 5_000),
            (5_000, 1_024, 960),
            (1_000_000, 20_000, 19_936),
            (100, 50, 16),
        ];
        for (asked, limit, expected) in cases {
            assert_eq!(
                ConnectionLimits::within_descriptors(asked, limit),
                expected,
                "MAX_CONNECTIONS {asked}, descriptor limit {limit}"
            );
        }
    }

    #[test]
    fn the_descriptor_limit_is_read() {
        assert!(descriptor_limit() >= 16);
    }
}
