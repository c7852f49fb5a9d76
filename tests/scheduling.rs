//! From signed command to meeting card: the real router with fake Zoom and fake Slack on loopback.

mod support;

use std::time::Duration;

use chrono::{Days, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};
use support::fake_slack::{FakeUser, UsersInfoFault};
use support::fake_zoom::{FakeZoomOptions, ScriptedResponse};
use support::{
    TestApp, USER_ID, json, spawn_app, spawn_app_with, spawn_app_with_config, spawn_app_with_zoom,
};

const WAIT: Duration = Duration::from_secs(10);

/// A date two days from now, as typed (`YYYY-MM-DD`), and the UTC instant of `hh:mm` on it in `zone`.
fn future_slot(zone: Tz, hh: u32, mm: u32) -> (String, i64) {
    let date = Utc::now().with_timezone(&zone).date_naive() + Days::new(2);
    let local = date.and_time(NaiveTime::from_hms_opt(hh, mm, 0).unwrap());
    let instant = zone.from_local_datetime(&local).earliest().unwrap();
    (date.format("%Y-%m-%d").to_string(), instant.timestamp())
}

/// Sends a command and returns the immediate answer and the message later posted to its response_url.
async fn schedule(app: &TestApp, text: &str) -> (Value, Value) {
    let (response_url, response) = app.command(text).await;
    let ack = json(response).await;
    let path = response_url.split_once("/hooks/").unwrap().1.to_owned();
    let deliveries = app
        .slack
        .wait_for_deliveries(app.slack.deliveries().len() + 1, WAIT)
        .await;
    let delivery = deliveries
        .into_iter()
        .find(|d| d.path.ends_with(&path))
        .unwrap_or_else(|| panic!("nothing posted for `{text}`; ack was {ack}"));
    (ack, delivery.body)
}

/// The hosts Zoom was asked to create meetings for, in order.
fn hosts_asked(app: &TestApp) -> Vec<String> {
    app.zoom
        .create_requests()
        .into_iter()
        .map(|c| c.host)
        .collect()
}

fn text_of(message: &Value) -> String {
    message.to_string()
}

/// Every mrkdwn string Slack parses in a message: its `text` and each mrkdwn text object.
fn mrkdwn_of(message: &Value) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("mrkdwn")
                    && let Some(text) = map.get("text").and_then(Value::as_str)
                {
                    out.push(text.to_owned());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out: Vec<String> = message["text"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect();
    walk(&message["blocks"], &mut out);
    out
}

/// The card's topic as rich-text elements (after the camera emoji and its space).
fn topic_of(card: &Value) -> Vec<Value> {
    card["blocks"][0]["elements"][0]["elements"]
        .as_array()
        .unwrap_or_else(|| panic!("no rich-text topic: {card}"))
        .iter()
        .skip(2)
        .cloned()
        .collect()
}

/// Waits for `n` messages posted to the response_url of the command sent with `response_url`.
async fn messages_to(app: &TestApp, response_url: &str, n: usize) -> Vec<Value> {
    let path = response_url.split_once("/hooks/").unwrap().1.to_owned();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found: Vec<Value> = app
            .slack
            .deliveries()
            .into_iter()
            .filter(|d| d.path.ends_with(&path))
            .map(|d| d.body)
            .collect();
        if found.len() >= n || tokio::time::Instant::now() >= deadline {
            return found;
        }
        app.slack
            .wait_for_deliveries(app.slack.deliveries().len() + 1, Duration::from_millis(200))
            .await;
    }
}

#[tokio::test]
async fn a_command_from_a_los_angeles_user_creates_the_meeting_at_their_wall_clock_time() {
    let app = spawn_app().await;
    app.slack.add_user(
        USER_ID,
        FakeUser {
            tz: Some("America/Los_Angeles".into()),
            email: None,
            ..Default::default()
        },
    );
    let zone: Tz = "America/Los_Angeles".parse().unwrap();
    let (date, instant) = future_slot(zone, 15, 0);

    let (ack, card) = schedule(&app, &format!("Design review 45m {date} 3pm")).await;

    assert_eq!(ack["response_type"], "ephemeral");
    assert!(
        ack["text"]
            .as_str()
            .unwrap()
            .contains("Scheduling *Design review*"),
        "{ack}"
    );
    let creates = app.zoom.create_requests();
    assert_eq!(creates.len(), 1);
    assert_eq!(creates[0].host, "me");
    assert_eq!(
        creates[0].body,
        json!({
            "topic": "Design review",
            "type": 2,
            "start_time": format!("{date}T15:00:00"),
            "timezone": "America/Los_Angeles",
            "duration": 45,
            "agenda": format!("Scheduled from Slack by Some One ({USER_ID}) in #general."),
        })
    );
    assert_eq!(card["response_type"], "in_channel");
    assert!(
        text_of(&card).contains(&format!(
            "<!date^{instant}^{{date_long_pretty}} at {{time}}|"
        )),
        "{card}"
    );
    assert!(
        text_of(&card).contains("3:00 PM (America/Los_Angeles)"),
        "{card}"
    );
}

#[tokio::test]
async fn a_meeting_in_kolkata_is_sent_as_wall_clock_and_zone_without_z() {
    let app = spawn_app().await;
    let zone: Tz = "Asia/Kolkata".parse().unwrap();
    let (date, instant) = future_slot(zone, 9, 30);
    let (_, card) = schedule(&app, &format!("Standup 15m {date} 9:30 Asia/Kolkata")).await;
    let body = &app.zoom.create_requests()[0].body;
    assert_eq!(body["start_time"], format!("{date}T09:30:00"));
    assert_eq!(body["timezone"], "Asia/Kolkata");
    assert_eq!(
        body["agenda"],
        format!("Scheduled from Slack by Slack user {USER_ID} in #general.")
    );
    assert!(!body["start_time"].as_str().unwrap().contains('Z'));
    assert!(
        text_of(&card).contains(&format!("<!date^{instant}^")),
        "{card}"
    );
}

#[tokio::test]
async fn the_card_has_everything_people_need_and_never_the_start_url() {
    let app = spawn_app().await;
    let (_, card) = schedule(&app, "<!channel> R&amp;D sync 30m tomorrow 10am").await;
    let text = text_of(&card);
    assert_eq!(card["response_type"], "in_channel");
    let button = &card["blocks"][1]["accessory"];
    assert_eq!(button["type"], "button");
    assert_eq!(button["text"]["text"], "Join");
    assert!(
        button["url"].as_str().unwrap().contains("/j/85746065432"),
        "{button}"
    );
    assert!(text.contains("857 4606 5432"), "meeting id grouped: {text}");
    assert!(text.contains("*Passcode*"), "{text}");
    assert!(
        text.contains(&format!("<@{USER_ID}>")),
        "who scheduled it: {text}"
    );
    assert_eq!(
        topic_of(&card)[0]["text"],
        "<!channel> R&D sync",
        "shown as typed"
    );
    assert_eq!(topic_of(&card).len(), 1, "as text, not markup: {card}");
    for mrkdwn in mrkdwn_of(&card) {
        assert!(!mrkdwn.contains("<!channel>"), "nobody is pinged: {mrkdwn}");
    }
    assert!(
        card["text"]
            .as_str()
            .unwrap()
            .contains("&lt;!channel&gt; R&amp;D sync"),
        "escaped in the fallback: {text}"
    );
    assert!(
        card["text"].as_str().is_some_and(|t| !t.is_empty()),
        "plain fallback"
    );
    let start_urls = app.zoom.start_urls();
    assert!(!start_urls.is_empty());
    for start_url in start_urls {
        assert!(!text.contains(&start_url), "start_url leaked: {text}");
    }
    assert!(!text.contains("start_url"));
}

#[tokio::test]
async fn the_topic_reaches_zoom_as_plain_text_and_the_card_keeps_mentions() {
    let app = spawn_app().await;
    let (_, card) = schedule(
        &app,
        "R&amp;D &lt;weekly&gt; with <@U123> 30m tomorrow 10am",
    )
    .await;
    assert_eq!(
        app.zoom.create_requests()[0].body["topic"],
        "R&D <weekly> with @U123"
    );
    let topic = topic_of(&card);
    assert_eq!(topic[0]["text"], "R&D <weekly> with ", "{card}");
    assert_eq!(topic[1]["type"], "user", "{card}");
    assert_eq!(topic[1]["user_id"], "U123", "{card}");
}

#[tokio::test]
async fn when_the_timezone_lookup_fails_the_default_zone_is_used_and_the_reply_says_so() {
    let app = spawn_app_with(|env, _| {
        env.insert("DEFAULT_TIMEZONE".into(), "Europe/Berlin".into());
    })
    .await;
    app.slack
        .push_users_info_fault(UsersInfoFault::NotOk("user_not_found"));
    let zone: Tz = "Europe/Berlin".parse().unwrap();
    let (date, instant) = future_slot(zone, 15, 0);
    let (ack, card) = schedule(&app, &format!("Planning 30m {date} 15:00")).await;
    let ack_text = ack["text"].as_str().unwrap();
    assert!(ack_text.contains("Europe/Berlin"), "{ack_text}");
    assert!(ack_text.contains("could not be looked up"), "{ack_text}");
    assert_eq!(
        app.zoom.create_requests()[0].body["timezone"],
        "Europe/Berlin"
    );
    assert!(
        text_of(&card).contains(&format!("<!date^{instant}^")),
        "{card}"
    );
}

#[tokio::test]
async fn a_user_without_a_timezone_gets_the_default_and_is_told() {
    let app = spawn_app().await;
    app.slack.add_user(USER_ID, FakeUser::default());
    let (ack, _) = schedule(&app, "Sync 30m tomorrow 10am").await;
    assert!(
        ack["text"].as_str().unwrap().contains("no timezone"),
        "{ack}"
    );
    assert_eq!(app.zoom.create_requests()[0].body["timezone"], "UTC");
}

#[tokio::test]
async fn an_explicit_zone_wins_and_needs_no_note() {
    let app = spawn_app().await;
    app.slack.add_user(
        USER_ID,
        FakeUser {
            tz: Some("America/Los_Angeles".into()),
            email: None,
            ..Default::default()
        },
    );
    let (ack, _) = schedule(&app, "Sync 30m tomorrow 10am Europe/Istanbul").await;
    assert!(
        !ack["text"].as_str().unwrap().contains("Times are read in"),
        "{ack}"
    );
    assert_eq!(
        app.zoom.create_requests()[0].body["timezone"],
        "Europe/Istanbul"
    );
}

#[tokio::test]
async fn the_timezone_is_looked_up_once_per_user_and_cached() {
    let app = spawn_app().await;
    app.slack.add_user(
        USER_ID,
        FakeUser {
            tz: Some("Asia/Tokyo".into()),
            email: None,
            ..Default::default()
        },
    );
    schedule(&app, "One 30m tomorrow 10am").await;
    schedule(&app, "Two 30m tomorrow 11am").await;
    assert_eq!(app.slack.users_info_calls(), [USER_ID]);
}

#[tokio::test]
async fn help_and_bad_input_are_answered_only_to_the_invoker_and_create_nothing() {
    let app = spawn_app().await;
    for text in [
        "help",
        "--help",
        "Design review 45x tomorrow",
        "sync 30m 03/04 3pm",
        "sync 30m tomorrow 3pm EST",
    ] {
        let (_, response) = app.command(text).await;
        let body = json(response).await;
        assert_eq!(body["response_type"], "ephemeral", "`{text}`");
        assert!(!body["text"].as_str().unwrap().is_empty(), "`{text}`");
    }
    assert!(app.zoom.create_requests().is_empty());
    assert_eq!(app.zoom.token_requests(), 0);
}

#[tokio::test]
async fn the_acknowledgement_does_not_wait_for_zoom() {
    let options = FakeZoomOptions {
        create_latency: Duration::from_secs(3600),
        ..Default::default()
    };
    let app = spawn_app_with_zoom(options, |_, _| {}).await;
    // The client gives up after Slack's 3 s; Zoom here would take an hour.
    let (_, response) = app.command("Sync 30m tomorrow 10am").await;
    let ack = json(response).await;
    assert!(
        ack["text"].as_str().unwrap().contains("Scheduling"),
        "{ack}"
    );
}

#[tokio::test]
async fn a_token_is_fetched_once_for_many_concurrent_commands() {
    let app = spawn_app().await;
    let mut commands = tokio::task::JoinSet::new();
    for i in 0..100 {
        let url = app.slack.response_url(&format!("concurrent-{i}"));
        let request = app.signed_request(&support::command_body(
            &format!("Meeting {i} 30m tomorrow 10am"),
            &url,
        ));
        commands.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
    }
    while let Some(status) = commands.join_next().await {
        assert_eq!(status.unwrap().unwrap(), 200);
    }
    assert!(
        app.zoom.wait_for_creates(100, WAIT).await,
        "100 meetings created"
    );
    assert_eq!(app.zoom.token_requests(), 1);
    assert_eq!(app.slack.wait_for_deliveries(100, WAIT).await.len(), 100);
}

#[tokio::test]
async fn zoom_host_sets_who_hosts() {
    let app = spawn_app_with(|env, _| {
        env.insert("ZOOM_HOST".into(), "rooms+zoom@example.com".into());
    })
    .await;
    schedule(&app, "Sync 30m tomorrow 10am").await;
    assert_eq!(app.zoom.create_requests()[0].host, "rooms+zoom@example.com");
}

#[tokio::test]
async fn hosting_by_slack_email_falls_back_to_zoom_host_when_zoom_has_no_such_user() {
    let options = FakeZoomOptions {
        unknown_hosts: vec!["ada@example.com".into()],
        ..Default::default()
    };
    let app = spawn_app_with_zoom(options, |env, _| {
        env.insert("ZOOM_HOST_FROM_SLACK_EMAIL".into(), "true".into());
        env.insert("ZOOM_HOST".into(), "owner@example.com".into());
    })
    .await;
    app.slack.add_user(
        USER_ID,
        FakeUser {
            tz: Some("UTC".into()),
            email: Some("ada@example.com".into()),
            ..Default::default()
        },
    );
    let (response_url, response) = app.command("Sync 30m tomorrow 10am").await;
    json(response).await;
    let messages = messages_to(&app, &response_url, 2).await;
    let hosts = hosts_asked(&app);
    assert_eq!(hosts, ["ada@example.com", "owner@example.com"]);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0]["response_type"], "in_channel");
    assert!(
        !text_of(&messages[0]).contains("team's Zoom account"),
        "the card holds only facts"
    );
    assert_eq!(messages[1]["response_type"], "ephemeral");
    assert!(
        text_of(&messages[1]).contains("team's Zoom account"),
        "{}",
        messages[1]
    );
}

#[tokio::test]
async fn hosting_by_slack_email_uses_the_email_when_zoom_knows_it() {
    let app = spawn_app_with(|env, _| {
        env.insert("ZOOM_HOST_FROM_SLACK_EMAIL".into(), "true".into());
    })
    .await;
    app.slack.add_user(
        USER_ID,
        FakeUser {
            tz: Some("UTC".into()),
            email: Some("grace@example.com".into()),
            ..Default::default()
        },
    );
    schedule(&app, "Sync 30m tomorrow 10am").await;
    let hosts = hosts_asked(&app);
    assert_eq!(hosts, ["grace@example.com"]);
}

#[tokio::test]
async fn zoom_failures_reach_the_invoker_as_one_ephemeral_message() {
    let cases: Vec<(&str, ScriptedResponse, &str, usize)> = vec![
        (
            "daily limit",
            ScriptedResponse::daily_limit(),
            "00:00 UTC",
            1,
        ),
        (
            "server error",
            ScriptedResponse::api_error(500, 500, "Internal error"),
            "Zoom",
            1,
        ),
        (
            "missing scope",
            ScriptedResponse::api_error(
                400,
                4711,
                "Invalid access token, does not contain scopes:[meeting:write:meeting:admin]",
            ),
            "meeting:write:meeting:admin",
            1,
        ),
        (
            "may not host",
            ScriptedResponse::api_error(
                400,
                3161,
                "Your user account is not allowed meeting hosting",
            ),
            "host",
            1,
        ),
        ("garbage", ScriptedResponse::Garbage, "could not be read", 1),
    ];
    for (name, scripted, needle, creates) in cases {
        let app = spawn_app().await;
        app.zoom.push_create_response(scripted);
        let (_, message) = schedule(&app, "Sync 30m tomorrow 10am").await;
        assert_eq!(
            message["response_type"], "ephemeral",
            "case `{name}`: {message}"
        );
        let text = message["text"].as_str().unwrap();
        assert!(text.contains(needle), "case `{name}`: {text}");
        assert_eq!(
            app.zoom.create_requests().len(),
            creates,
            "case `{name}`: no retry"
        );
    }
}

#[tokio::test]
async fn a_per_second_limit_is_retried_and_makes_one_meeting() {
    let app = spawn_app().await;
    app.zoom
        .push_create_response(ScriptedResponse::per_second_limit().with_header("retry-after", "1"));
    let (_, card) = schedule(&app, "Sync 30m tomorrow 10am").await;
    assert_eq!(card["response_type"], "in_channel");
    assert_eq!(app.zoom.create_requests().len(), 2);
    assert_eq!(app.zoom.meetings_created(), 1);
}

#[tokio::test]
async fn a_zoom_that_never_answers_is_reported_as_a_timeout() {
    let app = spawn_app_with(|env, _| {
        env.insert("ZOOM_TIMEOUT_SECONDS".into(), "1".into());
    })
    .await;
    app.zoom.push_create_response(ScriptedResponse::Hang);
    let (_, message) = schedule(&app, "Sync 30m tomorrow 10am").await;
    let text = message["text"].as_str().unwrap();
    assert_eq!(message["response_type"], "ephemeral");
    assert!(
        text.contains("did not answer in time") && text.contains("check your Zoom meetings"),
        "{text}"
    );
    assert_eq!(app.zoom.create_requests().len(), 1, "never retried");
}

#[tokio::test]
async fn a_response_url_that_fails_twice_still_gets_the_card_once() {
    let app = spawn_app().await;
    app.slack.push_hook_failures(&[500, 503]);
    let (_, card) = schedule(&app, "Sync 30m tomorrow 10am").await;
    assert_eq!(card["response_type"], "in_channel");
    assert_eq!(app.slack.hook_attempts().len(), 3);
    assert_eq!(app.slack.deliveries().len(), 1);
}

#[tokio::test]
async fn a_response_url_that_refuses_with_4xx_is_not_retried() {
    let mut app = spawn_app().await;
    app.slack.push_hook_failures(&[404]);
    json(app.command("Sync 30m tomorrow 10am").await.1).await;
    // Shutdown waits for the background task, so its attempts are all counted.
    app.shutdown().await.unwrap();
    assert_eq!(app.zoom.meetings_created(), 1);
    assert_eq!(app.slack.hook_attempts().len(), 1);
    assert!(app.slack.deliveries().is_empty());
}

#[tokio::test]
async fn a_replayed_command_creates_no_second_meeting() {
    let mut app = spawn_app().await;
    let url = app.slack.response_url("replay");
    let body = support::command_body("Sync 30m tomorrow 10am", &url);
    let ts = support::unix_now();
    let sig = support::sign(&body, ts);
    json(
        app.post_raw(body.clone(), Some(&ts.to_string()), Some(&sig))
            .await,
    )
    .await;
    let second = json(app.post_raw(body, Some(&ts.to_string()), Some(&sig)).await).await;
    assert!(second["text"].as_str().unwrap().contains("already handled"));
    app.shutdown().await.unwrap();
    assert_eq!(app.zoom.meetings_created(), 1);
    assert_eq!(app.slack.deliveries().len(), 1);
}

#[tokio::test]
async fn shutdown_waits_for_meetings_being_created() {
    let options = FakeZoomOptions {
        create_latency: Duration::from_millis(300),
        ..Default::default()
    };
    let mut app = spawn_app_with_zoom(options, |_, _| {}).await;
    json(app.command("Sync 30m tomorrow 10am").await.1).await;
    app.shutdown().await.unwrap();
    let deliveries = app.slack.deliveries();
    assert_eq!(
        deliveries.len(),
        1,
        "the card was posted before the service exited"
    );
    assert_eq!(deliveries[0].body["response_type"], "in_channel");
}

#[tokio::test]
async fn dry_run_shows_a_preview_and_never_calls_zoom() {
    let app = spawn_app_with(|env, _| {
        env.insert("ZOOM_DRY_RUN".into(), "true".into());
        env.remove("ZOOM_CLIENT_SECRET");
    })
    .await;
    let (_, message) = schedule(&app, "Sync 30m tomorrow 10am").await;
    assert_eq!(message["response_type"], "ephemeral");
    assert!(text_of(&message).contains("Preview"), "{message}");
    assert_eq!(app.zoom.token_requests(), 0);
    assert!(app.zoom.create_requests().is_empty());
}

#[tokio::test]
async fn a_slack_api_that_hangs_does_not_delay_the_acknowledgement() {
    let app = spawn_app().await;
    app.slack.push_users_info_fault(UsersInfoFault::Hang);
    // The client gives up after Slack's 3 s deadline.
    let (ack, card) = schedule(&app, "Sync 30m tomorrow 10am").await;
    assert!(
        ack["text"]
            .as_str()
            .unwrap()
            .contains("could not be looked up"),
        "{ack}"
    );
    assert_eq!(card["response_type"], "in_channel");
}

#[tokio::test]
async fn shutdown_is_bounded_even_when_zoom_never_answers() {
    let options = FakeZoomOptions {
        create_latency: Duration::from_secs(3600),
        ..Default::default()
    };
    let mut app = spawn_app_with_zoom(options, |_, _| {}).await;
    json(app.command("Sync 30m tomorrow 10am").await.1).await;
    // The test service's shutdown budget is 3 s.
    let stopped = tokio::time::timeout(Duration::from_secs(15), app.shutdown()).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "shutdown did not finish: {stopped:?}"
    );
    let deliveries = app.slack.deliveries();
    assert_eq!(deliveries.len(), 1, "one message: {deliveries:?}");
    assert_eq!(deliveries[0].body["response_type"], "ephemeral", "no card");
    assert!(
        text_of(&deliveries[0].body).contains("may exist"),
        "the user learns the meeting may exist: {:?}",
        deliveries[0].body
    );
}

#[tokio::test]
async fn hosting_by_slack_email_without_an_email_uses_zoom_host_and_says_so() {
    let app = spawn_app_with(|env, _| {
        env.insert("ZOOM_HOST_FROM_SLACK_EMAIL".into(), "true".into());
    })
    .await;
    app.slack.add_user(
        USER_ID,
        FakeUser {
            tz: Some("UTC".into()),
            email: None,
            ..Default::default()
        },
    );
    let (response_url, response) = app.command("Sync 30m tomorrow 10am").await;
    json(response).await;
    let messages = messages_to(&app, &response_url, 2).await;
    let hosts = hosts_asked(&app);
    assert_eq!(hosts, ["me"]);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0]["response_type"], "in_channel");
    assert_eq!(messages[1]["response_type"], "ephemeral");
    assert!(
        text_of(&messages[1]).contains("email could not be looked up"),
        "{}",
        messages[1]
    );
}

#[tokio::test]
async fn refusals_quote_what_was_typed_without_letting_it_ping_anyone() {
    let app = spawn_app().await;
    let (_, response) = app.command("Sync 30m tomorrow 3pm <!here>").await;
    let body = json(response).await;
    let text = body["text"].as_str().unwrap();
    assert!(!text.contains("<!here>"), "{text}");
    assert!(text.contains("&lt;!here&gt;"), "{text}");
}

#[tokio::test]
async fn meeting_creations_in_flight_are_bounded() {
    let options = FakeZoomOptions {
        create_latency: Duration::from_secs(3600),
        ..Default::default()
    };
    let mut app = spawn_app_with_config(
        options,
        |_, _| {},
        |config| config.max_concurrent_creates = 2,
    )
    .await;
    for i in 0..5 {
        json(
            app.command(&format!("Meeting {i} 30m tomorrow 10am"))
                .await
                .1,
        )
        .await;
    }
    assert!(
        app.zoom.wait_for_creates(2, WAIT).await,
        "two creations reach Zoom"
    );
    // Shutdown ends every task (the two stuck at Zoom are interrupted), so the count is final.
    app.shutdown().await.unwrap();
    assert_eq!(
        app.zoom.create_requests().len(),
        2,
        "the other three waited for a slot"
    );
}
