//! Slow clients (slowloris): thousands of loopback connections that send a request header one
//! byte every few seconds, or nothing at all, reconnecting when closed, while signed commands
//! and health checks flow at a modest rate on fresh connections. Measures when the service
//! closes the slow connections, how many it holds against its cap, and what the real
//! commands see, against a calm phase without the attack in the same run.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::fake_zoom::{FakeZoom, FakeZoomOptions};
use crate::observe::{Held, held, load_average};
use crate::process::Server;
use crate::receiver::Receiver;
use crate::standard::{figures, met};
use crate::stats::{Summary, mib, ms};
use crate::traffic::{self, Expect, Load, Prepared, Sent};
use crate::{SETTLE, SIGNING_SECRET, Setup};

/// The bytes a trickling client sends, one at a time; after them, `a` until it is closed.
/// The header never ends, so no request is ever complete.
const SLOW_HEADER: &[u8] = b"POST /slack/commands HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
/// A client that cannot connect within this gives up and tries again.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// No slow client reconnects more often than this in one run.
const MAX_CONNECTIONS_PER_CLIENT: usize = 100;
/// How long to wait for every slow client's first connection before the attack phase counts.
const RAMP_DEADLINE: Duration = Duration::from_secs(10);
/// /healthz probes run on fresh connections at this interval, each with this timeout.
const PROBE_EVERY: Duration = Duration::from_millis(500);
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);
/// Sampling interval for the connections the service holds.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub struct Slowloris {
    /// Slow clients in all.
    pub clients: usize,
    /// Of which connect and send nothing.
    pub idle: usize,
    /// A trickling client sends one header byte this often.
    pub byte_every: Duration,
    /// Signed commands per second in each phase.
    pub rate: f64,
    /// Length of each phase's command flow.
    pub phase: Duration,
}

/// How one slow connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The service closed it (EOF); `responded` if it wrote anything first (a 408, say).
    Closed { responded: bool },
    /// A reset or a failed write: the service is gone from the other end.
    Reset,
    /// Still open when the harness stopped the attack.
    StillOpen,
}

#[derive(Debug, Clone, Copy)]
struct Connection {
    idle: bool,
    connected: Instant,
    ended: Instant,
    end: End,
}

#[derive(Default)]
struct Attack {
    connections: Mutex<Vec<Connection>>,
    connect_failures: Mutex<usize>,
    /// Slow clients that made their first connection (or gave up on it).
    first_attempts: Mutex<usize>,
}

/// One phase's observations of the real traffic.
struct Phase {
    sent: Sent,
    probes: Vec<Option<Duration>>,
    /// Cards received for the phase's commands.
    cards: usize,
}

pub async fn run(s: &Slowloris, setup: &Setup<'_>) {
    eprintln!(
        "load: slowloris, {} slow clients ({} idle), {} commands/s for {} s per phase, service RLIMIT_NOFILE {} (load average {})",
        s.clients,
        s.idle,
        s.rate,
        s.phase.as_secs(),
        setup
            .launch
            .nofile
            .map_or_else(|| "inherited".to_owned(), |n| n.to_string()),
        load_average()
    );
    let per_phase = (s.rate * s.phase.as_secs_f64()).round().max(1.0) as usize;
    let receiver = Receiver::start(per_phase * 2, Duration::from_millis(50)).await;
    let mut calm = traffic::prepare(per_phase * 2, SIGNING_SECRET, |i| receiver.response_url(i));
    let attacked = calm.split_off(per_phase);
    let zoom = FakeZoom::start_with(FakeZoomOptions {
        token_latency: Duration::from_millis(100),
        create_latency: Duration::from_millis(150),
        ..FakeZoomOptions::default()
    })
    .await;
    let database = setup.database(setup.engine).await;
    let env = setup.env_for(
        &zoom.oauth_url(),
        &zoom.api_url(),
        &receiver,
        Some(&database),
    );
    let server = Server::launch(setup.service_bin, &[], &env, setup.launch).await;
    tokio::time::sleep(SETTLE).await;
    let addr = server.addr();
    let cap = server
        .startup_field("max_connections")
        .unwrap_or("?")
        .to_owned();
    let nofile = server.nofile_limit();

    let sampler_stop = CancellationToken::new();
    let samples = sample_held(server.pid(), server.port, sampler_stop.clone());

    let calm = phase(addr, calm, s).await;
    let attack = Arc::new(Attack::default());
    let stop_attack = CancellationToken::new();
    let attack_started = Instant::now();
    let attackers = start_attack(addr, s, Arc::clone(&attack), stop_attack.clone());
    // Let every slow client connect (or fail to) before the attacked phase counts.
    let ramp = wait_for(RAMP_DEADLINE, || {
        *attack
            .first_attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            >= s.clients
    })
    .await;
    let attacked = phase(addr, attacked, s).await;
    let attack_length = attack_started.elapsed();
    stop_attack.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), attackers.join_all()).await;
    receiver
        .wait_for(calm.sent_ok() + attacked.sent_ok(), Duration::from_secs(30))
        .await;
    sampler_stop.cancel();
    let held = samples.await.unwrap_or_default();
    let stopped = server.terminate().await;

    let connections = attack
        .connections
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let connect_failures = *attack
        .connect_failures
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let report = Report {
        s,
        cap,
        nofile,
        calm: &Phase {
            cards: count_cards(&receiver, 0..per_phase),
            ..calm
        },
        attacked: &Phase {
            cards: count_cards(&receiver, per_phase..per_phase * 2),
            ..attacked
        },
        connections: &connections,
        connect_failures,
        ramp,
        attack_length,
        held: &held,
        stopped: &stopped,
        accept_errors: stopped.watched("cannot accept connections"),
    };
    println!("{}", report.render());
}

impl Phase {
    fn sent_ok(&self) -> usize {
        figures(&self.sent).ack.count
    }
}

/// Signed commands at the scenario's rate on fresh connections, with /healthz probes beside them.
async fn phase(addr: SocketAddr, commands: Vec<Prepared>, s: &Slowloris) -> Phase {
    let url = format!("http://{addr}/slack/commands");
    let probes = tokio::spawn(probe_health(addr, s.phase));
    // Allow for a late start and the last command's 3 s.
    let deadline = s.phase + Duration::from_secs(10);
    let sent = traffic::send_all(
        &traffic::fresh_connection_client(),
        std::slice::from_ref(&url),
        Arc::new(commands),
        Load::Rate(s.rate),
        Expect::SchedulingAck,
        deadline,
    )
    .await;
    let probes = probes.await.unwrap_or_default();
    Phase {
        sent,
        probes,
        cards: 0,
    }
}

fn count_cards(receiver: &Receiver, ids: std::ops::Range<usize>) -> usize {
    let arrivals = receiver.arrivals();
    ids.filter(|i| arrivals.get(*i).is_some_and(Option::is_some))
        .count()
}

/// GET /healthz every [`PROBE_EVERY`] for `length`, each on a new connection; `None` = no
/// 200 "ok" within [`PROBE_TIMEOUT`].
async fn probe_health(addr: SocketAddr, length: Duration) -> Vec<Option<Duration>> {
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .pool_max_idle_per_host(0)
        .build()
        .expect("the probe client builds");
    let url = format!("http://{addr}/healthz");
    let count = (length.as_millis() / PROBE_EVERY.as_millis()).max(1) as usize;
    let mut probes = JoinSet::new();
    let mut ticks = tokio::time::interval(PROBE_EVERY);
    for i in 0..count {
        ticks.tick().await;
        let (client, url) = (client.clone(), url.clone());
        probes.spawn(async move {
            let asked = Instant::now();
            let ok = match client.get(&url).send().await {
                Ok(response) if response.status() == 200 => {
                    response.text().await.is_ok_and(|body| body == "ok")
                }
                _ => false,
            };
            (i, ok.then(|| asked.elapsed()))
        });
    }
    let mut results = vec![None; count];
    while let Some(done) = probes.join_next().await {
        if let Ok((i, latency)) = done {
            results[i] = latency;
        }
    }
    results
}

/// Starts every slow client; each reconnects when closed until `stop` (bounded per client).
fn start_attack(
    addr: SocketAddr,
    s: &Slowloris,
    attack: Arc<Attack>,
    stop: CancellationToken,
) -> JoinSet<()> {
    let mut clients = JoinSet::new();
    for k in 0..s.clients {
        let idle = k < s.idle;
        let (attack, stop, byte_every) = (Arc::clone(&attack), stop.clone(), s.byte_every);
        clients.spawn(async move {
            for attempt in 0..MAX_CONNECTIONS_PER_CLIENT {
                if stop.is_cancelled() {
                    break;
                }
                let connected = tokio::select! {
                    () = stop.cancelled() => break,
                    c = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)) => c,
                };
                if attempt == 0 {
                    *attack
                        .first_attempts
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) += 1;
                }
                let Ok(Ok(stream)) = connected else {
                    *attack
                        .connect_failures
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) += 1;
                    // Give the listener a moment rather than hammering it.
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                };
                let since = Instant::now();
                let end = hold(stream, idle, byte_every, &stop).await;
                attack
                    .connections
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Connection {
                        idle,
                        connected: since,
                        ended: Instant::now(),
                        end,
                    });
            }
        });
    }
    clients
}

/// Keeps one slow connection open, trickling header bytes unless `idle`, until the service
/// closes it or `stop`.
async fn hold(
    stream: TcpStream,
    idle: bool,
    byte_every: Duration,
    stop: &CancellationToken,
) -> End {
    let (mut read, mut write) = stream.into_split();
    let mut buf = [0u8; 1024];
    let mut responded = false;
    let mut next_byte = tokio::time::Instant::now();
    let header = SLOW_HEADER.iter().copied().chain(std::iter::repeat(b'a'));
    let mut header = header.take(10_000);
    // Bounded: each turn either sends a byte (at most 10,000) or reads (the service answers
    // at most a few times before closing); `stop` ends it in any case.
    for _ in 0..20_000 {
        tokio::select! {
            () = stop.cancelled() => return End::StillOpen,
            r = read.read(&mut buf) => match r {
                Ok(0) => return End::Closed { responded },
                Ok(_) => responded = true,
                Err(_) => return End::Reset,
            },
            () = tokio::time::sleep_until(next_byte), if !idle => {
                let Some(byte) = header.next() else { return End::StillOpen };
                if write.write_all(&[byte]).await.is_err() {
                    return End::Reset;
                }
                next_byte += byte_every;
            }
        }
    }
    End::StillOpen
}

/// Polls `done` every 50 ms until it holds or `deadline` passes; returns how long it took.
async fn wait_for(deadline: Duration, done: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !done() && start.elapsed() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    start.elapsed()
}

/// Samples what the service holds every [`SAMPLE_EVERY`] until `stop` (or the process ends).
fn sample_held(
    pid: u32,
    port: u16,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<Vec<(Instant, Held)>> {
    tokio::spawn(async move {
        let mut samples = Vec::new();
        // Bounded by count as well: 30 minutes of samples at most.
        for _ in 0..9_000 {
            if stop.is_cancelled() {
                break;
            }
            match held(pid, port) {
                Some(h) => samples.push((Instant::now(), h)),
                None => break,
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(SAMPLE_EVERY) => {}
            }
        }
        samples
    })
}

struct Report<'a> {
    s: &'a Slowloris,
    cap: String,
    nofile: Option<u64>,
    calm: &'a Phase,
    attacked: &'a Phase,
    connections: &'a [Connection],
    connect_failures: usize,
    ramp: Duration,
    attack_length: Duration,
    held: &'a [(Instant, Held)],
    stopped: &'a crate::process::Stopped,
    accept_errors: u64,
}

impl Report<'_> {
    fn render(&self) -> String {
        let s = self.s;
        let secs = |d: Duration| format!("{:.1}", d.as_secs_f64());
        let mut out = format!(
            "\n### slowloris: {} slow clients ({} trickling one header byte every {} s, {} idle), {} signed commands/s for {} s per phase, service RLIMIT_NOFILE {}, connection cap {} (load average {})\n\n",
            s.clients,
            s.clients - s.idle,
            s.byte_every.as_secs(),
            s.idle,
            s.rate,
            s.phase.as_secs(),
            self.nofile
                .map_or_else(|| "?".to_owned(), |n| n.to_string()),
            self.cap,
            load_average(),
        );

        out.push_str(
            "Slow connections:\n\n| measure | trickling | idle | target |\n|---|---|---|---|\n",
        );
        let closed_lifetimes = |idle: bool| {
            Summary::of(
                self.connections
                    .iter()
                    .filter(|c| c.idle == idle && matches!(c.end, End::Closed { .. }))
                    .map(|c| c.ended.saturating_duration_since(c.connected))
                    .collect(),
            )
        };
        let count = |idle: bool, f: &dyn Fn(&Connection) -> bool| {
            self.connections
                .iter()
                .filter(|c| c.idle == idle && f(c))
                .count()
        };
        let mut row = |measure: &str, cell: &dyn Fn(bool) -> String, target: String| {
            out.push_str(&format!(
                "| {measure} | {} | {} | {target} |\n",
                cell(false),
                cell(true)
            ));
        };
        row(
            "connections made (with reconnects)",
            &|idle| count(idle, &|_| true).to_string(),
            String::new(),
        );
        row(
            "closed by the service / of which answered first / reset / still open at the end",
            &|idle| {
                format!(
                    "{} / {} / {} / {}",
                    count(idle, &|c| matches!(c.end, End::Closed { .. })),
                    count(idle, &|c| c.end == End::Closed { responded: true }),
                    count(idle, &|c| c.end == End::Reset),
                    count(idle, &|c| c.end == End::StillOpen)
                )
            },
            String::new(),
        );
        row(
            "closed after (connect → close) min / p50 / p99 / max (s)",
            &|idle| {
                let l = closed_lifetimes(idle);
                format!(
                    "{} / {} / {} / {}",
                    secs(l.min),
                    secs(l.p50),
                    secs(l.p99),
                    secs(l.max)
                )
            },
            "≈ 10 s (the header-read timeout) once accepted".into(),
        );
        row(
            "closed between 9.5 and 11 s after connecting",
            &|idle| {
                count(idle, &|c| {
                    matches!(c.end, End::Closed { .. })
                        && (9.5..=11.0)
                            .contains(&c.ended.saturating_duration_since(c.connected).as_secs_f64())
                })
                .to_string()
            },
            String::new(),
        );

        let peak_inbound = self.held.iter().map(|(_, h)| h.inbound).max().unwrap_or(0);
        let peak_fds = self
            .held
            .iter()
            .map(|(_, h)| h.descriptors)
            .max()
            .unwrap_or(0);
        let cap: Option<usize> = self.cap.parse().ok();
        out.push_str(&format!(
            "\nConnect attempts that failed (no connection within {} s): {}. Every slow client's first attempt done after {} s; attack lasted {} s.\n",
            CONNECT_TIMEOUT.as_secs(),
            self.connect_failures,
            secs(self.ramp),
            secs(self.attack_length),
        ));
        out.push_str("\nThe service:\n\n| measure | value | target |\n|---|---|---|\n");
        let mut row = |measure: &str, value: String, target: String| {
            out.push_str(&format!("| {measure} | {value} | {target} |\n"));
        };
        row(
            "inbound connections held, peak (from /proc, every 200 ms)",
            peak_inbound.to_string(),
            format!(
                "≤ cap {}: **{}**",
                self.cap,
                met(cap.is_some_and(|c| peak_inbound <= c))
            ),
        );
        row(
            "open descriptors, peak / RLIMIT_NOFILE",
            format!(
                "{peak_fds} / {}",
                self.nofile
                    .map_or_else(|| "?".to_owned(), |n| n.to_string())
            ),
            format!(
                "below the limit: **{}**",
                met(self.nofile.is_some_and(|n| (peak_fds as u64) < n))
            ),
        );
        row(
            "log lines \"cannot accept connections\" (EMFILE and the like)",
            self.accept_errors.to_string(),
            "0".into(),
        );
        row(
            "peak RSS, VmHWM (MiB)",
            mib(self.stopped.peak_hwm_kib),
            String::new(),
        );
        row("SIGTERM → exit", self.stopped.describe(), "exit 0".into());

        out.push_str("\nSigned commands (each on a new connection) and /healthz probes:\n\n| measure | without the attack | during the attack | target |\n|---|---|---|---|\n");
        let calm = figures(&self.calm.sent);
        let attacked = figures(&self.attacked.sent);
        let ack = |f: &crate::standard::Figures| {
            format!("{} / {} / {}", ms(f.ack.p50), ms(f.ack.p99), ms(f.ack.max))
        };
        let p99_ratio =
            attacked.ack.p99.as_secs_f64() / calm.ack.p99.as_secs_f64().max(f64::EPSILON);
        out.push_str(&format!(
            "| ack latency p50 / p99 / max (ms), acknowledged commands | {} | {} | p99 {p99_ratio:.1}× the calm phase's |\n",
            ack(&calm),
            ack(&attacked),
        ));
        out.push_str(&format!(
            "| acknowledged within Slack's 3 s / sent | {} / {} | {} / {} | all: **{}** |\n",
            calm.ack.count,
            self.calm.sent.samples.len(),
            attacked.ack.count,
            self.attacked.sent.samples.len(),
            met(attacked.ack.count == self.attacked.sent.samples.len()),
        ));
        out.push_str(&format!(
            "| errors | {} | {} | 0: **{}** |\n",
            calm.errors,
            attacked.errors,
            met(attacked.error_count == 0)
        ));
        out.push_str(&format!(
            "| cards received (also for commands Slack gave up on) | {} | {} | one per acknowledged command |\n",
            self.calm.cards, self.attacked.cards
        ));
        let probes = |p: &[Option<Duration>]| {
            let ok: Vec<Duration> = p.iter().flatten().copied().collect();
            let summary = Summary::of(ok.clone());
            format!(
                "{} of {}; p50 / max {} / {} ms",
                ok.len(),
                p.len(),
                ms(summary.p50),
                ms(summary.max)
            )
        };
        let all_answered = |p: &[Option<Duration>]| p.iter().all(Option::is_some);
        out.push_str(&format!(
            "| /healthz answered (within {} s) | {} | {} | all: **{}** |\n",
            PROBE_TIMEOUT.as_secs(),
            probes(&self.calm.probes),
            probes(&self.attacked.probes),
            met(all_answered(&self.attacked.probes)),
        ));
        out
    }
}
