//! Load harness: the release `slack-zoom` binary against loopback fakes, compared with a bare axum route.
//!
//! `cargo run --release --example load -- --help` lists the options; `--suite` runs the three
//! measurements quoted in docs/PERFORMANCE.md. Every request goes to 127.0.0.1, every loop has
//! a count and a deadline, and child processes are stopped (SIGTERM, then kill) before exit.

#[path = "../tests/support/fake_zoom.rs"]
mod fake_zoom;
// A crate root's modules are looked up beside it, where Cargo would take them for examples.
#[path = "load/process.rs"]
mod process;
#[path = "load/receiver.rs"]
mod receiver;
#[path = "load/stats.rs"]
mod stats;
#[path = "load/traffic.rs"]
mod traffic;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use fake_zoom::{FakeZoom, FakeZoomOptions};
use process::{Memory, Server};
use receiver::Receiver;
use stats::{Summary, mib, ms};
use traffic::{Expect, Load, Outcome, Sent};

const SIGNING_SECRET: &str = "load-harness-signing-secret";
/// No send phase may run longer than this, whatever the options say.
const SEND_DEADLINE: Duration = Duration::from_secs(100);
/// Time the service gets to settle after start before its idle memory is read.
const SETTLE: Duration = Duration::from_millis(500);
/// The create latency of `--slow-zoom`.
const SLOW_ZOOM_CREATE: Duration = Duration::from_secs(10);
/// The baseline server stops by itself after this, even if the harness vanished.
const BASELINE_MAX_LIFETIME: Duration = Duration::from_secs(600);

/// Load harness for slack-zoom: the release binary against loopback fakes, beside a bare-axum
/// baseline. Sends traffic to 127.0.0.1 only.
#[derive(Parser, Debug)]
#[command(name = "load")]
struct Cli {
    /// Commands to send.
    #[arg(long, default_value_t = 5000)]
    requests: usize,
    /// Workers each sending the next command when the last is answered (default 32).
    #[arg(long, conflicts_with = "rate")]
    concurrency: Option<usize>,
    /// Commands started per second instead, whatever the answers do.
    #[arg(long)]
    rate: Option<f64>,
    /// Fake Zoom's delay before answering a create, in ms.
    #[arg(long, default_value_t = 150)]
    zoom_create_ms: u64,
    /// Fake Zoom's delay before answering a token request, in ms.
    #[arg(long, default_value_t = 100)]
    zoom_token_ms: u64,
    /// The fake response_url's delay before answering, in ms.
    #[arg(long, default_value_t = 50)]
    hook_ms: u64,
    /// Zoom takes 10 s per create; SIGTERM the service right after the send phase and watch it drain.
    #[arg(long)]
    slow_zoom: bool,
    /// Run the three standard measurements (ceiling, 500/s, slow Zoom with 1,000 in flight).
    #[arg(long, conflicts_with_all = ["concurrency", "rate", "slow_zoom"])]
    suite: bool,
    /// Skip the bare-axum baseline.
    #[arg(long)]
    no_baseline: bool,
    /// RUST_LOG for the service (production default: info). The harness finds the port in the
    /// `listening` line, so keep `slack_zoom::app=info`; quiet per-command logs with
    /// `warn,slack_zoom::app=info,slack_zoom::app::handler=warn,slack_zoom::app::schedule=warn`.
    #[arg(long, default_value = "info")]
    rust_log: String,
    /// Use this service binary instead of building target/release/slack-zoom.
    #[arg(long)]
    service_bin: Option<PathBuf>,
    /// Record a `perf` CPU profile of the service during each scenario into this directory
    /// (`perf-<scenario>.data`; read it with `perf report -i …`).
    #[arg(long, value_name = "DIR")]
    profile: Option<PathBuf>,
    /// Internal: serve the bare-axum baseline and print its address.
    #[arg(long, hide = true)]
    baseline_server: bool,
}

/// One measurement: a load shape and the fakes' behaviour.
#[derive(Debug, Clone)]
struct Scenario {
    name: &'static str,
    requests: usize,
    load: Load,
    create: Duration,
    token: Duration,
    hook: Duration,
    /// SIGTERM right after the send phase (the slow-Zoom drain check) instead of waiting for cards.
    terminate_after_send: bool,
    baseline: bool,
}

fn main() {
    let cli = Cli::parse();
    if cli.baseline_server {
        baseline_server();
        return;
    }
    let service_bin = match &cli.service_bin {
        // Absolute, because the service runs in another directory (away from any `.env`).
        Some(path) => std::fs::canonicalize(path)
            .unwrap_or_else(|e| panic!("--service-bin {}: {e}", path.display())),
        None => build_service(),
    };
    let harness = std::env::current_exe().expect("the harness knows its own path");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime starts");

    let setup = Setup {
        service_bin: &service_bin,
        harness: &harness,
        rust_log: &cli.rust_log,
        profile_dir: cli.profile.as_deref(),
    };
    println!("{}", machine());
    for scenario in scenarios(&cli) {
        runtime.block_on(run(&scenario, &setup));
    }
}

fn scenarios(cli: &Cli) -> Vec<Scenario> {
    let defaults = Scenario {
        name: "custom",
        requests: cli.requests,
        load: match cli.rate {
            Some(rate) => Load::Rate(rate),
            None => Load::Concurrency(cli.concurrency.unwrap_or(32)),
        },
        create: Duration::from_millis(cli.zoom_create_ms),
        token: Duration::from_millis(cli.zoom_token_ms),
        hook: Duration::from_millis(cli.hook_ms),
        terminate_after_send: false,
        baseline: !cli.no_baseline,
    };
    if cli.suite {
        return vec![
            Scenario {
                name: "ceiling",
                requests: 20_000,
                load: Load::Concurrency(64),
                ..defaults.clone()
            },
            Scenario {
                name: "rate-500",
                requests: 5_000,
                load: Load::Rate(500.0),
                ..defaults.clone()
            },
            Scenario {
                name: "slow-zoom-1000-in-flight",
                requests: 1_000,
                load: Load::Rate(500.0),
                create: SLOW_ZOOM_CREATE,
                terminate_after_send: true,
                ..defaults
            },
        ];
    }
    if cli.slow_zoom {
        return vec![Scenario {
            name: "slow-zoom",
            create: SLOW_ZOOM_CREATE,
            terminate_after_send: true,
            ..defaults
        }];
    }
    vec![defaults]
}

/// Builds the service's release binary (a no-op when it is fresh) and returns its path.
fn build_service() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("load: cargo build --release --bin slack-zoom");
    let mut build = std::process::Command::new(cargo);
    build
        .args(["build", "--release", "--bin", "slack-zoom", "--quiet"])
        .current_dir(manifest_dir);
    // `cargo run` gives the harness its package's variables; passed on, they look like a changed
    // environment to build scripts that watch them (ring watches CARGO_MANIFEST_DIR), and both
    // this build and the next plain `cargo build` would then recompile the TLS stack.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let from_cargo_run = name.starts_with("CARGO_PKG_")
            || matches!(
                name.as_ref(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            );
        if from_cargo_run {
            build.env_remove(name.as_ref());
        }
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building the service failed: {status}");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| manifest_dir.join("target"), PathBuf::from);
    target.join("release").join("slack-zoom")
}

/// What one target (baseline or service) did under the load.
struct Measured {
    sent: Sent,
    idle: Memory,
    peak_hwm_kib: u64,
    /// CPU time (user + system) over the process's life.
    cpu: Duration,
    /// CPU time the harness itself (client, fakes, receiver) used while loading this target.
    harness_cpu: Duration,
}

/// Where to run the service and how to observe it.
struct Setup<'a> {
    service_bin: &'a Path,
    harness: &'a Path,
    rust_log: &'a str,
    /// Record a `perf` profile of the service into this directory.
    profile_dir: Option<&'a Path>,
}

async fn run(scenario: &Scenario, setup: &Setup<'_>) {
    let Setup {
        service_bin,
        harness,
        rust_log,
        profile_dir,
    } = *setup;
    eprintln!(
        "load: scenario {} ({} commands, {})",
        scenario.name, scenario.requests, scenario.load
    );
    let receiver = Receiver::start(scenario.requests, scenario.hook).await;
    let commands = Arc::new(traffic::prepare(scenario.requests, SIGNING_SECRET, |i| {
        receiver.response_url(i)
    }));
    let client = traffic::client();

    let baseline = if scenario.baseline {
        let server = Server::start(harness, &["--baseline-server"], &[]).await;
        tokio::time::sleep(SETTLE).await;
        let idle = server.memory();
        let url = format!("http://{}/slack/commands", server.addr());
        let harness_cpu = HarnessCpu::start();
        let sent = traffic::send_all(
            &client,
            &url,
            Arc::clone(&commands),
            scenario.load,
            Expect::Status200,
            SEND_DEADLINE,
        )
        .await;
        let stopped = server.terminate().await;
        Some(Measured {
            sent,
            idle,
            peak_hwm_kib: stopped.peak_hwm_kib,
            cpu: stopped.cpu_time,
            harness_cpu: harness_cpu.elapsed(),
        })
    } else {
        None
    };

    let zoom = Arc::new(
        FakeZoom::start_with(FakeZoomOptions {
            token_latency: scenario.token,
            create_latency: scenario.create,
            ..FakeZoomOptions::default()
        })
        .await,
    );
    let options = zoom.options();
    let env = [
        ("SLACK_SIGNING_SECRET", SIGNING_SECRET.to_owned()),
        ("ZOOM_ACCOUNT_ID", options.account_id.clone()),
        ("ZOOM_CLIENT_ID", options.client_id.clone()),
        ("ZOOM_CLIENT_SECRET", options.client_secret.clone()),
        ("ZOOM_OAUTH_URL", zoom.oauth_url()),
        ("ZOOM_API_URL", zoom.api_url()),
        // Never called (no SLACK_BOT_TOKEN), but kept on loopback all the same.
        ("SLACK_API_URL", format!("{}/api", receiver.base_url)),
        ("SLACK_RESPONSE_URL_PREFIXES", receiver.prefix()),
        ("PORT", "0".to_owned()),
        ("RUST_LOG", rust_log.to_owned()),
    ];
    let server = Server::start(service_bin, &[], &env).await;
    tokio::time::sleep(SETTLE).await;
    let idle = server.memory();

    // The token becomes usable when the first create reaches Zoom; commands sent before then
    // waited for the (single) token fetch, which is a fake delay, not the service's.
    let first_create = {
        let zoom = Arc::clone(&zoom);
        let wait = SEND_DEADLINE + scenario.token;
        tokio::spawn(async move { zoom.wait_for_creates(1, wait).await.then(Instant::now) })
    };

    // The fakes' delays are Tokio sleeps, which end on a later millisecond tick and only when a
    // busy harness worker gets to them; this probe measures by how much, under the same load.
    let overshoot = TimerProbe::start(scenario.create);
    let url = format!("http://{}/slack/commands", server.addr());
    let harness_cpu = HarnessCpu::start();
    let profiler = match profile_dir {
        Some(dir) => Some(
            Profiler::start(
                server.pid(),
                &dir.join(format!("perf-{}.data", scenario.name)),
            )
            .await,
        ),
        None => None,
    };
    let sent = traffic::send_all(
        &client,
        &url,
        Arc::clone(&commands),
        scenario.load,
        Expect::SchedulingAck,
        SEND_DEADLINE,
    )
    .await;
    let acknowledged = sent
        .samples
        .iter()
        .flatten()
        .filter(|s| s.outcome == Outcome::Ok)
        .count();
    // Answered creates first: read the other way round, a create answered in between would be
    // counted as answered but not as received.
    let creates_answered = zoom.meetings_created();
    let at_send_end = Pending {
        creates_at_zoom: zoom
            .create_requests()
            .len()
            .saturating_sub(creates_answered),
        cards_outstanding: acknowledged.saturating_sub(receiver.cards()),
        memory: server.memory(),
    };

    let stopped = if scenario.terminate_after_send {
        let stopped = server.terminate().await;
        if let Some(profiler) = profiler {
            profiler.stop().await;
        }
        stopped
    } else {
        let card_deadline =
            scenario.token + scenario.create + scenario.hook + Duration::from_secs(30);
        receiver.wait_for(acknowledged, card_deadline).await;
        if let Some(profiler) = profiler {
            profiler.stop().await;
        }
        server.terminate().await
    };
    let harness_cpu = harness_cpu.elapsed();
    // No create at all (every command refused) would leave the watcher waiting for its deadline.
    let token_ready = if first_create.is_finished() {
        first_create.await.ok().flatten()
    } else {
        first_create.abort();
        None
    };
    let service = Measured {
        sent,
        idle,
        peak_hwm_kib: stopped.peak_hwm_kib,
        cpu: stopped.cpu_time,
        harness_cpu,
    };
    let e2e = added_latency(&service.sent, &receiver, scenario, token_ready);
    let overshoot = overshoot.stop();

    let report = Report {
        scenario,
        baseline: baseline.as_ref(),
        service: &service,
        e2e,
        cards: receiver.cards(),
        wrong_cards: receiver.wrong(),
        acknowledged,
        token_requests: zoom.token_requests(),
        create_requests: zoom.create_requests().len(),
        at_send_end,
        stopped: &stopped,
        rust_log,
        overshoot,
    };
    println!("{}", report.render());
    if stopped.status.is_none_or(|s| !s.success()) && !stopped.stderr_tail.is_empty() {
        eprintln!(
            "load: service stderr (last lines):\n{}",
            stopped.stderr_tail
        );
    }
}

/// State of the background work at the end of the send phase.
struct Pending {
    /// Creates Zoom received and has not answered yet.
    creates_at_zoom: usize,
    /// Acknowledged commands whose card has not arrived.
    cards_outstanding: usize,
    memory: Memory,
}

/// End-to-end latency (command sent → card at response_url) minus the fakes' own delays.
fn added_latency(
    sent: &Sent,
    receiver: &Receiver,
    scenario: &Scenario,
    token_ready: Option<Instant>,
) -> Summary {
    let arrivals = receiver.arrivals();
    let added = sent
        .samples
        .iter()
        .zip(arrivals)
        .filter_map(|(sample, arrival)| {
            let sample = sample.as_ref().filter(|s| s.outcome == Outcome::Ok)?;
            let e2e = arrival?.saturating_duration_since(sample.sent);
            // Only commands sent before the token existed waited for its fetch, and at most
            // the fake's token delay.
            let token_wait = token_ready.map_or(Duration::ZERO, |ready| {
                ready
                    .saturating_duration_since(sample.sent)
                    .min(scenario.token)
            });
            // The card is timestamped on arrival, so the response_url delay is not in `e2e`.
            Some(e2e.saturating_sub(scenario.create + token_wait))
        })
        .collect();
    Summary::of(added)
}

struct Report<'a> {
    scenario: &'a Scenario,
    baseline: Option<&'a Measured>,
    service: &'a Measured,
    e2e: Summary,
    cards: usize,
    wrong_cards: usize,
    acknowledged: usize,
    token_requests: usize,
    create_requests: usize,
    at_send_end: Pending,
    stopped: &'a process::Stopped,
    rust_log: &'a str,
    /// How much longer than asked the harness's sleeps of the create delay took.
    overshoot: Summary,
}

/// Throughput, latency and errors of one target.
struct Figures {
    throughput: f64,
    ack: Summary,
    errors: String,
    error_count: usize,
}

fn figures(sent: &Sent) -> Figures {
    let done: Vec<_> = sent.samples.iter().flatten().collect();
    let ok: Vec<Duration> = done
        .iter()
        .filter(|s| s.outcome == Outcome::Ok)
        .map(|s| s.latency)
        .collect();
    let count = |f: fn(&Outcome) -> bool| done.iter().filter(|s| f(&s.outcome)).count();
    let status = count(|o| matches!(o, Outcome::Status(_)));
    let wrong = count(|o| matches!(o, Outcome::WrongBody));
    let transport = count(|o| matches!(o, Outcome::Transport));
    let not_sent = sent.samples.len() - done.len();
    let error_count = status + wrong + transport + not_sent;
    Figures {
        throughput: ok.len() as f64 / sent.elapsed.as_secs_f64().max(f64::EPSILON),
        ack: Summary::of(ok),
        errors: format!(
            "{error_count} (non-200 {status}, wrong body {wrong}, transport {transport}, not sent {not_sent})"
        ),
        error_count,
    }
}

impl Report<'_> {
    fn render(&self) -> String {
        let s = self.scenario;
        let service = figures(&self.service.sent);
        let baseline = self.baseline.map(|b| figures(&b.sent));
        let base = |f: &dyn Fn(&Figures, &Measured) -> String| match (&baseline, self.baseline) {
            (Some(figures), Some(measured)) => f(figures, measured),
            _ => "–".to_owned(),
        };
        let ratio = baseline
            .as_ref()
            .map(|b| service.throughput / b.throughput.max(f64::EPSILON));
        let mut out = format!(
            "\n### {}: {} commands, {} (Zoom create {} ms, token {} ms, response_url {} ms)\n\n",
            s.name,
            s.requests,
            s.load,
            s.create.as_millis(),
            s.token.as_millis(),
            s.hook.as_millis()
        );
        out.push_str("| measure | bare axum | slack-zoom | target |\n|---|---|---|---|\n");
        let mut row = |measure: &str, baseline: String, service: String, target: String| {
            out.push_str(&format!(
                "| {measure} | {baseline} | {service} | {target} |\n"
            ));
        };
        row(
            "throughput (acks/s)",
            base(&|f, _| format!("{:.0}", f.throughput)),
            format!("{:.0}", service.throughput),
            ratio.map_or_else(String::new, |r| {
                format!("≥ 60 % of bare axum: **{:.0} %**", r * 100.0)
            }),
        );
        row(
            "ack latency p50 / p99 / max (ms)",
            base(&|f, _| format!("{} / {} / {}", ms(f.ack.p50), ms(f.ack.p99), ms(f.ack.max))),
            format!(
                "{} / {} / {}",
                ms(service.ack.p50),
                ms(service.ack.p99),
                ms(service.ack.max)
            ),
            format!(
                "p99 < 10 ms: **{}**",
                met(service.ack.p99 < Duration::from_millis(10))
            ),
        );
        row(
            "errors",
            base(&|f, _| f.errors.clone()),
            service.errors.clone(),
            format!("0: **{}**", met(service.error_count == 0)),
        );
        row(
            "cards received (wrong or duplicate)",
            "–".into(),
            format!(
                "{} of {} ({})",
                self.cards, self.acknowledged, self.wrong_cards
            ),
            format!(
                "all: **{}**",
                met(self.cards == self.acknowledged && self.wrong_cards == 0)
            ),
        );
        row(
            "end-to-end minus fakes' delays p50 / p99 (ms)",
            "–".into(),
            format!("{} / {}", ms(self.e2e.p50), ms(self.e2e.p99)),
            format!(
                "p50 < 2 ms: **{}**",
                met(self.e2e.count > 0 && self.e2e.p50 < Duration::from_millis(2))
            ),
        );
        row(
            "of which the fakes' timers: a create-delay sleep overran by p50 / p99 (ms)",
            "–".into(),
            format!("{} / {}", ms(self.overshoot.p50), ms(self.overshoot.p99)),
            String::new(),
        );
        row(
            "Zoom token / create requests",
            "–".into(),
            format!("{} / {}", self.token_requests, self.create_requests),
            format!("1 token: **{}**", met(self.token_requests == 1)),
        );
        let per_command =
            |cpu: Duration| format!("{:.0}", cpu.as_secs_f64() * 1e6 / s.requests.max(1) as f64);
        row(
            "CPU per command, server process (µs)",
            base(&|_, m| per_command(m.cpu)),
            per_command(self.service.cpu),
            String::new(),
        );
        row(
            "CPU per command, harness: client + fakes (µs)",
            base(&|_, m| per_command(m.harness_cpu)),
            per_command(self.service.harness_cpu),
            String::new(),
        );
        row(
            "idle RSS (MiB)",
            base(&|_, m| mib(m.idle.rss_kib)),
            mib(self.service.idle.rss_kib),
            format!(
                "< 20 MiB: **{}**",
                met(self.service.idle.rss_kib < 20 * 1024)
            ),
        );
        row(
            "peak RSS, VmHWM (MiB)",
            base(&|_, m| mib(m.peak_hwm_kib)),
            mib(self.service.peak_hwm_kib),
            if s.create >= SLOW_ZOOM_CREATE && s.requests >= 1000 {
                format!(
                    "< 50 MiB with 1,000 in flight: **{}**",
                    met(self.service.peak_hwm_kib < 50 * 1024)
                )
            } else {
                String::new()
            },
        );
        row(
            "at end of send phase: creates pending at Zoom / cards outstanding / RSS (MiB)",
            "–".into(),
            format!(
                "{} / {} / {}",
                self.at_send_end.creates_at_zoom,
                self.at_send_end.cards_outstanding,
                mib(self.at_send_end.memory.rss_kib)
            ),
            String::new(),
        );
        row(
            if s.terminate_after_send {
                "SIGTERM right after sending → exit"
            } else {
                "SIGTERM after the last card → exit"
            },
            "–".into(),
            self.stopped.describe(),
            "exit 0 within 30 s, no card lost".into(),
        );
        row(
            &format!("service log lines (RUST_LOG={})", self.rust_log),
            "–".into(),
            format!(
                "{} ({:.1} per command)",
                self.stopped.log_lines,
                self.stopped.log_lines as f64 / s.requests.max(1) as f64
            ),
            String::new(),
        );
        out
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "missed" }
}

/// Sleeps of a fake's delay, side by side with the fakes, timing how late each one ends.
struct TimerProbe {
    late: Arc<std::sync::Mutex<Vec<Duration>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl TimerProbe {
    /// Probes in flight at once; staggered so samples spread over the run.
    const PROBES: usize = 8;
    /// Each probe stops after this many sleeps even if never told to.
    const MAX_SLEEPS: usize = 2_000;

    fn start(delay: Duration) -> TimerProbe {
        let late = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tasks = (0..Self::PROBES)
            .map(|k| {
                let late = Arc::clone(&late);
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(k as u64 * 7)).await;
                    for _ in 0..Self::MAX_SLEEPS {
                        let asked = Instant::now();
                        tokio::time::sleep(delay).await;
                        let overran = asked.elapsed().saturating_sub(delay);
                        late.lock().unwrap_or_else(|e| e.into_inner()).push(overran);
                    }
                })
            })
            .collect();
        TimerProbe { late, tasks }
    }

    /// Ends the probes at once (a sleep in progress is dropped, not waited for).
    fn stop(self) -> Summary {
        for task in &self.tasks {
            task.abort();
        }
        let late = std::mem::take(&mut *self.late.lock().unwrap_or_else(|e| e.into_inner()));
        Summary::of(late)
    }
}

/// CPU time this process (client, fakes, receiver) uses from `start` on.
struct HarnessCpu(u64);

impl HarnessCpu {
    fn start() -> HarnessCpu {
        HarnessCpu(process::cpu_time_ticks(std::process::id()).unwrap_or(0))
    }

    fn elapsed(&self) -> Duration {
        let now = process::cpu_time_ticks(std::process::id()).unwrap_or(self.0);
        Duration::from_millis(now.saturating_sub(self.0) * 10)
    }
}

/// `perf record` attached to the service, stopped like Ctrl-C so it writes its file.
struct Profiler {
    child: tokio::process::Child,
}

impl Profiler {
    async fn start(pid: u32, output: &Path) -> Profiler {
        let child = tokio::process::Command::new("perf")
            .args(["record", "-F", "499", "-g", "-p", &pid.to_string(), "-o"])
            .arg(output)
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("perf runs (apt-get install linux-perf)");
        // perf needs a moment to attach before the load starts.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Profiler { child }
    }

    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .is_err()
        {
            eprintln!("load: perf did not stop; killing it");
            let _ = self.child.start_kill();
        }
    }
}

/// One line about the machine, so pasted results say where they come from.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown CPU", |v| v.trim_start_matches([' ', '\t', ':']));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "## slack-zoom load harness\n\nMachine: {cpus} CPUs ({model}), {mem_gib:.1} GiB, Linux {}",
        kernel.trim()
    )
}

/// The baseline: a bare axum route that answers 200 and does nothing else, in its own process
/// with the same runtime as the service, so the ratio measures the service's own work.
fn baseline_server() {
    use axum::Router;
    use axum::body::Bytes;
    use axum::http::StatusCode;
    use axum::routing::post;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime starts");
    runtime.block_on(async {
        // The body is read, as any real handler must, and then ignored.
        let app = Router::new().route(
            "/slack/commands",
            post(|_body: Bytes| async { StatusCode::OK }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the baseline on loopback");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        println!("baseline listening address={addr}");
        let stop = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM can be watched");
            tokio::select! {
                _ = term.recv() => {}
                () = tokio::time::sleep(BASELINE_MAX_LIFETIME) => {}
            }
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
            .expect("the baseline serves");
    });
}
