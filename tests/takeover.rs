//! Commands a replica left unsettled, taken over by another on PostgreSQL: found in Zoom by
//! their tag (also when Zoom started them later than asked), never created twice, left alone
//! while their holder renews its lease, and their user told when they cannot be finished.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use slack_zoom::config::Config;
use slack_zoom::store::{NewIntent, Store};
use sqlx::{Connection, PgConnection};
use support::fake_slack::FakeSlack;
use support::fake_zoom::{Endpoint, ScriptedResponse};
use support::{CHANNEL_ID, TEAM_ID, TestApp, USER_ID, postgres, spawn_app_with_config};

const WAIT: Duration = Duration::from_secs(15);

/// One replica on a fresh PostgreSQL database, sweeping every 100 ms.
async fn replica(
    adjust: impl FnOnce(&mut HashMap<String, String>, &FakeSlack),
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let database = postgres::server().fresh_database().await;
    spawn_app_with_config(
        Default::default(),
        move |env, slack| {
            env.insert("DATABASE_URL".into(), database);
            adjust(env, slack);
        },
        move |config| {
            config.sweep_interval = Duration::from_millis(100);
            tweak(config);
        },
    )
    .await
}

/// A command as a replica wrote it before acknowledging it, then died holding it.
fn left_by_a_dead_replica(
    app: &TestApp,
    name: &str,
    command: &str,
    acknowledged_at: DateTime<Utc>,
) -> NewIntent {
    NewIntent {
        delivery_key: format!("delivery-{name}"),
        tag: format!("tag{name}"),
        team_id: TEAM_ID.into(),
        channel_id: CHANNEL_ID.into(),
        channel_name: Some("general".into()),
        user_id: USER_ID.into(),
        response_url: app.slack.response_url(name),
        command: command.into(),
        zone: "UTC".into(),
        read_at: acknowledged_at,
        default_minutes: 30,
        email: None,
        real_name: Some("Ada".into()),
        locale: None,
        created_at: acknowledged_at,
    }
}

async fn leave(store: &Store, intent: &NewIntent) {
    store
        .intents()
        .open(intent, "dead-replica", Duration::ZERO)
        .await
        .expect("the intent is written")
        .expect("a new intent");
}

/// What reached `name`'s `response_url`, once `n` posts did (or the deadline passed).
async fn posts_to(app: &TestApp, name: &str, n: usize) -> Vec<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let posts: Vec<_> = app
            .slack
            .deliveries()
            .into_iter()
            .filter(|d| d.path.ends_with(&format!("/{name}")))
            .map(|d| d.body)
            .collect();
        if posts.len() >= n || tokio::time::Instant::now() > deadline {
            return posts;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The intents' states, by delivery key, read directly from the database.
async fn intent_states(app: &TestApp) -> HashMap<String, (String, i32)> {
    let mut c = PgConnection::connect(&app.database_url).await.unwrap();
    let rows: Vec<(String, String, i32)> =
        sqlx::query_as("SELECT delivery_key, state, attempts FROM create_intents")
            .fetch_all(&mut c)
            .await
            .unwrap();
    rows.into_iter().map(|(k, s, a)| (k, (s, a))).collect()
}

/// Waits until `key`'s intent is in `state`; its state then.
async fn wait_for_state(app: &TestApp, key: &str, state: &str) -> (String, i32) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = intent_states(app).await.remove(key);
        if let Some(found) = &now
            && found.0 == state
        {
            return found.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{key}: never became {state}: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A command, as written in an intent, for a meeting at 10:00 UTC a week from now.
fn in_a_week(topic: &str) -> String {
    let day = (Utc::now() + TimeDelta::days(7)).format("%Y-%m-%d");
    format!("\"{topic}\" 30m {day} 10:00 UTC")
}

fn text(post: &serde_json::Value) -> String {
    post.to_string()
}

#[tokio::test]
async fn a_meeting_zoom_started_later_than_asked_is_found_by_its_tag_not_created_again() {
    let app = replica(
        |env, _| {
            env.insert("ZOOM_HOST_FROM_SLACK_EMAIL".into(), "true".into());
        },
        |_| {},
    )
    .await;
    let store = app.store().await;
    // Acknowledged two minutes ago as "now"; Zoom got the create late and started it later
    // (its start has passed: Zoom no longer calls it "upcoming").
    let acknowledged = Utc::now() - TimeDelta::minutes(2);
    let mut intent = left_by_a_dead_replica(&app, "late", "\"Standup\" 15m now UTC", acknowledged);
    intent.email = Some("ada@example.com".into());
    let id = app.zoom.add_meeting(
        "ada@example.com",
        "Standup",
        Utc::now() - TimeDelta::seconds(30),
        15,
    );
    app.zoom
        .set_agenda(id, &format!("Scheduled from Slack (ref {})", intent.tag));
    leave(&store, &intent).await;

    let posts = posts_to(&app, "late", 1).await;
    assert_eq!(posts.len(), 1, "one card: {posts:?}");
    assert!(text(&posts[0]).contains(&id.to_string()), "{posts:?}");
    assert!(app.zoom.create_requests().is_empty(), "never created again");
    let recorded = store.meetings().get(id).await.unwrap().expect("recorded");
    assert_eq!(
        recorded.host, "ada@example.com",
        "the host whose list had it"
    );
    wait_for_state(&app, "delivery-late", "done").await;
}

#[tokio::test]
async fn a_taken_over_command_zoom_is_too_unwell_for_waits_without_a_word_then_runs_once() {
    let app = replica(|_, _| {}, |config| config.lease = Duration::from_secs(1)).await;
    // 21 creates without an answer: Zoom counts as down and the 21st used up the probe...
    for _ in 0..21 {
        app.zoom
            .push_create_response(ScriptedResponse::json(503, serde_json::json!({})));
    }
    for n in 0..20 {
        app.command(&format!("Down {n} 30m tomorrow 10:00")).await;
    }
    app.slack.wait_for_deliveries(20, WAIT).await;
    app.command("Probe 30m tomorrow 10:00").await;
    app.slack.wait_for_deliveries(21, WAIT).await;
    // (Their users were told; settled here so no replica looks for them meanwhile.)
    let mut c = PgConnection::connect(&app.database_url).await.unwrap();
    sqlx::query("UPDATE create_intents SET state = 'done', finished_at = now()")
        .execute(&mut c)
        .await
        .unwrap();
    // ...so for five seconds nothing is sent, taken-over commands included.
    let store = app.store().await;
    let intent = left_by_a_dead_replica(&app, "unwell", &in_a_week("Retro"), Utc::now());
    leave(&store, &intent).await;

    let posts = posts_to(&app, "unwell", 1).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        text(&posts[0]).contains("Retro") && text(&posts[0]).contains("zoom.us/j/"),
        "the first word its user hears is the card: {posts:?}"
    );
    let (_, attempts) = wait_for_state(&app, "delivery-unwell", "done").await;
    assert!(attempts >= 2, "it waited for a later sweep: {attempts}");
    let retro = app
        .zoom
        .create_requests()
        .into_iter()
        .filter(|c| c.body["topic"] == "Retro")
        .count();
    assert_eq!(retro, 1);
}

#[tokio::test]
async fn a_command_another_replica_took_over_meanwhile_is_not_created_here() {
    let lease = Duration::from_secs(3);
    let app = replica(
        |env, _| {
            env.insert("MAX_CONCURRENT_CREATES".into(), "1".into());
        },
        move |config| config.lease = lease,
    )
    .await;
    app.zoom.hold_creates();
    // The first holds the only slot at Zoom; the second waits for it.
    app.command("First 30m tomorrow 10:00").await;
    assert!(app.zoom.wait_for_creates(1, WAIT).await);
    let second_sent = tokio::time::Instant::now();
    app.command("Second 30m tomorrow 11:00").await;
    // Both are written down (the second's write may finish just after its answer).
    let deadline = tokio::time::Instant::now() + WAIT;
    while intent_states(&app).await.len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "two intents");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Another replica takes both over (as if this one's leases had lapsed).
    let store = app.store().await;
    let far = Utc::now() + TimeDelta::hours(1);
    let stolen = store
        .intents()
        .claim("thief", far, Duration::from_secs(3600), 10)
        .await
        .unwrap();
    assert_eq!(stolen.len(), 2);
    // A long wait: until a third of its lease has passed, a job trusts the lease it took (no
    // replica takes one over before it ends) and does not ask the store.
    tokio::time::sleep_until(second_sent + lease / 3 + Duration::from_millis(100)).await;
    app.zoom.release_creates();

    // Both jobs end: the first's create was already at Zoom; the second never goes.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let metrics = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.lines().any(|l| l == "slack_zoom_queue_depth 0") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let topics: Vec<_> = app
        .zoom
        .create_requests()
        .into_iter()
        .map(|c| c.body["topic"].clone())
        .collect();
    assert_eq!(topics, ["First"], "the second is the other replica's now");
    // The thief still holds both: neither was settled here.
    let states = intent_states(&app).await;
    assert!(states.values().all(|(s, _)| s == "pending"), "{states:?}");
}

#[tokio::test]
async fn a_create_zoom_answered_unreadably_is_settled_so_no_replica_looks_for_it_again() {
    let app = replica(|_, _| {}, |_| {}).await;
    app.zoom.push_create_response(ScriptedResponse::Garbage);
    let (url, _) = app.command("Sync 30m tomorrow 10:00").await;
    let name = url.rsplit('/').next().unwrap().to_owned();
    let told = posts_to(&app, &name, 1).await;
    assert!(
        text(&told[0]).contains("Zoom created the meeting (HTTP 201)"),
        "{told:?}"
    );
    // The meeting exists: the command is done, not left for a takeover that could tell the
    // user it was never made.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let states: Vec<_> = intent_states(&app).await.into_values().collect();
        if states.len() == 1 && states[0].0 == "done" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{states:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.zoom.create_requests().len(), 1);
}

#[tokio::test]
async fn a_slow_create_keeps_its_lease_so_no_replica_takes_it_over() {
    let lease = Duration::from_secs(3);
    let app = replica(|_, _| {}, move |config| config.lease = lease).await;
    app.zoom.hold_creates();
    app.command("Slow 30m tomorrow 10:00").await;
    assert!(app.zoom.wait_for_creates(1, WAIT).await);
    let store = app.store().await;
    // Three leases long, another replica looks for lapsed commands and finds none.
    for _ in 0..9 {
        tokio::time::sleep(lease / 3).await;
        let taken = store
            .intents()
            .claim("other", Utc::now(), lease, 10)
            .await
            .unwrap();
        assert!(taken.is_empty(), "taken over while its holder lives");
    }
    app.zoom.release_creates();
    app.slack.wait_for_deliveries(1, WAIT).await;
    assert_eq!(app.zoom.create_requests().len(), 1);
}

#[tokio::test]
async fn a_command_that_cannot_be_finished_is_given_up_and_its_user_told() {
    let app = replica(|_, _| {}, |_| {}).await;
    let store = app.store().await;
    app.zoom.push_response(
        Endpoint::List,
        ScriptedResponse::api_error(
            400,
            4711,
            "Invalid access token, does not contain scopes:[meeting:read:list_meetings:admin].",
        ),
    );
    let cases = [
        // (name, command, attempts so far, what the user must read)
        ("unreadable", "help".to_owned(), 1, "help"),
        ("tired", in_a_week("Tired"), 10, "Tired"),
        ("noscope", in_a_week("Scoped"), 1, "list_meetings"),
    ];
    for (name, command, attempts, _) in &cases {
        let (name, attempts) = (*name, *attempts);
        let intent = left_by_a_dead_replica(&app, name, command, Utc::now());
        if attempts > 1 {
            // Taken over many times already (Zoom unreachable all along).
            store
                .intents()
                .open(&intent, "dead-replica", Duration::from_secs(3600))
                .await
                .unwrap()
                .unwrap();
            let mut c = PgConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(
                "UPDATE create_intents SET attempts = $1, available_at = now() \
                 WHERE delivery_key = $2",
            )
            .bind(attempts)
            .bind(&intent.delivery_key)
            .execute(&mut c)
            .await
            .unwrap();
        } else {
            leave(&store, &intent).await;
        }
    }
    for (name, _, _, needle) in cases {
        let posts = posts_to(&app, name, 1).await;
        assert_eq!(posts.len(), 1, "{name}: {posts:?}");
        let said = text(&posts[0]);
        assert!(
            said.contains("could not confirm") && said.contains(needle),
            "{name}: {said}"
        );
        assert_eq!(posts[0]["response_type"], "ephemeral", "{name}");
        wait_for_state(&app, &format!("delivery-{name}"), "abandoned").await;
    }
    assert!(
        app.zoom.create_requests().is_empty(),
        "nothing created blind"
    );
}

#[tokio::test]
async fn a_command_taken_over_after_its_response_url_expired_posts_its_card_in_the_channel() {
    let app = replica(|_, _| {}, |_| {}).await;
    let store = app.store().await;
    let intent = left_by_a_dead_replica(
        &app,
        "old",
        &in_a_week("Planning"),
        Utc::now() - TimeDelta::minutes(40),
    );
    leave(&store, &intent).await;
    let posted = app.slack.wait_for_calls("chat.postMessage", 1, WAIT).await;
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].body["channel"], CHANNEL_ID);
    assert!(posted[0].body.to_string().contains("Planning"));
    assert!(
        posts_to(&app, "old", 0).await.is_empty(),
        "nothing to the expired response_url"
    );
    wait_for_state(&app, "delivery-old", "done").await;
}

#[tokio::test]
async fn expired_claims_and_week_old_settled_commands_are_deleted() {
    let database = postgres::server().fresh_database().await;
    let store = Store::open(&database).await.unwrap();
    let now = Utc::now();
    let claims = store.claims();
    assert!(
        claims
            .claim(
                "replay:old",
                now - TimeDelta::hours(1),
                Duration::from_secs(60)
            )
            .await
            .unwrap()
    );
    assert!(
        claims
            .claim("replay:live", now, Duration::from_secs(3600))
            .await
            .unwrap()
    );
    let intents = store.intents();
    for (key, finished) in [("old", TimeDelta::days(8)), ("recent", TimeDelta::days(1))] {
        let intent = NewIntent {
            delivery_key: key.into(),
            tag: key.into(),
            team_id: TEAM_ID.into(),
            channel_id: CHANNEL_ID.into(),
            channel_name: None,
            user_id: USER_ID.into(),
            response_url: "https://hooks.slack.com/commands/T0001/1/x".into(),
            command: in_a_week("Sync"),
            zone: "UTC".into(),
            read_at: now - finished,
            default_minutes: 30,
            email: Some("ada@example.com".into()),
            real_name: None,
            locale: None,
            created_at: now - finished,
        };
        let id = intents
            .open(&intent, "A", Duration::from_secs(60))
            .await
            .unwrap()
            .unwrap();
        assert!(
            intents
                .finish(id, "A", Some(1), now - finished)
                .await
                .unwrap()
        );
    }
    let url = database.clone();
    let app = spawn_app_with_config(
        Default::default(),
        move |env, _| {
            env.insert("DATABASE_URL".into(), url);
        },
        |_| {},
    )
    .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut c = PgConnection::connect(&app.database_url).await.unwrap();
        let claims: Vec<(String,)> = sqlx::query_as("SELECT key FROM claims ORDER BY key")
            .fetch_all(&mut c)
            .await
            .unwrap();
        let intents: Vec<(String,)> =
            sqlx::query_as("SELECT delivery_key FROM create_intents ORDER BY delivery_key")
                .fetch_all(&mut c)
                .await
                .unwrap();
        let claims: Vec<_> = claims.into_iter().map(|(k,)| k).collect();
        let intents: Vec<_> = intents.into_iter().map(|(k,)| k).collect();
        if claims == ["replay:live"] && intents == ["recent"] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "claims {claims:?}, intents {intents:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_command_whose_lease_was_just_taken_is_created_without_writing_its_lease_again() {
    let app = replica(|_, _| {}, |_| {}).await;
    // Counts every write of a pending intent's lease (a renewal), as the database sees it.
    let mut c = PgConnection::connect(&app.database_url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE lease_writes (id serial); \
         CREATE FUNCTION count_lease_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF NEW.state = 'pending' AND NEW.available_at IS DISTINCT FROM OLD.available_at THEN \
             INSERT INTO lease_writes DEFAULT VALUES; \
           END IF; \
           RETURN NEW; \
         END $$; \
         CREATE TRIGGER count_lease_writes AFTER UPDATE ON create_intents \
           FOR EACH ROW EXECUTE FUNCTION count_lease_writes();",
    )
    .execute(&mut c)
    .await
    .unwrap();

    app.command("Sync 30m tomorrow 10:00").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let states = intent_states(&app).await;
        if states.len() == 1 && states.values().all(|(s, _)| s == "done") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{states:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.zoom.create_requests().len(), 1);
    let writes: i64 = sqlx::query_scalar("SELECT count(*) FROM lease_writes")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(writes, 0, "a lease taken moments ago is not renewed");
}

#[tokio::test]
async fn a_command_told_it_may_exist_is_told_when_zoom_has_none_and_not_created_again() {
    let app = replica(|_, _| {}, |_| {}).await;
    let store = app.store().await;
    // Its replica's create got no answer, its user was told the meeting may exist, then the
    // replica died. Zoom has no meeting with its tag.
    let intent = left_by_a_dead_replica(
        &app,
        "unanswered",
        &in_a_week("Planning"),
        Utc::now() - TimeDelta::minutes(3),
    );
    // Held (so no sweep takes it half-written), marked, then let go.
    let hold = store
        .intents()
        .open(&intent, "dead-replica", Duration::from_secs(3600))
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .intents()
            .mark_uncertain(hold, "dead-replica", "the create got no answer")
            .await
            .unwrap()
    );
    assert!(
        store
            .intents()
            .renew(hold, "dead-replica", Utc::now(), Duration::ZERO)
            .await
            .unwrap()
    );

    let posts = posts_to(&app, "unanswered", 1).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        text(&posts[0]).contains("Zoom has no meeting for *Planning* after all"),
        "{posts:?}"
    );
    assert_eq!(posts[0]["response_type"], "ephemeral");
    assert!(app.zoom.create_requests().is_empty(), "never created blind");
    // Given up, so no sweep takes it again (and tells its user again).
    wait_for_state(&app, "delivery-unanswered", "abandoned").await;
}
