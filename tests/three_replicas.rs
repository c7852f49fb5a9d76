//! Three replicas of the real binary on one PostgreSQL, one of them killed (SIGKILL) while its
//! meeting creations are in flight at Zoom: every command still runs once, every card is posted
//! once and every start notice fires once, across the replicas that are left.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use support::fake_slack::FakeSlack;
use support::fake_zoom::FakeZoom;
use support::service::Service;
use support::{command_body, command_request, postgres, sign, unix_now};

const REPLICAS: usize = 3;
const COMMANDS: usize = 12;
/// The replica that is killed.
const DOOMED: usize = 2;
/// Long enough for a lapsed lease, a takeover and a sweep on a slow, shared machine.
const WAIT: Duration = Duration::from_secs(90);

/// One command as sent: its topic and where its replies go.
struct Sent {
    topic: String,
    hook: String,
}

fn replica_env(slack: &FakeSlack, zoom: &FakeZoom, database: &str) -> HashMap<String, String> {
    let mut env = support::test_env(slack, zoom);
    for (name, value) in [
        ("DATABASE_URL", database),
        ("RUST_LOG", "info"),
        // Sweeps every second; a command is taken over 9 s after its replica last answered
        // for it (the shortest lease allowed with a 4 s Zoom timeout).
        ("SWEEP_SECONDS", "1"),
        ("ZOOM_TIMEOUT_SECONDS", "4"),
        ("LEASE_SECONDS", "9"),
        ("START_NOTICE_MINUTES", "0"),
    ] {
        env.insert(name.into(), value.into());
    }
    env
}

/// POSTs a command to a replica with exactly these headers; the text of its answer.
async fn post(
    client: &reqwest::Client,
    port: u16,
    body: &str,
    timestamp: i64,
    signature: &str,
) -> String {
    let response = command_request(
        client,
        &format!("http://127.0.0.1:{port}"),
        body,
        timestamp,
        signature,
    )
    .send()
    .await
    .expect("the replica answers");
    assert_eq!(response.status(), 200, "port {port}");
    let answer: Value = response.json().await.expect("a JSON answer");
    answer["text"].as_str().unwrap_or_default().to_owned()
}

/// Cards are posted in the channel: through the command's `response_url`, or with
/// `chat.postMessage` when that cannot be used. Start notices are thread or channel posts that
/// begin "Starting now".
struct Seen {
    cards: HashMap<String, usize>,
    notices: HashMap<String, usize>,
}

fn seen(slack: &FakeSlack, sent: &[Sent]) -> Seen {
    let mut cards = HashMap::new();
    let mut notices = HashMap::new();
    let deliveries = slack.deliveries();
    let posts = slack.calls_of("chat.postMessage");
    for command in sent {
        let by_hook = deliveries
            .iter()
            .filter(|d| d.path.ends_with(&command.hook) && d.body["response_type"] == "in_channel")
            .count();
        let mentions = |call: &&support::fake_slack::WebCall| {
            call.answer["ok"] == true
                && call.body["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(&command.topic)
        };
        let starting = |call: &&support::fake_slack::WebCall| {
            call.body["text"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Starting now")
        };
        let by_post = posts
            .iter()
            .filter(mentions)
            .filter(|c| !starting(c))
            .count();
        let notice = posts.iter().filter(mentions).filter(starting).count();
        cards.insert(command.topic.clone(), by_hook + by_post);
        notices.insert(command.topic.clone(), notice);
    }
    Seen { cards, notices }
}

/// Polls until every command has a card and a notice, or `WAIT` passes.
async fn wait_for_everything(slack: &FakeSlack, sent: &[Sent]) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        let now = seen(slack, sent);
        if now.cards.values().all(|n| *n >= 1) && now.notices.values().all(|n| *n >= 1) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_run_every_command_once_and_post_every_card_and_notice_once_though_one_is_killed_mid_create()
 {
    let slack = FakeSlack::start().await;
    let zoom = FakeZoom::start().await;
    let database = postgres::server().fresh_database().await;
    let env = replica_env(&slack, &zoom, &database);
    let (a, b, c) = tokio::join!(
        Service::start(&env, &[]),
        Service::start(&env, &[]),
        Service::start(&env, &[])
    );
    let mut replicas = vec![Some(a), Some(b), Some(c)];
    let ports: Vec<u16> = replicas.iter().flatten().map(|r| r.port).collect();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();

    // Zoom receives the creates but answers none until the doomed replica is dead.
    zoom.hold_creates();
    let mut sent = Vec::new();
    for n in 0..COMMANDS {
        let topic = format!("Replica check {n:02}");
        let hook = format!("command-{n:02}");
        let body = command_body(&format!("{topic} 30m now"), &slack.response_url(&hook));
        let timestamp = unix_now();
        let signature = sign(&body, timestamp);
        let first = n % REPLICAS;
        let answer = post(&client, ports[first], &body, timestamp, &signature).await;
        assert!(answer.contains("Scheduling"), "{topic}: {answer}");
        // The same request replayed to the next replica, and Slack's re-signed copy (same
        // trigger) delivered to the one after: both are caught where they land.
        let replay = post(
            &client,
            ports[(n + 1) % REPLICAS],
            &body,
            timestamp,
            &signature,
        )
        .await;
        assert!(
            replay.contains("already handled"),
            "{topic} replayed: {replay}"
        );
        let later = timestamp + 1;
        let resigned = post(
            &client,
            ports[(n + 2) % REPLICAS],
            &body,
            later,
            &sign(&body, later),
        )
        .await;
        assert!(
            resigned.contains("already handled"),
            "{topic} re-signed: {resigned}"
        );
        sent.push(Sent { topic, hook });
    }
    assert!(
        zoom.wait_for_creates(COMMANDS, WAIT).await,
        "every command reached Zoom"
    );
    let killed_log = replicas[DOOMED].take().unwrap().kill().await;
    zoom.release_creates();

    wait_for_everything(&slack, &sent).await;
    // Stopping waits for sweeps in progress: nothing is posted after this.
    let mut logs = Vec::new();
    for replica in replicas.into_iter().flatten() {
        logs.push(replica.stop().await);
    }
    let report = || {
        format!(
            "logs of the surviving replicas:\n{}\nlog of the killed one:\n{killed_log}",
            logs.join("\n----\n")
        )
    };

    let seen = seen(&slack, &sent);
    let creates = zoom.create_requests();
    let meetings: Vec<Value> = zoom
        .meeting_ids()
        .into_iter()
        .filter_map(|id| zoom.meeting(id))
        .collect();
    for command in &sent {
        let topic = command.topic.as_str();
        let sent_to_zoom = creates.iter().filter(|c| c.body["topic"] == topic).count();
        let in_zoom = meetings.iter().filter(|m| m["topic"] == topic).count();
        assert_eq!(
            (sent_to_zoom, in_zoom),
            (1, 1),
            "{topic}: ran once (creates sent, meetings in Zoom)\n{}",
            report()
        );
        assert_eq!(seen.cards[topic], 1, "{topic}: one card\n{}", report());
        assert_eq!(seen.notices[topic], 1, "{topic}: one notice\n{}", report());
    }
    // The killed replica's commands were finished by the others, from what it wrote down.
    let taken_over: usize = logs
        .iter()
        .map(|log| log.matches("taking over a command").count())
        .sum();
    assert!(
        taken_over >= COMMANDS / REPLICAS,
        "the killed replica's {} commands were taken over ({taken_over} takeovers)\n{}",
        COMMANDS / REPLICAS,
        report()
    );
}
