//! The Zoom client against the fake Zoom on loopback: tokens, bodies, every endpoint, faults, secrets.

mod support {
    pub mod fake_zoom;
}

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde_json::{Value, json};
use slack_zoom::zoom::{
    CallOutcome, Ending, Meeting, MeetingId, MeetingUpdate, NewMeeting, Operation, Recurrence,
    Repeat, SeriesProblem, TokenOutcome, ZoomClient, ZoomConfig, ZoomError, ZoomObserver,
    is_listed,
};
use support::fake_zoom::{Endpoint, FakeZoom, FakeZoomOptions, ScriptedResponse};

fn config(fake: &FakeZoom) -> ZoomConfig {
    let opts = fake.options();
    ZoomConfig {
        oauth_url: fake.oauth_url(),
        api_url: fake.api_url(),
        account_id: opts.account_id.clone(),
        client_id: opts.client_id.clone(),
        client_secret: opts.client_secret.clone().into(),
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(3),
    }
}

fn client(fake: &FakeZoom) -> ZoomClient {
    ZoomClient::new(config(fake)).expect("client")
}

/// A client that gives up on an answer after 300 ms.
fn impatient_client(fake: &FakeZoom) -> ZoomClient {
    let mut config = config(fake);
    config.request_timeout = Duration::from_millis(300);
    ZoomClient::new(config).expect("client")
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// `local` (y, m, d, h, min) in `zone`, as an instant.
fn local(zone: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    let wall = NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap();
    zone.from_local_datetime(&wall).single().unwrap().to_utc()
}

/// 2030-12-02 15:00 in `zone` (the day after a Sunday, far from any clock change).
fn meeting_in(zone: Tz) -> NewMeeting {
    NewMeeting {
        topic: "Design review".into(),
        start: local(zone, 2030, 12, 2, 15, 0),
        zone,
        duration_minutes: 45,
        agenda: "Walk through the new onboarding flow".into(),
        recurrence: None,
    }
}

fn meeting() -> NewMeeting {
    meeting_in(chrono_tz::America::Los_Angeles)
}

fn message(error: &ZoomError) -> String {
    message_for(error, Operation::Create)
}

fn message_for(error: &ZoomError, operation: Operation) -> String {
    let now = utc(2026, 12, 1, 18, 0);
    error.user_message(operation, chrono_tz::America::Los_Angeles, now)
}

/// A URL on loopback where nothing listens.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

fn id_of(meeting: &Meeting) -> u64 {
    meeting.id().get()
}

// --- tokens ---

#[tokio::test]
async fn two_creates_share_one_cached_token() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    zoom.create_meeting("me", &meeting()).await.unwrap();
    zoom.create_meeting("me", &meeting()).await.unwrap();
    assert_eq!(fake.token_requests(), 1);
    assert_eq!(zoom.token_requests(), 1);
    assert_eq!(fake.meetings_created(), 2);
}

async fn concurrent_creates_on_a_cold_start(n: usize) {
    let fake = FakeZoom::start_with(FakeZoomOptions {
        token_latency: Duration::from_millis(50),
        ..FakeZoomOptions::default()
    })
    .await;
    let zoom = client(&fake);
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let zoom = zoom.clone();
            tokio::spawn(async move { zoom.create_meeting("me", &meeting()).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(fake.token_requests(), 1);
    assert_eq!(fake.meetings_created(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_creates_on_a_cold_start_make_one_token_request() {
    concurrent_creates_on_a_cold_start(100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_creates_on_a_cold_start_make_one_token_request() {
    concurrent_creates_on_a_cold_start(1000).await;
}

#[tokio::test]
async fn a_token_within_sixty_seconds_of_expiry_is_refreshed_before_use() {
    let fake = FakeZoom::start_with(FakeZoomOptions {
        expires_in: 60,
        ..FakeZoomOptions::default()
    })
    .await;
    let zoom = client(&fake);
    zoom.create_meeting("me", &meeting()).await.unwrap();
    zoom.create_meeting("me", &meeting()).await.unwrap();
    assert_eq!(fake.token_requests(), 2);
    assert_eq!(fake.create_requests().len(), 2, "no 401 round trips");
}

#[tokio::test]
async fn any_expires_in_zoom_sends_is_survived_and_decides_the_caching() {
    // (expires_in as sent, token requests for two creates: 1 = cached, 2 = used once)
    let cases: Vec<(&str, Option<Value>, usize)> = vec![
        ("an hour", Some(json!(3599)), 1),
        ("an hour as a string", Some(json!("3599")), 1),
        ("a fraction", Some(json!(3599.5)), 1),
        ("u64::MAX", Some(json!(u64::MAX)), 1),
        ("i64::MAX", Some(json!(i64::MAX)), 1),
        ("1e300", Some(json!(1e300)), 1),
        ("missing", None, 1),
        ("null", Some(Value::Null), 1),
        ("not a number", Some(json!("soon")), 1),
        ("an object", Some(json!({"seconds": 3599})), 1),
        ("zero", Some(json!(0)), 2),
        ("negative", Some(json!(-5)), 2),
        ("i64::MIN", Some(json!(i64::MIN)), 2),
        ("negative as a string", Some(json!("-3599")), 2),
        ("within the 60 s margin", Some(json!(45)), 2),
    ];
    for (case, expires_in, token_requests) in cases {
        let fake = FakeZoom::start().await;
        fake.push_token_response(ScriptedResponse::token_expiring(expires_in.clone()));
        fake.push_token_response(ScriptedResponse::token_expiring(expires_in));
        let zoom = client(&fake);
        for _ in 0..2 {
            let created = zoom.create_meeting("me", &meeting()).await;
            assert!(created.is_ok(), "{case}: {created:?}");
        }
        assert_eq!(fake.token_requests(), token_requests, "{case}");
        assert_eq!(
            fake.create_requests().len(),
            2,
            "{case}: no 401 round trips"
        );
    }
}

#[tokio::test]
async fn a_401_with_code_124_refreshes_the_token_once_and_retries_once() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    zoom.create_meeting("me", &meeting()).await.unwrap();
    fake.expire_all_tokens();
    zoom.create_meeting("me", &meeting()).await.unwrap();

    assert_eq!(fake.token_requests(), 2);
    assert_eq!(fake.meetings_created(), 2);
    let auth: Vec<_> = fake
        .create_requests()
        .into_iter()
        .map(|c| c.authorization)
        .collect();
    assert_eq!(
        auth.len(),
        3,
        "first create, rejected create, retried create"
    );
    assert_eq!(auth[0], auth[1]);
    assert_ne!(auth[1], auth[2]);
}

#[tokio::test]
async fn every_endpoint_refreshes_a_rejected_token_once() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    let id = zoom.create_meeting("me", &meeting()).await.unwrap().id();
    let update = MeetingUpdate {
        topic: Some("Renamed".into()),
        ..MeetingUpdate::default()
    };
    for endpoint in [
        Endpoint::Get,
        Endpoint::Update,
        Endpoint::List,
        Endpoint::Delete,
    ] {
        fake.expire_all_tokens();
        let before = fake.token_requests();
        let outcome = match endpoint {
            Endpoint::Get => zoom.get_meeting(id).await.map(drop),
            Endpoint::Update => zoom.update_meeting(id, &update).await,
            Endpoint::List => zoom.list_scheduled("me").await.map(drop),
            _ => zoom.delete_meeting(id).await,
        };
        assert!(outcome.is_ok(), "{endpoint:?}: {outcome:?}");
        assert_eq!(fake.token_requests(), before + 1, "{endpoint:?}");
        assert_eq!(
            fake.requests(endpoint).len(),
            2,
            "{endpoint:?}: rejected, retried"
        );
    }
}

#[tokio::test]
async fn a_fresh_token_that_is_rejected_too_is_reported_without_more_retries() {
    // Tokens that expire at once: every API call answers 401 code 124.
    let fake = FakeZoom::start_with(FakeZoomOptions {
        expires_in: 0,
        ..FakeZoomOptions::default()
    })
    .await;
    let error = client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap_err();
    assert_eq!(error, ZoomError::TokenRejected);
    assert_eq!(fake.token_requests(), 2);
    assert_eq!(fake.create_requests().len(), 2);
}

#[tokio::test]
async fn token_endpoint_failures_map_to_typed_errors_that_say_no_meeting_was_created() {
    enum Setup {
        Secret(&'static str),
        AccountId(&'static str),
        Script(ScriptedResponse),
    }
    let cases = [
        (
            Setup::Secret("wrong-secret"),
            ZoomError::BadCredentials,
            "ZOOM_CLIENT_SECRET",
        ),
        (
            Setup::AccountId("wrong-account"),
            ZoomError::BadAccountId,
            "ZOOM_ACCOUNT_ID",
        ),
        (
            Setup::Script(ScriptedResponse::oauth_error(
                "unsupported_grant_type",
                "unsupported grant type",
            )),
            ZoomError::WrongAppType,
            "must be a Server-to-Server OAuth app",
        ),
        (
            Setup::Script(ScriptedResponse::api_error(503, 503, "down")),
            ZoomError::TokenUnavailable { status: 503 },
            "unavailable",
        ),
        (
            Setup::Script(ScriptedResponse::api_error(500, 500, "Internal error")),
            ZoomError::TokenUnavailable { status: 500 },
            "unavailable",
        ),
        (
            Setup::Script(ScriptedResponse::json(200, json!({"token_type": "bearer"}))),
            ZoomError::TokenUnreadable { status: 200 },
            "without a token",
        ),
        (
            Setup::Script(ScriptedResponse::oauth_error("invalid_grant", "nope")),
            ZoomError::TokenRefused {
                status: 400,
                error: "invalid_grant".into(),
            },
            "invalid_grant",
        ),
    ];
    for (setup, expected, hint) in cases {
        let fake = FakeZoom::start().await;
        let mut config = config(&fake);
        match setup {
            Setup::Secret(secret) => config.client_secret = secret.into(),
            Setup::AccountId(account) => config.account_id = account.into(),
            Setup::Script(response) => fake.push_token_response(response),
        }
        let zoom = ZoomClient::new(config).unwrap();
        let error = zoom.create_meeting("me", &meeting()).await.unwrap_err();
        assert_eq!(error, expected);
        let text = message(&error);
        assert!(text.contains(hint), "{expected:?}: {text}");
        assert!(
            text.contains("no meeting was created"),
            "{expected:?}: {text}"
        );
        assert!(!text.contains("may have been"), "{expected:?}: {text}");
        assert!(!error.outcome_unknown(), "{expected:?}");
        assert_eq!(fake.token_requests(), 1, "{expected:?}: not retried");
        assert!(fake.create_requests().is_empty());
    }
}

// --- the create request ---

#[tokio::test]
async fn a_listed_zone_is_sent_as_its_own_wall_clock_time() {
    let cases = [
        (chrono_tz::America::Los_Angeles, "2030-12-02T23:00:00Z"),
        (chrono_tz::Asia::Kolkata, "2030-12-02T09:30:00Z"),
    ];
    for (zone, utc) in cases {
        let fake = FakeZoom::start().await;
        let created = client(&fake)
            .create_meeting("me", &meeting_in(zone))
            .await
            .unwrap();
        let sent = &fake.create_requests()[0];
        assert_eq!(
            sent.body,
            json!({
                "topic": "Design review",
                "type": 2,
                "start_time": "2030-12-02T15:00:00",
                "timezone": zone.name(),
                "duration": 45,
                "agenda": "Walk through the new onboarding flow",
            }),
            "{zone}"
        );
        assert_eq!(
            created.start_time().map(|t| t.to_rfc3339()),
            Some(utc.replace('Z', "+00:00")),
            "{zone}"
        );
        assert_eq!(created.timezone(), Some(zone.name()));
        assert_eq!(created.duration_minutes(), Some(45));
        assert_eq!(created.topic(), Some("Design review"));
        assert!(created.password().is_some());
        assert!(
            created
                .join_url()
                .unwrap()
                .starts_with("https://zoom.us/j/")
        );
    }
}

#[tokio::test]
async fn zones_zoom_does_not_list_land_at_the_instant_asked_for() {
    // The fake reads a wall-clock time in an unlisted zone in its account zone (Los Angeles),
    // like the worst case of the real Zoom: any zone sent as-is would land hours off.
    let cases = [
        ("America/Toronto", "America/Montreal", "2030-12-02T15:00:00"),
        ("Europe/Kyiv", "Europe/Kiev", "2030-12-02T15:00:00"),
        ("Asia/Ho_Chi_Minh", "Asia/Saigon", "2030-12-02T15:00:00"),
        (
            "America/Indiana/Indianapolis",
            "America/Indianapolis",
            "2030-12-02T15:00:00",
        ),
        (
            "Australia/Melbourne",
            "Australia/Sydney",
            "2030-12-02T15:00:00",
        ),
        ("Asia/Manila", "Asia/Hong_Kong", "2030-12-02T15:00:00"),
        // No listed zone has Chatham's +13:45: the UTC instant.
        ("Pacific/Chatham", "UTC", "2030-12-02T01:15:00Z"),
    ];
    for (zone, sent_zone, sent_start) in cases {
        let zone: Tz = zone.parse().unwrap();
        let fake = FakeZoom::start().await;
        let new = meeting_in(zone);
        let created = client(&fake).create_meeting("me", &new).await.unwrap();
        let body = &fake.create_requests()[0].body;
        assert_eq!(body["timezone"], sent_zone, "{zone}");
        assert_eq!(body["start_time"], sent_start, "{zone}");
        assert!(is_listed(sent_zone.parse().unwrap()), "{zone}");
        assert_eq!(created.start_time(), Some(new.start), "{zone}");
        assert_eq!(created.timezone(), Some(sent_zone), "{zone}");
    }
}

#[tokio::test]
async fn the_fake_reads_an_unlisted_zone_in_the_account_zone_as_the_worst_case_zoom_would() {
    let fake = FakeZoom::start().await;
    let token = client(&fake);
    // Any call fetches a token; then send the body an unaware client would.
    token.create_meeting("me", &meeting()).await.unwrap();
    let bearer = fake.create_requests()[0].authorization.clone().unwrap();
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/users/me/meetings", fake.api_url()))
        .header("authorization", bearer)
        .json(
            &json!({"topic": "t", "type": 2, "start_time": "2030-12-02T15:00:00",
            "timezone": "America/Toronto", "duration": 30}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["start_time"], "2030-12-02T23:00:00Z",
        "read in Los Angeles"
    );
    assert_eq!(answer["timezone"], "America/Los_Angeles");
}

#[tokio::test]
async fn meeting_ids_above_two_to_the_32_are_read_whole() {
    let fake = FakeZoom::start_with(FakeZoomOptions {
        first_meeting_id: 98_765_432_109,
        ..FakeZoomOptions::default()
    })
    .await;
    let zoom = client(&fake);
    let first = zoom.create_meeting("me", &meeting()).await.unwrap();
    let second = zoom.create_meeting("me", &meeting()).await.unwrap();
    assert_eq!(first.id().get(), 98_765_432_109);
    assert_eq!(second.id().get(), 98_765_432_110);
    assert_eq!(first.id().grouped(), "987 6543 2109");
}

#[tokio::test]
async fn the_host_is_sent_as_one_path_segment() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    let hosts = ["me", "ana+zoom@example.com", "KDcuGIm1QgePTO8WbOqwIQ"];
    for host in hosts {
        zoom.create_meeting(host, &meeting()).await.unwrap();
    }
    let seen: Vec<_> = fake.create_requests().into_iter().map(|c| c.host).collect();
    assert_eq!(seen, hosts);
    // `+` travels as %2B: some servers read a literal `+` in a path as a space.
    let raw = &fake.create_requests()[1].raw_path;
    assert_eq!(raw, "/v2/users/ana%2Bzoom@example.com/meetings");
    zoom.list_scheduled("ana+zoom@example.com").await.unwrap();
    let listed = &fake.requests(Endpoint::List)[0];
    assert_eq!(listed.raw_path, "/v2/users/ana%2Bzoom@example.com/meetings");
    assert_eq!(listed.target, "ana+zoom@example.com");
}

#[tokio::test]
async fn zoom_field_validation_messages_reach_the_user() {
    let fake = FakeZoom::start().await;
    let mut invalid = meeting();
    invalid.duration_minutes = 0;
    let error = client(&fake)
        .create_meeting("me", &invalid)
        .await
        .unwrap_err();
    assert!(matches!(error, ZoomError::Validation { .. }), "{error:?}");
    assert!(message(&error).contains("duration: Duration must be between 1 and 1440"));
}

// --- Zoom's answer is the truth ---

#[tokio::test]
async fn a_201_missing_fields_is_still_a_meeting_and_a_look_up_fills_them_in() {
    for missing in [
        "join_url",
        "start_time",
        "password",
        "topic",
        "duration",
        "timezone",
    ] {
        let fake = FakeZoom::start().await;
        fake.push_create_response(ScriptedResponse::created_without(&[missing]));
        let zoom = client(&fake);
        let created = zoom.create_meeting("me", &meeting()).await.unwrap();
        let absent = match missing {
            "join_url" => created.join_url().is_none(),
            "start_time" => created.start_time().is_none(),
            "password" => created.password().is_none(),
            "topic" => created.topic().is_none(),
            "duration" => created.duration_minutes().is_none(),
            _ => created.timezone().is_none(),
        };
        assert!(absent, "{missing}: {created:?}");
        let found = zoom.get_meeting(created.id()).await.unwrap();
        assert!(found.join_url().is_some(), "{missing}");
        assert_eq!(found.start_time(), Some(meeting().start), "{missing}");
        assert_eq!(fake.meetings_created(), 1, "{missing}");
    }
}

#[tokio::test]
async fn the_start_zoom_answers_is_the_one_returned_even_when_it_differs() {
    let fake = FakeZoom::start().await;
    let moved = utc(2030, 12, 3, 0, 0);
    fake.push_create_response(ScriptedResponse::created_starting_at(moved));
    let created = client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap();
    assert_eq!(created.start_time(), Some(moved));
    assert_ne!(created.start_time(), Some(meeting().start));
}

#[tokio::test]
async fn a_start_in_the_past_is_stored_as_now_by_zoom_and_reported_as_such() {
    let fake = FakeZoom::start().await;
    let mut past = meeting();
    past.start = utc(2020, 1, 1, 12, 0);
    let before = Utc::now() - chrono::Duration::seconds(1);
    let created = client(&fake).create_meeting("me", &past).await.unwrap();
    assert!(created.start_time().unwrap() >= before, "{created:?}");
}

// --- other meeting endpoints ---

#[tokio::test]
async fn get_meeting_returns_what_zoom_has_now() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    let created = zoom.create_meeting("me", &meeting()).await.unwrap();
    assert_eq!(zoom.get_meeting(created.id()).await.unwrap(), created);

    let moved = utc(2031, 1, 6, 17, 0);
    assert!(fake.move_meeting(id_of(&created), moved));
    let found = zoom.get_meeting(created.id()).await.unwrap();
    assert_eq!(found.start_time(), Some(moved), "moved in Zoom's own page");
    assert_eq!(
        fake.requests(Endpoint::Get)[0].raw_path,
        format!("/v2/meetings/{}", id_of(&created))
    );

    assert!(fake.remove_meeting(id_of(&created)));
    let error = zoom.get_meeting(created.id()).await.unwrap_err();
    assert_eq!(error, ZoomError::MeetingNotFound);
    assert!(error.meeting_not_found());
    assert!(message_for(&error, Operation::LookUp).contains("no longer exists in Zoom"));
}

#[tokio::test]
async fn update_meeting_patches_only_what_changes_with_the_same_zone_rules() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    let created = zoom.create_meeting("me", &meeting()).await.unwrap();
    let toronto = chrono_tz::America::Toronto;
    let new_start = local(toronto, 2030, 12, 9, 10, 0);
    let update = MeetingUpdate {
        topic: Some("Moved review".into()),
        start: Some((new_start, toronto)),
        ..MeetingUpdate::default()
    };
    zoom.update_meeting(created.id(), &update).await.unwrap();

    let sent = &fake.requests(Endpoint::Update)[0];
    assert_eq!(sent.target, id_of(&created).to_string());
    assert_eq!(
        sent.body,
        json!({"topic": "Moved review", "start_time": "2030-12-09T10:00:00", "timezone": "America/Montreal"})
    );
    let found = zoom.get_meeting(created.id()).await.unwrap();
    assert_eq!(found.start_time(), Some(new_start));
    assert_eq!(found.topic(), Some("Moved review"));
    assert_eq!(found.duration_minutes(), Some(45), "unchanged");

    zoom.update_meeting(created.id(), &MeetingUpdate::default())
        .await
        .unwrap();
    assert_eq!(
        fake.requests(Endpoint::Update).len(),
        1,
        "an empty update sends nothing"
    );

    fake.remove_meeting(id_of(&created));
    let error = zoom
        .update_meeting(created.id(), &update)
        .await
        .unwrap_err();
    assert_eq!(error, ZoomError::MeetingNotFound);
    assert!(message_for(&error, Operation::Update).contains("the meeting was not changed"));
}

#[tokio::test]
async fn updates_count_against_the_daily_limit_which_is_final() {
    let fake = FakeZoom::start_with(FakeZoomOptions {
        daily_limit_per_host: Some(1),
        ..FakeZoomOptions::default()
    })
    .await;
    let zoom = client(&fake);
    let created = zoom.create_meeting("me", &meeting()).await.unwrap();
    let update = MeetingUpdate {
        duration_minutes: Some(30),
        ..MeetingUpdate::default()
    };
    let error = zoom
        .update_meeting(created.id(), &update)
        .await
        .unwrap_err();
    assert_eq!(error, ZoomError::DailyLimit { limit: Some(100) });
    assert_eq!(fake.requests(Endpoint::Update).len(), 1, "not retried");
    let text = message_for(&error, Operation::Update);
    assert!(
        text.contains("meeting creations and changes (100 a day), so the meeting was not changed"),
        "{text}"
    );
}

#[tokio::test]
async fn delete_meeting_cancels_and_a_meeting_already_gone_is_reported_as_not_found() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    let first = zoom.create_meeting("me", &meeting()).await.unwrap();
    let second = zoom.create_meeting("me", &meeting()).await.unwrap();

    zoom.delete_meeting(first.id()).await.unwrap();
    assert_eq!(fake.meeting_ids(), [id_of(&second)]);
    let again = zoom.delete_meeting(first.id()).await.unwrap_err();
    assert!(again.meeting_not_found(), "{again:?}");

    // Deleted in Zoom's own page: the caller can still mark it cancelled.
    fake.remove_meeting(id_of(&second));
    let error = zoom.delete_meeting(second.id()).await.unwrap_err();
    assert!(error.meeting_not_found(), "{error:?}");
    assert!(message_for(&error, Operation::Cancel).contains("nothing left to cancel"));
    assert_eq!(fake.requests(Endpoint::Delete).len(), 3);
}

#[tokio::test]
async fn a_failed_delete_says_the_meeting_was_not_cancelled() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    let created = zoom.create_meeting("me", &meeting()).await.unwrap();
    fake.push_response(
        Endpoint::Delete,
        ScriptedResponse::api_error(400, 3002, "Meeting is in progress."),
    );
    let error = zoom.delete_meeting(created.id()).await.unwrap_err();
    let text = message_for(&error, Operation::Cancel);
    assert!(text.contains("the meeting was not cancelled"), "{text}");
    assert!(text.contains("Meeting is in progress."), "{text}");
    assert_eq!(fake.meeting_ids(), [id_of(&created)]);
}

#[tokio::test]
async fn list_scheduled_follows_every_page_and_skips_expired_and_other_hosts_meetings() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    let first = utc(2031, 1, 1, 9, 0);
    let mut expected = Vec::new();
    for i in 0..650 {
        let start = first + chrono::Duration::hours(i);
        expected.push(fake.add_meeting("ana@example.com", &format!("m{i}"), start, 30));
    }
    fake.add_meeting("ana@example.com", "past", utc(2020, 1, 1, 9, 0), 30);
    fake.add_meeting("bo@example.com", "other host", first, 30);

    let listed = zoom.list_scheduled("ana@example.com").await.unwrap();
    let ids: Vec<u64> = listed.iter().map(id_of).collect();
    assert_eq!(ids, expected);
    assert_eq!(listed[0].start_time(), Some(first));
    assert_eq!(listed[0].topic(), Some("m0"));

    let pages = fake.requests(Endpoint::List);
    assert_eq!(pages.len(), 3);
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(
            page.query.get("type").map(String::as_str),
            Some("scheduled"),
            "page {i}"
        );
        assert_eq!(
            page.query.get("page_size").map(String::as_str),
            Some("300"),
            "page {i}"
        );
        assert_eq!(
            page.query.contains_key("next_page_token"),
            i > 0,
            "page {i}"
        );
    }
}

#[tokio::test]
async fn a_list_that_never_ends_stops_at_the_page_cap() {
    let endless = |n: usize| {
        ScriptedResponse::json(
            200,
            json!({"page_size": 300, "next_page_token": format!("more{n}"), "meetings": [{"id": n}]}),
        )
    };
    let fake = FakeZoom::start().await;
    for n in 0..25 {
        fake.push_response(Endpoint::List, endless(n));
    }
    let error = client(&fake).list_scheduled("me").await.unwrap_err();
    assert_eq!(error, ZoomError::TooManyMeetings { max: 6000 });
    assert_eq!(fake.requests(Endpoint::List).len(), 20);
    assert!(message_for(&error, Operation::List).contains("the meetings could not be listed"));

    // A token that comes round again would loop forever.
    let fake = FakeZoom::start().await;
    for _ in 0..3 {
        fake.push_response(Endpoint::List, endless(7));
    }
    let error = client(&fake).list_scheduled("me").await.unwrap_err();
    assert_eq!(error, ZoomError::MalformedResponse { status: 200 });
    assert_eq!(fake.requests(Endpoint::List).len(), 2);
}

// --- recurring meetings ---

#[tokio::test]
async fn a_weekly_series_across_a_clock_change_keeps_its_local_time() {
    let toronto = chrono_tz::America::Toronto;
    let fake = FakeZoom::start().await;
    let mut series = meeting_in(toronto);
    // Mondays and Wednesdays 09:00 from 2031-03-03; clocks go forward on 2031-03-09.
    series.start = local(toronto, 2031, 3, 3, 9, 0);
    series.recurrence = Some(
        Recurrence::new(
            Repeat::Weekly(vec![Weekday::Mon, Weekday::Wed]),
            1,
            Ending::After(4),
        )
        .unwrap(),
    );
    let created = client(&fake).create_meeting("me", &series).await.unwrap();

    let body = &fake.create_requests()[0].body;
    assert_eq!(body["type"], 8);
    assert_eq!(body["timezone"], "America/Montreal");
    assert_eq!(body["start_time"], "2031-03-03T09:00:00");
    assert_eq!(
        body["recurrence"],
        json!({"type": 2, "repeat_interval": 1, "weekly_days": "2,4", "end_times": 4})
    );
    let starts: Vec<_> = created
        .occurrences()
        .iter()
        .map(|o| o.start_time().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            local(toronto, 2031, 3, 3, 9, 0),
            local(toronto, 2031, 3, 5, 9, 0),
            local(toronto, 2031, 3, 10, 9, 0),
            local(toronto, 2031, 3, 12, 9, 0),
        ]
    );
    assert_eq!(starts[2] - starts[1], chrono::Duration::hours(5 * 24 - 1));
    assert!(
        created
            .occurrences()
            .iter()
            .all(|o| o.status() == Some("available"))
    );
    let found = client(&fake).get_meeting(created.id()).await.unwrap();
    assert_eq!(found.occurrences(), created.occurrences());
}

#[tokio::test]
async fn zoom_makes_the_occurrences_the_client_expects() {
    let days = |days: &[Weekday]| Repeat::Weekly(days.to_vec());
    let cases = [
        (
            chrono_tz::Europe::Berlin,
            local(chrono_tz::Europe::Berlin, 2031, 10, 20, 8, 30),
            Recurrence::new(Repeat::Daily, 2, Ending::Until(utc(2031, 11, 3, 7, 30))),
        ),
        (
            chrono_tz::America::New_York,
            local(chrono_tz::America::New_York, 2031, 1, 31, 17, 0),
            Recurrence::new(Repeat::MonthlyOnDay(31), 1, Ending::After(5)),
        ),
        (
            chrono_tz::Asia::Tokyo,
            local(chrono_tz::Asia::Tokyo, 2031, 6, 4, 10, 0),
            Recurrence::new(days(&[Weekday::Thu, Weekday::Tue]), 2, Ending::After(7)),
        ),
        (
            chrono_tz::Australia::Melbourne,
            local(chrono_tz::Australia::Melbourne, 2031, 3, 2, 9, 0),
            Recurrence::new(days(&[Weekday::Sun]), 1, Ending::After(10)),
        ),
        (
            chrono_tz::Europe::Kyiv,
            local(chrono_tz::Europe::Kyiv, 2031, 3, 1, 12, 0),
            Recurrence::new(
                Repeat::MonthlyOnDay(1),
                3,
                Ending::Until(utc(2032, 3, 1, 10, 0)),
            ),
        ),
    ];
    for (zone, start, recurrence) in cases {
        let recurrence = recurrence.unwrap();
        let case = format!("{zone} {recurrence:?}");
        let expected: Vec<DateTime<Utc>> = recurrence
            .occurrences(start, zone)
            .unwrap()
            .iter()
            .map(|wall| zone.from_local_datetime(wall).single().unwrap().to_utc())
            .collect();
        let fake = FakeZoom::start().await;
        let mut series = meeting_in(zone);
        series.start = start;
        series.recurrence = Some(recurrence);
        let created = client(&fake).create_meeting("me", &series).await.unwrap();
        let made: Vec<_> = created
            .occurrences()
            .iter()
            .filter_map(|o| o.start_time())
            .collect();
        assert_eq!(made, expected, "{case}");
        assert!(!made.is_empty(), "{case}");
    }
}

#[tokio::test]
async fn a_series_no_listed_zone_can_keep_is_refused_before_anything_is_sent() {
    let fake = FakeZoom::start().await;
    let lord_howe = chrono_tz::Australia::Lord_Howe;
    let mut series = meeting_in(lord_howe);
    series.start = local(lord_howe, 2031, 3, 3, 9, 0);
    series.recurrence =
        Some(Recurrence::new(Repeat::Weekly(vec![Weekday::Mon]), 1, Ending::After(8)).unwrap());
    let error = client(&fake)
        .create_meeting("me", &series)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ZoomError::Series(SeriesProblem::NoZoomZone {
            zone: "Australia/Lord_Howe".into()
        })
    );
    assert!(message(&error).contains("no meeting was created"));
    assert_eq!(fake.token_requests(), 0);
    assert!(fake.create_requests().is_empty());
}

// --- faults ---

#[tokio::test]
async fn a_429_with_retry_after_in_seconds_is_retried_once() {
    let fake = FakeZoom::start().await;
    fake.push_create_response(ScriptedResponse::per_second_limit().with_header("Retry-After", "1"));
    let started = Instant::now();
    client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.create_requests().len(), 2);
    assert_eq!(fake.meetings_created(), 1);
}

#[tokio::test]
async fn a_429_with_an_http_date_retry_after_is_retried_once() {
    let fake = FakeZoom::start().await;
    let at = (Utc::now() + chrono::Duration::seconds(1))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    fake.push_create_response(ScriptedResponse::per_second_limit().with_header("Retry-After", &at));
    client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap();
    assert_eq!(fake.create_requests().len(), 2);
    assert_eq!(fake.meetings_created(), 1);
}

#[tokio::test]
async fn a_429_without_retry_after_is_retried_with_backoff_on_every_endpoint() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    fake.push_create_response(ScriptedResponse::per_second_limit());
    fake.push_create_response(ScriptedResponse::per_second_limit());
    let created = zoom.create_meeting("me", &meeting()).await.unwrap();
    assert_eq!(fake.create_requests().len(), 3);
    assert_eq!(fake.meetings_created(), 1);

    fake.push_response(Endpoint::Delete, ScriptedResponse::per_second_limit());
    zoom.delete_meeting(created.id()).await.unwrap();
    assert_eq!(fake.requests(Endpoint::Delete).len(), 2);
}

#[tokio::test]
async fn a_429_that_outlasts_the_retry_budget_gives_up_at_once() {
    let fake = FakeZoom::start().await;
    fake.push_create_response(
        ScriptedResponse::per_second_limit().with_header("Retry-After", "30"),
    );
    let started = Instant::now();
    let error = client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap_err();
    assert_eq!(error, ZoomError::RateLimited);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(fake.create_requests().len(), 1);
}

#[tokio::test]
async fn any_retry_after_zoom_sends_is_survived() {
    // Each case follows a first 429 that waits a second, so the budget is partly spent when
    // Zoom's number arrives (an unchecked sum overflowed only then). (header, retried?): past
    // the budget the 429 is the answer; unreadable means backoff; never a panic.
    let cases = [
        ("18446744073709551615", false),
        ("99999999999999999999999", true),
        ("-5", true),
        ("1e9", true),
        ("Fri, 31 Dec 9999 23:59:59 GMT", false),
        ("0", true),
    ];
    let runs = cases.map(|(header, retried)| async move {
        let fake = FakeZoom::start().await;
        fake.push_create_response(
            ScriptedResponse::per_second_limit().with_header("Retry-After", "1"),
        );
        fake.push_create_response(
            ScriptedResponse::per_second_limit().with_header("Retry-After", header),
        );
        let got = client(&fake).create_meeting("me", &meeting()).await;
        (header, retried, got, fake.create_requests().len())
    });
    for (header, retried, got, attempts) in futures_util::future::join_all(runs).await {
        if retried {
            assert!(got.is_ok(), "{header}: {got:?}");
            assert_eq!(attempts, 3, "{header}");
        } else {
            assert_eq!(got.unwrap_err(), ZoomError::RateLimited, "{header}");
            assert_eq!(attempts, 2, "{header}");
        }
    }
}

#[tokio::test]
async fn the_daily_limit_is_not_retried_and_says_when_it_resets() {
    let fake = FakeZoom::start_with(FakeZoomOptions {
        daily_limit_per_host: Some(1),
        ..FakeZoomOptions::default()
    })
    .await;
    let zoom = client(&fake);
    zoom.create_meeting("me", &meeting()).await.unwrap();
    let error = zoom.create_meeting("me", &meeting()).await.unwrap_err();
    assert_eq!(error, ZoomError::DailyLimit { limit: Some(100) });
    assert_eq!(fake.create_requests().len(), 2);
    let text = message(&error);
    assert!(text.contains("daily limit of meeting creations"), "{text}");
    assert!(
        text.contains("resets at 00:00 UTC (4:00 PM in America/Los_Angeles)"),
        "{text}"
    );
}

#[tokio::test]
async fn the_daily_limit_is_recognised_in_its_code_300_wording() {
    let fake = FakeZoom::start().await;
    fake.push_create_response(ScriptedResponse::api_error(
        400,
        300,
        "A maximum of 100 meetings can be created/updated for a single user in one day.",
    ));
    let error = client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap_err();
    assert_eq!(error, ZoomError::DailyLimit { limit: Some(100) });
    assert_eq!(fake.create_requests().len(), 1);
}

#[tokio::test]
async fn a_500_is_not_retried() {
    let fake = FakeZoom::start().await;
    fake.push_create_response(ScriptedResponse::api_error(500, 500, "Internal error"));
    let error = client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap_err();
    assert_eq!(error, ZoomError::Unavailable { status: 500 });
    assert_eq!(fake.create_requests().len(), 1);
    assert!(message(&error).contains("check your Zoom meetings"));
}

#[tokio::test]
async fn a_zoom_that_never_answers_a_create_times_out_and_is_not_retried() {
    let fake = FakeZoom::start().await;
    fake.push_create_response(ScriptedResponse::Hang);
    let error = impatient_client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap_err();
    assert_eq!(error, ZoomError::Timeout);
    assert_eq!(fake.create_requests().len(), 1);
    let text = message(&error);
    assert!(text.contains("may have been created"), "{text}");
    assert!(
        text.contains("check your Zoom meetings before trying again"),
        "{text}"
    );
}

#[tokio::test]
async fn a_create_whose_connection_breaks_is_not_retried() {
    let fake = FakeZoom::start().await;
    fake.push_create_response(ScriptedResponse::Drop);
    let error = client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap_err();
    assert_eq!(error, ZoomError::ConnectionLost);
    assert_eq!(fake.create_requests().len(), 1);
    assert!(message(&error).contains("may have been created"));
}

#[tokio::test]
async fn idempotent_calls_that_get_no_answer_are_sent_once_more() {
    // (endpoint, fault) → the second attempt answers normally.
    let cases = [
        (Endpoint::Get, ScriptedResponse::Hang),
        (Endpoint::Get, ScriptedResponse::Drop),
        (Endpoint::Update, ScriptedResponse::Hang),
        (Endpoint::Delete, ScriptedResponse::Drop),
        (Endpoint::List, ScriptedResponse::Hang),
    ];
    for (endpoint, fault) in cases {
        let case = format!("{endpoint:?} {fault:?}");
        let fake = FakeZoom::start().await;
        let zoom = impatient_client(&fake);
        let id = zoom.create_meeting("me", &meeting()).await.unwrap().id();
        fake.push_response(endpoint, fault);
        let outcome = call(&zoom, endpoint, id).await;
        assert!(outcome.is_ok(), "{case}: {outcome:?}");
        assert_eq!(fake.requests(endpoint).len(), 2, "{case}");
    }
}

#[tokio::test]
async fn an_idempotent_call_is_resent_only_once_and_says_what_may_have_happened() {
    let cases = [
        (Endpoint::Get, Operation::LookUp, "could not be looked up"),
        (Endpoint::Update, Operation::Update, "may have been saved"),
        (
            Endpoint::Delete,
            Operation::Cancel,
            "may have been cancelled",
        ),
    ];
    for (endpoint, operation, wording) in cases {
        let fake = FakeZoom::start().await;
        let zoom = impatient_client(&fake);
        let id = zoom.create_meeting("me", &meeting()).await.unwrap().id();
        for _ in 0..3 {
            fake.push_response(endpoint, ScriptedResponse::Hang);
        }
        let error = call(&zoom, endpoint, id).await.unwrap_err();
        assert_eq!(error, ZoomError::Timeout, "{endpoint:?}");
        assert_eq!(fake.requests(endpoint).len(), 2, "{endpoint:?}");
        let text = message_for(&error, operation);
        assert!(text.contains(wording), "{endpoint:?}: {text}");
    }
}

/// Remembers what the client reported, in order.
#[derive(Default)]
struct Recorder {
    requests: std::sync::Mutex<Vec<(slack_zoom::zoom::Endpoint, CallOutcome)>>,
    fetches: std::sync::Mutex<Vec<TokenOutcome>>,
}

impl ZoomObserver for Recorder {
    fn request(&self, endpoint: slack_zoom::zoom::Endpoint, outcome: CallOutcome, _: Duration) {
        self.requests.lock().unwrap().push((endpoint, outcome));
    }

    fn token_fetch(&self, outcome: TokenOutcome) {
        self.fetches.lock().unwrap().push(outcome);
    }
}

#[tokio::test]
async fn the_observer_hears_every_request_with_its_status_or_what_went_wrong() {
    use slack_zoom::zoom::Endpoint as Called;
    let fake = FakeZoom::start().await;
    let recorder = std::sync::Arc::new(Recorder::default());
    let mut config = config(&fake);
    config.request_timeout = Duration::from_millis(300);
    let zoom = ZoomClient::with_observer(config, recorder.clone()).unwrap();

    fake.push_token_response(ScriptedResponse::oauth_error(
        "invalid_client",
        "Invalid client_id or client_secret",
    ));
    let refused = zoom.create_meeting("me", &meeting()).await.unwrap_err();
    assert_eq!(refused, ZoomError::BadCredentials);
    let id = zoom.create_meeting("me", &meeting()).await.unwrap().id();
    fake.push_response(Endpoint::Get, ScriptedResponse::Hang);
    zoom.get_meeting(id).await.unwrap();
    fake.push_response(Endpoint::Delete, ScriptedResponse::Drop);
    zoom.delete_meeting(id).await.unwrap();

    let want = [
        (Called::Token, CallOutcome::Status(400)),
        (Called::Token, CallOutcome::Status(200)),
        (Called::Create, CallOutcome::Status(201)),
        (Called::Get, CallOutcome::Timeout),
        (Called::Get, CallOutcome::Status(200)),
        (Called::Delete, CallOutcome::Error),
        (Called::Delete, CallOutcome::Status(204)),
    ];
    let got = recorder.requests.lock().unwrap().clone();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (i, (got, want)) in got.iter().zip(want).enumerate() {
        assert_eq!(*got, want, "request {i}");
    }
    assert_eq!(
        *recorder.fetches.lock().unwrap(),
        [TokenOutcome::Refused, TokenOutcome::Issued]
    );
}

/// Calls `endpoint` for meeting `id` (or the host `me`).
async fn call(zoom: &ZoomClient, endpoint: Endpoint, id: MeetingId) -> Result<(), ZoomError> {
    match endpoint {
        Endpoint::Get => zoom.get_meeting(id).await.map(drop),
        Endpoint::Update => {
            let update = MeetingUpdate {
                duration_minutes: Some(20),
                ..MeetingUpdate::default()
            };
            zoom.update_meeting(id, &update).await
        }
        Endpoint::Delete => zoom.delete_meeting(id).await,
        Endpoint::List => zoom.list_scheduled("me").await.map(drop),
        other => panic!("no call for {other:?}"),
    }
}

#[tokio::test]
async fn a_201_with_unreadable_json_says_the_meeting_exists_and_where_to_find_it() {
    let fake = FakeZoom::start().await;
    fake.push_create_response(ScriptedResponse::Garbage);
    let error = client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap_err();
    assert_eq!(error, ZoomError::MalformedResponse { status: 201 });
    assert_eq!(fake.create_requests().len(), 1);
    let text = message(&error);
    assert!(
        text.contains("Zoom created the meeting (HTTP 201)"),
        "{text}"
    );
    assert!(text.contains("Find it in your Zoom meetings"), "{text}");
    assert!(!text.contains("may"), "{text}");
    assert!(!text.contains("zak") && !format!("{error} {error:?}").contains("zak"));
}

#[tokio::test]
async fn zoom_that_refuses_connections_is_reported_unreachable() {
    let fake = FakeZoom::start().await;
    let closed = closed_port_url().await;
    let cases = [
        // (oauth_url, api_url): no token endpoint, or a token but no API.
        (format!("{closed}/oauth/token"), fake.api_url()),
        (fake.oauth_url(), format!("{closed}/v2")),
    ];
    for (oauth_url, api_url) in cases {
        let config = ZoomConfig {
            oauth_url,
            api_url,
            ..config(&fake)
        };
        let zoom = ZoomClient::new(config).unwrap();
        let error = zoom.create_meeting("me", &meeting()).await.unwrap_err();
        assert_eq!(error, ZoomError::Unreachable);
        assert!(message(&error).contains("no meeting was created"));
        let error = zoom.delete_meeting(MeetingId::new(1)).await.unwrap_err();
        assert_eq!(error, ZoomError::Unreachable);
        assert!(message_for(&error, Operation::Cancel).contains("the meeting was not cancelled"));
    }
}

#[tokio::test]
async fn an_unknown_host_is_reported_so_the_caller_can_fall_back() {
    let fake = FakeZoom::start_with(FakeZoomOptions {
        unknown_hosts: vec!["gone@example.com".into()],
        ..FakeZoomOptions::default()
    })
    .await;
    let error = client(&fake)
        .create_meeting("gone@example.com", &meeting())
        .await
        .unwrap_err();
    assert!(error.host_not_found());
    assert_eq!(fake.create_requests().len(), 1);
}

#[tokio::test]
async fn zoom_error_codes_map_to_typed_errors_without_retry() {
    let cases = [
        (
            ScriptedResponse::api_error(
                400,
                4711,
                "Invalid access token, does not contain scopes:[meeting:write:meeting:admin].",
            ),
            ZoomError::MissingScope {
                message:
                    "Invalid access token, does not contain scopes:[meeting:write:meeting:admin]."
                        .into(),
            },
            "meeting:write:meeting:admin (or meeting:write:admin",
        ),
        (
            ScriptedResponse::api_error(400, 3161, "User is not allowed to host meetings."),
            ZoomError::HostNotAllowed {
                message: "User is not allowed to host meetings.".into(),
            },
            "not allowed to host",
        ),
        (
            ScriptedResponse::api_error(
                400,
                3000,
                "Users in 'acme.com' have been blocked from joining meetings and webinars.",
            ),
            ZoomError::Refused {
                status: 400,
                code: Some(3000),
                message:
                    "Users in 'acme.com' have been blocked from joining meetings and webinars."
                        .into(),
            },
            "Zoom said: Users in 'acme.com' have been blocked from joining meetings and webinars.",
        ),
        (
            ScriptedResponse::api_error(400, 300, "Invalid meeting start time."),
            ZoomError::Validation {
                messages: vec!["Invalid meeting start time.".into()],
            },
            "Invalid meeting start time",
        ),
        (
            ScriptedResponse::api_error(418, 9999, "Teapot"),
            ZoomError::Refused {
                status: 418,
                code: Some(9999),
                message: "Teapot".into(),
            },
            "Zoom said: Teapot (HTTP 418, code 9999)",
        ),
        (
            ScriptedResponse::json(418, json!({})),
            ZoomError::Refused {
                status: 418,
                code: None,
                message: String::new(),
            },
            "unexpected answer (HTTP 418)",
        ),
    ];
    for (response, expected, hint) in cases {
        let fake = FakeZoom::start().await;
        fake.push_create_response(response);
        let error = client(&fake)
            .create_meeting("me", &meeting())
            .await
            .unwrap_err();
        assert_eq!(error, expected);
        assert!(message(&error).contains(hint), "{}", message(&error));
        assert!(
            message(&error).contains("no meeting was created"),
            "{}",
            message(&error)
        );
        assert_eq!(fake.create_requests().len(), 1);
    }
}

// --- secrets ---

#[tokio::test]
async fn secrets_tokens_and_start_urls_never_show_in_debug_output_or_messages() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    let created = zoom.create_meeting("me", &meeting()).await.unwrap();
    let found = zoom.get_meeting(created.id()).await.unwrap();
    let listed = zoom.list_scheduled("me").await.unwrap();
    fake.push_create_response(ScriptedResponse::api_error(500, 500, "boom"));
    fake.push_create_response(ScriptedResponse::Garbage);
    let mut errors = Vec::new();
    for _ in 0..2 {
        errors.push(zoom.create_meeting("me", &meeting()).await.unwrap_err());
    }

    let mut shown = vec![
        format!("{:?}", config(&fake)),
        format!("{zoom:?}"),
        format!("{created:?}"),
        format!("{found:?}"),
        format!("{listed:?}"),
    ];
    for error in &errors {
        shown.extend([format!("{error}"), format!("{error:?}"), message(error)]);
    }
    let mut hidden = vec![fake.options().client_secret.clone(), "zak".to_owned()];
    hidden.extend(fake.issued_tokens());
    hidden.extend(fake.start_urls());
    assert!(hidden.len() >= 4, "a token and a start_url were issued");
    for text in &shown {
        for secret in &hidden {
            assert!(
                !text.contains(secret.as_str()),
                "{secret:?} shown in {text:?}"
            );
        }
    }
}
