//! The card outbox: a card no replica got out is posted by another once its lease lapses,
//! through the command's `response_url` while it lives, else in the channel with
//! `chat.postMessage`; when neither can work, its user is told at their next command.
//!
//! Most cases run the service in-process with a fast sweep; the takeover by another process
//! and the restart after a crash run the real binary.

mod support;

use std::time::Duration;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde_json::Value;
use slack_zoom::app::AppState;
use slack_zoom::app::outbox::take_pending_notes;
use slack_zoom::config::Config;
use slack_zoom::store::{
    CardLocation, CardState, CardStatus, NewCardPost, NewMeetingRecord, OutboxId, Schedule, Store,
};
use sqlx::{Connection, SqliteConnection};
use support::fake_slack::{FakeSlack, NO_ANSWER};
use support::fake_zoom::{Endpoint, FakeZoom, FakeZoomOptions, ScriptedResponse};
use support::service::Service;
use support::{CHANNEL_ID, TEAM_ID, TestApp, USER_ID, binary_env, postgres, spawn_app_with_config};

const WAIT: Duration = Duration::from_secs(20);
const FAST: Duration = Duration::from_millis(100);
const DEAD: &str = "dead-replica";

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

/// The service in-process on its own SQLite file, sweeping every 100 ms, and the test's own
/// store on the same file.
struct Setup {
    app: TestApp,
    store: Store,
    url: String,
}

async fn start() -> Setup {
    start_with(|_| {}).await
}

/// Like [`start`], after `tweak` may change the configuration.
async fn start_with(tweak: impl FnOnce(&mut Config)) -> Setup {
    let url = format!("sqlite://{}", support::temp_database().display());
    let database = url.clone();
    let app = spawn_app_with_config(
        FakeZoomOptions::default(),
        move |vars, _| {
            vars.insert("DATABASE_URL".into(), database);
        },
        |config| {
            config.sweep_interval = FAST;
            tweak(config);
        },
    )
    .await;
    let store = Store::open(&url).await.expect("the test opens the store");
    Setup { app, store, url }
}

/// A meeting in Zoom (passcode 123456) and in the store, starting tomorrow; its id.
async fn meeting(zoom: &FakeZoom, store: &Store, topic: &str) -> u64 {
    let start = now() + TimeDelta::days(1);
    let id = zoom.add_meeting("me", topic, start, 30);
    let join_url = zoom.meeting(id).unwrap()["join_url"]
        .as_str()
        .unwrap()
        .to_owned();
    store
        .meetings()
        .insert(&NewMeetingRecord {
            zoom_id: id,
            team_id: TEAM_ID.into(),
            channel_id: CHANNEL_ID.into(),
            scheduled_by: USER_ID.into(),
            topic: topic.into(),
            schedule: Schedule {
                start,
                duration_minutes: 30,
                zone: "Europe/Berlin".into(),
            },
            join_url,
            host: "me".into(),
            recurrence: None,
            series_ends: None,
            card: None,
            created_at: now() - secs(60),
            locale: None,
        })
        .await
        .unwrap();
    id
}

/// The card of meeting `id`, as a replica that has since died left it: claimed by it, its
/// lease already lapsed (or lapsing in `lease_left`).
async fn left_by(
    store: &Store,
    owner: &str,
    id: u64,
    response_url: &str,
    expires_at: DateTime<Utc>,
    notes: &[&str],
    lease_left: TimeDelta,
) -> OutboxId {
    let created_at = Utc::now() - secs(120);
    let card = NewCardPost {
        zoom_id: id,
        team_id: TEAM_ID.into(),
        channel_id: CHANNEL_ID.into(),
        user_id: USER_ID.into(),
        response_url: response_url.into(),
        response_url_expires_at: expires_at,
        notes: notes.iter().map(|n| (*n).to_owned()).collect(),
        locale: None,
        created_at,
    };
    let lease = (Utc::now() + lease_left - created_at).to_std().unwrap();
    store
        .outbox()
        .enqueue_held(&card, owner, lease)
        .await
        .unwrap()
}

async fn cards(store: &Store, id: u64) -> Vec<CardStatus> {
    store.outbox().for_meeting(id).await.unwrap()
}

/// Polls the meeting's cards until the first is in `want`, or the deadline passes.
async fn wait_for_card(store: &Store, id: u64, want: CardState) -> CardStatus {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let card = cards(store, id).await.remove(0);
        if card.state == want || tokio::time::Instant::now() >= deadline {
            return card;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What reached hook `name` (successful deliveries).
fn delivered_to(slack: &FakeSlack, name: &str) -> Vec<Value> {
    slack
        .deliveries()
        .into_iter()
        .filter(|d| d.path.ends_with(&format!("/{name}")))
        .map(|d| d.body)
        .collect()
}

/// What reached hook `name`, waiting until there are `n` deliveries or the deadline passes.
async fn wait_delivered_to(slack: &FakeSlack, name: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let delivered = delivered_to(slack, name);
        if delivered.len() >= n || tokio::time::Instant::now() >= deadline {
            return delivered;
        }
        slack
            .wait_for_deliveries(slack.deliveries().len() + 1, Duration::from_millis(200))
            .await;
    }
}

fn posts_about(slack: &FakeSlack, topic: &str) -> Vec<Value> {
    slack
        .calls_of("chat.postMessage")
        .into_iter()
        .filter(|c| c.body["text"].as_str().unwrap_or_default().contains(topic))
        .map(|c| c.body)
        .collect()
}

#[tokio::test]
async fn a_card_left_by_a_dead_replica_is_posted_once_through_its_response_url_with_the_passcode() {
    let s = start().await;
    let dead = meeting(&s.app.zoom, &s.store, "Launch review").await;
    let held = meeting(&s.app.zoom, &s.store, "Still held").await;
    let live_url = now() + TimeDelta::minutes(25);
    left_by(
        &s.store,
        DEAD,
        dead,
        &s.app.slack.response_url("dead"),
        live_url,
        &["Hosted by the team's Zoom account <ops>"],
        secs(-1),
    )
    .await;
    // Held by a replica that is alive and posting: nobody else may take it.
    left_by(
        &s.store,
        "live-replica",
        held,
        &s.app.slack.response_url("held"),
        live_url,
        &[],
        TimeDelta::hours(1),
    )
    .await;
    let card = wait_for_card(&s.store, dead, CardState::Posted).await;
    assert_eq!(card.state, CardState::Posted);
    assert_eq!(card.attempts, 2, "its dead owner's claim, then this one");
    let posted = wait_delivered_to(&s.app.slack, "dead", 2).await;
    assert_eq!(
        posted.len(),
        2,
        "the card, then the invoker's notes: {posted:?}"
    );
    assert_eq!(posted[0]["response_type"], "in_channel");
    let card_json = posted[0].to_string();
    assert!(card_json.contains("Launch review"), "{card_json}");
    assert!(
        card_json.contains("*Passcode*\\n`123456`"),
        "the passcode, from Zoom: {card_json}"
    );
    assert_eq!(posted[1]["response_type"], "ephemeral");
    assert_eq!(
        posted[1]["text"], "• Hosted by the team's Zoom account &lt;ops&gt;",
        "notes escaped"
    );
    assert!(s.app.slack.calls_of("chat.postMessage").is_empty());
    let still_held = cards(&s.store, held).await.remove(0);
    assert_eq!(
        (still_held.state, still_held.claimed_by.as_deref()),
        (CardState::Pending, Some("live-replica")),
        "a live lease is respected"
    );
    assert!(delivered_to(&s.app.slack, "held").is_empty());
}

#[tokio::test]
async fn a_card_that_may_have_reached_its_response_url_is_not_posted_again() {
    let s = start().await;
    let id = meeting(&s.app.zoom, &s.store, "Maybe arrived").await;
    // Both of the sweep's posts hang past its 5 s timeout: either may have arrived.
    s.app.slack.push_hook_hangs(2, Duration::from_secs(30));
    left_by(
        &s.store,
        DEAD,
        id,
        &s.app.slack.response_url("maybe"),
        now() + TimeDelta::minutes(25),
        &[],
        secs(-1),
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let card = loop {
        let card = cards(&s.store, id).await.remove(0);
        if card.state != CardState::Pending || card.last_error.is_some() {
            break card;
        }
        assert!(tokio::time::Instant::now() < deadline, "{card:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        card.state,
        CardState::Abandoned,
        "not queued again: {card:?}"
    );
    assert_eq!(s.app.slack.hook_attempts().len(), 2);
    assert!(
        posts_about(&s.app.slack, "Maybe arrived").is_empty(),
        "nor posted in the channel"
    );
}

#[tokio::test]
async fn a_card_that_may_have_reached_the_channel_is_not_posted_again() {
    let s = start().await;
    let id = meeting(&s.app.zoom, &s.store, "Budget review").await;
    // Slack posts it but its answer comes after the call gave up.
    s.app.slack.push_web_fault("chat.postMessage", NO_ANSWER);
    left_by(
        &s.store,
        DEAD,
        id,
        &s.app.slack.response_url("expired"),
        now() - TimeDelta::minutes(1),
        &[],
        secs(-1),
    )
    .await;
    let card = wait_for_card(&s.store, id, CardState::Abandoned).await;
    assert_eq!(card.state, CardState::Abandoned, "{card:?}");
    let reason = card.last_error.unwrap_or_default();
    assert!(reason.contains("Slack never confirmed it"), "{reason}");
    assert_eq!(posts_about(&s.app.slack, "Budget review").len(), 1);
    // Its user hears at their next command where to find the meeting, should it be missing.
    let (next, _) = s.app.command("help").await;
    let told = wait_delivered_to(&s.app.slack, next.rsplit('/').next().unwrap(), 1).await;
    assert_eq!(told.len(), 1, "{told:?}");
    let note = told[0]["text"].as_str().unwrap();
    for needle in [
        "*Budget review*",
        "Slack never confirmed it",
        &format!("/j/{id}"),
    ] {
        assert!(note.contains(needle), "`{needle}` missing from: {note}");
    }
}

#[tokio::test]
async fn a_card_whose_response_url_cannot_be_used_goes_to_the_channel_and_its_place_is_recorded() {
    let s = start().await;
    let cases = [
        ("expired", now() - TimeDelta::minutes(1), None),
        ("used up", now() + TimeDelta::minutes(20), Some(404)),
    ];
    for (case, expires_at, hook_refusal) in cases {
        let topic = format!("Card {case}");
        let id = meeting(&s.app.zoom, &s.store, &topic).await;
        if let Some(status) = hook_refusal {
            s.app.slack.push_hook_failures(&[status]);
        }
        let hook = case.replace(' ', "-");
        left_by(
            &s.store,
            DEAD,
            id,
            &s.app.slack.response_url(&hook),
            expires_at,
            &["A note for the invoker"],
            secs(-1),
        )
        .await;
        let card = wait_for_card(&s.store, id, CardState::Posted).await;
        assert_eq!(card.state, CardState::Posted, "{case}");
        let posted = posts_about(&s.app.slack, &topic);
        assert_eq!(posted.len(), 1, "{case}: {posted:?}");
        assert_eq!(posted[0]["channel"], CHANNEL_ID, "{case}");
        assert!(posted[0]["thread_ts"].is_null(), "{case}");
        assert!(
            posted[0].to_string().contains("*Passcode*\\n`123456`"),
            "{case}: the passcode, from Zoom"
        );
        let ts = s
            .app
            .slack
            .calls_of("chat.postMessage")
            .into_iter()
            .find(|c| c.body["text"].as_str().unwrap_or_default().contains(&topic))
            .unwrap()
            .answer["ts"]
            .as_str()
            .unwrap()
            .to_owned();
        let stored = s.store.meetings().get(id).await.unwrap().unwrap();
        assert_eq!(
            stored.card,
            Some(CardLocation {
                channel_id: CHANNEL_ID.into(),
                message_ts: ts
            }),
            "{case}: start notices will go under it"
        );
        assert!(delivered_to(&s.app.slack, &hook).is_empty(), "{case}");
    }
    // The invoker's notes could not follow the cards: they wait for the user's next command.
    // (A store opened now, as the next process would: the service's own knows it kept them.)
    let notes = Store::open(&s.url)
        .await
        .unwrap()
        .pending_notes()
        .take(TEAM_ID, USER_ID, Utc::now(), 10)
        .await
        .unwrap();
    assert_eq!(notes.len(), 2, "{notes:?}");
    for note in notes {
        assert_eq!(note.undelivered, None, "the card was posted");
        assert_eq!(note.notes, ["A note for the invoker"]);
    }
}

/// The service's state on the test's own store, for calling what the command handler calls.
async fn state_for(app: &TestApp, url: &str) -> AppState {
    let mut env = support::test_env(&app.slack, &app.zoom);
    env.insert("DATABASE_URL".into(), url.into());
    let config = Config::from_lookup(|name| env.get(name).cloned(), false).unwrap();
    AppState::new(&config, Store::open(url).await.unwrap()).unwrap()
}

#[tokio::test]
async fn a_card_no_channel_can_show_is_abandoned_and_its_user_told_at_their_next_command() {
    let s = start().await;
    s.app.slack.close_channel(CHANNEL_ID);
    let id = meeting(&s.app.zoom, &s.store, "Private sync").await;
    left_by(
        &s.store,
        DEAD,
        id,
        &s.app.slack.response_url("gone"),
        now() - TimeDelta::minutes(1),
        &["Zoom scheduled this meeting for 3:00 PM, not 2:00 PM as you asked."],
        secs(-1),
    )
    .await;
    let card = wait_for_card(&s.store, id, CardState::Abandoned).await;
    assert_eq!(card.state, CardState::Abandoned);
    let reason = card.last_error.unwrap_or_default();
    assert!(reason.contains("not a member of that channel"), "{reason}");
    assert!(delivered_to(&s.app.slack, "gone").is_empty());
    // The user's next command (any command, even help) hands the note over, to them alone.
    let (next, response) = s.app.command("help").await;
    assert_eq!(response.status(), 200);
    let name = next.rsplit('/').next().unwrap().to_owned();
    let told = wait_delivered_to(&s.app.slack, &name, 1).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["response_type"], "ephemeral");
    let note = told[0]["text"].as_str().unwrap().to_owned();
    for needle in [
        "The card for *Private sync*",
        &format!("could not be posted in <#{CHANNEL_ID}>"),
        "not a member of that channel",
        &format!("/j/{id}"),
        "• Zoom scheduled this meeting for 3:00 PM",
    ] {
        assert!(note.contains(needle), "`{needle}` missing from: {note}");
    }
    let state = state_for(&s.app, &s.url).await;
    assert!(
        take_pending_notes(&state, TEAM_ID, USER_ID)
            .await
            .is_empty(),
        "told once"
    );
    assert!(
        take_pending_notes(&state, TEAM_ID, "U0002")
            .await
            .is_empty(),
        "only to its user"
    );
}

#[tokio::test]
async fn a_kept_note_that_does_not_reach_its_user_waits_for_their_next_command() {
    let s = start().await;
    s.app.slack.close_channel(CHANNEL_ID);
    let id = meeting(&s.app.zoom, &s.store, "Private sync").await;
    let expired = now() - TimeDelta::minutes(1);
    let gone = s.app.slack.response_url("gone");
    left_by(&s.store, DEAD, id, &gone, expired, &[], secs(-1)).await;
    let card = wait_for_card(&s.store, id, CardState::Abandoned).await;
    assert_eq!(card.state, CardState::Abandoned);
    let untold = || async {
        let mut db = SqliteConnection::connect(&s.url).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pending_notes WHERE told_at IS NULL")
            .fetch_one(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
        n
    };
    assert_eq!(untold().await, 1, "the note is kept");
    // Every attempt at handing it over with the next command fails.
    s.app.slack.push_hook_failures(&[500; 5]);
    let (first, _) = s.app.command("help").await;
    assert_eq!(s.app.slack.wait_for_hook_attempts(5, WAIT).await.len(), 5);
    support::until(WAIT, || async { untold().await > 0 }).await;
    assert_eq!(untold().await, 1, "kept again after the handover failed");
    assert!(delivered_to(&s.app.slack, first.rsplit('/').next().unwrap()).is_empty());
    let (second, _) = s.app.command("help").await;
    let told = wait_delivered_to(&s.app.slack, second.rsplit('/').next().unwrap(), 1).await;
    assert_eq!(told.len(), 1, "the next command hands it over");
    assert!(
        told[0]["text"]
            .as_str()
            .unwrap()
            .contains("The card for *Private sync*"),
        "{told:?}"
    );
}

#[tokio::test]
async fn a_meeting_deleted_or_cancelled_before_its_card_went_out_is_abandoned_with_nothing_posted()
{
    let s = start().await;
    let cases = [
        ("deleted in Zoom", CardState::Abandoned, "deleted in Zoom"),
        ("cancelled in the app", CardState::Abandoned, "cancelled"),
        ("control", CardState::Posted, ""),
    ];
    let mut ids = Vec::new();
    for (case, _, _) in cases {
        let id = meeting(&s.app.zoom, &s.store, case).await;
        match case {
            "deleted in Zoom" => assert!(s.app.zoom.remove_meeting(id)),
            "cancelled in the app" => {
                s.store
                    .meetings()
                    .cancel(id, USER_ID, Utc::now())
                    .await
                    .unwrap();
            }
            _ => {}
        }
        let hook = case.replace(' ', "-");
        let url = s.app.slack.response_url(&hook);
        let expires = now() + TimeDelta::minutes(20);
        left_by(&s.store, DEAD, id, &url, expires, &[], secs(-1)).await;
        ids.push(id);
    }
    for ((case, want, reason), id) in cases.into_iter().zip(ids) {
        let card = wait_for_card(&s.store, id, want).await;
        assert_eq!(card.state, want, "{case}");
        let error = card.last_error.unwrap_or_default();
        assert!(error.contains(reason), "{case}: {error}");
        let posted = delivered_to(&s.app.slack, &case.replace(' ', "-")).len();
        assert_eq!(posted, usize::from(want == CardState::Posted), "{case}");
    }
    assert!(s.app.slack.calls_of("chat.postMessage").is_empty());
}

#[tokio::test]
async fn when_zoom_cannot_be_asked_the_card_is_retried_then_posted_from_the_stores_facts() {
    let s = start().await;
    let id = meeting(&s.app.zoom, &s.store, "Zoom is down").await;
    for _ in 0..50 {
        s.app.zoom.push_response(
            Endpoint::Get,
            ScriptedResponse::api_error(503, 503, "Service unavailable"),
        );
    }
    let url = s.app.slack.response_url("zoom-down");
    let expires = now() + TimeDelta::minutes(20);
    left_by(&s.store, DEAD, id, &url, expires, &[], secs(-1)).await;
    let card = wait_for_card(&s.store, id, CardState::Posted).await;
    assert_eq!(card.state, CardState::Posted, "{card:?}");
    assert_eq!(
        card.attempts, 4,
        "its owner's claim, two retries, then posted"
    );
    let checks = s.app.zoom.requests(Endpoint::Get).len();
    assert_eq!(checks, 3, "Zoom asked at each sweep's claim");
    let posted = delivered_to(&s.app.slack, "zoom-down");
    assert_eq!(posted.len(), 1, "{posted:?}");
    let json = posted[0].to_string();
    assert!(
        json.contains("Zoom is down") && json.contains(&format!("/j/{id}")),
        "{json}"
    );
    assert!(
        !json.contains("Passcode"),
        "no passcode without Zoom: {json}"
    );
}

// ---------------------------------------------------------------------------------------------
// Separate processes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_service_processes_exactly_one_takes_over_a_card_whose_replica_died() {
    let slack = FakeSlack::start().await;
    let zoom = FakeZoom::start().await;
    let database = postgres::server().fresh_database().await;
    let store = Store::open(&database).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..6 {
        let topic = format!("Orphan {n}");
        let id = meeting(&zoom, &store, &topic).await;
        let url = slack.response_url(&format!("orphan-{n}"));
        let expires = now() + TimeDelta::minutes(20);
        left_by(&store, DEAD, id, &url, expires, &[], secs(-1)).await;
        ids.push((id, n));
    }
    let env = binary_env(&slack, &zoom, &database);
    // Both sweep at startup, at the same moment.
    let (a, b) = tokio::join!(Service::start(&env, &[]), Service::start(&env, &[]));
    let delivered = slack
        .wait_for_deliveries(ids.len(), Duration::from_secs(30))
        .await;
    assert_eq!(delivered.len(), ids.len(), "every card came");
    let (log_a, log_b) = tokio::join!(a.stop(), b.stop());
    for (id, n) in ids {
        assert_eq!(
            delivered_to(&slack, &format!("orphan-{n}")).len(),
            1,
            "card {n}: posted once across both processes\n{log_a}\n{log_b}"
        );
        assert_eq!(
            cards(&store, id).await[0].state,
            CardState::Posted,
            "card {n}"
        );
    }
    let posted_by = |log: &str| {
        log.lines()
            .filter(|l| l.contains("card posted from the outbox"))
            .count()
    };
    assert_eq!(posted_by(&log_a) + posted_by(&log_b), 6);
}

#[tokio::test]
async fn a_store_failing_under_the_running_service_is_logged_and_the_card_still_posted() {
    let slack = FakeSlack::start().await;
    let zoom = FakeZoom::start().await;
    let path = support::temp_database();
    let database = format!("sqlite://{}", path.display());
    let env = binary_env(&slack, &zoom, &database);
    let service = Service::start(&env, &[]).await;
    // The meetings table goes away under the running service.
    let mut conn = SqliteConnection::connect(&database).await.unwrap();
    sqlx::query("ALTER TABLE meetings RENAME TO meetings_gone")
        .execute(&mut conn)
        .await
        .unwrap();
    service
        .send_command(
            "Launch review 45m tomorrow 3pm",
            &slack.response_url("store-gone"),
        )
        .await;
    let cards = slack.wait_for_deliveries(1, WAIT).await;
    assert_eq!(cards.len(), 1);
    assert_eq!(
        cards[0].body["response_type"], "in_channel",
        "the card, all the same"
    );
    let log = service.stop().await;
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("ERROR") && l.contains("meeting created but not recorded in the store")
        })
        .collect();
    assert_eq!(errors.len(), 1, "{log}");
    assert!(
        errors[0].contains("meeting_id=85746065432"),
        "{}",
        errors[0]
    );
}

#[tokio::test]
async fn a_card_lost_when_its_process_was_killed_mid_post_is_posted_after_the_restart() {
    let slack = FakeSlack::start().await;
    let zoom = FakeZoom::start().await;
    let path = support::temp_database();
    let database = format!("sqlite://{}", path.display());
    let env = binary_env(&slack, &zoom, &database);
    let first = Service::start(&env, &[]).await;
    // The hook hangs: the process is killed while it waits for Slack.
    slack.set_hook_latency(Duration::from_secs(3600));
    let response_url = slack.response_url("crash");
    first
        .send_command("Launch review 45m tomorrow 3pm", &response_url)
        .await;
    assert_eq!(slack.wait_for_hook_attempts(1, WAIT).await.len(), 1);
    first.kill().await;
    assert!(slack.deliveries().is_empty(), "the card never arrived");
    let id = zoom.meeting_ids()[0];
    // As if the two minutes of its lease had passed.
    let mut db = SqliteConnection::connect(&database).await.unwrap();
    let lapsed = (Utc::now() - secs(1)).timestamp_micros();
    sqlx::query("UPDATE card_outbox SET available_at = $1 WHERE state = 'pending'")
        .bind(lapsed)
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    slack.set_hook_latency(Duration::ZERO);

    let second = Service::start(&env, &[]).await;
    let delivered = slack.wait_for_deliveries(1, WAIT).await;
    let log = second.stop().await;
    assert_eq!(delivered.len(), 1, "{log}");
    let card = delivered[0].body.to_string();
    assert!(card.contains("Launch review"), "{card}");
    assert_eq!(delivered[0].body["response_type"], "in_channel");
    let store = Store::open(&database).await.unwrap();
    assert_eq!(cards(&store, id).await[0].state, CardState::Posted);
    assert_eq!(zoom.meetings_created(), 1, "no second meeting");
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

#[tokio::test]
async fn a_card_being_posted_is_not_taken_for_a_dead_replicas_even_with_a_short_lease() {
    let Setup { app, store, .. } = start_with(|config| config.lease = Duration::from_secs(5)).await;
    // Slack takes its time with the card: a response_url post can take ~25 s with the
    // tests' retries (5 attempts of up to 5 s).
    app.slack.set_hook_latency(Duration::from_secs(2));
    app.command("Board meeting 1h tomorrow 9am").await;
    assert_eq!(app.slack.wait_for_hook_attempts(1, WAIT).await.len(), 1);
    // 25 s on (far past the five-second lease, within the longest post), the card is still
    // its poster's.
    let taken = store
        .outbox()
        .claim(
            "another-replica",
            Utc::now() + secs(25),
            Duration::from_secs(5),
            10,
        )
        .await
        .unwrap();
    assert!(taken.is_empty(), "a card being posted was taken over");
    let id = app.zoom.meeting_ids()[0];
    let posted = wait_for_card(&store, id, CardState::Posted).await;
    assert_eq!(posted.attempts, 1);
    assert_eq!(app.slack.deliveries().len(), 1, "one card");
    store.close().await;
}

#[tokio::test]
async fn a_card_whose_turn_to_post_comes_after_its_hold_lapsed_is_posted_once() {
    // One post at a time, each taking half a second: fifty cards queue for 25 seconds, longer
    // than a card is held (21 s: the sweep's two 5 s attempts and a 10 s margin), so the
    // sweep claims the last ones while their own commands still wait for their turn.
    let Setup { app, store, .. } = start_with(|config| {
        config.lease = Duration::from_secs(1);
        config.delivery_slots = 1;
        config.delivery.attempts = 1;
        config.delivery.timeout = Duration::from_secs(2);
    })
    .await;
    app.slack.set_hook_latency(Duration::from_millis(500));
    let mut urls = Vec::new();
    for n in 1..=50 {
        let (url, response) = app
            .command(&format!("Launch review {n} 1h tomorrow 9am"))
            .await;
        assert!(response.status().is_success());
        urls.push(url);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let ids = loop {
        let ids = app.zoom.meeting_ids();
        let mut posted = 0;
        for id in &ids {
            posted += cards(&store, *id)
                .await
                .iter()
                .filter(|c| c.state == CardState::Posted)
                .count();
        }
        if posted == 50 || tokio::time::Instant::now() >= deadline {
            break ids;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Posts take their turns in order: once this one's card is in, any other post of the
    // fifty that was still waiting has gone out (or decided not to).
    let (last, _) = app.command("Barrier 1h tomorrow 9am").await;
    let last_name = last.rsplit('/').next().unwrap().to_owned();
    assert_eq!(wait_delivered_to(&app.slack, &last_name, 1).await.len(), 1);

    let mut taken_over = 0;
    for id in &ids {
        let card = cards(&store, *id).await.remove(0);
        assert_eq!(card.state, CardState::Posted, "meeting {id}: {card:?}");
        taken_over += usize::from(card.attempts > 1);
    }
    assert!(
        taken_over > 0,
        "no card outlived its hold while it waited: the test did not test anything"
    );
    for url in &urls {
        let name = url.rsplit('/').next().unwrap();
        assert_eq!(
            delivered_to(&app.slack, name).len(),
            1,
            "{url}: one card, though {taken_over} of the fifty were claimed again by the sweep"
        );
    }
    assert_eq!(app.slack.hook_attempts().len(), 51, "no post beside them");
    store.close().await;
}

#[tokio::test]
async fn a_backlog_of_cards_left_by_a_dead_replica_goes_out_in_one_sweep() {
    // Seventy cards, their replica dead before the service starts; it then sweeps at startup
    // and not again for an hour, so only working off full batches back to back posts them all
    // while their response_urls live.
    let before = support::before_start().await;
    let mut ids = Vec::new();
    for n in 0..70 {
        let id = meeting(&before.zoom, &before.store, &format!("All hands {n}")).await;
        let hook = before.slack.response_url(&format!("backlog-{n}"));
        left_by(
            &before.store,
            DEAD,
            id,
            &hook,
            now() + secs(1500),
            &[],
            secs(0),
        )
        .await;
        ids.push(id);
    }
    let (app, store) = before
        .start(|config| config.sweep_interval = Duration::from_secs(3600))
        .await;
    for (n, id) in ids.into_iter().enumerate() {
        let card = wait_for_card(&store, id, CardState::Posted).await;
        assert_eq!(card.state, CardState::Posted, "card {n} of 70: {card:?}");
        assert_eq!(
            delivered_to(&app.slack, &format!("backlog-{n}")).len(),
            1,
            "card {n}"
        );
    }
    let counted = app
        .metric(r#"slack_zoom_swept_total{sweep="cards",outcome="posted_to_response_url"}"#)
        .await;
    assert_eq!(counted, Some(70.0), "counted for operators");
    store.close().await;
}

#[tokio::test]
async fn cards_finished_a_week_ago_are_deleted_at_startup_and_pending_ones_kept() {
    let before = support::before_start().await;
    let (zoom, store) = (&before.zoom, &before.store);
    let old = meeting(zoom, store, "Posted last month").await;
    let hook = before.slack.response_url("old");
    let old_card = left_by(store, DEAD, old, &hook, now(), &[], secs(0)).await;
    let week_ago = Utc::now() - TimeDelta::days(8);
    assert!(store.outbox().complete(old_card, week_ago).await.unwrap());
    let recent = meeting(zoom, store, "Posted yesterday").await;
    let recent_card = left_by(store, DEAD, recent, &hook, now(), &[], secs(0)).await;
    let yesterday = Utc::now() - TimeDelta::days(1);
    assert!(
        store
            .outbox()
            .complete(recent_card, yesterday)
            .await
            .unwrap()
    );
    let pending = meeting(zoom, store, "Being posted").await;
    let hook = before.slack.response_url("pending");
    let lease_left = secs(3600);
    left_by(
        store,
        DEAD,
        pending,
        &hook,
        now() + secs(1500),
        &[],
        lease_left,
    )
    .await;

    let (_app, store) = before.start(|_| {}).await;
    support::until(WAIT, || async { cards(&store, old).await.is_empty() }).await;
    assert_eq!(cards(&store, old).await, [], "the card posted 8 days ago");
    assert_eq!(cards(&store, recent).await.len(), 1, "kept for a week");
    assert_eq!(cards(&store, pending).await[0].state, CardState::Pending);
    store.close().await;
}
