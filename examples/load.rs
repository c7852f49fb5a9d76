//! Load harness: the release `slack-zoom` binary against loopback fakes, compared with a bare
//! axum route and the "floor" (the same outbound calls, nothing else), plus overload and
//! slow-client scenarios.
//!
//! `cargo run --release --example load -- --help` lists the options; `--suite` runs the three
//! measurements quoted in docs/PERFORMANCE.md, `--robustness` the slow-client and overload
//! ones. Every request goes to 127.0.0.1, every loop has a count and a deadline, and child
//! processes are stopped (SIGTERM, then kill) before exit.

#[path = "../tests/support/fake_zoom.rs"]
mod fake_zoom;
// A crate root's modules are looked up beside it, where Cargo would take them for examples.
#[path = "load/baseline.rs"]
mod baseline;
#[path = "load/database.rs"]
mod database;
#[path = "load/hanging_zoom.rs"]
mod hanging_zoom;
#[path = "load/observe.rs"]
mod observe;
#[path = "load/overload.rs"]
mod overload;
#[path = "../tests/support/pg_install.rs"]
mod pg_install;
#[path = "load/postgres.rs"]
mod postgres;
#[path = "load/process.rs"]
mod process;
#[path = "load/receiver.rs"]
mod receiver;
#[path = "load/slowloris.rs"]
mod slowloris;
#[path = "load/standard.rs"]
mod standard;
#[path = "load/stats.rs"]
mod stats;
#[path = "load/traffic.rs"]
mod traffic;

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use database::{Database, Engine};
use fake_zoom::{FakeZoom, FakeZoomOptions};
use overload::Overload;
use postgres::PgServer;
use process::Launch;
use receiver::Receiver;
use slowloris::Slowloris;
use standard::Scenario;
use traffic::Load;

const SIGNING_SECRET: &str = "load-harness-signing-secret";
/// No send phase may run longer than this, whatever the options say.
const SEND_DEADLINE: Duration = Duration::from_secs(100);
/// Time the service gets to settle after start before its idle memory is read.
const SETTLE: Duration = Duration::from_millis(500);
/// The create latency of `--slow-zoom`.
const SLOW_ZOOM_CREATE: Duration = Duration::from_secs(10);

/// Load harness for slack-zoom: the release binary against loopback fakes, beside a bare-axum
/// baseline and the floor. Sends traffic to 127.0.0.1 only.
#[derive(Parser, Debug)]
#[command(name = "load")]
struct Cli {
    /// Commands to send (default 5,000; 20,000 with --overload).
    #[arg(long)]
    requests: Option<usize>,
    /// Workers each sending the next command when the last is answered (default 32; 64 with
    /// --overload).
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
    /// Run the standard measurements: the ceiling and 500/s on SQLite, 500/s on PostgreSQL,
    /// each beside bare axum and the floor; slow Zoom with 1,000 creates in flight.
    #[arg(long, conflicts_with_all = ["concurrency", "rate", "slow_zoom", "overload", "slowloris", "robustness", "replicas"])]
    suite: bool,
    /// Store the service's records in a throwaway PostgreSQL server the harness starts (a
    /// fresh database per service start) instead of a fresh SQLite file per start.
    #[arg(long)]
    postgres: bool,
    /// With --postgres: a server setting, passed as `-c NAME=VALUE` (repeatable), e.g.
    /// `synchronous_commit=off`. Without any, PostgreSQL's own defaults (durable commits).
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_env_pair)]
    postgres_setting: Vec<(String, String)>,
    /// Run this many service processes on one PostgreSQL database (implies --postgres) and
    /// spread the commands round-robin across them. Without --rate or --concurrency: 500/s
    /// and the ceiling.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16),
          conflicts_with_all = ["overload", "slowloris", "robustness"])]
    replicas: Option<u16>,
    /// Run the robustness measurements: --slowloris 2000 with the inherited descriptor limit
    /// and with RLIMIT_NOFILE 1024, then --overload.
    #[arg(long, conflicts_with_all = ["concurrency", "rate", "slow_zoom", "overload", "slowloris"])]
    robustness: bool,
    /// Skip the baselines (bare axum and the floor).
    #[arg(long)]
    no_baseline: bool,
    /// Skip the floor baseline only.
    #[arg(long)]
    no_floor: bool,
    /// Skip the bare-axum baseline only.
    #[arg(long)]
    no_bare: bool,
    /// Also measure the floor writing one row per meeting, committed before its card, to a
    /// fresh store of the service's engine ("floor + 1 write").
    #[arg(long)]
    floor_store: bool,
    /// Overload: commands sent as fast as they are answered to a Zoom whose creates never
    /// answer. Runs MAX_QUEUED_COMMANDS=0 then the default (1,000), unless --max-queued.
    #[arg(long, conflicts_with_all = ["slow_zoom", "slowloris"])]
    overload: bool,
    /// With --overload: one pass with this MAX_QUEUED_COMMANDS.
    #[arg(long, requires = "overload")]
    max_queued: Option<usize>,
    /// With --overload: ZOOM_TIMEOUT_SECONDS for the service (default: its own, 20).
    #[arg(long, requires = "overload")]
    zoom_timeout: Option<u64>,
    /// Slow clients: this many loopback connections that trickle a header (or send nothing),
    /// while signed commands flow at --slow-rate, compared with a calm phase.
    #[arg(long, value_name = "N", conflicts_with = "slow_zoom")]
    slowloris: Option<usize>,
    /// With --slowloris: how many of the slow clients send nothing at all (default N/10).
    #[arg(long, requires = "slowloris")]
    slow_idle: Option<usize>,
    /// With --slowloris: seconds between two header bytes of a trickling client.
    #[arg(long, default_value_t = 2)]
    byte_every: u64,
    /// With --slowloris: signed commands per second in each phase.
    #[arg(long, default_value_t = 50.0)]
    slow_rate: f64,
    /// With --slowloris: length of each phase, in seconds.
    #[arg(long, default_value_t = 20)]
    slow_phase: u64,
    /// RLIMIT_NOFILE (soft and hard) for the service process, like `ulimit -n` before it starts.
    #[arg(long, value_name = "N")]
    service_nofile: Option<u64>,
    /// Extra environment for the service (repeatable), e.g. `MALLOC_ARENA_MAX=2`; it wins over
    /// the harness's own settings.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_env_pair)]
    service_env: Vec<(String, String)>,
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
    /// Internal: serve the floor baseline and print its address.
    #[arg(long, hide = true)]
    floor_server: bool,
}

/// Where to run the service and how to observe it.
pub struct Setup<'a> {
    pub service_bin: &'a Path,
    pub harness: &'a Path,
    pub rust_log: &'a str,
    /// Record a `perf` profile of the service into this directory.
    pub profile_dir: Option<&'a Path>,
    /// Limits for the service process.
    pub launch: Launch,
    /// `--service-env`, added last.
    pub extra_env: &'a [(String, String)],
    /// The store of the scenarios that do not choose one (overload, slow clients, custom).
    pub engine: Engine,
    /// The harness's PostgreSQL, when a scenario stores on it.
    pub postgres: Option<&'a PgServer>,
}

impl Setup<'_> {
    /// A fresh store for one service start (or for all replicas of one measurement).
    pub async fn database(&self, engine: Engine) -> Database {
        database::fresh(engine, self.postgres).await
    }

    /// The service's environment against the shared fake Zoom and the receiver.
    pub fn service_env(
        &self,
        zoom: &FakeZoom,
        receiver: &Receiver,
        database: Option<&Database>,
    ) -> Vec<(&str, String)> {
        let mut env = self.env_for(&zoom.oauth_url(), &zoom.api_url(), receiver, database);
        let options = zoom.options();
        for (name, value) in [
            ("ZOOM_ACCOUNT_ID", &options.account_id),
            ("ZOOM_CLIENT_ID", &options.client_id),
            ("ZOOM_CLIENT_SECRET", &options.client_secret),
        ] {
            env.retain(|(n, _)| *n != name);
            env.push((name, value.clone()));
        }
        env
    }

    /// The service's environment against any Zoom on loopback (the fake's default credentials),
    /// storing in `database` (`None` for the floor, which stores nothing).
    pub fn env_for(
        &self,
        oauth_url: &str,
        api_url: &str,
        receiver: &Receiver,
        database: Option<&Database>,
    ) -> Vec<(&str, String)> {
        let credentials = FakeZoomOptions::default();
        let mut env = vec![
            ("SLACK_SIGNING_SECRET", SIGNING_SECRET.to_owned()),
            ("ZOOM_ACCOUNT_ID", credentials.account_id),
            ("ZOOM_CLIENT_ID", credentials.client_id),
            ("ZOOM_CLIENT_SECRET", credentials.client_secret),
            ("ZOOM_OAUTH_URL", oauth_url.to_owned()),
            ("ZOOM_API_URL", api_url.to_owned()),
            // Never called (no SLACK_BOT_TOKEN), but kept on loopback all the same.
            ("SLACK_API_URL", format!("{}/api", receiver.base_url)),
            ("SLACK_RESPONSE_URL_PREFIXES", receiver.prefix()),
            ("PORT", "0".to_owned()),
            ("RUST_LOG", self.rust_log.to_owned()),
        ];
        if let Some(database) = database {
            env.push(("DATABASE_URL", database.url.clone()));
        }
        for (key, value) in self.extra_env {
            env.retain(|(k, _)| k != key);
            env.push((key.as_str(), value.clone()));
        }
        env
    }
}

fn parse_env_pair(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{raw}` is not KEY=VALUE")),
    }
}

fn main() {
    let cli = Cli::parse();
    if cli.baseline_server {
        baseline::serve(baseline::Kind::Bare);
        return;
    }
    if cli.floor_server {
        baseline::serve(baseline::Kind::Floor);
        return;
    }
    let service_bin = match &cli.service_bin {
        // Absolute, because the service runs in another directory (away from any `.env`).
        Some(path) => std::fs::canonicalize(path)
            .unwrap_or_else(|e| panic!("--service-bin {}: {e}", path.display())),
        None => build_service(),
    };
    let harness = std::env::current_exe().expect("the harness knows its own path");
    // Thousands of client sockets live in this process during the slow-client scenario.
    let own_limit = observe::raise_descriptor_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime starts");

    let setup = Setup {
        service_bin: &service_bin,
        harness: &harness,
        rust_log: &cli.rust_log,
        profile_dir: cli.profile.as_deref(),
        launch: Launch {
            nofile: cli.service_nofile,
        },
        extra_env: &cli.service_env,
        engine: Engine::Sqlite,
        postgres: None,
    };
    let scenarios = scenarios(&cli);
    let engine = if cli.postgres || cli.replicas.is_some_and(|n| n > 1) {
        Engine::Postgres
    } else {
        Engine::Sqlite
    };
    let needs_postgres = engine == Engine::Postgres
        || (!cli.robustness
            && cli.slowloris.is_none()
            && !cli.overload
            && scenarios.iter().any(|s| s.engine == Engine::Postgres));
    let postgres = needs_postgres.then(|| {
        eprintln!("load: starting PostgreSQL");
        PgServer::start(&cli.postgres_setting)
            .unwrap_or_else(|e| panic!("cannot start PostgreSQL for --postgres: {e}"))
    });
    let setup = Setup {
        engine,
        postgres: postgres.as_ref(),
        ..setup
    };
    println!("{}; harness RLIMIT_NOFILE {own_limit}", observe::machine());
    if let Some(server) = &postgres {
        println!("\nPostgreSQL for the store: {}", server.description);
    }
    runtime.block_on(async {
        if cli.robustness {
            for nofile in [cli.service_nofile, Some(1024)] {
                let setup = Setup {
                    launch: Launch { nofile },
                    ..setup
                };
                slowloris::run(&slow_clients(&cli, 2_000), &setup).await;
            }
            overload_passes(&cli, &setup).await;
        } else if let Some(n) = cli.slowloris {
            slowloris::run(&slow_clients(&cli, n), &setup).await;
        } else if cli.overload {
            overload_passes(&cli, &setup).await;
        } else {
            for scenario in &scenarios {
                standard::run(scenario, &setup).await;
            }
        }
    });
    // Dropping the runtime first closes the service's connections the harness still holds.
    drop(runtime);
    if let Some(server) = &postgres {
        server.stop();
    }
}

fn scenarios(cli: &Cli) -> Vec<Scenario> {
    let replicas = usize::from(cli.replicas.unwrap_or(1));
    let defaults = Scenario {
        name: "custom",
        requests: cli.requests.unwrap_or(5_000),
        load: match cli.rate {
            Some(rate) => Load::Rate(rate),
            None => Load::Concurrency(cli.concurrency.unwrap_or(32)),
        },
        create: Duration::from_millis(cli.zoom_create_ms),
        token: Duration::from_millis(cli.zoom_token_ms),
        hook: Duration::from_millis(cli.hook_ms),
        terminate_after_send: false,
        bare: !cli.no_baseline && !cli.no_bare,
        floor: !cli.no_baseline && !cli.no_floor,
        floor_store: cli.floor_store && !cli.no_baseline,
        engine: if cli.postgres || replicas > 1 {
            Engine::Postgres
        } else {
            Engine::Sqlite
        },
        replicas,
        service_env: Vec::new(),
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
                floor_store: !cli.no_baseline,
                ..defaults.clone()
            },
            Scenario {
                name: "rate-500-postgres",
                requests: 5_000,
                load: Load::Rate(500.0),
                engine: Engine::Postgres,
                floor_store: !cli.no_baseline,
                ..defaults.clone()
            },
            Scenario {
                name: "slow-zoom-1000-in-flight",
                requests: 1_000,
                load: Load::Rate(500.0),
                create: SLOW_ZOOM_CREATE,
                terminate_after_send: true,
                // 1,000 outbound creates held for 10 s measure the service's memory, which
                // the floor would not tell us anything about.
                floor: false,
                // The default (200) would queue 800 of them, and SIGTERM would end their wait.
                service_env: vec![("MAX_CONCURRENT_CREATES", "1000".to_owned())],
                ..defaults
            },
        ];
    }
    if replicas > 1 && cli.rate.is_none() && cli.concurrency.is_none() {
        return vec![
            Scenario {
                name: "replicas-rate-500",
                requests: cli.requests.unwrap_or(5_000),
                load: Load::Rate(500.0),
                floor_store: !cli.no_baseline,
                ..defaults.clone()
            },
            Scenario {
                name: "replicas-ceiling",
                requests: cli.requests.unwrap_or(20_000),
                load: Load::Concurrency(64),
                ..defaults
            },
        ];
    }
    if cli.slow_zoom {
        return vec![Scenario {
            name: "slow-zoom",
            create: SLOW_ZOOM_CREATE,
            terminate_after_send: true,
            floor: false,
            ..defaults
        }];
    }
    vec![defaults]
}

fn slow_clients(cli: &Cli, clients: usize) -> Slowloris {
    Slowloris {
        clients,
        idle: cli.slow_idle.unwrap_or(clients / 10).min(clients),
        byte_every: Duration::from_secs(cli.byte_every.max(1)),
        rate: cli.slow_rate,
        phase: Duration::from_secs(cli.slow_phase.max(1)),
    }
}

/// MAX_QUEUED_COMMANDS=0 then the default (or the one asked for), and what a queued command
/// costs in memory from the difference.
async fn overload_passes(cli: &Cli, setup: &Setup<'_>) {
    let o = Overload {
        requests: cli.requests.unwrap_or(20_000),
        load: match cli.rate {
            Some(rate) => Load::Rate(rate),
            None => Load::Concurrency(cli.concurrency.unwrap_or(64)),
        },
        max_queued: cli.max_queued,
        create_timeout: cli.zoom_timeout.map(Duration::from_secs),
        hook: Duration::from_millis(cli.hook_ms),
    };
    if cli.max_queued.is_some() {
        overload::run(&o, setup).await;
        return;
    }
    let empty = overload::run(
        &Overload {
            max_queued: Some(0),
            ..o.clone()
        },
        setup,
    )
    .await;
    let default = overload::run(&o, setup).await;
    let queued = default.admitted.saturating_sub(empty.admitted).max(1);
    let per = |a: u64, b: u64| a.saturating_sub(b) as f64 / queued as f64;
    println!(
        "\nMemory per queued command (MAX_QUEUED_COMMANDS={} vs 0, {} more admitted): peak {:.1} KiB, at end of send phase {:.1} KiB. Idle RSS {} / {} MiB.\n",
        default.max_queued,
        queued,
        per(default.peak_hwm_kib, empty.peak_hwm_kib),
        per(default.rss_at_send_end_kib, empty.rss_at_send_end_kib),
        stats::mib(empty.idle_rss_kib),
        stats::mib(default.idle_rss_kib),
    );
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
