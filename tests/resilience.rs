//! Staying up and losing nothing: slow and idle clients, a full queue, shutdown with a
//! backlog, double deliveries and hanging hooks, against the real router on loopback.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use slack_zoom::store::CardState;
use support::fake_zoom::{FakeZoomOptions, ScriptedResponse};
use support::{TestApp, command_body, json, sign, spawn_app, spawn_app_with_config, unix_now};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);

/// How a test client misbehaves.
#[derive(Clone, Copy, Debug)]
enum Client {
    /// Connects and sends nothing.
    Idle,
    /// Sends a request header one byte every 200 ms, never finishing it.
    Slow,
    /// Completes one request, then keeps the connection open and silent.
    KeepAlive,
}

/// Opens a misbehaving connection and returns how long the server let it live.
async fn lifetime(app: &TestApp, client: Client) -> Duration {
    let mut stream = TcpStream::connect(app.address).await.unwrap();
    let opened = Instant::now();
    let mut buf = [0u8; 1024];
    match client {
        Client::Idle => {}
        Client::Slow => {}
        Client::KeepAlive => {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let n = stream.read(&mut buf).await.unwrap();
            assert!(
                String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"),
                "the first request is answered"
            );
        }
    }
    let opened = if matches!(client, Client::KeepAlive) {
        Instant::now()
    } else {
        opened
    };
    let header = b"POST /slack/commands HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut sent = 0;
    loop {
        let pace = tokio::time::sleep(Duration::from_millis(200));
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return opened.elapsed(),
                // A 408 or similar before closing is fine; keep reading until the close.
                Ok(_) => {}
            },
            () = pace, if matches!(client, Client::Slow) => {
                let byte = header.get(sent % header.len()).copied().unwrap_or(b'a');
                sent += 1;
                if stream.write_all(&[byte]).await.is_err() {
                    return opened.elapsed();
                }
            }
        }
    }
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed_at_the_header_timeout_while_commands_are_answered() {
    let timeout = Duration::from_secs(1);
    let app = spawn_app_with_config(
        FakeZoomOptions::default(),
        |_, _| {},
        |config| config.header_read_timeout = timeout,
    )
    .await;
    let app = std::sync::Arc::new(app);
    let mut clients = Vec::new();
    for i in 0..90 {
        let kind = match i % 3 {
            0 => Client::Idle,
            1 => Client::Slow,
            _ => Client::KeepAlive,
        };
        let app = std::sync::Arc::clone(&app);
        clients.push((
            kind,
            tokio::spawn(async move { tokio::time::timeout(WAIT, lifetime(&app, kind)).await }),
        ));
    }
    // While they hang on, a signed command is still answered.
    let ack = json(app.command("Sync 30m tomorrow 10am").await.1).await;
    assert!(
        ack["text"].as_str().unwrap().contains("Scheduling"),
        "{ack}"
    );
    for (kind, client) in clients {
        let lived = client
            .await
            .unwrap()
            .unwrap_or_else(|_| panic!("a {kind:?} connection was never closed"));
        assert!(
            lived >= timeout - Duration::from_millis(100),
            "a {kind:?} connection was closed after {lived:?}, before the {timeout:?} timeout"
        );
    }
}

#[tokio::test]
async fn at_the_connection_cap_idle_clients_make_room_and_slack_is_answered_at_once() {
    // A long header timeout: only the cap's eviction can make room in time.
    let app = spawn_app_with_config(
        FakeZoomOptions::default(),
        |_, _| {},
        |config| {
            config.header_read_timeout = Duration::from_secs(60);
            config.max_connections = 16;
        },
    )
    .await;
    let mut idle = Vec::new();
    for _ in 0..16 {
        idle.push(TcpStream::connect(app.address).await.unwrap());
    }
    // The cap is full of silent clients; a signed command still gets in and is answered.
    let ack = json(app.command("Sync 30m tomorrow 10am").await.1).await;
    assert!(
        ack["text"].as_str().unwrap().contains("Scheduling"),
        "{ack}"
    );
    // Room was made by closing the oldest silent connection, not by letting all in.
    let mut buf = [0u8; 16];
    let closed = tokio::time::timeout(WAIT, idle[0].read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "the oldest idle connection was closed: {closed:?}"
    );
    let mut still_open = 0;
    for stream in &mut idle[2..] {
        let peek = tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buf)).await;
        if peek.is_err() {
            still_open += 1;
        }
    }
    assert!(
        still_open >= 12,
        "only a few were closed, {still_open} of 14 still open"
    );
}

/// Sends `/zoom {text}` and returns its response_url and the immediate answer.
async fn command(app: &TestApp, text: &str) -> (String, Value) {
    let (url, response) = app.command(text).await;
    (url, json(response).await)
}

/// Every message posted to the response_url `url`.
fn messages_to(app: &TestApp, url: &str) -> Vec<Value> {
    let path = url.split_once("/hooks/").unwrap().1.to_owned();
    app.slack
        .deliveries()
        .into_iter()
        .filter(|d| d.path.ends_with(&path))
        .map(|d| d.body)
        .collect()
}

#[tokio::test]
async fn past_the_queue_bound_commands_are_told_at_once_that_nothing_was_created() {
    let hanging = FakeZoomOptions {
        create_latency: Duration::from_secs(3600),
        ..Default::default()
    };
    let app = spawn_app_with_config(
        hanging,
        |_, _| {},
        |config| {
            config.max_concurrent_creates = 1;
            config.max_queued_commands = 2;
        },
    )
    .await;
    let mut acks = Vec::new();
    for i in 0..5 {
        acks.push(
            command(&app, &format!("Sync {i} 30m tomorrow 10am"))
                .await
                .1,
        );
    }
    for (i, ack) in acks.iter().enumerate() {
        let text = ack["text"].as_str().unwrap();
        assert_eq!(ack["response_type"], "ephemeral", "command {i}");
        if i < 3 {
            assert!(
                text.contains("Scheduling"),
                "command {i} is admitted: {text}"
            );
        } else {
            assert!(
                text.contains("busy")
                    && text.contains("nothing was created")
                    && text.contains("try again in a minute"),
                "command {i} is refused at once: {text}"
            );
        }
    }
    assert!(app.zoom.wait_for_creates(1, WAIT).await);
    assert_eq!(app.zoom.create_requests().len(), 1, "one slot, one create");
}

#[tokio::test]
async fn a_command_that_waited_longer_than_the_create_timeout_is_told_so_and_never_sent() {
    let app = spawn_app_with_config(
        FakeZoomOptions::default(),
        |env, _| {
            env.insert("ZOOM_TIMEOUT_SECONDS".into(), "1".into());
        },
        |config| config.max_concurrent_creates = 1,
    )
    .await;
    // The first create holds the only slot for about two seconds: a per-second limit with
    // Retry-After 1, then a Zoom that does not answer within the one-second timeout.
    app.zoom
        .push_create_response(ScriptedResponse::per_second_limit().with_header("retry-after", "1"));
    app.zoom.push_create_response(ScriptedResponse::Hang);
    let (first, _) = command(&app, "First 30m tomorrow 10am").await;
    assert!(app.zoom.wait_for_creates(1, WAIT).await);
    let (second, _) = command(&app, "Second 30m tomorrow 10am").await;
    app.slack.wait_for_deliveries(2, WAIT).await;
    let told = messages_to(&app, &second);
    assert_eq!(told.len(), 1, "{told:?}");
    let text = told[0]["text"].as_str().unwrap();
    assert!(
        text.contains("waited more than 1 seconds") && text.contains("no meeting was created"),
        "{text}"
    );
    assert_eq!(messages_to(&app, &first).len(), 1);
    let topics: Vec<Value> = app
        .zoom
        .create_requests()
        .into_iter()
        .map(|c| c.body["topic"].clone())
        .collect();
    assert!(
        topics.iter().all(|t| t == "First"),
        "the second command never reached Zoom: {topics:?}"
    );
}

#[tokio::test]
async fn after_sigterm_no_create_starts_and_every_user_gets_exactly_one_message() {
    let slow = FakeZoomOptions {
        create_latency: Duration::from_secs(2),
        ..Default::default()
    };
    let mut app = spawn_app_with_config(
        slow,
        |_, _| {},
        |config| {
            config.max_concurrent_creates = 2;
            config.drain_timeout = Duration::from_secs(15);
        },
    )
    .await;
    let mut urls = Vec::new();
    for i in 0..8 {
        urls.push(
            command(&app, &format!("Backlog {i} 30m tomorrow 10am"))
                .await
                .0,
        );
    }
    assert!(app.zoom.wait_for_creates(2, WAIT).await);
    app.shutdown().await.unwrap();
    assert_eq!(
        app.zoom.create_requests().len(),
        2,
        "Zoom saw no create after the signal"
    );
    let mut cards = 0;
    for url in &urls {
        let messages = messages_to(&app, url);
        assert_eq!(
            messages.len(),
            1,
            "exactly one message for {url}: {messages:?}"
        );
        if messages[0]["response_type"] == "in_channel" {
            cards += 1;
        } else {
            let text = messages[0]["text"].as_str().unwrap();
            assert!(
                text.contains("no meeting was created") && text.contains("run the command again"),
                "{text}"
            );
        }
    }
    assert_eq!(
        cards, 2,
        "the creates already sent finished and were posted"
    );
}

#[tokio::test]
async fn a_create_zoom_turned_away_is_not_sent_again_after_sigterm() {
    let mut app = spawn_app_with_config(
        FakeZoomOptions::default(),
        |_, _| {},
        |config| config.drain_timeout = Duration::from_secs(15),
    )
    .await;
    // Zoom's per-second limit: nothing was created, try again in two seconds.
    app.zoom
        .push_create_response(ScriptedResponse::per_second_limit().with_header("retry-after", "2"));
    let (url, _) = command(&app, "Limited 30m tomorrow 10am").await;
    assert!(app.zoom.wait_for_creates(1, WAIT).await);
    app.shutdown().await.unwrap();
    assert_eq!(
        app.zoom.create_requests().len(),
        1,
        "not sent again after the signal"
    );
    let told = messages_to(&app, &url);
    assert_eq!(told.len(), 1, "{told:?}");
    let text = told[0]["text"].as_str().unwrap();
    assert!(
        text.contains("no meeting was created") && text.contains("run the command again"),
        "told nothing was created, not that it may exist: {text}"
    );
}

#[tokio::test]
async fn the_same_command_delivered_twice_runs_once() {
    let app = spawn_app().await;
    let url = app.slack.response_url("twice");
    let body = command_body("Sync 30m tomorrow 10am", &url);
    let first = json(app.post_signed(&body).await).await;
    assert!(first["text"].as_str().unwrap().contains("Scheduling"));
    // Slack's copy: the same form, signed again a second later, marked as a retry.
    let ts = unix_now() - 1;
    let second = app
        .client
        .post(app.url("/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("X-Slack-Request-Timestamp", ts.to_string())
        .header("X-Slack-Signature", sign(&body, ts))
        .header("X-Slack-Retry-Num", "1")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let second = json(second).await;
    assert!(
        second["text"].as_str().unwrap().contains("already handled"),
        "{second}"
    );
    app.slack.wait_for_deliveries(1, WAIT).await;
    assert_eq!(app.zoom.create_requests().len(), 1, "one meeting");
    assert_eq!(messages_to(&app, &url).len(), 1, "one card");
}

#[tokio::test]
async fn a_card_whose_first_post_timed_out_is_not_queued_again_after_later_refusals() {
    // After the first post hangs past the timeout (it may have arrived): the retries meet
    // 503s, or Slack refuses the URL as used up.
    for (case, then) in [("503s", &[503, 503][..]), ("a 404", &[404][..])] {
        let app = spawn_app_with_config(
            FakeZoomOptions::default(),
            |_, _| {},
            |config| {
                config.delivery.timeout = Duration::from_millis(300);
                config.delivery.first_backoff = Duration::from_millis(20);
                config.delivery.attempts = 3;
            },
        )
        .await;
        app.slack.push_hook_hangs(1, Duration::from_secs(2));
        app.slack.push_hook_failures(then);
        command(&app, "Sync 30m tomorrow 10am").await;
        let attempts = app.slack.wait_for_hook_attempts(1 + then.len(), WAIT).await;
        assert_eq!(attempts.len(), 1 + then.len(), "{case}: {attempts:?}");
        // The first may have arrived: the card is handed to the outbox neither to be posted
        // again nor to go to the channel.
        let store = app.store().await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let cards = store.outbox().for_meeting(85_746_065_432).await.unwrap();
            match cards.first().map(|c| c.state) {
                Some(CardState::Abandoned) => break,
                // Held while its poster posts; handed back for a retry, it carries the error.
                Some(CardState::Pending) if cards[0].last_error.is_some() => {
                    panic!("{case}: queued to be posted again: {cards:?}")
                }
                _ => {}
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{case}: still queued: {cards:?}"
            );
            tokio::task::yield_now().await;
        }
    }
}

#[tokio::test]
async fn a_hook_that_times_out_gets_the_card_at_most_twice() {
    let app = spawn_app_with_config(
        FakeZoomOptions::default(),
        |_, _| {},
        |config| config.delivery.timeout = Duration::from_millis(300),
    )
    .await;
    app.slack.set_hook_latency(Duration::from_secs(5));
    command(&app, "Sync 30m tomorrow 10am").await;
    let attempts = app.slack.wait_for_hook_attempts(2, WAIT).await;
    assert_eq!(attempts.len(), 2, "one retry after a timeout");
    // Had it retried again, the third attempt would arrive within about a second.
    let more = app
        .slack
        .wait_for_hook_attempts(3, Duration::from_secs(3))
        .await;
    assert_eq!(more.len(), 2, "no third copy: {more:?}");
    // Nor later from the outbox: a card that may have arrived is not queued again.
    let store = app.store().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let cards = store.outbox().for_meeting(85_746_065_432).await.unwrap();
        if cards.iter().any(|c| c.state == CardState::Abandoned) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still queued: {cards:?}"
        );
        tokio::task::yield_now().await;
    }
}
