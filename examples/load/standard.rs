//! The throughput scenarios: the same commands against the bare-axum route, the floor (the
//! same two outbound calls per command, nothing else) and slack-zoom, one after the other in
//! the same run, each with fresh fakes, reported side by side.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::baseline;
use crate::fake_zoom::{FakeZoom, FakeZoomOptions};
use crate::observe::{HarnessCpu, Profiler, TimerProbe, load_average};
use crate::process::{Launch, Memory, Server, Stopped};
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
}

/// Which process answers the commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Floor,
    Service,
}

/// What one target did under the load.
struct Measured {
    sent: Sent,
    idle: Memory,
    /// CPU time the harness itself (client, fakes, receiver) used while loading this target.
    harness_cpu: Duration,
    stopped: Stopped,
    /// Cards and Zoom calls, for the targets that make outbound calls.
    outbound: Option<Outbound>,
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
    memory: Memory,
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
    let service = measure(scenario, setup, Target::Service).await;
    let report = Report {
        scenario,
        bare: bare.as_ref(),
        floor: floor.as_ref(),
        service: &service,
        rust_log: setup.rust_log,
    };
    println!("{}", report.render());
    let stopped = &service.stopped;
    if stopped.status.is_none_or(|s| !s.success()) && !stopped.stderr_tail.is_empty() {
        eprintln!(
            "load: service stderr (last lines):\n{}",
            stopped.stderr_tail
        );
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
        &url,
        commands,
        scenario.load,
        Expect::Status200,
        SEND_DEADLINE,
    )
    .await;
    let stopped = server.terminate().await;
    Measured {
        sent,
        idle,
        harness_cpu: harness_cpu.elapsed(),
        stopped,
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
    let env = setup.service_env(&zoom, &receiver);
    let server = match target {
        Target::Service => Server::launch(setup.service_bin, &[], &env, setup.launch).await,
        Target::Floor => {
            let flag = baseline::Kind::Floor.flag();
            Server::launch(setup.harness, &[flag], &env, Launch::default()).await
        }
    };
    tokio::time::sleep(SETTLE).await;
    let idle = server.memory();

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
    let url = format!("http://{}/slack/commands", server.addr());
    let harness_cpu = HarnessCpu::start();
    let profiler = match (setup.profile_dir, target) {
        (Some(dir), Target::Service) => {
            let output = dir.join(format!("perf-{}.data", scenario.name));
            Some(Profiler::start(server.pid(), &output).await)
        }
        _ => None,
    };
    let sent = traffic::send_all(
        &traffic::client(),
        &url,
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
        memory: server.memory(),
    };

    if !scenario.terminate_after_send {
        let card_deadline =
            scenario.token + scenario.create + scenario.hook + Duration::from_secs(30);
        receiver.wait_for(acknowledged, card_deadline).await;
    }
    if let Some(profiler) = profiler {
        profiler.stop().await;
    }
    let stopped = server.terminate().await;
    let harness_cpu = harness_cpu.elapsed();
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
        let mut out = format!(
            "\n### {}: {} commands, {} (Zoom create {} ms, token {} ms, response_url {} ms; load average {})\n\n",
            s.name,
            s.requests,
            s.load,
            s.create.as_millis(),
            s.token.as_millis(),
            s.hook.as_millis(),
            load_average(),
        );
        out.push_str(
            "| measure | bare axum | floor | slack-zoom | target |\n|---|---|---|---|---|\n",
        );
        let targets = [self.bare, self.floor, Some(self.service)];
        let figures: Vec<Option<Figures>> = targets
            .iter()
            .map(|m| m.map(|m| figures(&m.sent)))
            .collect();
        let service = figures[2].as_ref().expect("the service is always measured");
        // One row: a cell per target ("–" where it was not run or does not apply).
        let mut row =
            |measure: &str, cell: &dyn Fn(&Measured) -> Option<String>, target: String| {
                let cells: Vec<String> = targets
                    .iter()
                    .map(|m| m.and_then(cell).unwrap_or_else(|| "–".to_owned()))
                    .collect();
                out.push_str(&format!(
                    "| {measure} | {} | {} | {} | {target} |\n",
                    cells[0], cells[1], cells[2]
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
            format!("1 token: **{}**", met(o.token_requests == 1)),
        );
        let cpu_ratio = |base: Option<&Measured>| {
            base.map(|b| {
                per_command(self.service.stopped.cpu_time)
                    / per_command(b.stopped.cpu_time).max(f64::EPSILON)
            })
        };
        let cpu_note = match (cpu_ratio(self.floor), cpu_ratio(self.bare)) {
            (Some(floor), Some(bare)) => {
                format!("slack-zoom: {floor:.1}× the floor, {bare:.1}× bare axum")
            }
            (None, Some(bare)) => format!("slack-zoom: {bare:.1}× bare axum"),
            (Some(floor), None) => format!("slack-zoom: {floor:.1}× the floor"),
            (None, None) => String::new(),
        };
        row(
            "CPU per command, server process (µs)",
            &|m| Some(format!("{:.0}", per_command(m.stopped.cpu_time))),
            cpu_note,
        );
        let per_card = |m: &Measured| {
            let o = m.outbound.as_ref()?;
            Some(m.stopped.cpu_time.as_secs_f64() * 1e6 / o.cards.max(1) as f64)
        };
        let per_card_note = match (self.floor.and_then(per_card), per_card(self.service)) {
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
            &|m| Some(mib(m.idle.rss_kib)),
            format!(
                "< 20 MiB: **{}**",
                met(self.service.idle.rss_kib < 20 * 1024)
            ),
        );
        row(
            "peak RSS, VmHWM (MiB)",
            &|m| Some(mib(m.stopped.peak_hwm_kib)),
            if s.create >= SLOW_ZOOM_CREATE && s.requests >= 1000 {
                format!(
                    "< 50 MiB with 1,000 in flight: **{}**",
                    met(self.service.stopped.peak_hwm_kib < 50 * 1024)
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
                    mib(p.memory.rss_kib)
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
            &|m| m.outbound.as_ref().map(|_| m.stopped.describe()),
            "exit 0 within 30 s, no card lost".into(),
        );
        let log_lines = self.service.stopped.log_lines;
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
