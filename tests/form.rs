//! Before the meeting: `/zoom new` opens the form, refusals offer it prefilled, a submission is
//! checked field by field and creates the meeting like a typed command, and "Change time…"
//! moves it in Zoom, redraws the card and says so under it.

mod support;

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use serde_json::{Value, json};
use slack_zoom::store::MeetingState;
use support::fake_slack::FakeUser;
use support::fake_zoom::Endpoint;
use support::{
    CHANNEL_ID, TEAM_ID, TestApp, USER_ID, json, new_meeting_values, spawn_app, spawn_app_with,
    submission,
};

const WAIT: Duration = Duration::from_secs(10);
const FIRST_ID: u64 = 85_746_065_432;

async fn app_in(zone: &str) -> TestApp {
    with_user_in(zone, spawn_app().await)
}

/// `app`, its user's Slack profile in `zone`.
fn with_user_in(zone: &str, app: TestApp) -> TestApp {
    app.slack.add_user(
        USER_ID,
        FakeUser {
            tz: Some(zone.into()),
            ..Default::default()
        },
    );
    app
}

/// The view the last `views.open` call carried.
async fn opened_view(app: &TestApp, n: usize) -> Value {
    let calls = app.slack.wait_for_calls("views.open", n, WAIT).await;
    assert!(
        calls.len() >= n,
        "views.open was called {} times",
        calls.len()
    );
    calls[n - 1].body["view"].clone()
}

fn block<'a>(view: &'a Value, id: &str) -> &'a Value {
    view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == id)
        .unwrap_or_else(|| panic!("no block {id} in {view}"))
}

#[tokio::test]
async fn zoom_new_opens_the_form_at_the_next_half_hour_with_the_default_length() {
    let configured = spawn_app_with(|env, _| {
        env.insert("DEFAULT_DURATION_MINUTES".into(), "50".into());
    })
    .await;
    let app = with_user_in("Asia/Kolkata", configured);
    let (_, response) = app.command("new").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "", "nothing but the form");
    let view = opened_view(&app, 1).await;
    assert_eq!(view["callback_id"], "new_meeting");
    let start = block(&view, "start")["element"]["initial_date_time"]
        .as_i64()
        .unwrap();
    let local = DateTime::from_timestamp(start, 0)
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Kolkata);
    assert!(
        local.minute().is_multiple_of(30) && local.second() == 0,
        "a half hour in Kolkata: {local}"
    );
    assert!(start > Utc::now().timestamp() && start <= Utc::now().timestamp() + 1800);
    assert_eq!(
        block(&view, "duration")["element"]["initial_option"]["value"],
        "50",
        "DEFAULT_DURATION_MINUTES"
    );
    assert_eq!(
        block(&view, "channel")["element"]["default_to_current_conversation"],
        true
    );
    let calls = app.slack.calls_of("views.open");
    assert!(
        calls[0].body["trigger_id"]
            .as_str()
            .unwrap()
            .starts_with("13345224609."),
        "the command's trigger"
    );
}

#[tokio::test]
async fn a_refused_command_offers_the_form_prefilled_with_what_was_understood() {
    let app = app_in("UTC").await;
    let (_, response) = app.command("Design review 45x tomorrow 3pm").await;
    let refusal = json(response).await;
    let button = refusal["blocks"][1]["elements"][0].clone();
    assert_eq!(button["action_id"], "open_form", "{refusal}");
    let click = json!({
        "type": "block_actions",
        "user": {"id": USER_ID, "team_id": TEAM_ID},
        "team": {"id": TEAM_ID},
        "container": {"type": "message", "message_ts": "1.2", "channel_id": CHANNEL_ID, "is_ephemeral": true},
        "response_url": app.slack.response_url("form-click"),
        "trigger_id": "1.2.click",
        "actions": [{"action_id": "open_form", "type": "button", "value": button["value"]}],
    });
    assert_eq!(app.interact(&click).await.status(), 200);
    let view = opened_view(&app, 1).await;
    assert_eq!(
        block(&view, "topic")["element"]["initial_value"],
        "Design review"
    );
    let start = block(&view, "start")["element"]["initial_date_time"]
        .as_i64()
        .unwrap();
    let start = DateTime::from_timestamp(start, 0).unwrap();
    assert_eq!(
        (start.hour(), start.minute()),
        (15, 0),
        "tomorrow 3pm was understood"
    );
}

#[tokio::test]
async fn a_submission_is_checked_field_by_field() {
    let app = app_in("UTC").await;
    app.command("new").await;
    let view = opened_view(&app, 1).await;
    let hour = Utc::now().timestamp() + 3600;
    let cases = [
        (
            "past start",
            new_meeting_values("Retro", hour - 7200, "30", CHANNEL_ID),
            "start",
        ),
        (
            "empty topic",
            new_meeting_values("  ", hour, "30", CHANNEL_ID),
            "topic",
        ),
        (
            "over a day",
            new_meeting_values("Retro", hour, "1500", CHANNEL_ID),
            "duration",
        ),
    ];
    for (case, values, field) in cases {
        let answer = app.interact(&submission(&view, USER_ID, values)).await;
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["response_action"], "errors", "{case}: {body}");
        assert!(body["errors"][field].is_string(), "{case}: {body}");
    }
    assert!(app.zoom.create_requests().is_empty(), "nothing created");
}

#[tokio::test]
async fn a_submission_creates_the_meeting_like_a_typed_command_and_posts_the_card() {
    let app = app_in("America/Toronto").await;
    app.command("new").await;
    let view = opened_view(&app, 1).await;
    let start = Utc::now().timestamp() + 2 * 3600;
    let start = start - start % 60;
    let answer = app
        .interact(&submission(
            &view,
            USER_ID,
            new_meeting_values("Design <review>", start, "45", "C0TEAM"),
        ))
        .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "", "the modal closes");
    let posts = app.slack.wait_for_calls("chat.postMessage", 1, WAIT).await;
    let card = &posts[0].body;
    assert_eq!(card["channel"], "C0TEAM");
    assert!(card.to_string().contains("857 4606 5432"), "{card}");
    // The same Zoom code: Toronto goes out as Montreal, the instant exact.
    let request = &app.zoom.create_requests()[0].body;
    assert_eq!(request["timezone"], "America/Montreal");
    assert_eq!(request["topic"], "Design <review>");
    assert_eq!(request["duration"], 45);
    let stored = app.zoom.meeting(FIRST_ID).unwrap();
    let stored_start: DateTime<Utc> = stored["start_time"].as_str().unwrap().parse().unwrap();
    assert_eq!(stored_start.timestamp(), start);
    // Recorded once chat.postMessage has answered with the card's ts, just after the post.
    let store = app.store().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let card = loop {
        let record = store.meetings().get(FIRST_ID).await.unwrap();
        if let Some(card) = record.and_then(|r| r.card) {
            break Some(card);
        }
        if tokio::time::Instant::now() >= deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        card.unwrap().channel_id,
        "C0TEAM",
        "the card's place is known"
    );
}

#[tokio::test]
async fn a_submission_while_the_queue_is_full_is_answered_busy_on_the_form_and_counted() {
    // One creation slot and no queue: a command whose create Zoom holds fills it.
    let app = with_user_in(
        "UTC",
        spawn_app_with(|env, _| {
            env.insert("MAX_CONCURRENT_CREATES".into(), "1".into());
            env.insert("MAX_QUEUED_COMMANDS".into(), "0".into());
        })
        .await,
    );
    app.zoom.hold_creates();
    app.command("Standup 15m tomorrow 9am").await;
    assert!(app.zoom.wait_for_creates(1, WAIT).await);
    app.command("new").await;
    let view = opened_view(&app, 1).await;
    let start = Utc::now().timestamp() + 3600;
    let answer = app
        .interact(&submission(
            &view,
            USER_ID,
            new_meeting_values("Retro", start, "30", CHANNEL_ID),
        ))
        .await;
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["response_action"], "errors", "{body}");
    let error = body["errors"]["topic"].as_str().unwrap_or_default();
    assert!(error.contains("nothing was created"), "{body}");
    assert!(!error.contains(":warning:"), "plain text on a form: {body}");
    assert_eq!(
        app.metric(r#"slack_zoom_commands_total{outcome="busy"}"#)
            .await,
        Some(1.0),
        "counted with the busy commands"
    );
    app.zoom.release_creates();
    assert_eq!(
        app.zoom.create_requests().len(),
        1,
        "the form's was not sent"
    );
}

#[tokio::test]
async fn where_the_bot_cannot_post_the_user_is_told_to_invite_it_and_nothing_is_created() {
    let app = app_in("UTC").await;
    app.slack.close_channel("G0PRIVATE");
    app.command("new").await;
    let view = opened_view(&app, 1).await;
    let start = Utc::now().timestamp() + 3600;
    let answer = app
        .interact(&submission(
            &view,
            USER_ID,
            new_meeting_values("Retro", start, "30", "G0PRIVATE"),
        ))
        .await;
    let body: Value = answer.json().await.unwrap();
    let error = body["errors"]["channel"].as_str().unwrap_or_default();
    assert!(error.contains("/invite"), "{body}");
    assert!(app.zoom.create_requests().is_empty());
}

#[tokio::test]
async fn change_time_moves_the_meeting_redraws_the_card_and_says_so_under_it() {
    let app = app_in("UTC").await;
    let (url, response) = app.command("Design review 45m 2026-12-15 15:00 UTC").await;
    json(response).await;
    app.slack.wait_for_deliveries(1, WAIT).await;
    let _ = url;
    let click = |user: &str| {
        json!({
            "type": "block_actions",
            "user": {"id": user, "team_id": TEAM_ID},
            "team": {"id": TEAM_ID},
            "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": CHANNEL_ID, "is_ephemeral": false},
            "response_url": app.slack.response_url(&format!("change-{user}")),
            "trigger_id": "1.2.change",
            "actions": [{"action_id": "change_time", "type": "button", "value": FIRST_ID.to_string()}],
        })
    };
    // Not the scheduler: refused, no form.
    app.interact(&click("U0OTHER")).await;
    let told = app.slack.wait_for_deliveries(2, WAIT).await;
    assert!(
        told.last().unwrap().body["text"]
            .as_str()
            .unwrap()
            .contains("Only <@U0001>"),
        "{told:?}"
    );
    assert!(app.slack.calls_of("views.open").is_empty());

    app.interact(&click(USER_ID)).await;
    let view = opened_view(&app, 1).await;
    assert_eq!(view["callback_id"], "change_time");
    let asked: DateTime<Utc> = "2026-12-15T15:00:00Z".parse().unwrap();
    assert_eq!(
        block(&view, "start")["element"]["initial_date_time"],
        asked.timestamp(),
        "prefilled with the meeting's start"
    );
    assert_eq!(
        block(&view, "duration")["element"]["initial_option"]["value"],
        "45",
        "and its length"
    );
    let new_start: DateTime<Utc> = "2026-12-16T09:30:00Z".parse().unwrap();
    let values = json!({
        "start": {"start": {"type": "datetimepicker", "selected_date_time": new_start.timestamp()}},
        "duration": {"duration": {"type": "static_select", "selected_option": {"value": "60"}}},
    });
    let answer = app.interact(&submission(&view, USER_ID, values)).await;
    assert_eq!(answer.status(), 200);
    let thread = app.slack.wait_for_calls("chat.postMessage", 1, WAIT).await;
    assert_eq!(
        thread[0].body["thread_ts"], "1700000000.000100",
        "a reply under the card"
    );
    let said = thread[0].body["text"].as_str().unwrap();
    assert!(
        said.contains("Moved from") && said.contains("by <@U0001>"),
        "{said}"
    );
    let patch = &app.zoom.requests(Endpoint::Update)[0];
    assert_eq!(patch.body["duration"], 60);
    assert!(
        !app.zoom.requests(Endpoint::Get).is_empty(),
        "Zoom's answer read back"
    );
    let updates = app.slack.calls_of("chat.update");
    assert_eq!(
        updates[0].body["ts"], "1700000000.000100",
        "the card redrawn in place"
    );
    assert!(
        updates[0]
            .body
            .to_string()
            .contains(&format!("<!date^{}^", new_start.timestamp()))
    );
    let record = app
        .store()
        .await
        .meetings()
        .get(FIRST_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.schedule.start, new_start);
    assert_eq!(record.schedule.duration_minutes, 60);
    assert_eq!(record.state, MeetingState::Scheduled);
    assert!(record.moved_at.is_some());
}
