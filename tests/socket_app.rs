//! The whole service in Socket Mode: envelopes from a loopback fake of Slack's WebSocket reach
//! the same handler as HTTP, acks carry the immediate reply, and cards reach the response_url.

mod support;

use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use slack_zoom::slack::socket::SocketModeConfig;
use support::fake_socket::{APP_TOKEN, Event, FakeSocket, OutEnvelope};
use support::fake_zoom::FakeZoomOptions;
use support::{CHANNEL_ID, TEAM_ID, TestApp, USER_ID, spawn_app_with_config};

const WAIT: Duration = Duration::from_secs(20);

async fn spawn(zoom: FakeZoomOptions) -> (TestApp, FakeSocket) {
    spawn_with(zoom, &[]).await
}

/// [`spawn`], with these variables added to the service's environment.
async fn spawn_with(zoom: FakeZoomOptions, env: &[(&str, &str)]) -> (TestApp, FakeSocket) {
    let socket = FakeSocket::start().await;
    let api_url = socket.api_url();
    let app = spawn_app_with_config(
        zoom,
        |vars, _| {
            for (key, value) in env {
                vars.insert((*key).into(), (*value).into());
            }
        },
        move |config| {
            let mut socket =
                SocketModeConfig::new(&api_url, SecretString::from(APP_TOKEN)).unwrap();
            socket.backoff_base = Duration::from_millis(5);
            socket.backoff_max = Duration::from_millis(50);
            config.socket_mode = Some(socket);
            config.drain_timeout = Duration::from_secs(15);
        },
    )
    .await;
    assert!(
        socket.wait_for_connections(1, WAIT).await,
        "the service connects"
    );
    (app, socket)
}

/// A slash-command envelope like Slack's, answering to a fake hook named `name`.
fn command(app: &TestApp, envelope_id: &str, name: &str, text: &str) -> (OutEnvelope, String) {
    let response_url = app.slack.response_url(name);
    let payload = json!({
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "acme",
        "channel_id": CHANNEL_ID,
        "channel_name": "general",
        "user_id": USER_ID,
        "user_name": "ada",
        "command": "/zoom",
        "text": text,
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": format!("1.2.{name}"),
    });
    (
        OutEnvelope::new(envelope_id, "slash_commands", payload, true),
        response_url,
    )
}

fn cards_to(app: &TestApp, url: &str) -> Vec<Value> {
    let path = url.split_once("/hooks/").unwrap().1.to_owned();
    app.slack
        .deliveries()
        .into_iter()
        .filter(|d| d.path.ends_with(&path))
        .map(|d| d.body)
        .collect()
}

#[tokio::test]
async fn a_slash_command_envelope_is_acked_with_the_reply_and_the_card_is_posted() {
    let (app, socket) = spawn(FakeZoomOptions::default()).await;
    let (envelope, url) = command(&app, "env-1", "one", "Sync 30m tomorrow 10am");
    socket.send(1, &envelope);
    let ack = socket.wait_for_ack("env-1", WAIT).await.expect("acked");
    let payload = ack.payload.expect("the ack carries the immediate reply");
    assert_eq!(payload["response_type"], "ephemeral");
    assert!(
        payload["text"]
            .as_str()
            .unwrap()
            .contains("Scheduling *Sync*"),
        "{payload}"
    );
    app.slack.wait_for_deliveries(1, WAIT).await;
    let cards = cards_to(&app, &url);
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0]["response_type"], "in_channel");
    assert_eq!(app.zoom.create_requests().len(), 1);
}

#[tokio::test]
async fn a_click_on_the_card_over_socket_mode_reaches_the_same_handler() {
    let (app, socket) = spawn(FakeZoomOptions::default()).await;
    let (envelope, url) = command(&app, "env-c", "card", "Sync 30m tomorrow 10am");
    socket.send(1, &envelope);
    socket.wait_for_ack("env-c", WAIT).await.expect("acked");
    app.slack.wait_for_deliveries(1, WAIT).await;
    let id = meeting_id(&cards_to(&app, &url).remove(0));
    let click_url = app.slack.response_url("click");
    let click = json!({
        "type": "block_actions",
        "user": {"id": USER_ID, "team_id": TEAM_ID},
        "team": {"id": TEAM_ID},
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": CHANNEL_ID, "is_ephemeral": false},
        "channel": {"id": CHANNEL_ID},
        "response_url": click_url,
        "trigger_id": "1.2.click",
        "actions": [{"action_id": "cancel", "type": "button", "value": id}],
    });
    socket.send(
        1,
        &OutEnvelope::new("env-click", "interactive", click, false),
    );
    socket.wait_for_ack("env-click", WAIT).await.expect("acked");
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.zoom.meeting(id.parse().unwrap()).is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the meeting is still in Zoom"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let told = app.slack.wait_for_deliveries(2, WAIT).await;
    assert!(
        told.iter().any(|d| d.path.ends_with("/click")),
        "the clicker is answered: {told:?}"
    );
}

/// The card's meeting id, from its Cancel button.
fn meeting_id(card: &Value) -> String {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().unwrap().clone())
        .find(|e| e["action_id"] == "cancel")
        .expect("a Cancel button")["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_click_from_a_workspace_not_allowed_is_acked_and_does_nothing() {
    let (app, socket) = spawn_with(
        FakeZoomOptions::default(),
        &[("SLACK_ALLOWED_TEAM_IDS", TEAM_ID)],
    )
    .await;
    let (envelope, url) = command(&app, "env-c", "card", "Sync 30m tomorrow 10am");
    socket.send(1, &envelope);
    socket.wait_for_ack("env-c", WAIT).await.expect("acked");
    app.slack.wait_for_deliveries(1, WAIT).await;
    let id = meeting_id(&cards_to(&app, &url).remove(0));
    // The scheduler's own id, but from another workspace: allowed, it would cancel.
    let foreign_url = app.slack.response_url("foreign");
    let click = json!({
        "type": "block_actions",
        "user": {"id": USER_ID, "team_id": "T0OTHER"},
        "team": {"id": "T0OTHER"},
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": CHANNEL_ID, "is_ephemeral": false},
        "channel": {"id": CHANNEL_ID},
        "response_url": foreign_url,
        "trigger_id": "1.2.foreign",
        "actions": [{"action_id": "cancel", "type": "button", "value": id}],
    });
    socket.send(
        1,
        &OutEnvelope::new("env-foreign", "interactive", click, false),
    );
    let ack = socket
        .wait_for_ack("env-foreign", WAIT)
        .await
        .expect("acked");
    assert!(ack.payload.is_none(), "{:?}", ack.payload);
    // A later command's card: anything the click had started would have reached Zoom first.
    let (envelope, later) = command(&app, "env-later", "later", "Later 30m tomorrow 11am");
    socket.send(1, &envelope);
    socket.wait_for_ack("env-later", WAIT).await.expect("acked");
    app.slack.wait_for_deliveries(2, WAIT).await;
    assert_eq!(cards_to(&app, &later).len(), 1);
    assert!(
        app.zoom.meeting(id.parse().unwrap()).is_some(),
        "still in Zoom"
    );
    assert!(cards_to(&app, &foreign_url).is_empty(), "nothing told");
}

#[tokio::test]
async fn help_and_refusals_come_back_in_the_ack() {
    let (app, socket) = spawn(FakeZoomOptions::default()).await;
    for (id, text, needle) in [
        ("h", "help", "Schedule a Zoom meeting"),
        ("r", "Sync 45x tomorrow 3pm", "`45x`"),
    ] {
        let (envelope, _) = command(&app, id, id, text);
        socket.send(1, &envelope);
        let ack = socket.wait_for_ack(id, WAIT).await.expect("acked");
        let text = ack.payload.unwrap()["text"].as_str().unwrap().to_owned();
        assert!(text.contains(needle), "{id}: {text}");
    }
    assert!(app.zoom.create_requests().is_empty());
}

#[tokio::test]
async fn a_redelivered_envelope_never_creates_a_second_meeting() {
    let (app, socket) = spawn(FakeZoomOptions::default()).await;
    let (envelope, url) = command(&app, "env-dup", "dup", "Sync 30m tomorrow 10am");
    socket.send(1, &envelope);
    socket.send(1, &envelope.clone().retried(1, "timeout"));
    // Slack may also redeliver under a new envelope id (another connection): the same
    // trigger_id is still the same command.
    let mut renamed = envelope.clone().retried(2, "timeout");
    renamed.envelope_id = "env-dup-2".into();
    socket.send(1, &renamed);
    assert_eq!(socket.wait_for_acks("env-dup", 2, WAIT).await.len(), 2);
    let renamed_ack = socket.wait_for_ack("env-dup-2", WAIT).await.unwrap();
    assert!(
        renamed_ack.payload.unwrap()["text"]
            .as_str()
            .unwrap()
            .contains("already handled")
    );
    app.slack.wait_for_deliveries(1, WAIT).await;
    assert_eq!(app.zoom.create_requests().len(), 1, "one meeting");
    assert_eq!(cards_to(&app, &url).len(), 1, "one card");
}

#[tokio::test]
async fn after_a_refresh_and_a_dropped_link_commands_still_arrive() {
    let (app, socket) = spawn(FakeZoomOptions::default()).await;
    socket.disconnect(1, "refresh_requested");
    assert!(socket.wait_for_connections(2, WAIT).await, "a new link");
    let (envelope, _) = command(&app, "after-refresh", "a", "One 30m tomorrow 10am");
    socket.send(2, &envelope);
    assert!(socket.wait_for_ack("after-refresh", WAIT).await.is_some());
    socket.drop_connection(2);
    assert!(socket.wait_for_connections(3, WAIT).await, "reconnected");
    let (envelope, _) = command(&app, "after-drop", "b", "Two 30m tomorrow 10am");
    socket.send(3, &envelope);
    assert!(socket.wait_for_ack("after-drop", WAIT).await.is_some());
    app.slack.wait_for_deliveries(2, WAIT).await;
    assert_eq!(app.zoom.create_requests().len(), 2);
}

#[tokio::test]
async fn sigterm_closes_the_socket_after_the_background_work_drains() {
    let slow = FakeZoomOptions {
        create_latency: Duration::from_secs(1),
        ..Default::default()
    };
    let (mut app, socket) = spawn(slow).await;
    let (envelope, url) = command(&app, "slow", "slow", "Sync 30m tomorrow 10am");
    socket.send(1, &envelope);
    assert!(socket.wait_for_ack("slow", WAIT).await.is_some());
    assert!(app.zoom.wait_for_creates(1, WAIT).await);
    app.shutdown().await.unwrap();
    let path = url.split_once("/hooks/").unwrap().1.to_owned();
    let cards: Vec<_> = app
        .slack
        .deliveries()
        .into_iter()
        .filter(|d| d.path.ends_with(&path))
        .collect();
    assert_eq!(cards.len(), 1, "the card was posted");
    let closed = socket
        .client_closed_at(1)
        .expect("a close frame reached Slack");
    assert!(
        cards[0].received < closed,
        "the socket closed only after the card went out"
    );
    let closed_at = socket
        .position(&Event::ClientClosed { connection: 1 })
        .expect("closed");
    let acked_at = socket
        .position(&Event::Acked {
            connection: 1,
            envelope_id: "slow".into(),
        })
        .expect("acked");
    assert!(acked_at < closed_at);
}
