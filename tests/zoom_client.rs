//! The Zoom client against the fake Zoom on loopback: tokens, the create body, faults, secrets.

mod support {
    pub mod fake_zoom;
}

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;
use slack_zoom::zoom::{NewMeeting, ZoomClient, ZoomConfig, ZoomError};
use support::fake_zoom::{FakeZoom, FakeZoomOptions, ScriptedResponse};

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

fn meeting_in(timezone: &str) -> NewMeeting {
    NewMeeting {
        topic: "Design review".into(),
        start_local: NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(15, 0, 0)
            .unwrap(),
        timezone: timezone.into(),
        duration_minutes: 45,
        agenda: "Walk through the new onboarding flow".into(),
    }
}

fn meeting() -> NewMeeting {
    meeting_in("America/Los_Angeles")
}

fn message(error: &ZoomError) -> String {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 18, 0, 0).unwrap();
    error.user_message(chrono_tz::America::Los_Angeles, now)
}

/// A URL on loopback where nothing listens.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
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
async fn token_endpoint_failures_map_to_typed_errors_that_say_what_to_check() {
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
            ZoomError::Unavailable { status: 503 },
            "unavailable",
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
        assert!(message(&error).contains(hint), "{}", message(&error));
        assert_eq!(fake.token_requests(), 1, "{expected:?}: not retried");
        assert!(fake.create_requests().is_empty());
    }
}

// --- the create request ---

#[tokio::test]
async fn zoom_receives_the_local_wall_clock_time_with_its_zone() {
    let cases = [
        ("America/Los_Angeles", "2026-12-01T23:00:00Z"),
        ("Asia/Kolkata", "2026-12-01T09:30:00Z"),
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
                "start_time": "2026-12-01T15:00:00",
                "timezone": zone,
                "duration": 45,
                "agenda": "Walk through the new onboarding flow",
            })
        );
        assert_eq!(
            created.start_time().to_rfc3339(),
            utc.replace('Z', "+00:00")
        );
        assert_eq!(created.timezone(), zone);
        assert_eq!(created.duration_minutes(), 45);
        assert_eq!(created.topic(), "Design review");
        assert!(created.password().is_some());
        assert!(created.join_url().starts_with("https://zoom.us/j/"));
    }
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
async fn a_429_without_retry_after_is_retried_with_backoff() {
    let fake = FakeZoom::start().await;
    fake.push_create_response(ScriptedResponse::per_second_limit());
    fake.push_create_response(ScriptedResponse::per_second_limit());
    client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap();
    assert_eq!(fake.create_requests().len(), 3);
    assert_eq!(fake.meetings_created(), 1);
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
async fn the_daily_limit_is_not_retried_and_says_when_it_resets() {
    let fake = FakeZoom::start_with(FakeZoomOptions {
        daily_limit_per_host: Some(1),
        ..FakeZoomOptions::default()
    })
    .await;
    let zoom = client(&fake);
    zoom.create_meeting("me", &meeting()).await.unwrap();
    let error = zoom.create_meeting("me", &meeting()).await.unwrap_err();
    assert_eq!(error, ZoomError::DailyLimit);
    assert_eq!(fake.create_requests().len(), 2);
    let text = message(&error);
    assert!(text.contains("daily limit of meeting creations"), "{text}");
    assert!(
        text.contains("resets at 00:00 UTC (4:00 PM in America/Los_Angeles)"),
        "{text}"
    );
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
async fn a_zoom_that_never_answers_times_out_and_is_not_retried() {
    let fake = FakeZoom::start().await;
    fake.push_create_response(ScriptedResponse::Hang);
    let mut config = config(&fake);
    config.request_timeout = Duration::from_millis(300);
    let error = ZoomClient::new(config)
        .unwrap()
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
async fn a_201_with_unreadable_json_says_the_meeting_may_exist() {
    let fake = FakeZoom::start().await;
    fake.push_create_response(ScriptedResponse::Garbage);
    let error = client(&fake)
        .create_meeting("me", &meeting())
        .await
        .unwrap_err();
    assert_eq!(error, ZoomError::MalformedResponse { status: 201 });
    assert_eq!(fake.create_requests().len(), 1);
    let text = message(&error);
    assert!(text.contains("may have been created"), "{text}");
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
        let error = ZoomClient::new(config)
            .unwrap()
            .create_meeting("me", &meeting())
            .await
            .unwrap_err();
        assert_eq!(error, ZoomError::Unreachable);
        assert!(message(&error).contains("no meeting was created"));
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
            ZoomError::MissingScope,
            "meeting:write:meeting:admin (or meeting:write:admin",
        ),
        (
            ScriptedResponse::api_error(400, 3161, "User is not allowed to host meetings."),
            ZoomError::HostNotAllowed,
            "not allowed to host",
        ),
        (
            ScriptedResponse::api_error(400, 3000, "Cannot schedule a meeting for this user."),
            ZoomError::CannotScheduleForHost,
            "cannot schedule meetings for that host",
        ),
        (
            ScriptedResponse::api_error(400, 300, "Invalid meeting start time."),
            ZoomError::Validation {
                messages: vec!["Invalid meeting start time.".into()],
            },
            "Invalid meeting start time.",
        ),
        (
            ScriptedResponse::api_error(418, 9999, "Teapot"),
            ZoomError::Unexpected {
                status: 418,
                code: Some(9999),
            },
            "unexpected answer (HTTP 418, code 9999)",
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
        assert_eq!(fake.create_requests().len(), 1);
    }
}

// --- secrets ---

#[tokio::test]
async fn secrets_tokens_and_start_urls_never_show_in_debug_output_or_messages() {
    let fake = FakeZoom::start().await;
    let zoom = client(&fake);
    let created = zoom.create_meeting("me", &meeting()).await.unwrap();
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
