//! The throughput scenarios: the same commands against the bare-axum route, the floor (the
//! same two outbound calls per command, nothing else) and slack-zoom, one after the other in
//! the same run, each with fresh fakes, reported side by side.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::baseline;
use crate::database::Engine;
use crate::fake_zoom::{FakeZoom, FakeZoomOptions};
use crate::observe::{HarnessCpu, Profiler, TimerProbe, load_average};
use crate::process::{Launch, Memory, Server, Stopped, ticks_to_duration};
use crate::receiver::Receiver;
use crate::stats::{Summary, mib, ms};
use crate::traffic::{self, Expect, Load, Outcome, Sent};
use crate::{SEND_DEADLINE, SETTLE, SIGNING_SECRET, SLOW_ZOOM_CREATE, Setup};

/// One measurement: a load shape, the fakes' behaviour and the baselines to run beside it.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub requests: usize,
    pub load: Load,
    pub create: Duration,
    pub token: Duration,
    pub hook: Duration,
    /// SIGTERM right after the send phase (the slow-Zoom drain check) instead of waiting for cards.
    pub terminate_after_send: bool,
    pub bare: bool,
    pub floor: bool,
    /// Also the floor with one durable write per meeting to a fresh store of `engine`.
    pub floor_store: bool,
    /// Where the service stores its records (the floor stores nothing).
    pub engine: Engine,
    /// Service processes sharing the load round-robin (more than one needs PostgreSQL).
    pub replicas: usize,
    /// Settings the scenario needs from the service (`--service-env` still wins).
    pub service_env: Vec<(&'static str, String)>,
}

/// Which process answers the commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Floor,
    /// The floor writing one row per meeting to a store like the service's.
    FloorStore,
    Service,
}

/// What one target did under the load.
struct Measured {
    sent: Sent,
    /// Per process (one, or one per replica).
    idle: Vec<Memory>,
    /// CPU time the harness itself (client, fakes, receiver) used while loading this target.
    harness_cpu: Duration,
    /// Per process, in start order.
    stopped: Vec<Stopped>,
    /// CPU time of the PostgreSQL server's processes from the service's start (after it
    /// settled) until it had stopped: the store's share of the work.
    store_cpu: Option<Duration>,
    /// Transactions and WAL flushes of the PostgreSQL server over the same span.
    store_activity: Option<crate::postgres::Activity>,
    /// Cards and Zoom calls, for the targets that make outbound calls.
    outbound: Option<Outbound>,
}

impl Measured {
    /// CPU time over the whole life of every process of this target.
    fn cpu_time(&self) -> Duration {
        self.stopped.iter().map(|s| s.cpu_time).sum()
    }

    /// The highest peak RSS of any of its processes.
    fn peak_hwm_kib(&self) -> u64 {
        self.stopped
            .iter()
            .map(|s| s.peak_hwm_kib)
            .max()
            .unwrap_or(0)
    }

    fn idle_rss_kib(&self) -> u64 {
        self.idle.iter().map(|m| m.rss_kib).max().unwrap_or(0)
    }

    fn log_lines(&self) -> u64 {
        self.stopped.iter().map(|s| s.log_lines).sum()
    }

    /// How its processes exited, once if they all exited alike.
    fn describe(&self) -> String {
        let all: Vec<String> = self.stopped.iter().map(Stopped::describe).collect();
        if all.windows(2).all(|w| w[0] == w[1]) {
            all.into_iter().next().unwrap_or_default()
        } else {
            all.join(" / ")
        }
    }
}

struct Outbound {
    /// First command sent → last card received: the rate at which whole commands get done.
    completion: Option<Duration>,
    e2e: Summary,
    /// How much longer than asked the harness's sleeps of the create delay took.
    overshoot: Summary,
    cards: usize,
    wrong_cards: usize,
    acknowledged: usize,
    token_requests: usize,
    create_requests: usize,
    at_send_end: Pending,
}

/// State of the background work at the end of the send phase.
struct Pending {
    /// Creates Zoom received and has not answered yet.
    creates_at_zoom: usize,
    /// Acknowledged commands whose card has not arrived.
    cards_outstanding: usize,
    /// The largest RSS of the target's processes.
    rss_kib: u64,
}

pub async fn run(scenario: &Scenario, setup: &Setup<'_>) {
    eprintln!(
        "load: scenario {} ({} commands, {}; load average {})",
        scenario.name,
        scenario.requests,
        scenario.load,
        load_average()
    );
    let bare = if scenario.bare {
        Some(measure_bare(scenario, setup).await)
    } else {
        None
    };
    let floor = if scenario.floor {
        Some(measure(scenario, setup, Target::Floor).await)
    } else {
        None
    };
    let floor_store = if scenario.floor_store {
        Some(measure(scenario, setup, Target::FloorStore).await)
    } else {
        None
    };
    let service = measure(scenario, setup, Target::Service).await;
    let report = Report {
        scenario,
        bare: bare.as_ref(),
        floor: floor.as_ref(),
        floor_store: floor_store.as_ref(),
        service: &service,
        rust_log: setup.rust_log,
    };
    println!("{}", report.render());
    for stopped in &service.stopped {
        if stopped.status.is_none_or(|s| !s.success()) && !stopped.stderr_tail.is_empty() {
            eprintln!(
                "load: service stderr (last lines):\n{}",
                stopped.stderr_tail
            );
        }
    }
}

async fn measure_bare(scenario: &Scenario, setup: &Setup<'_>) -> Measured {
    // Nothing listens there: the bare route never reads the URL.
    let commands = Arc::new(traffic::prepare(scenario.requests, SIGNING_SECRET, |i| {
        format!("http://127.0.0.1:9/hooks/commands/T0001/{i}")
    }));
    let server = Server::start(setup.harness, &[baseline::Kind::Bare.flag()], &[]).await;
    tokio::time::sleep(SETTLE).await;
    let idle = server.memory();
    let url = format!("http://{}/slack/commands", server.addr());
    let harness_cpu = HarnessCpu::start();
    let sent = traffic::send_all(
        &traffic::client(),
        &[url],
        commands,
        scenario.load,
        Expect::Status200,
        SEND_DEADLINE,
    )
    .await;
    let stopped = server.terminate().await;
    Measured {
        sent,
        idle: vec![idle],
        harness_cpu: harness_cpu.elapsed(),
        stopped: vec![stopped],
        store_cpu: None,
        store_activity: None,
        outbound: None,
    }
}

/// Loads the floor or the service against a fresh fake Zoom and `response_url` receiver.
async fn measure(scenario: &Scenario, setup: &Setup<'_>, target: Target) -> Measured {
    let receiver = Receiver::start(scenario.requests, scenario.hook).await;
    let commands = Arc::new(traffic::prepare(scenario.requests, SIGNING_SECRET, |i| {
        receiver.response_url(i)
    }));
    let zoom = Arc::new(
        FakeZoom::start_with(FakeZoomOptions {
            token_latency: scenario.token,
            create_latency: scenario.create,
            ..FakeZoomOptions::default()
        })
        .await,
    );
    // One fresh store for the service (all its replicas share it); the plain floor stores
    // nothing.
    let database = match target {
        Target::Service | Target::FloorStore => Some(setup.database(scenario.engine).await),
        Target::Floor => None,
    };
    let mut env = setup.service_env(&zoom, &receiver, database.as_ref());
    if let (Target::FloorStore, Some(database)) = (target, &database) {
        env.push(("FLOOR_DATABASE_URL", database.url.clone()));
    }
    for (key, value) in &scenario.service_env {
        if !setup.extra_env.iter().any(|(k, _)| k == key) {
            env.retain(|(k, _)| k != key);
            env.push((key, value.clone()));
        }
    }
    let mut servers = Vec::new();
    match target {
        Target::Service => {
            // One after the other: the first migrates the schema, the others find it done.
            for _ in 0..scenario.replicas.max(1) {
                servers.push(Server::launch(setup.service_bin, &[], &env, setup.launch).await);
            }
        }
        Target::Floor | Target::FloorStore => {
            let flag = baseline::Kind::Floor.flag();
            servers.push(Server::launch(setup.harness, &[flag], &env, Launch::default()).await);
        }
    }
    tokio::time::sleep(SETTLE).await;
    let idle: Vec<Memory> = servers.iter().map(Server::memory).collect();
    let store = match (target, scenario.engine) {
        (Target::Service | Target::FloorStore, Engine::Postgres) => setup.postgres,
        _ => None,
    };
    let store_before = store.map(crate::postgres::PgServer::cpu_ticks);
    let activity_before = match store {
        Some(server) => Some(server.activity().await),
        None => None,
    };

    // The service fetches its token when the first create needs it, so commands sent before
    // the first create reached Zoom waited for that (single) fetch, a fake delay, not the
    // service's. The floor fetched its token before it printed its address.
    let first_create = (target == Target::Service).then(|| {
        let zoom = Arc::clone(&zoom);
        let wait = SEND_DEADLINE + scenario.token;
        tokio::spawn(async move { zoom.wait_for_creates(1, wait).await.then(Instant::now) })
    });

    // The fakes' delays are Tokio sleeps, which end on a later millisecond tick and only when a
    // busy harness worker gets to them; this probe measures by how much, under the same load.
    let overshoot = TimerProbe::start(scenario.create);
    let urls: Vec<String> = servers
        .iter()
        .map(|server| format!("http://{}/slack/commands", server.addr()))
        .collect();
    let harness_cpu = HarnessCpu::start();
    // The first replica only, when there are several.
    let profiler = match (setup.profile_dir, target) {
        (Some(dir), Target::Service) => {
            let output = dir.join(format!("perf-{}.data", scenario.name));
            Some(Profiler::start(servers[0].pid(), &output).await)
        }
        _ => None,
    };
    let sent = traffic::send_all(
        &traffic::client(),
        &urls,
        commands,
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
        rss_kib: servers
            .iter()
            .map(|s| s.memory().rss_kib)
            .max()
            .unwrap_or(0),
    };

    if !scenario.terminate_after_send {
        let card_deadline =
            scenario.token + scenario.create + scenario.hook + Duration::from_secs(30);
        receiver.wait_for(acknowledged, card_deadline).await;
    }
    if let Some(profiler) = profiler {
        profiler.stop().await;
    }
    // SIGTERM to every replica at once, as a deploy would; each drains on its own.
    let stopping: Vec<_> = servers
        .into_iter()
        .map(|server| tokio::spawn(server.terminate()))
        .collect();
    let mut stopped = Vec::new();
    for stop in stopping {
        stopped.push(stop.await.expect("stopping a child does not panic"));
    }
    let harness_cpu = harness_cpu.elapsed();
    // The service's connections have closed; give their backends a moment to exit and be
    // reaped, so their CPU time is in the postmaster's account.
    let store_cpu = match (store, store_before) {
        (Some(server), Some(before)) => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            Some(ticks_to_duration(server.cpu_ticks().saturating_sub(before)))
        }
        _ => None,
    };
    let store_activity = match (store, activity_before) {
        (Some(server), Some(before)) => Some(server.activity().await.since(before)),
        _ => None,
    };
    drop(database);
    // No create at all (every command refused) would leave the watcher waiting for its deadline.
    let token_ready = match first_create {
        Some(watcher) if watcher.is_finished() => watcher.await.ok().flatten(),
        Some(watcher) => {
            watcher.abort();
            None
        }
        None => None,
    };
    let e2e = added_latency(&sent, &receiver, scenario, token_ready);
    let first_sent = sent.samples.iter().flatten().map(|s| s.sent).min();
    let last_card = receiver.arrivals().into_iter().flatten().max();
    let completion = first_sent
        .zip(last_card)
        .map(|(first, last)| last.saturating_duration_since(first));
    Measured {
        sent,
        idle,
        harness_cpu,
        stopped,
        store_cpu,
        store_activity,
        outbound: Some(Outbound {
            completion,
            e2e,
            overshoot: overshoot.stop(),
            cards: receiver.cards(),
            wrong_cards: receiver.wrong(),
            acknowledged,
            token_requests: zoom.token_requests(),
            create_requests: zoom.create_requests().len(),
            at_send_end,
        }),
    }
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

/// Throughput, latency and errors of one target.
pub struct Figures {
    pub throughput: f64,
    pub ack: Summary,
    pub errors: String,
    /// Failures: everything but "Scheduling…" and "busy" (a full queue answering as designed).
    pub error_count: usize,
    pub busy: usize,
}

pub fn figures(sent: &Sent) -> Figures {
    let done: Vec<_> = sent.samples.iter().flatten().collect();
    let ok: Vec<Duration> = done
        .iter()
        .filter(|s| s.outcome == Outcome::Ok)
        .map(|s| s.latency)
        .collect();
    let count = |f: fn(&Outcome) -> bool| done.iter().filter(|s| f(&s.outcome)).count();
    let status = count(|o| matches!(o, Outcome::Status(_)));
    let busy = count(|o| matches!(o, Outcome::Busy));
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
        busy,
    }
}

struct Report<'a> {
    scenario: &'a Scenario,
    bare: Option<&'a Measured>,
    floor: Option<&'a Measured>,
    floor_store: Option<&'a Measured>,
    service: &'a Measured,
    rust_log: &'a str,
}

pub fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "missed" }
}

impl Report<'_> {
    fn render(&self) -> String {
        let s = self.scenario;
        let per_command = |cpu: Duration| cpu.as_secs_f64() * 1e6 / s.requests.max(1) as f64;
        let store = match s.engine {
            Engine::Sqlite => "store SQLite (a fresh file)".to_owned(),
            Engine::Postgres => "store PostgreSQL (a fresh database)".to_owned(),
        };
        let changed: Vec<String> = s
            .service_env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut out = format!(
            "\n### {}: {} commands, {} (Zoom create {} ms, token {} ms, response_url {} ms; {store}{}{}; load average {})\n\n",
            s.name,
            s.requests,
            s.load,
            s.create.as_millis(),
            s.token.as_millis(),
            s.hook.as_millis(),
            if s.replicas > 1 {
                format!(", {} replicas, commands round-robin", s.replicas)
            } else {
                String::new()
            },
            if changed.is_empty() {
                String::new()
            } else {
                format!(", {}", changed.join(", "))
            },
            load_average(),
        );
        let service_name = if s.replicas > 1 {
            format!("slack-zoom ×{}", s.replicas)
        } else {
            "slack-zoom".to_owned()
        };
        // The floor with a store gets a column only when it was measured.
        let mut columns = vec![("bare axum", self.bare), ("floor", self.floor)];
        if self.floor_store.is_some() {
            columns.push(("floor + 1 write", self.floor_store));
        }
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        out.push_str(&format!(
            "| measure | {} | {service_name} | target |\n|---|{}---|---|\n",
            names.join(" | "),
            "---|".repeat(names.len())
        ));
        let mut targets: Vec<Option<&Measured>> = columns.iter().map(|(_, m)| *m).collect();
        targets.push(Some(self.service));
        let figures: Vec<Option<Figures>> = targets
            .iter()
            .map(|m| m.map(|m| figures(&m.sent)))
            .collect();
        let service = figures
            .last()
            .and_then(Option::as_ref)
            .expect("the service is always measured");
        // One row: a cell per target ("–" where it was not run or does not apply).
        let mut row =
            |measure: &str, cell: &dyn Fn(&Measured) -> Option<String>, target: String| {
                let cells: Vec<String> = targets
                    .iter()
                    .map(|m| m.and_then(cell).unwrap_or_else(|| "–".to_owned()))
                    .collect();
                out.push_str(&format!(
                    "| {measure} | {} | {target} |\n",
                    cells.join(" | ")
                ));
            };
        let ratio = |i: usize| {
            figures[i]
                .as_ref()
                .map(|b| service.throughput / b.throughput.max(f64::EPSILON) * 100.0)
        };
        let throughput_target = match (ratio(0), ratio(1)) {
            (Some(bare), Some(floor)) => {
                format!("≥ 60 % of bare axum: **{bare:.0} %**; of the floor: **{floor:.0} %**")
            }
            (Some(bare), None) => format!("≥ 60 % of bare axum: **{bare:.0} %**"),
            (None, Some(floor)) => format!("of the floor: **{floor:.0} %**"),
            (None, None) => String::new(),
        };
        row(
            "throughput (acks/s)",
            &|m| Some(format!("{:.0}", figures_of(m).throughput)),
            throughput_target,
        );
        row(
            "ack latency p50 / p99 / max (ms)",
            &|m| {
                let a = figures_of(m).ack;
                Some(format!("{} / {} / {}", ms(a.p50), ms(a.p99), ms(a.max)))
            },
            format!(
                "p99 < 10 ms: **{}**",
                met(service.ack.p99 < Duration::from_millis(10))
            ),
        );
        row(
            "errors",
            &|m| Some(figures_of(m).errors),
            format!("0: **{}**", met(service.error_count == 0)),
        );
        row(
            "answered \"busy, nothing was created\" (queue full)",
            &|m| Some(figures_of(m).busy.to_string()),
            String::new(),
        );
        let o = self
            .service
            .outbound
            .as_ref()
            .expect("the service calls out");
        let cards_per_second = |m: &Measured| {
            let o = m.outbound.as_ref()?;
            Some(o.cards as f64 / o.completion?.as_secs_f64().max(f64::EPSILON))
        };
        let completion_target = match (
            self.floor.and_then(cards_per_second),
            cards_per_second(self.service),
        ) {
            (Some(floor), Some(service)) => format!(
                "slack-zoom: **{:.0} %** of the floor",
                service / floor.max(f64::EPSILON) * 100.0
            ),
            _ => String::new(),
        };
        row(
            "cards per second (first command sent → last card)",
            &|m| cards_per_second(m).map(|r| format!("{r:.0}")),
            completion_target,
        );
        row(
            "cards received (wrong or duplicate)",
            &|m| {
                let o = m.outbound.as_ref()?;
                Some(format!(
                    "{} of {} ({})",
                    o.cards, o.acknowledged, o.wrong_cards
                ))
            },
            format!(
                "all: **{}**",
                met(o.cards == o.acknowledged && o.wrong_cards == 0)
            ),
        );
        row(
            "end-to-end minus fakes' delays p50 / p99 (ms)",
            &|m| {
                let o = m.outbound.as_ref()?;
                Some(format!("{} / {}", ms(o.e2e.p50), ms(o.e2e.p99)))
            },
            format!(
                "p50 < 2 ms: **{}**",
                met(o.e2e.count > 0 && o.e2e.p50 < Duration::from_millis(2))
            ),
        );
        row(
            "of which the fakes' timers: a create-delay sleep overran by p50 / p99 (ms)",
            &|m| {
                let o = m.outbound.as_ref()?;
                Some(format!("{} / {}", ms(o.overshoot.p50), ms(o.overshoot.p99)))
            },
            String::new(),
        );
        row(
            "Zoom token / create requests",
            &|m| {
                let o = m.outbound.as_ref()?;
                Some(format!("{} / {}", o.token_requests, o.create_requests))
            },
            if s.replicas > 1 {
                format!(
                    "1 token per replica: **{}**",
                    met(o.token_requests == s.replicas)
                )
            } else {
                format!("1 token: **{}**", met(o.token_requests == 1))
            },
        );
        let cpu_ratio = |base: Option<&Measured>| {
            base.map(|b| {
                per_command(self.service.cpu_time()) / per_command(b.cpu_time()).max(f64::EPSILON)
            })
        };
        // The target holds at 500 commands/s.
        let at_target_rate = matches!(s.load, Load::Rate(r) if (r - 500.0).abs() < 1.0);
        let verdict = |ratio: f64| {
            if at_target_rate {
                format!(" (≤ 1.3×: **{}**)", met(ratio <= 1.3))
            } else {
                String::new()
            }
        };
        let mut cpu_note = match (cpu_ratio(self.floor), cpu_ratio(self.bare)) {
            (Some(floor), Some(bare)) => format!(
                "slack-zoom: {floor:.2}× the floor{}, {bare:.1}× bare axum",
                verdict(floor)
            ),
            (None, Some(bare)) => format!("slack-zoom: {bare:.1}× bare axum"),
            (Some(floor), None) => format!("slack-zoom: {floor:.2}× the floor{}", verdict(floor)),
            (None, None) => String::new(),
        };
        if let Some(ratio) = cpu_ratio(self.floor_store) {
            cpu_note.push_str(&format!("; {ratio:.2}× the floor + 1 write"));
        }
        row(
            if s.replicas > 1 {
                "CPU per command, server processes, all replicas (µs)"
            } else {
                "CPU per command, server process (µs)"
            },
            &|m| Some(format!("{:.0}", per_command(m.cpu_time()))),
            cpu_note,
        );
        if s.replicas > 1 {
            row(
                "CPU per command, each replica: its CPU ÷ the commands it was sent (µs)",
                &|m| {
                    std::ptr::eq(m, self.service).then(|| {
                        let share = s.requests.div_ceil(s.replicas).max(1) as f64;
                        let each: Vec<String> = m
                            .stopped
                            .iter()
                            .map(|r| format!("{:.0}", r.cpu_time.as_secs_f64() * 1e6 / share))
                            .collect();
                        each.join(" / ")
                    })
                },
                String::new(),
            );
        }
        if self.service.store_cpu.is_some() {
            // Process and store together, for a target that has a store.
            let with_store =
                |m: &Measured| per_command(m.cpu_time()) + m.store_cpu.map_or(0.0, per_command);
            let both = with_store(self.service);
            let mut note = match self.floor {
                Some(floor) => {
                    let ratio = both / per_command(floor.cpu_time()).max(f64::EPSILON);
                    format!(
                        "service + store: {both:.0} µs, {ratio:.2}× the floor{}",
                        verdict(ratio)
                    )
                }
                None => format!("service + store: {both:.0} µs"),
            };
            if let Some(floor_store) = self.floor_store {
                note.push_str(&format!(
                    "; {:.2}× the floor + 1 write with its store",
                    both / with_store(floor_store).max(f64::EPSILON)
                ));
            }
            row(
                "CPU per command, store: every PostgreSQL server process (µs)",
                &|m| m.store_cpu.map(|c| format!("{:.0}", per_command(c))),
                note,
            );
            row(
                "store: transactions / WAL flushes per command",
                &|m| {
                    m.store_activity.map(|a| {
                        let each = |n: i64| n as f64 / s.requests.max(1) as f64;
                        format!("{:.2} / {:.2}", each(a.commits), each(a.flushes))
                    })
                },
                String::new(),
            );
        }
        let per_card = |m: &Measured| {
            let o = m.outbound.as_ref()?;
            Some(m.cpu_time().as_secs_f64() * 1e6 / o.cards.max(1) as f64)
        };
        let per_card_note = match (self.floor.and_then(per_card), per_card(self.service)) {
            (Some(floor), Some(service)) if self.floor_store.is_some() => {
                let with_store = self.floor_store.and_then(per_card).unwrap_or(f64::NAN);
                format!(
                    "slack-zoom: {:.1}× the floor, {:.1}× the floor + 1 write",
                    service / floor.max(f64::EPSILON),
                    service / with_store.max(f64::EPSILON)
                )
            }
            (Some(floor), Some(service)) => {
                format!(
                    "slack-zoom: {:.1}× the floor",
                    service / floor.max(f64::EPSILON)
                )
            }
            _ => String::new(),
        };
        row(
            "CPU per card delivered, server process (µs)",
            &|m| per_card(m).map(|c| format!("{c:.0}")),
            per_card_note,
        );
        row(
            "CPU per command, harness: client + fakes (µs)",
            &|m| Some(format!("{:.0}", per_command(m.harness_cpu))),
            String::new(),
        );
        row(
            "idle RSS (MiB)",
            &|m| Some(mib(m.idle_rss_kib())),
            format!(
                "< 20 MiB: **{}**",
                met(self.service.idle_rss_kib() < 20 * 1024)
            ),
        );
        row(
            "peak RSS, VmHWM (MiB)",
            &|m| {
                let each: Vec<String> = m.stopped.iter().map(|r| mib(r.peak_hwm_kib)).collect();
                Some(each.join(" / "))
            },
            if s.create >= SLOW_ZOOM_CREATE && s.requests >= 1000 {
                format!(
                    "< 50 MiB with 1,000 in flight: **{}**",
                    met(self.service.peak_hwm_kib() < 50 * 1024)
                )
            } else {
                String::new()
            },
        );
        row(
            "at end of send phase: creates pending at Zoom / cards outstanding / RSS (MiB)",
            &|m| {
                let p = &m.outbound.as_ref()?.at_send_end;
                Some(format!(
                    "{} / {} / {}",
                    p.creates_at_zoom,
                    p.cards_outstanding,
                    mib(p.rss_kib)
                ))
            },
            String::new(),
        );
        row(
            if s.terminate_after_send {
                "SIGTERM right after sending → exit"
            } else {
                "SIGTERM after the last card → exit"
            },
            &|m| m.outbound.as_ref().map(|_| m.describe()),
            "exit 0 within 30 s, no card lost".into(),
        );
        let log_lines = self.service.log_lines();
        row(
            &format!("service log lines (RUST_LOG={})", self.rust_log),
            &|m| {
                std::ptr::eq(m, self.service).then(|| {
                    format!(
                        "{log_lines} ({:.1} per command)",
                        log_lines as f64 / s.requests.max(1) as f64
                    )
                })
            },
            String::new(),
        );
        out
    }
}

fn figures_of(m: &Measured) -> Figures {
    figures(&m.sent)
}
