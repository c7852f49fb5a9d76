//! Overload against a Zoom that never answers: how many commands the bounded queue admits,
//! how fast everyone else hears "busy", the service's peak memory, and what the admitted
//! commands are told when their creates time out or their wait runs out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::hanging_zoom::HangingZoom;
use crate::observe::load_average;
use crate::process::{Server, read_memory};
use crate::receiver::{Kind, Receiver};
use crate::standard::met;
use crate::stats::{Summary, mib, ms};
use crate::traffic::{self, Expect, Load, Outcome, Sent};
use crate::{SEND_DEADLINE, SETTLE, SIGNING_SECRET, Setup};
use tokio_util::sync::CancellationToken;

/// The service's default `ZOOM_TIMEOUT_SECONDS` (and so its queue-wait limit).
pub const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(20);
/// The service's default `MAX_QUEUED_COMMANDS`.
pub const DEFAULT_MAX_QUEUED: usize = 1_000;
/// The service's default `MAX_CONCURRENT_CREATES` (`--service-env` may set another).
pub const DEFAULT_MAX_CONCURRENT_CREATES: usize = 200;
/// Time a create may take to reach Zoom after the service took its slot (token from the
/// cache, a new connection, the request) on a busy machine; the harness sees only arrivals.
const TRIP_TO_ZOOM: Duration = Duration::from_millis(250);
/// Peak memory target for the whole overload (64 MB, decimal).
const PEAK_TARGET_KIB: u64 = 64_000_000 / 1024;

#[derive(Debug, Clone)]
pub struct Overload {
    pub requests: usize,
    pub load: Load,
    /// `MAX_QUEUED_COMMANDS` for the service; `None` leaves its default.
    pub max_queued: Option<usize>,
    /// `ZOOM_TIMEOUT_SECONDS` for the service; `None` leaves its default (20 s).
    pub create_timeout: Option<Duration>,
    pub hook: Duration,
}

/// What one overload pass measured, for comparisons across passes.
pub struct Pass {
    pub max_queued: usize,
    pub admitted: usize,
    pub peak_hwm_kib: u64,
    pub rss_at_send_end_kib: u64,
    pub idle_rss_kib: u64,
}

pub async fn run(o: &Overload, setup: &Setup<'_>) -> Pass {
    let max_queued = o.max_queued.unwrap_or(DEFAULT_MAX_QUEUED);
    let creating = setup
        .extra_env
        .iter()
        .rev()
        .find(|(k, _)| k == "MAX_CONCURRENT_CREATES")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(DEFAULT_MAX_CONCURRENT_CREATES);
    let timeout = o.create_timeout.unwrap_or(DEFAULT_CREATE_TIMEOUT);
    eprintln!(
        "load: overload, {} commands, {}, MAX_QUEUED_COMMANDS={max_queued}, create timeout {} s (load average {})",
        o.requests,
        o.load,
        timeout.as_secs(),
        load_average()
    );
    let receiver = Receiver::start(o.requests, o.hook).await;
    let commands = Arc::new(traffic::prepare(o.requests, SIGNING_SECRET, |i| {
        receiver.response_url(i)
    }));
    let zoom = Arc::new(HangingZoom::start().await);
    let database = setup.database(setup.engine).await;
    let mut env = setup.env_for(
        &zoom.oauth_url(),
        &zoom.api_url(),
        &receiver,
        Some(&database),
    );
    if let Some(q) = o.max_queued {
        env.push(("MAX_QUEUED_COMMANDS", q.to_string()));
    }
    if let Some(t) = o.create_timeout {
        env.push(("ZOOM_TIMEOUT_SECONDS", t.as_secs().to_string()));
    }
    let server = Server::launch(setup.service_bin, &[], &env, setup.launch).await;
    tokio::time::sleep(SETTLE).await;
    let idle = server.memory();
    let url = format!("http://{}/slack/commands", server.addr());

    let started = Instant::now();
    let stop_sampling = CancellationToken::new();
    let samples = sample(
        server.pid(),
        Arc::clone(&zoom),
        started,
        stop_sampling.clone(),
    );
    let sent = traffic::send_all(
        &traffic::client(),
        std::slice::from_ref(&url),
        commands,
        o.load,
        Expect::SchedulingAck,
        SEND_DEADLINE,
    )
    .await;
    let send_end = SendEnd {
        after: started.elapsed(),
        memory: server.memory().rss_kib,
        creates: zoom.creates().len(),
        open: zoom.open(),
    };
    let admitted = count(&sent, |o| o == Outcome::Ok);

    // The first creates time out after `timeout`; commands that got a slot only then take up
    // to another `timeout`; both answers then go out through response_url.
    let answer_deadline = timeout * 2 + Duration::from_secs(15);
    receiver.wait_for_answers(admitted, answer_deadline).await;
    let answers_done = started.elapsed();
    stop_sampling.cancel();
    let samples = samples.await.unwrap_or_default();
    let stopped = server.terminate().await;

    let report = Report {
        o,
        max_queued,
        creating,
        engine: setup.engine,
        timeout,
        sent: &sent,
        idle_rss_kib: idle.rss_kib,
        send_end,
        answers_done,
        receiver: &receiver,
        zoom: &zoom,
        stopped: &stopped,
        samples: &samples,
    };
    println!("{}", report.render());
    if stopped.status.is_none_or(|s| !s.success()) && !stopped.stderr_tail.is_empty() {
        eprintln!(
            "load: service stderr (last lines):\n{}",
            stopped.stderr_tail
        );
    }
    Pass {
        max_queued,
        admitted,
        peak_hwm_kib: stopped.peak_hwm_kib,
        rss_at_send_end_kib: report.send_end.memory,
        idle_rss_kib: idle.rss_kib,
    }
}

/// One look at the service and the fake Zoom.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Since the send phase started.
    at: Duration,
    rss_kib: u64,
    /// Creates the service is waiting on at Zoom.
    open_creates: usize,
}

/// Every 100 ms until `stop` (or the process is gone, or an hour of samples).
fn sample(
    pid: u32,
    zoom: Arc<HangingZoom>,
    started: Instant,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<Vec<Sample>> {
    tokio::spawn(async move {
        let mut samples = Vec::new();
        for _ in 0..36_000 {
            let Some(memory) = read_memory(pid) else {
                break;
            };
            samples.push(Sample {
                at: started.elapsed(),
                rss_kib: memory.rss_kib,
                open_creates: zoom.open(),
            });
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
        samples
    })
}

/// The service and the fake Zoom when the last command was answered.
struct SendEnd {
    after: Duration,
    memory: u64,
    creates: usize,
    open: usize,
}

fn count(sent: &Sent, f: impl Fn(Outcome) -> bool) -> usize {
    sent.samples
        .iter()
        .flatten()
        .filter(|s| f(s.outcome))
        .count()
}

fn latencies(sent: &Sent, outcome: Outcome) -> Summary {
    Summary::of(
        sent.samples
            .iter()
            .flatten()
            .filter(|s| s.outcome == outcome)
            .map(|s| s.latency)
            .collect(),
    )
}

struct Report<'a> {
    o: &'a Overload,
    max_queued: usize,
    /// The service's `MAX_CONCURRENT_CREATES`.
    creating: usize,
    engine: crate::database::Engine,
    timeout: Duration,
    sent: &'a Sent,
    idle_rss_kib: u64,
    send_end: SendEnd,
    answers_done: Duration,
    receiver: &'a Receiver,
    zoom: &'a HangingZoom,
    stopped: &'a crate::process::Stopped,
    samples: &'a [Sample],
}

impl Report<'_> {
    fn render(&self) -> String {
        let o = self.o;
        let sent = self.sent;
        let admitted = count(sent, |x| x == Outcome::Ok);
        let busy = count(sent, |x| x == Outcome::Busy);
        let other = sent.samples.len() - admitted - busy;
        let creating = self.creating;
        let capacity = creating + self.max_queued;
        let summary = |s: Summary| format!("{} / {} / {}", ms(s.p50), ms(s.p99), ms(s.max));
        let secs = |d: Duration| format!("{:.1}", d.as_secs_f64());

        // How long each create's command had waited when the create reached Zoom, counted
        // from the end of its acknowledgement: the service queued it before answering, so
        // this is at most its wait in the queue plus the trip to Zoom.
        let creates = self.zoom.creates();
        let waits: Vec<Duration> = creates
            .iter()
            .filter_map(|(command, arrived)| {
                let sample = sent.samples.get((*command)?)?.as_ref()?;
                Some(arrived.saturating_duration_since(sample.sent + sample.latency))
            })
            .collect();
        let over: Vec<Duration> = waits
            .iter()
            .filter_map(|w| w.checked_sub(self.timeout).filter(|d| !d.is_zero()))
            .collect();
        let late = over.len();
        let beyond_trip = over.iter().filter(|d| **d > TRIP_TO_ZOOM).count();
        let most_late = over.iter().max().copied().unwrap_or_default();
        let wait = Summary::of(waits.clone());
        // Creates of commands that had waited in the queue (the others got a slot at once).
        let queued_waits = Summary::of(
            waits
                .iter()
                .copied()
                .filter(|w| *w >= Duration::from_secs(1))
                .collect(),
        );
        let unknown = creates.len() - waits.len();
        let peak = |from: Duration, to: Duration| {
            self.samples
                .iter()
                .filter(|s| s.at >= from && s.at < to)
                .max_by_key(|s| s.rss_kib)
                .copied()
        };
        let before = peak(Duration::ZERO, self.timeout);
        let after = peak(self.timeout, Duration::MAX);
        let peak_open = self
            .samples
            .iter()
            .map(|s| s.open_creates)
            .max()
            .unwrap_or(0);

        // What each admitted command was told, and when (from the moment it was sent).
        let firsts = self.receiver.firsts();
        let answer_times = |kind: Kind| {
            Summary::of(
                firsts
                    .iter()
                    .zip(&sent.samples)
                    .filter_map(|(first, sample)| {
                        let (at, k) = (*first)?;
                        let sample = sample.as_ref()?;
                        (k == kind).then(|| at.saturating_duration_since(sample.sent))
                    })
                    .collect(),
            )
        };
        let told = |kind: Kind| {
            let n = self.receiver.count(kind);
            if n == 0 {
                "0".to_owned()
            } else {
                let t = answer_times(kind);
                format!(
                    "{n} (after {} / {} / {} s: min / p50 / max)",
                    secs(t.min),
                    secs(t.p50),
                    secs(t.max)
                )
            }
        };

        let mut out = format!(
            "\n### overload: {} commands, {}, Zoom creates never answered, MAX_CONCURRENT_CREATES={}, MAX_QUEUED_COMMANDS={}{}, ZOOM_TIMEOUT_SECONDS={}{}, store {} (load average {})\n\n",
            o.requests,
            o.load,
            creating,
            self.max_queued,
            if o.max_queued.is_none() {
                " (default)"
            } else {
                ""
            },
            self.timeout.as_secs(),
            if o.create_timeout.is_none() {
                " (default)"
            } else {
                ""
            },
            self.engine,
            load_average(),
        );
        out.push_str("| measure | slack-zoom | target |\n|---|---|---|\n");
        let mut row = |measure: &str, value: String, target: String| {
            out.push_str(&format!("| {measure} | {value} | {target} |\n"));
        };
        row(
            "send phase: commands answered / seconds / acks per s",
            format!(
                "{} / {} / {:.0}",
                admitted + busy,
                secs(sent.elapsed),
                (admitted + busy) as f64 / sent.elapsed.as_secs_f64().max(f64::EPSILON)
            ),
            String::new(),
        );
        row(
            "admitted (\"Scheduling…\") / busy at once / other",
            format!("{admitted} / {busy} / {other}"),
            format!(
                "admitted = {creating} creating + {} queued: **{}**",
                self.max_queued,
                met(admitted == capacity.min(o.requests) && other == 0)
            ),
        );
        row(
            "ack latency, admitted: p50 / p99 / max (ms)",
            summary(latencies(sent, Outcome::Ok)),
            String::new(),
        );
        row(
            "ack latency, busy: p50 / p99 / max (ms)",
            summary(latencies(sent, Outcome::Busy)),
            String::new(),
        );
        row(
            "idle RSS / RSS at end of send phase (MiB)",
            format!("{} / {}", mib(self.idle_rss_kib), mib(self.send_end.memory)),
            String::new(),
        );
        row(
            "peak RSS, VmHWM over the whole run (MiB)",
            mib(self.stopped.peak_hwm_kib),
            format!(
                "< 64 MB (61.0 MiB): **{}**",
                met(self.stopped.peak_hwm_kib < PEAK_TARGET_KIB)
            ),
        );
        row(
            "creates at Zoom at end of send phase (still open)",
            format!("{} ({})", self.send_end.creates, self.send_end.open),
            format!("≤ {creating}"),
        );
        row(
            "creates at Zoom in all / token requests",
            format!("{} / {}", creates.len(), self.zoom.token_requests()),
            String::new(),
        );
        let at_peak = |p: Option<Sample>| {
            p.map_or_else(
                || "–".to_owned(),
                |p| format!("{} at {} s", mib(p.rss_kib), secs(p.at)),
            )
        };
        row(
            "RSS peak (sampled every 100 ms) before / after the first creates timed out (MiB)",
            format!("{} / {}", at_peak(before), at_peak(after)),
            String::new(),
        );
        row(
            "creates open at Zoom at once, peak (sampled) / response_url posts in progress at once, peak",
            format!("{peak_open} / {}", self.receiver.peak_concurrent()),
            // The fake counts a create until it notices the hang-up, which can trail the
            // service's timeout (and its next create on a new connection) by a moment.
            format!("≤ {creating}, plus hang-ups the fake has not noticed yet"),
        );
        row(
            "wait before a create reached Zoom, from its command's acknowledgement: p50 / max (s)",
            format!("{} / {}", secs(wait.p50), secs_precise(wait.max)),
            String::new(),
        );
        row(
            "creates of commands that had waited in the queue (≥ 1 s): count, wait min / p50 / max (s)",
            format!(
                "{}, {} / {} / {}",
                queued_waits.count,
                secs(queued_waits.min),
                secs(queued_waits.p50),
                secs_precise(queued_waits.max)
            ),
            String::new(),
        );
        row(
            "creates that reached Zoom more than the create timeout after their command's acknowledgement (most late by)",
            format!(
                "{late} ({} ms){}",
                ms(most_late),
                if unknown > 0 {
                    format!("; {unknown} not attributable")
                } else {
                    String::new()
                }
            ),
            format!(
                "none more than {} ms late (the slot is taken within the timeout; reaching Zoom takes the rest): **{}**",
                TRIP_TO_ZOOM.as_millis(),
                met(beyond_trip == 0 && unknown == 0)
            ),
        );
        row(
            "admitted commands told \"Zoom did not answer in time\"",
            told(Kind::ZoomTimedOut),
            String::new(),
        );
        row(
            "admitted commands told \"waited too long, not sent to Zoom\"",
            told(Kind::WaitedTooLong),
            String::new(),
        );
        row(
            "admitted commands told something else (card / restarted / other) / second messages",
            format!(
                "{} / {} / {} / {}",
                self.receiver.count(Kind::Card),
                self.receiver.count(Kind::Restarted),
                self.receiver.count(Kind::Other),
                self.receiver.extra()
            ),
            String::new(),
        );
        row(
            "admitted commands answered through response_url / when the last was (s after start)",
            format!(
                "{} of {admitted} / {}",
                self.receiver.answered(),
                secs(self.answers_done)
            ),
            format!(
                "all: **{}**",
                met(self.receiver.answered() == admitted && self.receiver.extra() == 0)
            ),
        );
        row(
            "log lines: queue full / no slot within the timeout / create got no answer",
            format!(
                "{} / {} / {}",
                self.stopped.watched("background queue full"),
                self.stopped
                    .watched("no creation slot within the create timeout"),
                self.stopped.watched("Zoom create request got no answer")
            ),
            String::new(),
        );
        row(
            "SIGTERM after the last answer → exit",
            self.stopped.describe(),
            "exit 0 within 30 s".into(),
        );
        row(
            "send phase ended after (s)",
            secs(self.send_end.after),
            String::new(),
        );
        out
    }
}

/// Seconds with three decimals, to show how close to a limit a wait came.
fn secs_precise(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}
