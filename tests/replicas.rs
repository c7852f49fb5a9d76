//! Replicas on one PostgreSQL share what must be shared: a request replayed to another replica,
//! or Slack's re-signed copy delivered to another one, still runs once; a slow PostgreSQL
//! never holds up Slack's answer; a replica shutting down hands its waiting commands over.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use slack_zoom::config::Config;
use sqlx::{Connection, PgConnection};
use support::{
    TestApp, USER_ID, command_body, command_request, json, new_meeting_values, postgres, sign,
    spawn_app_with_config, submission, unix_now,
};

const WAIT: Duration = Duration::from_secs(10);

/// Two services sharing one fresh PostgreSQL database, each with its own fakes; both accept
/// the first one's `response_url`s, as replicas behind one Slack app all accept Slack's.
async fn two_replicas() -> (TestApp, TestApp) {
    two_replicas_with(|_| {}).await
}

/// Like [`two_replicas`], the first one's environment changed by `adjust`; both sweep every
/// 100 ms.
async fn two_replicas_with(
    adjust: impl FnOnce(&mut HashMap<String, String>),
) -> (TestApp, TestApp) {
    let database = postgres::server().fresh_database().await;
    let url = database.clone();
    let fast = |config: &mut Config| config.sweep_interval = Duration::from_millis(100);
    let a = spawn_app_with_config(
        Default::default(),
        move |env, _| {
            env.insert("DATABASE_URL".into(), url);
            adjust(env);
        },
        fast,
    )
    .await;
    let hooks = a.slack.hooks_prefix();
    let b = spawn_app_with_config(
        Default::default(),
        move |env, slack| {
            env.insert("DATABASE_URL".into(), database);
            env.insert(
                "SLACK_RESPONSE_URL_PREFIXES".into(),
                format!("{hooks},{}", slack.hooks_prefix()),
            );
        },
        fast,
    )
    .await;
    (a, b)
}

/// POSTs `body` to `app` with exactly these Slack headers.
async fn post(app: &TestApp, body: &str, timestamp: i64, signature: &str) -> serde_json::Value {
    let base = format!("http://{}", app.address);
    let response = command_request(&app.client, &base, body, timestamp, signature)
        .send()
        .await
        .unwrap();
    json(response).await
}

/// Sends a new signed command to `a` (its `response_url` on `a`'s fake Slack, which every
/// replica accepts) and checks it is being scheduled; its body and timestamp, to send again.
async fn scheduled_on(a: &TestApp, name: &str) -> (String, i64) {
    let url = a.slack.response_url(name);
    let body = command_body("Sync 30m tomorrow 10am", &url);
    let ts = unix_now();
    let first = post(a, &body, ts, &sign(&body, ts)).await;
    assert!(
        first["text"].as_str().unwrap().contains("Scheduling"),
        "{first}"
    );
    (body, ts)
}

#[tokio::test]
async fn a_request_replayed_to_another_replica_is_caught_there() {
    let (a, b) = two_replicas().await;
    let (body, ts) = scheduled_on(&a, "replayed").await;
    let again = post(&b, &body, ts, &sign(&body, ts)).await;
    assert!(
        again["text"].as_str().unwrap().contains("already handled"),
        "replica b knew the signature: {again}"
    );
    assert!(a.zoom.wait_for_creates(1, WAIT).await);
    assert!(b.zoom.create_requests().is_empty(), "b created nothing");
}

#[tokio::test]
async fn a_replay_whose_claims_a_database_crash_lost_still_runs_once() {
    let (a, b) = two_replicas().await;
    let (body, ts) = scheduled_on(&a, "claims-lost").await;
    assert!(a.zoom.wait_for_creates(1, WAIT).await);
    // Claims commit without waiting for the disk: a crash may lose the latest ones.
    let mut c = PgConnection::connect(&a.database_url).await.unwrap();
    sqlx::query("DELETE FROM claims")
        .execute(&mut c)
        .await
        .unwrap();
    let again = post(&b, &body, ts, &sign(&body, ts)).await;
    assert!(
        again["text"].as_str().unwrap().contains("already handled"),
        "the command's durable intent caught it: {again}"
    );
    assert!(b.zoom.create_requests().is_empty(), "b created nothing");
    assert_eq!(a.zoom.create_requests().len(), 1);
}

#[tokio::test]
async fn slacks_re_signed_copy_delivered_to_another_replica_runs_once() {
    let (a, b) = two_replicas().await;
    let (body, ts) = scheduled_on(&a, "copied").await;
    let copy = post(&b, &body, ts - 1, &sign(&body, ts - 1)).await;
    assert!(
        copy["text"].as_str().unwrap().contains("already handled"),
        "{copy}"
    );
    assert!(a.zoom.wait_for_creates(1, WAIT).await);
    assert!(b.zoom.create_requests().is_empty());
}

/// Takes every table a command's answer writes to, so that those writes wait until the
/// returned transaction ends.
async fn lock_shared_tables(conn: &mut PgConnection) -> sqlx::Transaction<'_, sqlx::Postgres> {
    let mut lock = conn.begin().await.unwrap();
    sqlx::query("LOCK TABLE claims, create_intents IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    lock
}

/// Waits until the store holds one command's intent, settled as done with its meeting.
async fn one_command_done(conn: &mut PgConnection) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let intents: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT state, zoom_id FROM create_intents")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        if let [(state, Some(_))] = intents.as_slice()
            && state == "done"
        {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{intents:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_store_too_slow_to_record_a_command_does_not_hold_up_its_answer_and_it_runs_once() {
    let (a, _b) = two_replicas().await;
    // Someone holds the shared tables: every write to them waits.
    let mut locker = PgConnection::connect(&a.database_url).await.unwrap();
    let lock = lock_shared_tables(&mut locker).await;
    let url = a.slack.response_url("slow-store");
    let body = command_body("Sync 30m tomorrow 10am", &url);
    let ts = unix_now();
    // The test client gives up after Slack's 3 s.
    let ack = post(&a, &body, ts, &sign(&body, ts)).await;
    assert!(
        ack["text"].as_str().unwrap().contains("Scheduling"),
        "{ack}"
    );
    assert!(
        a.zoom.create_requests().is_empty(),
        "nothing is created before the command is recorded"
    );
    assert_eq!(
        a.metric("slack_zoom_guard_fallbacks_total").await,
        Some(1.0),
        "guarded by this replica alone, and counted"
    );
    lock.rollback().await.unwrap();

    let delivered = a.slack.wait_for_deliveries(1, WAIT).await;
    assert_eq!(delivered.len(), 1);
    assert!(delivered[0].body.to_string().contains("Sync"));
    assert_eq!(a.zoom.create_requests().len(), 1);
    one_command_done(&mut locker).await;
}

#[tokio::test]
async fn slacks_copy_refused_while_the_store_is_slow_still_leaves_exactly_one_meeting() {
    let (a, b) = two_replicas().await;
    let mut locker = PgConnection::connect(&a.database_url).await.unwrap();
    let lock = lock_shared_tables(&mut locker).await;
    let url = a.slack.response_url("slow-copy");
    let body = command_body("Sync 30m tomorrow 10am", &url);
    let ts = unix_now();
    let first = post(&a, &body, ts, &sign(&body, ts)).await;
    assert!(
        first["text"].as_str().unwrap().contains("Scheduling"),
        "{first}"
    );
    // Slack's copy, signed anew: refused by this replica's own memory, while both commands'
    // statements wait for the store. Either may win the shared claims once it answers.
    let copy = post(&a, &body, ts - 1, &sign(&body, ts - 1)).await;
    assert!(
        copy["text"].as_str().unwrap().contains("already handled"),
        "{copy}"
    );
    lock.rollback().await.unwrap();
    one_command_done(&mut locker).await;
    let creates = a.zoom.create_requests().len() + b.zoom.create_requests().len();
    assert_eq!(creates, 1, "one meeting");
    let cards = a.slack.wait_for_deliveries(1, WAIT).await;
    assert_eq!(cards.len(), 1, "one card: {cards:?}");
}

#[tokio::test]
async fn a_replica_shutting_down_hands_its_waiting_commands_to_another_which_creates_them() {
    let (mut a, b) = two_replicas_with(|env| {
        env.insert("MAX_CONCURRENT_CREATES".into(), "1".into());
    })
    .await;
    // The first command holds a's only slot at Zoom; the second waits for its turn.
    a.zoom.hold_creates();
    let first = a.slack.response_url("first");
    let body = command_body("Busy 30m tomorrow 10am", &first);
    let ts = unix_now();
    post(&a, &body, ts, &sign(&body, ts)).await;
    assert!(a.zoom.wait_for_creates(1, WAIT).await);
    let second = a.slack.response_url("second");
    let body = command_body("Handover 30m tomorrow 11am", &second);
    post(&a, &body, ts, &sign(&body, ts)).await;

    // Deploy: a is told to stop before the second's turn came.
    a.shutdown().await.unwrap();
    a.zoom.release_creates();

    let deadline = tokio::time::Instant::now() + WAIT;
    let posted = loop {
        let to_second: Vec<_> = a
            .slack
            .deliveries()
            .into_iter()
            .filter(|d| d.path.ends_with("/second"))
            .collect();
        if !to_second.is_empty() || tokio::time::Instant::now() > deadline {
            break to_second;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(posted.len(), 1, "{posted:?}");
    let card = posted[0].body.to_string();
    assert!(
        card.contains("Handover") && card.contains("zoom.us/j/"),
        "its user gets the card, not \"run it again\": {card}"
    );
    let created: Vec<_> = b
        .zoom
        .create_requests()
        .into_iter()
        .map(|c| c.body["topic"].clone())
        .collect();
    assert_eq!(created, ["Handover"], "b created it, once");
    assert!(
        a.zoom
            .create_requests()
            .iter()
            .all(|c| c.body["topic"] != "Handover"),
        "a never sent it"
    );
}

#[tokio::test]
async fn a_form_submission_waiting_on_a_replica_that_shuts_down_is_created_by_another() {
    let (mut a, b) = two_replicas_with(|env| {
        env.insert("MAX_CONCURRENT_CREATES".into(), "1".into());
    })
    .await;
    a.zoom.hold_creates();
    a.command("Busy 30m tomorrow 10am").await;
    assert!(a.zoom.wait_for_creates(1, WAIT).await);
    a.command("new").await;
    let view = a.slack.wait_for_calls("views.open", 1, WAIT).await[0].body["view"].clone();
    let start = unix_now() + 3 * 3600;
    let start = start - start % 60;
    let answer = a
        .interact(&submission(
            &view,
            USER_ID,
            new_meeting_values("Form handover", start, "45", "C0TEAM"),
        ))
        .await;
    assert_eq!(answer.status(), 200);

    a.shutdown().await.unwrap();
    a.zoom.release_creates();

    // b has no response_url to use: the card goes to the chosen channel.
    let posts = b.slack.wait_for_calls("chat.postMessage", 1, WAIT).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].body["channel"], "C0TEAM");
    assert!(posts[0].body.to_string().contains("Form handover"));
    let created = b.zoom.create_requests();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].body["topic"], "Form handover");
    assert_eq!(created[0].body["duration"], 45);
    assert!(
        a.zoom
            .create_requests()
            .iter()
            .all(|c| c.body["topic"] != "Form handover")
    );
}
