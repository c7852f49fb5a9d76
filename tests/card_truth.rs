//! The card tells only the truth: Zoom's answer decides what it shows, zones Zoom does not
//! know still land at the right instant, notes go to the invoker alone, and Zoom's errors say
//! what happened.

mod support;

use std::time::Duration;

use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use support::fake_slack::{FakeSlack, FakeUser};
use support::fake_zoom::{Altered, Endpoint, FakeZoom, FakeZoomOptions, ScriptedResponse};
use support::service::Service;
use support::{TestApp, USER_ID, binary_env, json, spawn_app, spawn_app_with, spawn_app_with_zoom};

const WAIT: Duration = Duration::from_secs(10);

/// Every message posted to `url`, waiting until there are `n`.
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

/// Sends a command; returns the acknowledgement and the first `n` messages posted for it.
async fn schedule(app: &TestApp, text: &str, n: usize) -> (Value, Vec<Value>) {
    let (url, response) = app.command(text).await;
    let ack = json(response).await;
    (ack, messages(app, &url, n).await)
}

fn date_token_seconds(card: &Value) -> i64 {
    let text = card["blocks"][1]["text"]["text"].as_str().unwrap();
    let rest = text.split("<!date^").nth(1).unwrap();
    rest.split('^').next().unwrap().parse().unwrap()
}

fn tomorrow_at(zone: Tz, h: u32) -> DateTime<Utc> {
    let date = Utc::now().with_timezone(&zone).date_naive() + Days::new(1);
    zone.from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(h, 0, 0).unwrap()))
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn a_user_in_a_zone_zoom_does_not_list_gets_the_meeting_at_the_instant_they_meant() {
    // The fake reads a wall-clock time in an unlisted zone in its account's zone (Los Angeles),
    // as the real Zoom may: sending America/Toronto as-is would land three hours off.
    let app = spawn_app().await;
    for (zone, sent_as) in [
        ("America/Toronto", "America/Montreal"),
        ("Europe/Kyiv", "Europe/Kiev"),
        ("Asia/Ho_Chi_Minh", "Asia/Saigon"),
    ] {
        app.slack.add_user(
            USER_ID,
            FakeUser {
                tz: Some(zone.into()),
                ..Default::default()
            },
        );
        let tz: Tz = zone.parse().unwrap();
        let (_, posted) = schedule(&app, &format!("Sync 30m tomorrow 10am {zone}"), 1).await;
        let meant = tomorrow_at(tz, 10);
        let request = app.zoom.create_requests().last().unwrap().body.clone();
        assert_eq!(request["timezone"], sent_as, "{zone}: {request}");
        let stored = app
            .zoom
            .meeting(app.zoom.meeting_ids().last().copied().unwrap())
            .unwrap();
        assert_eq!(
            stored["start_time"],
            meant.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "{zone}"
        );
        assert_eq!(
            date_token_seconds(&posted[0]),
            meant.timestamp(),
            "{zone}: the card"
        );
    }
}

#[tokio::test]
async fn the_card_shows_zooms_start_when_it_differs_and_the_invoker_is_told() {
    let app = spawn_app().await;
    let zoom_start = tomorrow_at(chrono_tz::UTC, 13);
    app.zoom
        .push_create_response(ScriptedResponse::created_starting_at(zoom_start));
    let (_, posted) = schedule(&app, "Sync 30m tomorrow 10am UTC", 2).await;
    assert_eq!(posted.len(), 2, "{posted:?}");
    assert_eq!(posted[0]["response_type"], "in_channel");
    assert_eq!(
        date_token_seconds(&posted[0]),
        zoom_start.timestamp(),
        "Zoom's time on the card"
    );
    assert_eq!(posted[1]["response_type"], "ephemeral");
    let note = posted[1]["text"].as_str().unwrap();
    assert!(
        note.contains("Zoom scheduled this meeting for") && note.contains("1:00 PM"),
        "{note}"
    );
    assert!(note.contains("10:00 AM"), "both times: {note}");
}

#[tokio::test]
async fn when_zoom_stores_another_start_an_error_names_both_instants() {
    let slack = FakeSlack::start().await;
    let zoom = FakeZoom::start().await;
    let zoom_start = tomorrow_at(chrono_tz::UTC, 13);
    zoom.push_create_response(ScriptedResponse::created_starting_at(zoom_start));
    let path = support::temp_database();
    let database = format!("sqlite://{}", path.display());
    let service = Service::start(&binary_env(&slack, &zoom, &database), &[]).await;
    service
        .send_command("Sync 30m tomorrow 10am UTC", &slack.response_url("moved"))
        .await;
    slack.wait_for_deliveries(2, Duration::from_secs(10)).await;
    let log = service.stop().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let asked = tomorrow_at(chrono_tz::UTC, 10);
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("Zoom stored another start"))
        .collect();
    assert_eq!(errors.len(), 1, "{log}");
    for instant in [asked, zoom_start] {
        let shown = instant.format("%Y-%m-%d %H:%M").to_string();
        assert!(errors[0].contains(&shown), "{shown} not in {}", errors[0]);
    }
}

#[tokio::test]
async fn the_card_shows_the_length_and_topic_zoom_stored_not_those_asked() {
    let app = spawn_app().await;
    app.zoom
        .push_create_response(ScriptedResponse::created_altered(Altered {
            duration: Some(40),
            topic: Some("Sync (renamed by Zoom)".into()),
            ..Altered::default()
        }));
    let (_, posted) = schedule(&app, "Sync 30m tomorrow 10am UTC", 1).await;
    let card = posted[0].to_string();
    assert!(
        card.contains("Sync (renamed by Zoom)"),
        "Zoom's topic: {card}"
    );
    assert!(card.contains("40 minutes"), "Zoom's length: {card}");
    assert!(!card.contains("30 minutes"), "not the length asked: {card}");
}

#[tokio::test]
async fn a_created_meeting_without_a_join_url_is_looked_up_once_for_the_link() {
    let app = spawn_app().await;
    app.zoom
        .push_create_response(ScriptedResponse::created_without(&["join_url"]));
    let (_, posted) = schedule(&app, "Sync 30m tomorrow 10am", 1).await;
    let card = &posted[0];
    assert_eq!(card["response_type"], "in_channel");
    let url = card["blocks"][1]["accessory"]["url"].as_str().unwrap();
    assert!(url.contains("/j/85746065432"), "{url}");
    assert_eq!(app.zoom.requests(Endpoint::Get).len(), 1, "one lookup");
    assert!(
        !card.to_string().contains("may"),
        "never 'may exist': {card}"
    );
}

#[tokio::test]
async fn when_the_lookup_fails_too_the_user_gets_the_card_and_its_meeting_id() {
    let app = spawn_app().await;
    app.zoom
        .push_create_response(ScriptedResponse::created_without(&["join_url"]));
    app.zoom
        .push_response(Endpoint::Get, ScriptedResponse::api_error(500, 500, "oops"));
    let (_, posted) = schedule(&app, "Sync 30m tomorrow 10am", 2).await;
    assert_eq!(posted[0]["response_type"], "in_channel", "{posted:?}");
    assert!(
        posted[0]["blocks"][1].get("accessory").is_none(),
        "no made-up link"
    );
    assert!(posted[0].to_string().contains("857 4606 5432"));
    let note = posted[1]["text"].as_str().unwrap();
    assert!(
        note.contains("857 4606 5432") && !note.contains("may"),
        "{note}"
    );
}

#[tokio::test]
async fn a_created_meeting_without_a_start_time_is_not_a_failure() {
    let app = spawn_app().await;
    app.zoom
        .push_create_response(ScriptedResponse::created_without(&[
            "start_time",
            "duration",
            "topic",
        ]));
    let (_, posted) = schedule(&app, "Sync 45m tomorrow 10am UTC", 1).await;
    assert_eq!(posted[0]["response_type"], "in_channel", "{posted:?}");
    assert_eq!(
        date_token_seconds(&posted[0]),
        tomorrow_at(chrono_tz::UTC, 10).timestamp()
    );
    assert!(posted[0].to_string().contains("45 minutes"));
}

#[tokio::test]
async fn notes_go_only_to_the_person_who_typed_and_never_on_the_card() {
    // No bot token: the zone is assumed. In a default zone where it is 03:00 or later, 00:01
    // has passed today: moved to tomorrow.
    let zone = ["UTC", "Asia/Tokyo", "America/New_York"]
        .into_iter()
        .find(|z| {
            let tz: Tz = z.parse().unwrap();
            chrono::Timelike::hour(&Utc::now().with_timezone(&tz)) >= 3
        })
        .unwrap();
    let app = spawn_app_with(|env, _| {
        env.remove("SLACK_BOT_TOKEN");
        env.insert("DEFAULT_TIMEZONE".into(), zone.into());
    })
    .await;
    let (ack, posted) = schedule(&app, "Sync 30m 00:01", 1).await;
    let ack_text = ack["text"].as_str().unwrap();
    assert!(ack_text.contains("already passed today"), "{ack_text}");
    assert!(ack_text.contains("no bot token"), "{ack_text}");
    assert_eq!(ack["response_type"], "ephemeral");
    // The next night New York's clocks go back: 1:30 happens twice.
    let new_york = chrono_tz::America::New_York;
    let fall_back = (0..=400)
        .map(|days| Utc::now().with_timezone(&new_york).date_naive() + Days::new(days))
        .find(|date| {
            let twice = date.and_time(NaiveTime::from_hms_opt(1, 30, 0).unwrap());
            matches!(
                new_york.from_local_datetime(&twice),
                chrono::LocalResult::Ambiguous(..)
            ) && new_york.from_local_datetime(&twice).earliest().unwrap() > Utc::now()
        })
        .unwrap();
    let (twice_ack, twice_posted) = schedule(
        &app,
        &format!("Twice 30m {fall_back} 1:30am America/New_York"),
        1,
    )
    .await;
    let twice_text = twice_ack["text"].as_str().unwrap();
    assert!(twice_text.contains("happens twice"), "{twice_text}");
    for card in [&posted[0], &twice_posted[0]] {
        assert_eq!(card["response_type"], "in_channel", "the card: {card}");
    }
    // Nothing the channel sees carries a note: not the cards, nor any other message.
    let seen_by_channel: Vec<String> = app
        .slack
        .deliveries()
        .into_iter()
        .filter(|d| d.body["response_type"] == "in_channel")
        .map(|d| d.body.to_string())
        .collect();
    assert_eq!(seen_by_channel.len(), 2, "{seen_by_channel:#?}");
    for message in seen_by_channel {
        for note in [
            "already passed",
            "bot token",
            "Times are read",
            "happens twice",
        ] {
            assert!(
                !message.contains(note),
                "`{note}` in the channel: {message}"
            );
        }
    }
}

#[tokio::test]
async fn zoom_errors_say_what_happened() {
    let long = "x".repeat(5000);
    /// (case, endpoint that fails, its answer, words the message has, words it must not have)
    type Case<'a> = (
        &'a str,
        Endpoint,
        ScriptedResponse,
        Vec<&'a str>,
        Vec<&'a str>,
    );
    let cases: Vec<Case> = vec![
        (
            "token endpoint 500",
            Endpoint::Token,
            ScriptedResponse::api_error(500, 500, "down"),
            vec!["no meeting was created"],
            vec!["may have been created", "may exist"],
        ),
        (
            "code 3000 with Zoom's own words",
            Endpoint::Create,
            ScriptedResponse::api_error(
                400,
                3000,
                "Users in '<b>acme</b>' have been blocked from joining meetings",
            ),
            vec!["Users in '&lt;b&gt;acme&lt;/b&gt;' have been blocked"],
            vec!["<b>"],
        ),
        (
            "daily cap as a code-300 answer",
            Endpoint::Create,
            ScriptedResponse::api_error(
                400,
                300,
                "A maximum of 100 meetings can be created/updated for a single user in one day.",
            ),
            vec!["00:00 UTC"],
            vec![],
        ),
        (
            "a very long message is capped",
            Endpoint::Create,
            ScriptedResponse::api_error(400, 3000, &long),
            vec!["xxxx"],
            vec![&long],
        ),
    ];
    for (name, endpoint, scripted, wanted, unwanted) in cases {
        let app = spawn_app_with_zoom(FakeZoomOptions::default(), |_, _| {}).await;
        app.zoom.push_response(endpoint, scripted);
        let (_, posted) = schedule(&app, "Sync 30m tomorrow 10am", 1).await;
        let text = posted[0]["text"].as_str().unwrap_or_default();
        assert_eq!(posted[0]["response_type"], "ephemeral", "{name}");
        for needle in wanted {
            assert!(text.contains(needle), "{name}: `{needle}` not in {text}");
        }
        for needle in unwanted {
            assert!(
                !text.contains(needle),
                "{name}: `{}` in {text}",
                &needle[..needle.len().min(40)]
            );
        }
        assert!(
            text.chars().count() < 1500,
            "{name}: {} chars",
            text.chars().count()
        );
    }
}
