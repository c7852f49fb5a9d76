//! Signed slash commands, sent at a fixed concurrency (closed loop) or a fixed rate (open loop).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use secrecy::SecretString;
use serde_json::Value;
use slack_zoom::slack::SignatureVerifier;
use tokio::task::JoinSet;

/// Slack gives up on an acknowledgement after 3 s; a slower one is an error as Slack sees it.
const ACK_TIMEOUT: Duration = Duration::from_secs(3);

/// How commands are offered to the server.
#[derive(Debug, Clone, Copy)]
pub enum Load {
    /// `n` workers, each sending its next command as soon as the previous is answered.
    Concurrency(usize),
    /// Commands started at this many per second, whatever the answers do.
    Rate(f64),
}

impl std::fmt::Display for Load {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Load::Concurrency(c) => write!(f, "concurrency {c}"),
            Load::Rate(r) => write!(f, "{r} commands/s"),
        }
    }
}

/// One command ready to send: body and Slack headers computed before the clock starts.
pub struct Prepared {
    body: Bytes,
    timestamp: String,
    signature: String,
}

/// Distinct, correctly signed commands `0..n`, each with its own `response_url` and
/// `trigger_id` (so neither the replay guard nor the double-delivery guard answers "already
/// handled", and each card can be matched to its command).
pub fn prepare(
    n: usize,
    signing_secret: &str,
    response_url: impl Fn(usize) -> String,
) -> Vec<Prepared> {
    let verifier = SignatureVerifier::new(SecretString::from(signing_secret));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64;
    (0..n)
        .map(|i| {
            let text = format!("Meeting {i} 30m tomorrow 10am");
            let url = response_url(i);
            // Slack's shape (`<n>.<n>.<hex>`), unique per command like Slack's own.
            let trigger = format!("13345224609.{i}.8088930838d88f008e0");
            let body = serde_urlencoded::to_string([
                ("token", "x"),
                ("team_id", "T0001"),
                ("team_domain", "acme"),
                ("channel_id", "C0001"),
                ("channel_name", "general"),
                ("user_id", "U0001"),
                ("user_name", "ada"),
                ("command", "/zoom"),
                ("text", text.as_str()),
                ("api_app_id", "A0001"),
                ("is_enterprise_install", "false"),
                ("response_url", url.as_str()),
                ("trigger_id", trigger.as_str()),
            ])
            .expect("string pairs always encode");
            let signature = verifier.sign(now, body.as_bytes());
            Prepared {
                body: Bytes::from(body),
                timestamp: now.to_string(),
                signature,
            }
        })
        .collect()
}

/// What is checked in an acknowledgement.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// Any 200 (the bare-axum baseline).
    Status200,
    /// 200 with the ephemeral "Scheduling…" JSON.
    SchedulingAck,
}

/// How one command went.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub sent: Instant,
    pub latency: Duration,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// 200 with the ephemeral "busy, nothing was created" answer of a full queue.
    Busy,
    /// An HTTP status other than 200.
    Status(u16),
    /// 200 but not the expected body.
    WrongBody,
    /// Connection error or no answer within Slack's 3 s.
    Transport,
}

/// Every command's sample (by index; `None` if the deadline came first) and the send phase's length.
pub struct Sent {
    pub samples: Vec<Option<Sample>>,
    pub elapsed: Duration,
}

/// Slack's side: gives up after 3 s, keeps connections alive between commands.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(ACK_TIMEOUT)
        .pool_max_idle_per_host(usize::MAX)
        .build()
        .expect("an HTTP client with default TLS settings builds")
}

/// Like [`client`], but every request opens a new connection, so each one must be accepted
/// by the server (the worst case for a server whose connection slots are taken).
pub fn fresh_connection_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(ACK_TIMEOUT)
        .pool_max_idle_per_host(0)
        .build()
        .expect("an HTTP client with default TLS settings builds")
}

/// Sends every prepared command, command `i` to `urls[i % urls.len()]` (round-robin over
/// replicas), stopping early if `deadline` passes.
pub async fn send_all(
    client: &reqwest::Client,
    urls: &[String],
    commands: Arc<Vec<Prepared>>,
    load: Load,
    expect: Expect,
    deadline: Duration,
) -> Sent {
    let started = Instant::now();
    let stop_at = started + deadline;
    assert!(!urls.is_empty(), "at least one server to send to");
    let urls: Arc<[String]> = Arc::from(urls);
    let mut tasks = JoinSet::new();
    match load {
        Load::Concurrency(workers) => {
            let next = Arc::new(AtomicUsize::new(0));
            for _ in 0..workers.max(1) {
                let (client, urls, commands, next) = (
                    client.clone(),
                    Arc::clone(&urls),
                    Arc::clone(&commands),
                    Arc::clone(&next),
                );
                tasks.spawn(async move {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= commands.len() || Instant::now() >= stop_at {
                            return done;
                        }
                        let url = &urls[i % urls.len()];
                        done.push((i, send(&client, url, &commands[i], expect).await));
                    }
                });
            }
        }
        Load::Rate(per_second) => {
            let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
            // Catch up after a late tick, so the average rate is the one asked for.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            for i in 0..commands.len() {
                ticks.tick().await;
                if Instant::now() >= stop_at {
                    break;
                }
                let (client, urls, commands) =
                    (client.clone(), Arc::clone(&urls), Arc::clone(&commands));
                tasks.spawn(async move {
                    let url = &urls[i % urls.len()];
                    vec![(i, send(&client, url, &commands[i], expect).await)]
                });
            }
        }
    }
    let mut samples = vec![None; commands.len()];
    while let Some(done) = tasks.join_next().await {
        for (i, sample) in done.expect("a sender task does not panic") {
            samples[i] = Some(sample);
        }
    }
    Sent {
        samples,
        elapsed: started.elapsed(),
    }
}

async fn send(client: &reqwest::Client, url: &str, command: &Prepared, expect: Expect) -> Sample {
    let sent = Instant::now();
    let result = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", &command.timestamp)
        .header("x-slack-signature", &command.signature)
        .body(command.body.clone())
        .send()
        .await;
    let outcome = match result {
        Err(_) => Outcome::Transport,
        Ok(response) => {
            let status = response.status().as_u16();
            // The whole body is read: an acknowledgement is done when Slack has all of it.
            match response.bytes().await {
                Err(_) => Outcome::Transport,
                Ok(_) if status != 200 => Outcome::Status(status),
                Ok(body) => match expect {
                    Expect::Status200 => Outcome::Ok,
                    Expect::SchedulingAck => match ack_kind(&body) {
                        Some(Ack::Scheduling) => Outcome::Ok,
                        Some(Ack::Busy) => Outcome::Busy,
                        None => Outcome::WrongBody,
                    },
                },
            }
        }
    };
    Sample {
        sent,
        latency: sent.elapsed(),
        outcome,
    }
}

enum Ack {
    Scheduling,
    Busy,
}

/// The two ephemeral answers a valid command can get: "Scheduling…" or "busy".
fn ack_kind(body: &[u8]) -> Option<Ack> {
    let ack = serde_json::from_slice::<Value>(body).ok()?;
    if ack["response_type"] != "ephemeral" {
        return None;
    }
    let text = ack["text"].as_str()?;
    if text.contains("Scheduling") {
        Some(Ack::Scheduling)
    } else if text.contains("busy") && text.contains("nothing was created") {
        Some(Ack::Busy)
    } else {
        None
    }
}
