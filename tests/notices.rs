//! Start notices: "Starting now" under the card when a meeting starts, checked in Zoom first,
//! exactly once across replicas, and after a restart only within the grace.
//!
//! Most cases run the service in-process with a fast sweep; the exactly-once and restart cases
//! run the real binary, as separate processes on one database.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde_json::{Value, json};
use slack_zoom::config::Config;
use slack_zoom::store::{CardLocation, NewMeetingRecord, NoticeState, Schedule, Store};
use slack_zoom::zoom::{Ending, NewMeeting, Recurrence, Repeat, ZoomClient, ZoomConfig};
use support::fake_slack::{FakeSlack, NO_ANSWER};
use support::fake_zoom::{Endpoint, FakeZoom, FakeZoomOptions, ScriptedResponse};
use support::service::Service;
use support::{
    CHANNEL_ID, TEAM_ID, TestApp, USER_ID, binary_env, new_meeting_values, postgres,
    spawn_app_with_config, submission,
};

/// How long a test waits for work it expects; the sweeps run every 100 ms in-process.
const WAIT: Duration = Duration::from_secs(20);
const FAST: Duration = Duration::from_millis(100);
const CARD_TS: &str = "1699999999.000100";

/// Now, to the second (Zoom keeps seconds).
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
}

async fn start(env: &[(&str, &str)], tweak: impl FnOnce(&mut Config)) -> Setup {
    let url = format!("sqlite://{}", support::temp_database().display());
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let database = url.clone();
    let app = spawn_app_with_config(
        FakeZoomOptions::default(),
        move |vars, _| {
            vars.insert("DATABASE_URL".into(), database);
            vars.extend(env);
        },
        |config| {
            config.sweep_interval = FAST;
            tweak(config);
        },
    )
    .await;
    let store = Store::open(&url).await.expect("the test opens the store");
    Setup { app, store }
}

/// A meeting to record.
struct Seed<'a> {
    topic: &'a str,
    start: DateTime<Utc>,
    /// Where its card is, if the store knows.
    card_ts: Option<&'a str>,
    /// When its notice is due; `None`: none scheduled.
    due: Option<DateTime<Utc>>,
}

/// A meeting in Zoom and in the store, as the app would have recorded it; its Zoom id.
async fn seed(zoom: &FakeZoom, store: &Store, seed: Seed<'_>) -> u64 {
    let id = zoom.add_meeting("me", seed.topic, seed.start, 30);
    record(zoom, store, id, &seed, None).await;
    id
}

/// Records Zoom meeting `id` in the store, with its notice.
async fn record(zoom: &FakeZoom, store: &Store, id: u64, seed: &Seed<'_>, series: Option<&str>) {
    let join_url = zoom.meeting(id).unwrap()["join_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let inserted = store
        .meetings()
        .insert(&NewMeetingRecord {
            zoom_id: id,
            team_id: TEAM_ID.into(),
            channel_id: CHANNEL_ID.into(),
            scheduled_by: USER_ID.into(),
            topic: seed.topic.into(),
            schedule: Schedule {
                start: seed.start,
                duration_minutes: 30,
                zone: "Europe/Berlin".into(),
            },
            join_url,
            host: "me".into(),
            recurrence: series.map(str::to_owned),
            series_ends: None,
            card: seed.card_ts.map(|ts| CardLocation {
                channel_id: CHANNEL_ID.into(),
                message_ts: ts.into(),
            }),
            created_at: now() - secs(3600),
            locale: None,
        })
        .await
        .unwrap();
    assert!(inserted);
    if let Some(due) = seed.due {
        store
            .notices()
            .schedule(id, due, now() - secs(3600))
            .await
            .unwrap()
            .expect("a notice for a scheduled meeting");
    }
}

async fn states(store: &Store, id: u64) -> Vec<NoticeState> {
    store
        .notices()
        .for_meeting(id)
        .await
        .unwrap()
        .iter()
        .map(|n| n.state)
        .collect()
}

/// Polls the meeting's notices until they are `want`, or the deadline passes; the last seen.
async fn wait_for_states(store: &Store, id: u64, want: &[NoticeState]) -> Vec<NoticeState> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = states(store, id).await;
        if got == want || tokio::time::Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every `chat.postMessage` whose text names `topic`.
fn notices_about(slack: &FakeSlack, topic: &str) -> Vec<Value> {
    slack
        .calls_of("chat.postMessage")
        .into_iter()
        .filter(|c| c.body["text"].as_str().unwrap_or_default().contains(topic))
        .map(|c| c.body)
        .collect()
}

/// The Unix seconds in a notice's date token.
fn announced(notice: &Value) -> i64 {
    let text = notice["blocks"][1]["text"]["text"].as_str().unwrap();
    let rest = text.split("<!date^").nth(1).unwrap();
    rest.split('^').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_due_notice_is_posted_once_under_its_card_or_in_the_channel_when_the_card_is_not_known() {
    let s = start(&[], |_| {}).await;
    let start_at = now();
    let cases = [("Design review", Some(CARD_TS)), ("Retro", None)];
    let mut ids = Vec::new();
    for (topic, card_ts) in cases {
        let seeded = Seed {
            topic,
            start: start_at,
            card_ts,
            due: Some(start_at),
        };
        ids.push(seed(&s.app.zoom, &s.store, seeded).await);
    }
    for ((topic, thread), id) in cases.into_iter().zip(ids) {
        assert_eq!(
            wait_for_states(&s.store, id, &[NoticeState::Posted]).await,
            [NoticeState::Posted],
            "{topic}"
        );
        let posted = notices_about(&s.app.slack, topic);
        assert_eq!(posted.len(), 1, "{topic}: exactly one notice: {posted:?}");
        let notice = &posted[0];
        assert_eq!(notice["channel"], CHANNEL_ID, "{topic}");
        assert_eq!(notice["thread_ts"].as_str(), thread, "{topic}: thread");
        let text = notice["text"].as_str().unwrap();
        assert!(
            text.starts_with(&format!("Starting now: {topic} — ")),
            "{topic}: {text}"
        );
        let heading = &notice["blocks"][0]["elements"][0]["elements"];
        assert_eq!(heading[1]["text"], " Starting now: ", "{topic}");
        assert_eq!(heading[2]["text"], topic, "{topic}");
        assert_eq!(heading[2]["style"]["bold"], true, "{topic}");
        assert_eq!(announced(notice), start_at.timestamp(), "{topic}");
        let join = &notice["blocks"][1]["accessory"];
        assert_eq!(join["text"]["text"], "Join", "{topic}");
        assert_eq!(
            join["url"],
            s.app.zoom.meeting(id).unwrap()["join_url"],
            "{topic}"
        );
        let checks = s.app.zoom.requests(Endpoint::Get);
        assert!(
            checks.iter().any(|r| r.target == id.to_string()),
            "{topic}: checked in Zoom first"
        );
    }
}

#[tokio::test]
async fn a_backlog_of_due_notices_goes_out_in_one_sweep_not_a_batch_per_interval() {
    // Seventy meetings starting at once, due before the service starts; it then sweeps at
    // startup and not again for an hour, so only working off full batches back to back
    // posts them all.
    let before = support::before_start().await;
    let start_at = now();
    let mut ids = Vec::new();
    for n in 0..70 {
        let seeded = Seed {
            topic: &format!("All hands {n}"),
            start: start_at,
            card_ts: None,
            due: Some(start_at),
        };
        ids.push(seed(&before.zoom, &before.store, seeded).await);
    }
    let (app, store) = before
        .start(|config| config.sweep_interval = Duration::from_secs(3600))
        .await;
    for (n, id) in ids.into_iter().enumerate() {
        assert_eq!(
            wait_for_states(&store, id, &[NoticeState::Posted]).await,
            [NoticeState::Posted],
            "meeting {n} of 70"
        );
    }
    let counted = app
        .metric(r#"slack_zoom_swept_total{sweep="notices",outcome="posted"}"#)
        .await;
    assert_eq!(counted, Some(70.0), "counted for operators");
    store.close().await;
}

#[tokio::test]
async fn a_notice_that_may_have_been_posted_is_not_posted_again() {
    let s = start(&[], |_| {}).await;
    // Slack posts it but its answer comes after the call gave up.
    s.app.slack.push_web_fault("chat.postMessage", NO_ANSWER);
    let start_at = now();
    let seeded = Seed {
        topic: "Quarterly kickoff",
        start: start_at,
        card_ts: None,
        due: Some(start_at),
    };
    let id = seed(&s.app.zoom, &s.store, seeded).await;
    assert_eq!(
        wait_for_states(&s.store, id, &[NoticeState::Dropped]).await,
        [NoticeState::Dropped]
    );
    assert_eq!(notices_about(&s.app.slack, "Quarterly kickoff").len(), 1);
}

#[tokio::test]
async fn meetings_that_will_not_happen_get_no_notice() {
    let s = start(&[], |_| {}).await;
    let start_at = now();
    let cases = [
        ("deleted in Zoom", NoticeState::Cancelled),
        ("cancelled in the app", NoticeState::Cancelled),
        ("control", NoticeState::Posted),
    ];
    let mut ids = BTreeMap::new();
    for (case, _) in cases {
        let seeded = Seed {
            topic: case,
            start: start_at,
            card_ts: None,
            due: Some(start_at),
        };
        let id = seed(&s.app.zoom, &s.store, seeded).await;
        match case {
            "deleted in Zoom" => assert!(s.app.zoom.remove_meeting(id)),
            "cancelled in the app" => {
                s.store
                    .meetings()
                    .cancel(id, USER_ID, start_at - secs(60))
                    .await
                    .unwrap();
            }
            _ => {}
        }
        ids.insert(case, id);
    }
    for (case, want) in cases {
        assert_eq!(
            wait_for_states(&s.store, ids[case], &[want]).await,
            [want],
            "{case}"
        );
        let posted = notices_about(&s.app.slack, case).len();
        let want_posted = usize::from(want == NoticeState::Posted);
        assert_eq!(posted, want_posted, "{case}");
    }
}

#[tokio::test]
async fn a_meeting_moved_later_in_zoom_gets_its_notice_at_the_new_time_and_the_store_follows() {
    let s = start(&[], |_| {}).await;
    let old_start = now();
    let new_start = old_start + secs(5);
    let id = s.app.zoom.add_meeting("me", "Moved later", old_start, 30);
    assert!(s.app.zoom.move_meeting(id, new_start));
    let seeded = Seed {
        topic: "Moved later",
        start: old_start,
        card_ts: Some(CARD_TS),
        due: Some(old_start),
    };
    record(&s.app.zoom, &s.store, id, &seeded, None).await;
    let want = [NoticeState::Replaced, NoticeState::Posted];
    assert_eq!(
        wait_for_states(&s.store, id, &want).await,
        want,
        "the first notice was replaced by one at the new time, which was posted"
    );
    let notices = s.store.notices().for_meeting(id).await.unwrap();
    assert_eq!(notices[1].due_at, new_start, "due at the new start");
    let meeting = s.store.meetings().get(id).await.unwrap().unwrap();
    assert_eq!(meeting.schedule.start, new_start, "the store follows Zoom");
    assert!(meeting.moved_at.is_some());
    let posted = notices_about(&s.app.slack, "Moved later");
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert_eq!(announced(&posted[0]), new_start.timestamp());
}

#[tokio::test]
async fn a_meeting_moved_earlier_in_zoom_but_still_due_gets_a_notice_naming_the_new_time() {
    // Notices five minutes ahead: the old start's notice is due now; Zoom moved the meeting
    // three minutes earlier, whose notice would have been due three minutes ago (in the grace).
    let s = start(&[("START_NOTICE_MINUTES", "5")], |_| {}).await;
    let old_start = now() + secs(300);
    let new_start = now() + secs(120);
    let id = s.app.zoom.add_meeting("me", "Moved earlier", old_start, 30);
    assert!(s.app.zoom.move_meeting(id, new_start));
    let seeded = Seed {
        topic: "Moved earlier",
        start: old_start,
        card_ts: None,
        due: Some(old_start - secs(300)),
    };
    record(&s.app.zoom, &s.store, id, &seeded, None).await;
    assert_eq!(
        wait_for_states(&s.store, id, &[NoticeState::Posted]).await,
        [NoticeState::Posted]
    );
    let posted = notices_about(&s.app.slack, "Moved earlier");
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert_eq!(announced(&posted[0]), new_start.timestamp(), "the new time");
    let text = posted[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Starting soon: Moved earlier"), "{text}");
    // The store follows once the notice is out.
    assert_eq!(
        wait_for_start(&s.store, id, new_start).await,
        new_start,
        "the store follows Zoom"
    );
}

/// Polls the stored start of meeting `id` until it is `want`, or the deadline passes.
async fn wait_for_start(store: &Store, id: u64, want: DateTime<Utc>) -> DateTime<Utc> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let start = store
            .meetings()
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .schedule
            .start;
        if start == want || tokio::time::Instant::now() >= deadline {
            return start;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A series created in the fake Zoom through the real client: daily, `count` times.
async fn zoom_series(zoom: &FakeZoom, topic: &str, first: DateTime<Utc>, count: u8) -> u64 {
    let options = zoom.options();
    let client = ZoomClient::new(ZoomConfig {
        oauth_url: zoom.oauth_url(),
        api_url: zoom.api_url(),
        account_id: options.account_id.clone(),
        client_id: options.client_id.clone(),
        client_secret: options.client_secret.clone().into(),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
    })
    .unwrap();
    let meeting = NewMeeting {
        topic: topic.into(),
        start: first,
        zone: chrono_tz::UTC,
        duration_minutes: 15,
        agenda: String::new(),
        recurrence: Some(Recurrence::new(Repeat::Daily, 1, Ending::After(count)).unwrap()),
    };
    client
        .create_meeting("me", &meeting)
        .await
        .unwrap()
        .id()
        .get()
}

#[tokio::test]
async fn after_a_series_notice_the_next_meetings_notice_is_scheduled() {
    // Three minutes ahead, for a first meeting two minutes from now: due a minute ago.
    let s = start(&[("START_NOTICE_MINUTES", "3")], |_| {}).await;
    let first = now() + secs(120);
    let id = zoom_series(&s.app.zoom, "Standup", first, 3).await;
    let seeded = Seed {
        topic: "Standup",
        start: first,
        card_ts: Some(CARD_TS),
        due: Some(first - secs(180)),
    };
    let series = Some("Every day at 9:00 AM (UTC), 3 times");
    record(&s.app.zoom, &s.store, id, &seeded, series).await;
    let want = [NoticeState::Posted, NoticeState::Pending];
    assert_eq!(wait_for_states(&s.store, id, &want).await, want);
    let notices = s.store.notices().for_meeting(id).await.unwrap();
    assert_eq!(
        notices[1].due_at,
        first + TimeDelta::days(1) - secs(180),
        "the second meeting's notice, three minutes ahead"
    );
    let posted = notices_about(&s.app.slack, "Standup");
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert_eq!(announced(&posted[0]), first.timestamp());
    let text = posted[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Starting soon: Standup"), "{text}");
}

#[tokio::test]
async fn when_zoom_cannot_be_asked_the_check_is_retried_then_the_notice_goes_out_unconfirmed() {
    // Three seconds' grace: the check is retried at each sweep for about as long, then the
    // notice is posted saying Zoom could not confirm it.
    let s = start(&[], |c| c.notice_grace = Duration::from_secs(3)).await;
    let cases = [("Zoom hiccups", 1usize, false), ("Zoom is down", 500, true)];
    for (topic, failures, _) in cases {
        let start_at = now();
        let id = s.app.zoom.add_meeting("me", topic, start_at, 30);
        for _ in 0..failures {
            s.app.zoom.push_response(
                Endpoint::Get,
                ScriptedResponse::api_error(503, 503, "Service unavailable"),
            );
        }
        let seeded = Seed {
            topic,
            start: start_at,
            card_ts: None,
            due: Some(start_at),
        };
        record(&s.app.zoom, &s.store, id, &seeded, None).await;
        assert_eq!(
            wait_for_states(&s.store, id, &[NoticeState::Posted]).await,
            [NoticeState::Posted],
            "{topic}"
        );
        let attempts = s.store.notices().for_meeting(id).await.unwrap()[0].attempts;
        assert!(
            attempts >= 2,
            "{topic}: retried at a later sweep ({attempts} claims)"
        );
    }
    for (topic, _, unconfirmed) in cases {
        let posted = notices_about(&s.app.slack, topic);
        assert_eq!(posted.len(), 1, "{topic}: {posted:?}");
        let doubt = posted[0]["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b.to_string().contains("Zoom could not be reached"));
        assert_eq!(doubt, unconfirmed, "{topic}: {}", posted[0]);
    }
}

#[tokio::test]
async fn a_notice_overdue_beyond_the_grace_is_dropped_and_never_posted() {
    let s = start(&[], |_| {}).await;
    let start_at = now();
    let long_ago = start_at - secs(20 * 60);
    let late = Seed {
        topic: "Long started",
        start: long_ago,
        card_ts: None,
        due: Some(long_ago),
    };
    let late = seed(&s.app.zoom, &s.store, late).await;
    let on_time = Seed {
        topic: "On time",
        start: start_at,
        card_ts: None,
        due: Some(start_at),
    };
    let on_time = seed(&s.app.zoom, &s.store, on_time).await;
    assert_eq!(
        wait_for_states(&s.store, on_time, &[NoticeState::Posted]).await,
        [NoticeState::Posted]
    );
    assert_eq!(states(&s.store, late).await, [NoticeState::Dropped]);
    assert!(notices_about(&s.app.slack, "Long started").is_empty());
}

#[tokio::test]
async fn a_notice_the_bot_cannot_post_is_dropped_not_retried_forever() {
    let s = start(&[], |_| {}).await;
    s.app.slack.close_channel(CHANNEL_ID);
    let start_at = now();
    let seeded = Seed {
        topic: "Private",
        start: start_at,
        card_ts: Some(CARD_TS),
        due: Some(start_at),
    };
    let id = seed(&s.app.zoom, &s.store, seeded).await;
    assert_eq!(
        wait_for_states(&s.store, id, &[NoticeState::Dropped]).await,
        [NoticeState::Dropped]
    );
    let tried: Vec<Value> = s
        .app
        .slack
        .calls_of("chat.postMessage")
        .into_iter()
        .map(|c| c.answer)
        .collect();
    assert!(
        !tried.is_empty() && tried.iter().all(|a| a["error"] == "not_in_channel"),
        "{tried:?}"
    );
}

#[tokio::test]
async fn a_negative_start_notice_minutes_schedules_and_posts_no_notice() {
    let mut s = start(&[("START_NOTICE_MINUTES", "-1")], |_| {}).await;
    // Left due by a run with notices on: not posted either.
    let start_at = now();
    let left = seed(
        &s.app.zoom,
        &s.store,
        Seed {
            topic: "Left due",
            start: start_at,
            card_ts: Some(CARD_TS),
            due: Some(start_at),
        },
    )
    .await;
    let (url, response) = s.app.command("Sync 30m now").await;
    assert_eq!(response.status(), 200);
    let card = s.app.slack.wait_for_deliveries(1, WAIT).await;
    assert!(card[0].path.ends_with(url.split('/').next_back().unwrap()));
    let created = s.app.zoom.create_requests().len();
    assert_eq!(created, 1);
    let id = s
        .store
        .meetings()
        .upcoming(TEAM_ID, USER_ID, now(), 10)
        .await
        .unwrap()
        .iter()
        .find(|m| m.topic == "Sync")
        .expect("the meeting is stored")
        .zoom_id;
    assert!(states(&s.store, id).await.is_empty(), "no notice scheduled");
    // Sweeps would have run by now; shutdown waits for one in progress.
    s.app.shutdown().await.unwrap();
    assert!(
        s.app.slack.calls_of("chat.postMessage").is_empty(),
        "no notice posted"
    );
    assert_eq!(states(&s.store, left).await, [NoticeState::Pending]);
}

#[tokio::test]
async fn a_dry_run_posts_no_notice_and_never_calls_zoom() {
    let url = format!("sqlite://{}", support::temp_database().display());
    let store = Store::open(&url).await.unwrap();
    let start_at = now() - secs(60);
    let id = 85_746_065_432;
    store
        .meetings()
        .insert(&NewMeetingRecord {
            zoom_id: id,
            team_id: TEAM_ID.into(),
            channel_id: CHANNEL_ID.into(),
            scheduled_by: USER_ID.into(),
            topic: "Left by a real run".into(),
            schedule: Schedule {
                start: start_at,
                duration_minutes: 30,
                zone: "UTC".into(),
            },
            join_url: format!("https://zoom.us/j/{id}"),
            host: "me".into(),
            recurrence: None,
            series_ends: None,
            card: None,
            created_at: start_at - secs(3600),
            locale: None,
        })
        .await
        .unwrap();
    store
        .notices()
        .schedule(id, start_at, start_at - secs(3600))
        .await
        .unwrap()
        .unwrap();
    let database = url.clone();
    let mut app = spawn_app_with_config(
        FakeZoomOptions::default(),
        move |vars, _| {
            vars.insert("DATABASE_URL".into(), database);
            vars.insert("ZOOM_DRY_RUN".into(), "true".into());
        },
        |config| config.sweep_interval = FAST,
    )
    .await;
    // A sweep would have run at startup, and shutdown waits for a sweep in progress.
    app.shutdown().await.unwrap();
    assert!(app.slack.calls_of("chat.postMessage").is_empty());
    assert!(
        app.zoom.requests(Endpoint::Get).is_empty(),
        "Zoom never called"
    );
    assert_eq!(
        states(&store, id).await,
        [NoticeState::Pending],
        "left for a real run"
    );
}

#[tokio::test]
async fn shutdown_waits_for_a_notice_being_posted() {
    // Zoom takes a while to issue its token, so the sweep is mid-check when SIGTERM comes.
    let url = format!("sqlite://{}", support::temp_database().display());
    let database = url.clone();
    let options = FakeZoomOptions {
        token_latency: Duration::from_millis(1500),
        ..FakeZoomOptions::default()
    };
    let mut app = spawn_app_with_config(
        options,
        move |vars, _| {
            vars.insert("DATABASE_URL".into(), database);
        },
        |config| {
            config.sweep_interval = FAST;
            config.drain_timeout = Duration::from_secs(10);
        },
    )
    .await;
    let store = Store::open(&url).await.unwrap();
    let start_at = now();
    let seeded = Seed {
        topic: "Interrupted",
        start: start_at,
        card_ts: None,
        due: Some(start_at),
    };
    let id = seed(&app.zoom, &store, seeded).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.zoom.token_requests() == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        app.zoom.token_requests(),
        1,
        "the sweep is checking the meeting"
    );
    app.shutdown().await.unwrap();
    assert_eq!(notices_about(&app.slack, "Interrupted").len(), 1);
    assert_eq!(states(&store, id).await, [NoticeState::Posted]);
}

/// `at` to the minute (the form and the typed command read minutes).
fn to_the_minute(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(at.timestamp() - at.timestamp().rem_euclid(60), 0).unwrap()
}

/// The id of the stored upcoming meeting named `topic`, once the service has recorded it.
async fn recorded(store: &Store, topic: &str) -> u64 {
    let found = std::cell::Cell::new(None);
    let recorded = support::until(WAIT, || async {
        let upcoming = store
            .meetings()
            .upcoming(TEAM_ID, USER_ID, now(), 10)
            .await
            .unwrap();
        found.set(
            upcoming
                .iter()
                .find(|m| m.topic == topic)
                .map(|m| m.zoom_id),
        );
        found.get().is_some()
    })
    .await;
    assert!(recorded, "{topic} was recorded");
    found.get().unwrap()
}

#[tokio::test]
async fn a_meeting_typed_or_made_with_the_form_gets_its_notice_due_start_notice_minutes_before_it_starts()
 {
    let s = start(&[("START_NOTICE_MINUTES", "5")], |_| {}).await;
    // Hours ahead: nowhere near due, so each notice stays as it was written at creation.
    let typed = to_the_minute(now() + secs(2 * 3600));
    let formed = typed + secs(1800);
    let text = format!("Typed sync 30m {} UTC", typed.format("%Y-%m-%d %H:%M"));
    let (_, response) = s.app.command(&text).await;
    assert_eq!(response.status(), 200);
    let (_, response) = s.app.command("new").await;
    assert_eq!(response.status(), 200);
    let opened = s.app.slack.wait_for_calls("views.open", 1, WAIT).await;
    assert_eq!(opened.len(), 1, "the form opened");
    let values = new_meeting_values("Form sync", formed.timestamp(), "30", CHANNEL_ID);
    let answer = s
        .app
        .interact(&submission(&opened[0].body["view"], USER_ID, values))
        .await;
    assert_eq!(answer.status(), 200);
    for (topic, start_at) in [("Typed sync", typed), ("Form sync", formed)] {
        let id = recorded(&s.store, topic).await;
        let meeting = s.store.meetings().get(id).await.unwrap().unwrap();
        assert_eq!(meeting.schedule.start, start_at, "{topic}");
        // Recorded with the meeting, in one transaction.
        let notices = s.store.notices().for_meeting(id).await.unwrap();
        assert_eq!(notices.len(), 1, "{topic}: {notices:?}");
        assert_eq!(notices[0].state, NoticeState::Pending, "{topic}");
        assert_eq!(
            notices[0].due_at,
            start_at - secs(5 * 60),
            "{topic}: due five minutes before it starts"
        );
    }
}

#[tokio::test]
async fn changing_the_time_replaces_the_pending_notice_with_one_start_notice_minutes_before_the_new_start()
 {
    let s = start(&[("START_NOTICE_MINUTES", "5")], |_| {}).await;
    let lead = secs(5 * 60);
    let old_start = to_the_minute(now() + secs(2 * 3600));
    let new_start = old_start + secs(3600);
    let seeded = Seed {
        topic: "Planning",
        start: old_start,
        card_ts: Some(CARD_TS),
        due: Some(old_start - lead),
    };
    let id = seed(&s.app.zoom, &s.store, seeded).await;
    let click = json!({
        "type": "block_actions",
        "user": {"id": USER_ID, "team_id": TEAM_ID},
        "team": {"id": TEAM_ID},
        "container": {"type": "message", "message_ts": CARD_TS, "channel_id": CHANNEL_ID, "is_ephemeral": false},
        "response_url": s.app.slack.response_url("change"),
        "trigger_id": "1.2.change",
        "actions": [{"action_id": "change_time", "type": "button", "value": id.to_string()}],
    });
    assert_eq!(s.app.interact(&click).await.status(), 200);
    let opened = s.app.slack.wait_for_calls("views.open", 1, WAIT).await;
    assert_eq!(opened.len(), 1, "the change-time form opened");
    let values = json!({
        "start": {"start": {"type": "datetimepicker", "selected_date_time": new_start.timestamp()}},
        "duration": {"duration": {"type": "static_select", "selected_option": {"value": "30"}}},
    });
    let answer = s
        .app
        .interact(&submission(&opened[0].body["view"], USER_ID, values))
        .await;
    assert_eq!(answer.status(), 200);
    // The mover is told once the move is done (store included).
    let told = s
        .app
        .slack
        .wait_for_calls("chat.postEphemeral", 1, WAIT)
        .await;
    assert_eq!(told.len(), 1, "the mover was told");
    assert_eq!(
        s.store
            .meetings()
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .schedule
            .start,
        new_start,
        "moved"
    );
    let notices = s.store.notices().for_meeting(id).await.unwrap();
    let rows: Vec<_> = notices.iter().map(|n| (n.state, n.due_at)).collect();
    assert_eq!(
        rows,
        [
            (NoticeState::Replaced, old_start - lead),
            (NoticeState::Pending, new_start - lead),
        ],
        "the old start's notice replaced by one five minutes before the new start"
    );
}

// ---------------------------------------------------------------------------------------------
// Separate processes

/// Log lines that name this meeting and say `what`.
fn lines_about<'a>(log: &'a str, id: u64, what: &str) -> Vec<&'a str> {
    log.lines()
        .filter(|l| l.contains(what) && l.contains(&format!("meeting_id={id}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_service_processes_on_one_postgres_post_every_notice_exactly_once() {
    let slack = FakeSlack::start().await;
    let zoom = FakeZoom::start().await;
    let database = postgres::server().fresh_database().await;
    let store = Store::open(&database).await.unwrap();
    // Due before the processes start (both race for them at startup), and due a few seconds
    // into their run (claimed at whichever periodic sweep comes first).
    let start_at = now();
    let mut meetings = BTreeMap::new();
    for n in 0..16i64 {
        let topic = format!("Sync {n:02}");
        let start = if n < 8 {
            start_at - secs(30 + n)
        } else {
            start_at + secs(n - 5)
        };
        let seeded = Seed {
            topic: &topic,
            start,
            card_ts: None,
            due: Some(start),
        };
        let id = seed(&zoom, &store, seeded).await;
        meetings.insert(id, topic);
    }
    let env = binary_env(&slack, &zoom, &database);
    let (a, b) = tokio::join!(Service::start(&env, &[]), Service::start(&env, &[]));
    let posted = slack
        .wait_for_calls("chat.postMessage", meetings.len(), Duration::from_secs(60))
        .await;
    assert_eq!(posted.len(), meetings.len(), "every notice came");
    // Stopping waits for any sweep in progress: nothing can be posted after this.
    let (log_a, log_b) = tokio::join!(a.stop(), b.stop());
    let posted = slack.calls_of("chat.postMessage");
    for (id, topic) in &meetings {
        let copies = posted
            .iter()
            .filter(|c| {
                c.body["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(topic.as_str())
            })
            .count();
        assert_eq!(copies, 1, "{topic}: posted once across both processes");
        assert_eq!(states(&store, *id).await, [NoticeState::Posted], "{topic}");
        let by_a = lines_about(&log_a, *id, "start notice posted").len();
        let by_b = lines_about(&log_b, *id, "start notice posted").len();
        assert_eq!(
            by_a + by_b,
            1,
            "{topic}: one process posted it (a: {by_a}, b: {by_b})"
        );
    }
}

#[tokio::test]
async fn after_a_restart_a_notice_due_meanwhile_is_posted_within_the_grace_and_an_older_one_is_dropped_and_logged()
 {
    let path = support::temp_database();
    restarted_with_notices(&format!("sqlite://{}", path.display()), 1).await;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_as_two_processes_on_one_postgres_the_grace_holds_and_each_notice_is_handled_once()
 {
    let database = postgres::server().fresh_database().await;
    restarted_with_notices(&database, 2).await;
}

/// One process on `database` stops; while it is down a notice comes due, and another is left
/// twenty minutes overdue. Then `processes` start together: the first notice is posted once,
/// under its card, and the overdue one dropped once, with a warning.
async fn restarted_with_notices(database: &str, processes: usize) {
    let slack = FakeSlack::start().await;
    let zoom = FakeZoom::start().await;
    let env = binary_env(&slack, &zoom, database);
    let first = Service::start(&env, &[]).await;
    let store = Store::open(database).await.unwrap();
    // Due two seconds from now: after the first process has stopped.
    let due_while_down = now() + secs(2);
    let recent = Seed {
        topic: "Due while down",
        start: due_while_down,
        card_ts: Some(CARD_TS),
        due: Some(due_while_down),
    };
    let recent = seed(&zoom, &store, recent).await;
    let first_log = first.stop().await;
    // Down for twenty minutes, as far as these know: beyond the ten minutes of grace.
    let long_ago = now() - secs(20 * 60);
    let stale = Seed {
        topic: "Long overdue",
        start: long_ago,
        card_ts: None,
        due: Some(long_ago),
    };
    let stale = seed(&zoom, &store, stale).await;
    // The downtime: until the first notice has come due.
    let downtime = (due_while_down - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(downtime).await;
    assert!(
        slack.calls_of("chat.postMessage").is_empty(),
        "nothing posted while down"
    );

    let started =
        futures_util::future::join_all((0..processes).map(|_| Service::start(&env, &[]))).await;
    slack
        .wait_for_calls("chat.postMessage", 1, Duration::from_secs(20))
        .await;
    // Stopping waits for any sweep in progress: nothing can be posted after this.
    let logs = futures_util::future::join_all(started.into_iter().map(Service::stop)).await;
    let log = logs.join("\n");
    let posted = slack.calls_of("chat.postMessage");
    assert_eq!(posted.len(), 1, "{posted:?}\n{log}");
    let text = posted[0].body["text"].as_str().unwrap();
    assert!(text.starts_with("Starting now: Due while down"), "{text}");
    assert_eq!(posted[0].body["thread_ts"], CARD_TS, "under its card");
    assert_eq!(states(&store, recent).await, [NoticeState::Posted]);
    assert_eq!(states(&store, stale).await, [NoticeState::Dropped]);
    assert!(
        lines_about(&first_log, recent, "start notice posted").is_empty(),
        "not posted by the first process:\n{first_log}"
    );
    assert_eq!(
        lines_about(&log, recent, "start notice posted").len(),
        1,
        "{log}"
    );
    let dropped = lines_about(&log, stale, "start notice dropped");
    assert_eq!(dropped.len(), 1, "dropped by one process: {log}");
    assert!(dropped[0].contains("WARN"), "{}", dropped[0]);
    assert!(notices_about(&slack, "Long overdue").is_empty());
    store.close().await;
}
