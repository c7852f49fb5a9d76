//! After the card: the meeting is stored, the card's buttons cancel it (only for its
//! scheduler or an admin), `/zoom list` shows what Zoom has, `/zoom cancel <id>` follows the
//! same rules, and Socket Mode clicks reach the same code.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use slack_zoom::store::{CANCELLED_IN_ZOOM, MeetingState};
use support::fake_slack::FakeUser;
use support::fake_zoom::{Endpoint, FakeZoomOptions, ScriptedResponse};
use support::{CHANNEL_ID, TEAM_ID, TestApp, USER_ID, json, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(10);
const FIRST_ID: u64 = 85_746_065_432;

/// Every message posted to the hook `url`, waiting until there are `n`.
async fn messages(app: &TestApp, url: &str, n: usize) -> Vec<Value> {
    let path = url.split_once("/hooks/").unwrap().1.to_owned();
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

/// Schedules a meeting as `USER_ID` and returns its card.
async fn scheduled(app: &TestApp, text: &str) -> Value {
    let (url, response) = app.command(text).await;
    json(response).await;
    let card = messages(app, &url, 1).await.remove(0);
    assert_eq!(card["response_type"], "in_channel", "{card}");
    card
}

/// Where the test's cards are, as the clicks on them say (`message_ts`).
const CARD_TS: &str = "1700000000.000100";
/// The `message_ts` of an ephemeral message (a `/zoom list`) that is clicked.
const EPHEMERAL_TS: &str = "1700000099.000900";

/// A signed click on `action_id` with `value`, by `user`, on the card in the channel (or on an
/// ephemeral message when `on_card` is false), and the click's own response_url.
fn click_payload(
    user: &str,
    action_id: &str,
    value: &str,
    on_card: bool,
    app: &TestApp,
) -> (Value, String) {
    let response_url = app.slack.response_url(&format!(
        "click-{user}-{action_id}-{value}-{}",
        rand::random::<u32>()
    ));
    let ts = if on_card { CARD_TS } else { EPHEMERAL_TS };
    let payload = json!({
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "team_id": TEAM_ID},
        "team": {"id": TEAM_ID, "domain": "acme"},
        "api_app_id": "A0001",
        "container": {"type": "message", "message_ts": ts, "channel_id": CHANNEL_ID, "is_ephemeral": !on_card},
        "channel": {"id": CHANNEL_ID, "name": "general"},
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.click",
        "actions": [{"action_id": action_id, "block_id": "meeting_actions", "type": "button", "value": value, "action_ts": "1700000001.000200"}],
    });
    (payload, response_url)
}

/// A click (see [`click_payload`]), checked to be answered at once. Returns the click's own
/// response_url.
async fn click(app: &TestApp, user: &str, action_id: &str, value: &str, on_card: bool) -> String {
    let (payload, response_url) = click_payload(user, action_id, value, on_card, app);
    let answer = app.interact(&payload).await;
    assert_eq!(answer.status(), 200, "a click is answered at once");
    response_url
}

/// A click on the Join link of `zoom_id`'s card, and the wait until the service has recorded
/// where that card is (as the click said).
async fn card_located(app: &TestApp, zoom_id: u64) {
    click(app, USER_ID, "join", &zoom_id.to_string(), true).await;
    let store = app.store().await;
    let located = support::until(WAIT, || async {
        let record = store.meetings().get(zoom_id).await.unwrap().unwrap();
        record.card.is_some_and(|c| c.message_ts == CARD_TS)
    })
    .await;
    assert!(located, "the click never told where the card is");
}

/// The date `days` from today (UTC): tests that name a date stay in the future whenever they run.
fn day_ahead(days: u64) -> chrono::NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Days::new(days)
}

/// What a Cancel click's `response_url` received: the card redrawn in place, and the reply to
/// the person who clicked.
fn redrawn_and_reply(posted: &[Value]) -> (&Value, &Value) {
    let card = posted
        .iter()
        .find(|m| m["replace_original"] == true)
        .unwrap_or_else(|| panic!("the card is redrawn in place: {posted:?}"));
    let reply = posted
        .iter()
        .find(|m| m["replace_original"] != true)
        .unwrap_or_else(|| panic!("the clicker is answered: {posted:?}"));
    (card, reply)
}

fn actions(card: &Value) -> Vec<Value> {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .map(|b| b["elements"].as_array().unwrap().clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_meeting_is_stored_with_its_facts_but_never_its_passcode() {
    let app = spawn_app().await;
    scheduled(&app, "Design review 45m tomorrow 3pm UTC").await;
    let record = app.stored_meeting(FIRST_ID).await;
    assert_eq!(record.team_id, TEAM_ID);
    assert_eq!(record.channel_id, CHANNEL_ID);
    assert_eq!(record.scheduled_by, USER_ID);
    assert_eq!(record.topic, "Design review");
    assert_eq!(record.schedule.duration_minutes, 45);
    assert_eq!(record.schedule.zone, "UTC");
    assert_eq!(record.host, "me");
    assert!(record.join_url.contains("/j/85746065432"));
    assert_eq!(record.state, MeetingState::Scheduled);
    let passcode = app.zoom.meeting(FIRST_ID).unwrap()["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !format!("{record:?}").contains(&passcode),
        "no passcode in {record:?}"
    );
}

#[tokio::test]
async fn the_card_offers_calendar_links_with_the_utc_times_and_the_join_link() {
    let app = spawn_app().await;
    let day = day_ahead(40);
    let card = scheduled(
        &app,
        &format!("Design review 45m {day} 15:00 Europe/Berlin"),
    )
    .await;
    let start = chrono::TimeZone::from_local_datetime(
        &chrono_tz::Europe::Berlin,
        &day.and_hms_opt(15, 0, 0).unwrap(),
    )
    .earliest()
    .unwrap()
    .with_timezone(&chrono::Utc);
    let end = start + chrono::TimeDelta::minutes(45);
    let buttons = actions(&card);
    let url = |id: &str| {
        buttons
            .iter()
            .find(|b| b["action_id"] == id)
            .and_then(|b| b["url"].as_str())
            .unwrap_or_else(|| panic!("no {id} in {buttons:?}"))
            .to_owned()
    };
    let google = url("calendar_google");
    let dates = format!(
        "dates={}%2F{}",
        start.format("%Y%m%dT%H%M%SZ"),
        end.format("%Y%m%dT%H%M%SZ")
    );
    assert!(google.contains(&dates), "{dates} in {google}");
    assert!(google.contains("85746065432"), "the join link: {google}");
    let outlook = url("calendar_outlook");
    for (field, at) in [("startdt", start), ("enddt", end)] {
        let want = format!("{field}={}", at.format("%Y-%m-%dT%H%%3A%M%%3A%SZ"));
        assert!(outlook.contains(&want), "{want} in {outlook}");
    }
    let cancel = buttons.iter().find(|b| b["action_id"] == "cancel").unwrap();
    assert_eq!(cancel["value"], FIRST_ID.to_string());
    assert!(
        cancel["confirm"].is_object(),
        "a confirmation dialog comes first"
    );
}

#[tokio::test]
async fn only_the_scheduler_or_an_admin_may_cancel_and_the_card_is_replaced_in_place() {
    let app = spawn_app_with(|env, _| {
        env.insert("ADMIN_USER_IDS".into(), "UADMIN".into());
    })
    .await;
    scheduled(&app, "Design review 45m tomorrow 3pm").await;

    // Someone else: refused, whatever the button says.
    let url = click(&app, "U0OTHER", "cancel", &FIRST_ID.to_string(), true).await;
    let told = messages(&app, &url, 1).await;
    let text = told[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Only <@U0001>") && text.contains("Design review"),
        "{text}"
    );
    assert_eq!(told[0]["response_type"], "ephemeral");
    assert!(
        app.zoom.requests(Endpoint::Delete).is_empty(),
        "nothing deleted"
    );

    // An admin: deleted in Zoom, the card replaced in place, the admin told.
    let url = click(&app, "UADMIN", "cancel", &FIRST_ID.to_string(), true).await;
    let posted = messages(&app, &url, 2).await;
    assert_eq!(app.zoom.requests(Endpoint::Delete).len(), 1);
    let (card, reply) = redrawn_and_reply(&posted);
    let shown = card.to_string();
    assert!(shown.contains("Cancelled by <@UADMIN>"), "{shown}");
    assert!(!shown.contains("\"join\""), "no Join button: {shown}");
    assert!(
        actions(card).is_empty(),
        "nothing to click on a cancelled card"
    );
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("Cancelled *Design review*"),
        "{reply}"
    );
    let record = app.stored_meeting(FIRST_ID).await;
    assert!(matches!(record.state, MeetingState::Cancelled { ref by, .. } if by == "UADMIN"));
    assert_eq!(
        record.card.unwrap().message_ts,
        CARD_TS,
        "the click said where the card is"
    );
}

#[tokio::test]
async fn the_scheduler_cancels_their_own_meeting() {
    let app = spawn_app().await;
    scheduled(&app, "Design review 45m tomorrow 3pm").await;
    let url = click(&app, USER_ID, "cancel", &FIRST_ID.to_string(), true).await;
    messages(&app, &url, 2).await;
    assert_eq!(app.zoom.requests(Endpoint::Delete).len(), 1);
    assert!(app.zoom.meeting(FIRST_ID).is_none(), "gone from Zoom");
}

#[tokio::test]
async fn a_meeting_already_deleted_in_zoom_is_marked_cancelled_all_the_same() {
    let app = spawn_app().await;
    scheduled(&app, "Design review 45m tomorrow 3pm").await;
    app.zoom.remove_meeting(FIRST_ID);
    let url = click(&app, USER_ID, "cancel", &FIRST_ID.to_string(), true).await;
    let posted = messages(&app, &url, 2).await;
    let (card, reply) = redrawn_and_reply(&posted);
    let card = card.to_string();
    assert!(
        card.contains("Deleted in Zoom") && !card.contains("Cancelled by"),
        "deleted in Zoom, not by the person who clicked: {card}"
    );
    assert!(
        reply["text"].as_str().unwrap().contains("no longer exists"),
        "{reply}"
    );
    let record = app.stored_meeting(FIRST_ID).await;
    assert!(matches!(record.state, MeetingState::Cancelled { .. }));
}

#[tokio::test]
async fn a_zoom_failure_leaves_the_meeting_scheduled_and_says_what_happened() {
    let app = spawn_app().await;
    scheduled(&app, "Design review 45m tomorrow 3pm").await;
    app.zoom.push_response(
        Endpoint::Delete,
        ScriptedResponse::api_error(500, 500, "oops"),
    );
    let url = click(&app, USER_ID, "cancel", &FIRST_ID.to_string(), true).await;
    let posted = messages(&app, &url, 1).await;
    assert_eq!(posted.len(), 1, "no card change: {posted:?}");
    let text = posted[0]["text"].as_str().unwrap();
    assert!(
        text.contains("HTTP 500") && text.contains("check your Zoom meetings"),
        "{text}"
    );
    let record = app.stored_meeting(FIRST_ID).await;
    assert_eq!(
        record.state,
        MeetingState::Scheduled,
        "the store matches Zoom"
    );
}

#[tokio::test]
async fn list_shows_the_invokers_upcoming_meetings_as_zoom_has_them() {
    let app = spawn_app().await;
    let at_ten = |days| format!("{} 10:00 UTC", day_ahead(days));
    scheduled(&app, &format!("Later 30m {}", at_ten(40))).await; // FIRST_ID
    scheduled(&app, &format!("Sooner 30m {}", at_ten(30))).await; // + 1
    scheduled(&app, &format!("Deleted in Zoom 30m {}", at_ten(32))).await; // + 2
    app.zoom.remove_meeting(FIRST_ID + 2);
    // Moved in Zoom's own UI to five days before Sooner: shown at the new time, first.
    let moved_to = day_ahead(25).and_hms_opt(10, 0, 0).unwrap().and_utc();
    app.zoom.move_meeting(FIRST_ID, moved_to);
    // Someone else's meeting is not listed.
    let other = support::command_body_for(
        TEAM_ID,
        "U0OTHER",
        &format!("Theirs 30m {}", at_ten(31)),
        &app.slack.response_url("other"),
    );
    json(app.post_signed(&other).await).await;
    messages(&app, &app.slack.response_url("other"), 1).await;

    let (url, response) = app.command("list").await;
    assert_eq!(response.status(), 200);
    let list = messages(&app, &url, 1).await.remove(0);
    assert_eq!(list["response_type"], "ephemeral");
    let text = list.to_string();
    let later = text.find("Later").expect("moved meeting listed");
    let sooner = text.find("Sooner").expect("listed");
    assert!(later < sooner, "by start, Zoom's time first: {text}");
    assert!(
        text.contains(&format!("<!date^{}^", moved_to.timestamp())),
        "{text}"
    );
    assert!(!text.contains("Deleted in Zoom"), "{text}");
    assert!(!text.contains("Theirs"), "{text}");
    let cancels = list["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .count();
    assert_eq!(cancels, 2, "a Cancel button each");
    let store = app.store().await;
    let deleted = store.meetings().get(FIRST_ID + 2).await.unwrap().unwrap();
    assert!(
        matches!(deleted.state, MeetingState::Cancelled { .. }),
        "the store follows Zoom"
    );
    let moved = store.meetings().get(FIRST_ID).await.unwrap().unwrap();
    assert_eq!(moved.schedule.start, moved_to);
}

#[tokio::test]
async fn cancel_by_id_follows_the_same_rules_and_updates_a_known_card() {
    let app = spawn_app().await;
    scheduled(&app, "Design review 45m tomorrow 3pm").await;
    // A click on the card's Join link tells the service where the card is.
    card_located(&app, FIRST_ID).await;
    // Unknown id and someone else's meeting first.
    let (url, _) = app.command("cancel 123 456 789").await;
    let told = messages(&app, &url, 1).await;
    assert!(
        told[0]["text"]
            .as_str()
            .unwrap()
            .contains("no meeting 123 456 789"),
        "{}",
        told[0]
    );
    let body = support::command_body_for(
        TEAM_ID,
        "U0OTHER",
        "cancel 857 4606 5432",
        &app.slack.response_url("theirs"),
    );
    assert_eq!(app.post_signed(&body).await.status(), 200);
    let told = messages(&app, &app.slack.response_url("theirs"), 1).await;
    assert!(
        told[0]["text"].as_str().unwrap().contains("Only <@U0001>"),
        "{}",
        told[0]
    );
    assert!(app.zoom.requests(Endpoint::Delete).is_empty());

    let (url, _) = app.command("cancel 857 4606 5432").await;
    let told = messages(&app, &url, 1).await;
    assert!(
        told[0]["text"]
            .as_str()
            .unwrap()
            .contains("Cancelled *Design review*"),
        "{}",
        told[0]
    );
    let updates = app.slack.wait_for_calls("chat.update", 1, WAIT).await;
    assert_eq!(updates[0].body["channel"], CHANNEL_ID);
    assert_eq!(updates[0].body["ts"], CARD_TS);
    assert!(updates[0].body.to_string().contains("Cancelled by"));
}

#[tokio::test]
async fn help_lists_the_new_commands() {
    let app = spawn_app().await;
    let (_, response) = app.command("help").await;
    let text = json(response).await["text"].as_str().unwrap().to_owned();
    for needle in ["/zoom list", "/zoom cancel", "/zoom new"] {
        assert!(text.contains(needle), "`{needle}` not in help: {text}");
    }
}

#[tokio::test]
async fn in_dry_run_the_buttons_and_commands_say_what_would_happen() {
    let app = spawn_app_with(|env, _| {
        env.insert("ZOOM_DRY_RUN".into(), "true".into());
    })
    .await;
    let (url, response) = app.command("Design review 45m tomorrow 3pm").await;
    json(response).await;
    let preview = messages(&app, &url, 1).await.remove(0);
    let cancel = actions(&preview)
        .into_iter()
        .find(|b| b["action_id"] == "cancel")
        .unwrap();
    let url = click(
        &app,
        USER_ID,
        "cancel",
        cancel["value"].as_str().unwrap(),
        false,
    )
    .await;
    let told = messages(&app, &url, 1).await;
    assert!(
        told[0]["text"].as_str().unwrap().contains("Dry run"),
        "{}",
        told[0]
    );
    // The commands too: a dry run stores nothing, so "no meetings" would mislead.
    for (command, says) in [
        ("list", "would list"),
        ("cancel 857 4606 5432", "would delete"),
    ] {
        let (_, response) = app.command(command).await;
        let answer = json(response).await;
        let text = answer["text"].as_str().unwrap();
        assert!(
            text.contains("Dry run") && text.contains(says),
            "{command}: {text}"
        );
    }
}

#[tokio::test]
async fn forged_and_foreign_interactions_are_refused_and_other_types_ignored() {
    let app = spawn_app_with(|env, _| {
        env.insert("SLACK_ALLOWED_TEAM_IDS".into(), TEAM_ID.into());
    })
    .await;
    let body = serde_urlencoded::to_string([("payload", "{}")]).unwrap();
    let forged = app
        .client
        .post(app.url("/slack/interactions"))
        .header("X-Slack-Request-Timestamp", support::unix_now().to_string())
        .header("X-Slack-Signature", format!("v0={}", "0".repeat(64)))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let other = app
        .interact(&json!({"type": "view_closed", "user": {"id": USER_ID}, "team": {"id": TEAM_ID}}))
        .await;
    assert_eq!(other.status(), 200);
    assert_eq!(other.text().await.unwrap(), "");
    let foreign = app
        .interact(&json!({"type": "block_actions", "user": {"id": USER_ID}, "team": {"id": "T0THEM"}, "actions": []}))
        .await;
    let text = foreign.text().await.unwrap();
    assert!(text.contains("not enabled for this workspace"), "{text}");
}

#[tokio::test]
async fn a_replayed_or_stale_interaction_is_refused_as_a_command_would_be() {
    let app = spawn_app().await;
    let payload = json!({"type": "view_closed", "user": {"id": USER_ID}, "team": {"id": TEAM_ID}});
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let post = |ts: i64| {
        app.client
            .post(app.url("/slack/interactions"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Slack-Request-Timestamp", ts.to_string())
            .header("X-Slack-Signature", support::sign(&body, ts))
            .body(body.clone())
            .send()
    };
    let now = support::unix_now();
    let first = post(now).await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.text().await.unwrap(), "", "handled: an ignored type");
    let replayed = post(now).await.unwrap();
    assert_eq!(replayed.status(), 200);
    let text = replayed.text().await.unwrap();
    assert!(text.contains("already handled"), "{text}");
    // Signed correctly, six minutes ago: outside Slack's five.
    let stale = post(now - 360).await.unwrap();
    assert_eq!(stale.status(), 401);
}

#[tokio::test]
async fn a_store_that_fails_while_running_never_loses_the_users_meeting() {
    let app = spawn_app().await;
    app.slack.add_user(
        USER_ID,
        FakeUser {
            tz: Some("UTC".into()),
            ..Default::default()
        },
    );
    // Break the store under the running service.
    let path = app
        .database_url
        .strip_prefix("sqlite://")
        .unwrap()
        .to_owned();
    let mut conn =
        <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
    sqlx::query("ALTER TABLE meetings RENAME TO meetings_gone")
        .execute(&mut conn)
        .await
        .unwrap();
    let card = scheduled(&app, "Design review 45m tomorrow 3pm").await;
    assert!(
        card.to_string().contains("857 4606 5432"),
        "the card is posted all the same"
    );
    let _ = FakeZoomOptions::default();
}

#[tokio::test]
async fn a_series_no_zoom_zone_can_keep_is_refused_at_once_with_the_form_offered() {
    let app = spawn_app().await;
    // Lord Howe moves its clocks by half an hour, and Zoom's list has no zone that does: 30
    // weeks always cross one of its changes.
    let (_, response) = app
        .command("Standup every monday 10am x 30 Australia/Lord_Howe")
        .await;
    let refusal = json(response).await;
    assert_eq!(refusal["response_type"], "ephemeral");
    let text = refusal["text"].as_str().unwrap();
    assert!(
        text.contains("Australia/Lord_Howe") && text.contains("one by one"),
        "{text}"
    );
    let buttons = refusal["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().unwrap().clone())
        .collect::<Vec<_>>();
    assert_eq!(buttons.len(), 1, "{refusal}");
    assert_eq!(buttons[0]["action_id"], "open_form");
    let prefill: Value = serde_json::from_str(buttons[0]["value"].as_str().unwrap()).unwrap();
    assert_eq!(prefill["t"], "Standup", "{prefill}");
    assert!(
        app.zoom.create_requests().is_empty(),
        "nothing sent to Zoom"
    );
    assert!(
        app.slack.deliveries().is_empty(),
        "no \"Scheduling…\" to take back"
    );
}

#[tokio::test]
async fn a_recurring_series_stays_upcoming_until_its_last_meeting_ends() {
    let app = spawn_app().await;
    // UTC: no clock change between the three Mondays.
    scheduled(&app, "Standup 15m every monday 10am x 3 UTC").await;
    let store = app.store().await;
    let stored = store.meetings().get(FIRST_ID).await.unwrap().unwrap();
    let first = stored.schedule.start;
    let last_ends = first + chrono::TimeDelta::days(14) + chrono::TimeDelta::minutes(15);
    let minute = chrono::TimeDelta::minutes(1);
    for (now, listed, case) in [
        (
            first + chrono::TimeDelta::minutes(15) + minute,
            true,
            "after the first meeting",
        ),
        (last_ends - minute, true, "during the last meeting"),
        (last_ends + minute, false, "after the last meeting"),
    ] {
        let upcoming = store
            .meetings()
            .upcoming(TEAM_ID, USER_ID, now, 10)
            .await
            .unwrap();
        assert_eq!(
            upcoming.iter().any(|m| m.zoom_id == FIRST_ID),
            listed,
            "{case}"
        );
    }
}

#[tokio::test]
async fn a_recurring_series_is_scheduled_as_one_zoom_series_and_cancel_ends_all_of_it() {
    let app = spawn_app().await;
    let card = scheduled(&app, "Standup 15m every weekday 9:30 x 8 Europe/Berlin").await;
    let request = &app.zoom.create_requests()[0].body;
    assert_eq!(request["type"], 8);
    assert_eq!(request["recurrence"]["type"], 2);
    assert_eq!(request["recurrence"]["weekly_days"], "2,3,4,5,6");
    assert_eq!(request["recurrence"]["end_times"], 8);
    assert_eq!(request["timezone"], "Europe/Berlin");
    let when = card["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        when.starts_with("Every weekday at 9:30 AM (Europe/Berlin), 8 times"),
        "{when}"
    );
    assert!(when.contains("next: <!date^"), "{when}");
    let cancel = actions(&card)
        .into_iter()
        .find(|b| b["action_id"] == "cancel")
        .unwrap();
    assert_eq!(cancel["text"]["text"], "Cancel series");
    assert!(
        actions(&card)
            .iter()
            .all(|b| b["action_id"] != "change_time"),
        "a series cannot be moved from Slack: no button for it"
    );
    let url = click(&app, USER_ID, "cancel", &FIRST_ID.to_string(), true).await;
    messages(&app, &url, 2).await;
    let deletes = app.zoom.requests(Endpoint::Delete);
    assert_eq!(deletes.len(), 1);
    assert!(
        !deletes[0].query.contains_key("occurrence_id"),
        "the whole series, not one occurrence"
    );
    assert!(app.zoom.meeting(FIRST_ID).is_none());
}

/// Schedules a meeting as `USER_ID` from `channel` and returns its card.
async fn scheduled_in(app: &TestApp, channel: &str, text: &str) -> Value {
    let url = app
        .slack
        .response_url(&format!("in-{channel}-{:x}", rand::random::<u32>()));
    let body = support::command_body(text, &url).replace(
        &format!("channel_id={CHANNEL_ID}"),
        &format!("channel_id={channel}"),
    );
    json(app.post_signed(&body).await).await;
    let card = messages(app, &url, 1).await.remove(0);
    assert_eq!(card["response_type"], "in_channel", "{card}");
    card
}

/// The `/zoom list` entries: each one's text and its buttons.
fn list_entries(list: &Value) -> Vec<(String, Vec<Value>)> {
    list["blocks"]
        .as_array()
        .unwrap()
        .windows(2)
        .filter(|pair| pair[1]["type"] == "actions")
        .map(|pair| {
            (
                pair[0]["text"]["text"].as_str().unwrap().to_owned(),
                pair[1]["elements"].as_array().unwrap().clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_cancel_click_on_a_meeting_found_deleted_in_zoom_redraws_its_card_naming_no_user() {
    let app = spawn_app().await;
    scheduled(&app, "Budget sync 45m tomorrow 3pm").await;
    // Deleted in Zoom's own web page: `/zoom list` finds out, and the store follows.
    app.zoom.remove_meeting(FIRST_ID);
    let (url, _) = app.command("list").await;
    let list = messages(&app, &url, 1).await.remove(0);
    assert!(!list.to_string().contains("Budget sync"), "{list}");
    let record = app.stored_meeting(FIRST_ID).await;
    assert!(
        matches!(record.state, MeetingState::Cancelled { ref by, .. } if by == CANCELLED_IN_ZOOM),
        "{record:?}"
    );

    // The card in the channel still offers Join and Cancel, and its Cancel is clicked.
    let url = click(&app, USER_ID, "cancel", &FIRST_ID.to_string(), true).await;
    let posted = messages(&app, &url, 2).await;
    let (card, reply) = redrawn_and_reply(&posted);
    let shown = card.to_string();
    assert!(shown.contains("Deleted in Zoom"), "{shown}");
    assert!(
        !shown.contains("<@zoom>") && !shown.contains("Cancelled by"),
        "no user cancelled it: {shown}"
    );
    assert!(!shown.contains("\"join\""), "no Join button: {shown}");
    assert!(actions(card).is_empty(), "nothing to click: {shown}");
    assert_eq!(reply["response_type"], "ephemeral");
    let text = reply["text"].as_str().unwrap();
    assert!(
        text.contains("*Budget sync* was deleted in Zoom")
            && text.contains("The card in <#C0001> now says so"),
        "{text}"
    );
    assert!(!text.contains("<@zoom>"), "{text}");
    assert!(
        app.zoom.requests(Endpoint::Delete).is_empty(),
        "nothing left to delete in Zoom"
    );
}

#[tokio::test]
async fn a_meeting_list_finds_deleted_in_zoom_has_its_card_redrawn_at_once() {
    let app = spawn_app().await;
    scheduled(&app, "Budget sync 45m tomorrow 3pm").await;
    card_located(&app, FIRST_ID).await;
    app.zoom.remove_meeting(FIRST_ID);
    let (url, _) = app.command("list").await;
    let list = messages(&app, &url, 1).await.remove(0);
    assert!(!list.to_string().contains("Budget sync"), "{list}");
    // Nobody has to click its Cancel for the channel to stop offering Join.
    let updates = app.slack.wait_for_calls("chat.update", 1, WAIT).await;
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].body["channel"], CHANNEL_ID);
    assert_eq!(updates[0].body["ts"], CARD_TS);
    let shown = updates[0].body.to_string();
    assert!(shown.contains("Deleted in Zoom"), "{shown}");
    assert!(!shown.contains("\"join\""), "no Join button: {shown}");
}

#[tokio::test]
async fn list_shows_the_topic_as_renamed_in_zoom() {
    let app = spawn_app().await;
    scheduled(&app, "Budget sync 45m tomorrow 3pm").await;
    let mut renamed = app.zoom.meeting(FIRST_ID).expect("in Zoom");
    renamed["topic"] = json!("Budget sync <moved to Q3>");
    app.zoom
        .push_response(Endpoint::Get, ScriptedResponse::json(200, renamed));
    let (url, _) = app.command("list").await;
    let list = messages(&app, &url, 1).await.remove(0);
    let (text, _) = list_entries(&list).remove(0);
    assert!(
        text.contains("*Budget sync &lt;moved to Q3&gt;*"),
        "Zoom's topic, escaped: {text}"
    );
}

#[tokio::test]
async fn list_shows_the_next_ten_meetings_each_with_its_channel_a_join_and_a_cancel_button() {
    let app = spawn_app().await;
    let channels = [CHANNEL_ID, "C0OTHER"];
    // Twelve, one a day from the day after tomorrow, alternately in two channels.
    for n in 0..12_usize {
        let day = chrono::Utc::now().date_naive() + chrono::Days::new(n as u64 + 2);
        let text = format!("\"Review {:02}\" 30m {day} 10:00 UTC", n + 1);
        scheduled_in(&app, channels[n % 2], &text).await;
    }
    let (url, _) = app.command("list").await;
    let list = messages(&app, &url, 1).await.remove(0);
    let entries = list_entries(&list);
    assert_eq!(entries.len(), 10, "the next ten, no more: {list}");
    for (n, (text, buttons)) in entries.iter().enumerate() {
        let id = FIRST_ID + n as u64;
        assert!(
            text.contains(&format!("*Review {:02}*", n + 1)),
            "by start, entry {n}: {text}"
        );
        assert!(
            text.contains(&format!("<#{}>", channels[n % 2])),
            "its channel, entry {n}: {text}"
        );
        let button = |action_id: &str| {
            buttons
                .iter()
                .find(|b| b["action_id"] == action_id)
                .unwrap_or_else(|| panic!("no {action_id} in entry {n}: {buttons:?}"))
        };
        let join = button("join")["url"].as_str().unwrap();
        assert!(join.contains(&format!("/j/{id}")), "entry {n}: {join}");
        let cancel = button("cancel");
        assert_eq!(cancel["value"], id.to_string(), "entry {n}");
        assert!(
            cancel["confirm"].is_object(),
            "entry {n}: a confirmation first"
        );
    }
    let shown = list.to_string();
    for later in ["Review 11", "Review 12"] {
        assert!(!shown.contains(later), "{later} is not shown: {shown}");
    }
}

#[tokio::test]
async fn a_cancel_click_on_the_list_redraws_the_meetings_card_where_it_was_posted() {
    let app = spawn_app().await;
    scheduled(&app, "Design review 45m tomorrow 3pm").await;
    card_located(&app, FIRST_ID).await;
    let (url, _) = app.command("list").await;
    let list = messages(&app, &url, 1).await.remove(0);
    let entries = list_entries(&list);
    let cancel = entries[0]
        .1
        .iter()
        .find(|b| b["action_id"] == "cancel")
        .expect("a Cancel button on the list");

    // Clicked on the ephemeral list (its own ts), not on the card.
    let url = click(
        &app,
        USER_ID,
        "cancel",
        cancel["value"].as_str().unwrap(),
        false,
    )
    .await;
    let told = messages(&app, &url, 1).await;
    // The reply is sent after the card is redrawn: nothing else comes to this URL.
    assert_eq!(told.len(), 1, "{told:?}");
    assert_ne!(
        told[0]["replace_original"], true,
        "the list is not replaced by the card: {told:?}"
    );
    assert_eq!(told[0]["response_type"], "ephemeral");
    let text = told[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Cancelled *Design review*")
            && text.contains("The card in <#C0001> now says so"),
        "{text}"
    );
    let updates = app.slack.calls_of("chat.update");
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].body["channel"], CHANNEL_ID);
    assert_eq!(
        updates[0].body["ts"], CARD_TS,
        "the card's own message, not the list's"
    );
    let card = updates[0].body.to_string();
    assert!(
        card.contains("Cancelled by <@U0001>") && !card.contains("\"join\""),
        "{card}"
    );
    assert_eq!(app.zoom.requests(Endpoint::Delete).len(), 1);
    let record = app.stored_meeting(FIRST_ID).await;
    assert!(matches!(record.state, MeetingState::Cancelled { .. }));
    assert_eq!(
        record.card.unwrap().message_ts,
        CARD_TS,
        "a click on the list does not move where the card is"
    );
}

#[tokio::test]
async fn a_cancel_that_finds_another_cancel_got_there_first_says_whose_it_was() {
    let app = spawn_app().await;
    scheduled(&app, "Budget sync 45m tomorrow 3pm").await;
    app.zoom.hold(Endpoint::Delete);
    let url = click(&app, USER_ID, "cancel", &FIRST_ID.to_string(), true).await;
    assert!(app.zoom.wait_for_requests(Endpoint::Delete, 1, WAIT).await);
    // While Zoom holds this DELETE, an admin's cancel lands first: deleted and recorded.
    app.zoom.remove_meeting(FIRST_ID);
    let store = app.store().await;
    store
        .meetings()
        .cancel(FIRST_ID, "U0ADMIN", chrono::Utc::now())
        .await
        .unwrap();
    app.zoom.release(Endpoint::Delete);
    let posted = messages(&app, &url, 2).await;
    let (card, reply) = redrawn_and_reply(&posted);
    let shown = card.to_string();
    assert!(shown.contains("Cancelled by <@U0ADMIN>"), "{shown}");
    assert!(!shown.contains("Deleted in Zoom"), "{shown}");
    let text = reply["text"].as_str().unwrap();
    assert!(
        text.contains("*Budget sync* was already cancelled by <@U0ADMIN>"),
        "{text}"
    );
    let record = store.meetings().get(FIRST_ID).await.unwrap().unwrap();
    assert!(
        matches!(record.state, MeetingState::Cancelled { ref by, .. } if by == "U0ADMIN"),
        "the first cancel stays on record: {record:?}"
    );
}

#[tokio::test]
async fn a_cancel_click_is_answered_while_zoom_still_holds_the_delete() {
    let app = spawn_app().await;
    scheduled(&app, "Design review 45m tomorrow 3pm").await;
    // Zoom takes the DELETE and answers only when the test lets it.
    app.zoom.hold(Endpoint::Delete);
    let (payload, url) = click_payload(USER_ID, "cancel", &FIRST_ID.to_string(), true, &app);
    let answer = tokio::time::timeout(WAIT, app.interact(&payload))
        .await
        .expect("the click is answered while Zoom holds the DELETE");
    assert_eq!(answer.status(), 200);
    let answered = std::time::Instant::now();
    assert!(
        app.slack
            .hook_attempts()
            .iter()
            .all(|d| !url.ends_with(&d.path)),
        "answered before the work said anything: it runs in the background"
    );
    assert!(
        app.zoom.wait_for_requests(Endpoint::Delete, 1, WAIT).await,
        "the DELETE reaches Zoom after the answer"
    );
    assert!(
        app.zoom.finished(Endpoint::Delete).is_empty(),
        "and is still held"
    );

    app.zoom.release(Endpoint::Delete);
    let posted = messages(&app, &url, 2).await;
    let finished = app.zoom.finished(Endpoint::Delete);
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].status, 204);
    assert!(
        answered < finished[0].at,
        "Slack had its answer before Zoom finished the DELETE"
    );
    let (_, reply) = redrawn_and_reply(&posted);
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("Cancelled *Design review*"),
        "{reply}"
    );
    assert!(app.zoom.meeting(FIRST_ID).is_none());
}

#[tokio::test]
async fn a_card_slack_refuses_to_replace_leaves_the_meeting_cancelled_and_says_so() {
    let app = spawn_app().await;
    app.slack.add_user(
        USER_ID,
        FakeUser {
            tz: Some("UTC".into()),
            ..Default::default()
        },
    );
    // A zone is known and named: no note follows the card to take the scripted failure.
    let (command_url, response) = app.command("Design review 45m tomorrow 3pm UTC").await;
    json(response).await;
    messages(&app, &command_url, 1).await;
    // The click's response_url refuses its first post: the card's replacement.
    app.slack.push_hook_failures(&[404]);
    let url = click(&app, USER_ID, "cancel", &FIRST_ID.to_string(), true).await;
    let told = messages(&app, &url, 1).await;
    assert_eq!(told.len(), 1, "{told:?}");
    let text = told[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Cancelled *Design review*")
            && text.contains("I couldn't update its card in <#C0001>"),
        "{text}"
    );
    let path = url.split_once("/hooks/").unwrap().1;
    let attempts: Vec<_> = app
        .slack
        .hook_attempts()
        .into_iter()
        .filter(|d| d.path.ends_with(path))
        .collect();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(
        attempts[0].body["replace_original"], true,
        "the refused post was the card's"
    );
    assert_eq!(
        messages(&app, &command_url, 1).await.len(),
        1,
        "the failure was not taken by another post"
    );
    assert!(app.zoom.meeting(FIRST_ID).is_none(), "deleted in Zoom");
    let record = app.stored_meeting(FIRST_ID).await;
    assert!(
        matches!(record.state, MeetingState::Cancelled { .. }),
        "the store matches Zoom"
    );
}

#[tokio::test]
async fn a_card_chat_update_cannot_redraw_leaves_the_meeting_cancelled_and_says_so() {
    let app = spawn_app().await;
    scheduled(&app, "Design review 45m tomorrow 3pm").await;
    card_located(&app, FIRST_ID).await;
    app.slack.push_web_fault("chat.update", "message_not_found");
    let (url, _) = app.command("cancel 857 4606 5432").await;
    let told = messages(&app, &url, 1).await;
    let text = told[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Cancelled *Design review*")
            && text.contains("I couldn't update its card in <#C0001>"),
        "{text}"
    );
    let updates = app.slack.calls_of("chat.update");
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].body["ts"], CARD_TS);
    assert_eq!(updates[0].answer["ok"], false);
    assert!(app.zoom.meeting(FIRST_ID).is_none(), "deleted in Zoom");
    let record = app.stored_meeting(FIRST_ID).await;
    assert!(
        matches!(record.state, MeetingState::Cancelled { ref by, .. } if by == USER_ID),
        "the store matches Zoom: {record:?}"
    );
}
