//! Before the meeting: `/zoom new` opens the form, refusals offer it prefilled, a submission is
//! checked field by field and creates the meeting like a typed command, and "Change time…"
//! moves it in Zoom, redraws the card and says so under it.

mod support;

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use serde_json::{Value, json};
use slack_zoom::store::{MeetingState, NoticeState};
use support::fake_slack::FakeUser;
use support::fake_zoom::{Endpoint, ScriptedResponse};
use support::{
    CHANNEL_ID, TEAM_ID, TestApp, USER_ID, json, new_meeting_values, spawn_app, spawn_app_with,
    submission,
};

const WAIT: Duration = Duration::from_secs(10);
const FIRST_ID: u64 = 85_746_065_432;
/// The card's ts, as a click on it says.
const CARD_TS: &str = "1700000000.000100";

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
    // Nepal is UTC+5:45: its half hours fall at :15 and :45 UTC, so a start on the UTC clock's
    // half hour would not be on Kathmandu's.
    let app = with_user_in("Asia/Kathmandu", configured);
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
        .with_timezone(&chrono_tz::Asia::Kathmandu);
    assert!(
        local.minute().is_multiple_of(30) && local.second() == 0,
        "a half hour in Kathmandu: {local}"
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
    let (_, response) = app.command(&scheduling(first_start())).await;
    json(response).await;
    app.slack.wait_for_deliveries(1, WAIT).await;
    // Not the scheduler: refused, no form.
    app.interact(&change_time_click(&app, "U0OTHER")).await;
    let told = app.slack.wait_for_deliveries(2, WAIT).await;
    assert!(
        told.last().unwrap().body["text"]
            .as_str()
            .unwrap()
            .contains("Only <@U0001>"),
        "{told:?}"
    );
    assert!(app.slack.calls_of("views.open").is_empty());

    app.interact(&change_time_click(&app, USER_ID)).await;
    let view = opened_view(&app, 1).await;
    assert_eq!(view["callback_id"], "change_time");
    let asked = first_start();
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
    let new_start = next_morning(asked, 9, 30);
    let values = json!({
        "start": {"start": {"type": "datetimepicker", "selected_date_time": new_start.timestamp()}},
        "duration": {"duration": {"type": "static_select", "selected_option": {"value": "60"}}},
    });
    let answer = app.interact(&submission(&view, USER_ID, values)).await;
    assert_eq!(answer.status(), 200);
    let thread = app.slack.wait_for_calls("chat.postMessage", 1, WAIT).await;
    assert_eq!(
        thread[0].body["thread_ts"], CARD_TS,
        "a reply under the card"
    );
    let said = thread[0].body["text"].as_str().unwrap();
    assert_eq!(
        said,
        moved_thread(
            (asked.timestamp(), &shown(asked)),
            (new_start.timestamp(), &shown(new_start)),
        ),
        "from the old start to the new one, each a date token in the reader's own zone"
    );
    let patch = &app.zoom.requests(Endpoint::Update)[0];
    assert_eq!(patch.body["duration"], 60);
    assert!(
        !app.zoom.requests(Endpoint::Get).is_empty(),
        "Zoom's answer read back"
    );
    let updates = app.slack.calls_of("chat.update");
    assert_eq!(updates[0].body["ts"], CARD_TS, "the card redrawn in place");
    assert!(
        updates[0]
            .body
            .to_string()
            .contains(&format!("<!date^{}^", new_start.timestamp()))
    );
    let record = app.stored_meeting(FIRST_ID).await;
    assert_eq!(record.schedule.start, new_start);
    assert_eq!(record.schedule.duration_minutes, 60);
    assert_eq!(record.state, MeetingState::Scheduled);
    assert!(record.moved_at.is_some());
}

/// What the thread under the card says after a move by the default user, from and to each
/// `(Unix seconds, fallback)`: a date token every reader's client shows in their own zone.
/// The start of the meeting the change-time tests move: 15:00 UTC a month from today, so in
/// the future whenever the tests run.
fn first_start() -> DateTime<Utc> {
    (Utc::now().date_naive() + chrono::Days::new(30))
        .and_hms_opt(15, 0, 0)
        .unwrap()
        .and_utc()
}

/// The day after `at`, at `hour:minute` UTC.
fn next_morning(at: DateTime<Utc>, hour: u32, minute: u32) -> DateTime<Utc> {
    (at.date_naive() + chrono::Days::new(1))
        .and_hms_opt(hour, minute, 0)
        .unwrap()
        .and_utc()
}

/// The command that schedules a 45-minute "Design review" at `at`.
fn scheduling(at: DateTime<Utc>) -> String {
    format!("Design review 45m {} UTC", at.format("%Y-%m-%d %H:%M"))
}

/// `at` as a short date token's fallback shows it (`Tue Dec 15, 3:00 PM (UTC)`).
fn shown(at: DateTime<Utc>) -> String {
    at.format("%a %b %-d, %-I:%M %p (UTC)").to_string()
}

/// `at` as Zoom writes a start (`2026-12-16T10:00:00Z`).
fn zoom_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn moved_thread(from: (i64, &str), to: (i64, &str)) -> String {
    let token = |(ts, fallback): (i64, &str)| {
        format!("<!date^{ts}^{{date_short_pretty}} at {{time}}|{fallback}>")
    };
    format!(
        ":arrows_counterclockwise: Moved from {} to {} by <@{USER_ID}>.",
        token(from),
        token(to)
    )
}

/// A click by `user` on the "Change time…" button of the first meeting's card.
fn change_time_click(app: &TestApp, user: &str) -> Value {
    json!({
        "type": "block_actions",
        "user": {"id": user, "team_id": TEAM_ID},
        "team": {"id": TEAM_ID},
        "container": {"type": "message", "message_ts": CARD_TS, "channel_id": CHANNEL_ID, "is_ephemeral": false},
        "response_url": app.slack.response_url(&format!("change-{user}")),
        "trigger_id": "1.2.change",
        "actions": [{"action_id": "change_time", "type": "button", "value": FIRST_ID.to_string()}],
    })
}

/// Schedules `command` as typed by the default user, then opens its change-time form from
/// the card as its scheduler; the form Slack was asked to open.
async fn open_change_form(app: &TestApp, command: &str) -> Value {
    let (_, response) = app.command(command).await;
    json(response).await;
    let cards = app.slack.wait_for_deliveries(1, WAIT).await;
    assert_eq!(cards.len(), 1, "the card was posted");
    app.interact(&change_time_click(app, USER_ID)).await;
    let view = opened_view(app, 1).await;
    assert_eq!(view["callback_id"], "change_time");
    view
}

/// The change-time form's values: `start` (none picked when `None`) and `minutes`.
fn move_values(start: Option<i64>, minutes: &str) -> Value {
    let start = match start {
        Some(start) => json!({"type": "datetimepicker", "selected_date_time": start}),
        None => json!({"type": "datetimepicker", "selected_date_time": null}),
    };
    json!({
        "start": {"start": start},
        "duration": {"duration": {"type": "static_select", "selected_option": {"value": minutes}}},
    })
}

#[tokio::test]
async fn change_time_shows_the_time_zoom_stored_on_the_card_under_it_and_in_the_store_when_it_differs_from_the_one_asked()
 {
    let app = app_in("UTC").await;
    let view = open_change_form(&app, &scheduling(first_start())).await;
    let asked = next_morning(first_start(), 9, 30);
    // Zoom keeps the PATCH, but its GET answers another start and length (as when Zoom
    // rounds or adjusts what it was sent): that answer is the truth.
    let zooms = next_morning(first_start(), 10, 0);
    let mut answer = app.zoom.meeting(FIRST_ID).expect("the meeting is in Zoom");
    answer["start_time"] = json!(zoom_time(zooms));
    answer["duration"] = json!(50);
    app.zoom
        .push_response(Endpoint::Get, ScriptedResponse::json(200, answer));
    let submitted = app
        .interact(&submission(
            &view,
            USER_ID,
            move_values(Some(asked.timestamp()), "60"),
        ))
        .await;
    assert_eq!(submitted.status(), 200);
    let told = app
        .slack
        .wait_for_calls("chat.postEphemeral", 1, WAIT)
        .await;
    assert_eq!(told.len(), 1, "the mover is told when the move is done");

    let patches = app.zoom.requests(Endpoint::Update);
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].body["duration"], 60, "the PATCH asked for 60");
    let stored = app.zoom.meeting(FIRST_ID).unwrap();
    assert_eq!(
        stored["start_time"],
        zoom_time(asked),
        "the PATCH asked for 09:30"
    );
    let gets = app.zoom.requests(Endpoint::Get);
    assert_eq!(gets.len(), 1, "read back once, after the PATCH: {gets:?}");

    let updates = app.slack.calls_of("chat.update");
    assert_eq!(updates.len(), 1);
    let card = updates[0].body.to_string();
    assert_eq!(updates[0].body["ts"], CARD_TS, "the card redrawn in place");
    assert!(
        card.contains(&format!("<!date^{}^", zooms.timestamp())),
        "the card shows Zoom's start: {card}"
    );
    assert!(
        !card.contains(&format!("<!date^{}^", asked.timestamp())),
        "not the start asked for: {card}"
    );
    assert!(card.contains("50 minutes"), "and Zoom's length: {card}");

    let thread = app.slack.calls_of("chat.postMessage");
    assert_eq!(thread.len(), 1);
    assert_eq!(
        thread[0].body["thread_ts"], CARD_TS,
        "a reply under the card"
    );
    assert_eq!(
        thread[0].body["text"],
        moved_thread(
            (first_start().timestamp(), &shown(first_start())),
            (zooms.timestamp(), &shown(zooms)),
        ),
        "moved to Zoom's time"
    );
    let mover = told[0].body["text"].as_str().unwrap();
    assert!(
        mover.contains(&format!("<!date^{}^", zooms.timestamp())),
        "the mover is told Zoom's time: {mover}"
    );

    let store = app.store().await;
    let record = store.meetings().get(FIRST_ID).await.unwrap().unwrap();
    assert_eq!(record.schedule.start, zooms, "the store has Zoom's start");
    assert_eq!(record.schedule.duration_minutes, 50, "and Zoom's length");
    let notices = store.notices().for_meeting(FIRST_ID).await.unwrap();
    let pending: Vec<_> = notices
        .iter()
        .filter(|n| n.state == NoticeState::Pending)
        .map(|n| n.due_at)
        .collect();
    assert_eq!(
        pending,
        [zooms],
        "the start notice follows Zoom's start: {notices:?}"
    );
}

#[tokio::test]
async fn a_change_time_submission_is_checked_field_by_field_and_nothing_moves_until_it_passes() {
    let app = app_in("UTC").await;
    let view = open_change_form(&app, &scheduling(first_start())).await;
    let hour = Utc::now().timestamp() + 3600;
    let cases = [
        (
            "past start",
            move_values(Some(hour - 7200), "30"),
            "start",
            "That time has already passed. Pick a time from now on.",
        ),
        (
            "over a day",
            move_values(Some(hour), "1500"),
            "duration",
            "Pick a length from 1 minute to 24 hours.",
        ),
        (
            "no length",
            move_values(Some(hour), "0"),
            "duration",
            "Pick a length from 1 minute to 24 hours.",
        ),
        (
            "over a year ahead",
            move_values(Some(hour + 400 * 86_400), "30"),
            "start",
            "Meetings can be booked up to a year ahead.",
        ),
        (
            "no start",
            move_values(None, "30"),
            "start",
            "Pick a date and time.",
        ),
    ];
    for (case, values, field, error) in cases {
        let answer = app.interact(&submission(&view, USER_ID, values)).await;
        assert_eq!(answer.status(), 200, "{case}");
        let text = answer.text().await.unwrap();
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{case}: no field errors, the form closed: {text:?}"));
        assert_eq!(body["response_action"], "errors", "{case}: {body}");
        let errors = body["errors"].as_object().unwrap();
        assert_eq!(errors.len(), 1, "{case}: one field: {body}");
        assert_eq!(errors[field], error, "{case}: under {field}: {body}");
    }
    // A valid submission then moves it; by the time it is done, nothing else was sent.
    let fine = move_values(Some(hour - hour % 60), "30");
    let answer = app.interact(&submission(&view, USER_ID, fine)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "", "the modal closes");
    let told = app
        .slack
        .wait_for_calls("chat.postEphemeral", 1, WAIT)
        .await;
    assert_eq!(told.len(), 1, "{told:?}");
    let patches = app.zoom.requests(Endpoint::Update);
    assert_eq!(patches.len(), 1, "only the valid one reached Zoom");
    assert_eq!(patches[0].body["duration"], 30);
    assert_eq!(app.slack.calls_of("chat.update").len(), 1);
    assert_eq!(app.slack.calls_of("chat.postMessage").len(), 1);
}
