//! Operator metrics and readiness against the real router on loopback: `GET /metrics` counts what
//! happened (parsed from the text format, never string-matched), `METRICS_PORT` moves or turns it
//! off, and `GET /readyz` follows the store.

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use slack_zoom::slack::socket::SocketModeConfig;
use sqlx::{Connection, PgConnection};
use support::fake_socket::{APP_TOKEN, FakeSocket, OutEnvelope};
use support::fake_zoom::FakeZoomOptions;
use support::{
    CHANNEL_ID, TEAM_ID, TestApp, USER_ID, command_body, sign, spawn_app, spawn_app_with,
    spawn_app_with_config, unix_now,
};

const WAIT: Duration = Duration::from_secs(20);

/// One sample line: `name{label="value",…} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A whole exposition, parsed.
#[derive(Debug)]
struct Scrape(Vec<Sample>);

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let samples = text
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| {
                let (series, value) = line
                    .rsplit_once(' ')
                    .unwrap_or_else(|| panic!("no value in {line:?}"));
                let value = value
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("bad value in {line:?}"));
                let (name, labels) = match series.split_once('{') {
                    Some((name, rest)) => {
                        let inner = rest
                            .strip_suffix('}')
                            .unwrap_or_else(|| panic!("unclosed labels in {line:?}"));
                        (name, parse_labels(inner, line))
                    }
                    None => (series, BTreeMap::new()),
                };
                Sample {
                    name: name.to_owned(),
                    labels,
                    value,
                }
            })
            .collect();
        Scrape(samples)
    }

    /// The value of the sample named `name` with exactly these labels.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.0
            .iter()
            .find(|s| s.name == name && s.labels == want)
            .map(|s| s.value)
    }

    /// Like [`get`](Self::get), 0 when the series does not exist yet.
    fn count(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }
}

/// `k="v",k2="v2"` with `\"`, `\\` and `\n` escapes.
fn parse_labels(text: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("bad label in {line:?}"));
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => panic!("bad escape in {line:?}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("unclosed label value in {line:?}"),
            }
        };
        labels.insert(key.to_owned(), value);
        rest = after[end + 1..].trim_start_matches(',');
    }
    labels
}

async fn get(app: &TestApp, url: String) -> reqwest::Response {
    app.client
        .get(url)
        .send()
        .await
        .expect("the service answers")
}

async fn scrape_at(app: &TestApp, url: &str) -> Scrape {
    let response = get(app, url.to_owned()).await;
    assert_eq!(response.status(), 200, "GET {url}");
    Scrape::parse(&response.text().await.unwrap())
}

/// Scrapes `url` until `ready` holds (the background work being counted runs on its own).
async fn scrape_until(app: &TestApp, url: &str, ready: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let scrape = scrape_at(app, url).await;
        if ready(&scrape) || tokio::time::Instant::now() >= deadline {
            return scrape;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A series by name and labels, with the value it should have.
type Expected<'a> = (&'a str, &'a [(&'a str, &'a str)], f64);

/// Checks every expected value and names the first that differs.
fn assert_samples(scrape: &Scrape, cases: &[Expected]) {
    for (name, labels, want) in cases {
        let got = scrape.count(name, labels);
        assert_eq!(got, *want, "{name}{labels:?}");
    }
}

const COMMANDS: &str = "slack_zoom_commands_total";
const ACKS: &str = "slack_zoom_ack_seconds_count";
const ZOOM: &str = "slack_zoom_zoom_request_seconds_count";
const DELIVERIES: &str = "slack_zoom_deliveries_total";

#[tokio::test]
async fn the_counters_show_how_commands_were_answered_and_what_zoom_and_slack_did() {
    let app = spawn_app().await;
    let (_, scheduled) = app.command("Design review 45m tomorrow 3pm").await;
    assert_eq!(scheduled.status(), 200);
    let (_, refused) = app.command("Sync tmrw 3pm").await;
    assert!(
        refused.text().await.unwrap().contains("tmrw"),
        "the command is refused"
    );
    let (_, help) = app.command("help").await;
    assert_eq!(help.status(), 200);
    let body = command_body("Forged 30m", &app.slack.response_url("forged"));
    let ts = unix_now().to_string();
    let forged = app.post_raw(body, Some(&ts), Some("v0=00ff")).await;
    assert_eq!(forged.status(), 401);

    let url = app.url("/metrics");
    let scrape = scrape_until(&app, &url, |s| {
        s.count(
            DELIVERIES,
            &[("via", "response_url"), ("outcome", "delivered")],
        ) >= 1.0
            && s.get("slack_zoom_outbox_oldest_seconds", &[]) == Some(0.0)
            // The job ends once its card is marked posted, a commit after the card.
            && s.get("slack_zoom_queue_depth", &[]) == Some(0.0)
    })
    .await;
    assert_samples(
        &scrape,
        &[
            (COMMANDS, &[("outcome", "scheduled")], 1.0),
            (COMMANDS, &[("outcome", "refused")], 1.0),
            (COMMANDS, &[("outcome", "help")], 1.0),
            (COMMANDS, &[("outcome", "signature_rejected")], 1.0),
            (COMMANDS, &[("outcome", "busy")], 0.0),
            // The forged request is not timed: it would make Slack's acks look fast.
            (ACKS, &[("kind", "command")], 3.0),
            (ZOOM, &[("endpoint", "token"), ("status", "200")], 1.0),
            (ZOOM, &[("endpoint", "create"), ("status", "201")], 1.0),
            (
                "slack_zoom_token_fetches_total",
                &[("outcome", "issued")],
                1.0,
            ),
            (
                DELIVERIES,
                &[("via", "response_url"), ("outcome", "delivered")],
                1.0,
            ),
            (
                DELIVERIES,
                &[("via", "response_url"), ("outcome", "retried")],
                0.0,
            ),
            ("slack_zoom_outbox_oldest_seconds", &[], 0.0),
            ("slack_zoom_queue_depth", &[], 0.0),
            ("slack_zoom_queue_waiting", &[], 0.0),
        ],
    );
    assert!(
        scrape.count("slack_zoom_open_connections", &[]) >= 1.0,
        "the scrape's own connection is open"
    );
    assert_eq!(app.zoom.create_requests().len(), 1);
}

/// Whatever a command asks for, its replay is answered "already handled" and nothing of it runs
/// again: it is counted once as what it asked, and its copy as already handled.
#[tokio::test]
async fn a_replayed_command_runs_and_counts_once_whatever_it_asks() {
    let app = spawn_app().await;
    let cases = [
        ("help", "help"),
        ("list", "list"),
        ("Sync tmrw 3pm", "refused"),
        ("Design review 45m tomorrow 3pm", "scheduled"),
    ];
    let ts = unix_now();
    for (text, _) in cases {
        let body = command_body(text, &app.slack.response_url(text));
        let signature = sign(&body, ts);
        let first = app
            .post_raw(body.clone(), Some(&ts.to_string()), Some(&signature))
            .await;
        assert_eq!(first.status(), 200, "{text}");
        let again = app
            .post_raw(body, Some(&ts.to_string()), Some(&signature))
            .await
            .text()
            .await
            .unwrap();
        assert!(again.contains("already handled"), "{text}: {again}");
    }
    let scrape = scrape_at(&app, &app.url("/metrics")).await;
    for (text, outcome) in cases {
        assert_eq!(
            scrape.count(COMMANDS, &[("outcome", outcome)]),
            1.0,
            "{text}"
        );
    }
    assert_eq!(
        scrape.count(COMMANDS, &[("outcome", "already_handled")]),
        cases.len() as f64
    );
    assert!(app.zoom.wait_for_creates(1, WAIT).await);
    assert_eq!(app.zoom.create_requests().len(), 1);
}

#[tokio::test]
async fn response_url_retries_and_refusals_are_counted_apart_from_deliveries() {
    // (case, statuses the hook answers first, count of each outcome)
    type Case<'a> = (&'a str, &'a [u16], [(&'a str, f64); 4]);
    let cases: [Case; 3] = [
        (
            "delivered at once",
            &[],
            [
                ("delivered", 1.0),
                ("retried", 0.0),
                ("refused", 0.0),
                ("gave_up", 0.0),
            ],
        ),
        (
            "a 500, then delivered",
            &[500],
            [
                ("delivered", 1.0),
                ("retried", 1.0),
                ("refused", 0.0),
                ("gave_up", 0.0),
            ],
        ),
        (
            "refused with a 404",
            &[404],
            [
                ("delivered", 0.0),
                ("retried", 0.0),
                ("refused", 1.0),
                ("gave_up", 0.0),
            ],
        ),
    ];
    for (case, failures, want) in cases {
        let app = spawn_app().await;
        app.slack.push_hook_failures(failures);
        app.command("Design review 45m tomorrow 3pm").await;
        let url = app.url("/metrics");
        let scrape = scrape_until(&app, &url, |s| {
            ["delivered", "refused", "gave_up"]
                .iter()
                .any(|o| s.count(DELIVERIES, &[("via", "response_url"), ("outcome", o)]) > 0.0)
        })
        .await;
        for (outcome, count) in want {
            let got = scrape.count(DELIVERIES, &[("via", "response_url"), ("outcome", outcome)]);
            assert_eq!(got, count, "{case}: {outcome}");
        }
    }
}

#[tokio::test]
async fn a_busy_refusal_is_counted_and_the_queue_gauges_show_the_waiting_commands() {
    let hanging = FakeZoomOptions {
        create_latency: Duration::from_secs(3600),
        ..Default::default()
    };
    let app = spawn_app_with_config(
        hanging,
        |_, _| {},
        |config| {
            config.max_concurrent_creates = 1;
            config.max_queued_commands = 1;
        },
    )
    .await;
    for i in 0..3 {
        let (_, answer) = app.command(&format!("Sync {i} 30m tomorrow 10am")).await;
        assert_eq!(answer.status(), 200, "command {i}");
    }
    assert!(app.zoom.wait_for_creates(1, WAIT).await);
    let url = app.url("/metrics");
    let scrape = scrape_until(&app, &url, |s| {
        s.get("slack_zoom_queue_waiting", &[]) == Some(1.0)
    })
    .await;
    assert_samples(
        &scrape,
        &[
            (COMMANDS, &[("outcome", "scheduled")], 2.0),
            (COMMANDS, &[("outcome", "busy")], 1.0),
            ("slack_zoom_queue_depth", &[], 2.0),
            ("slack_zoom_queue_waiting", &[], 1.0),
            ("slack_zoom_creates_in_flight", &[], 1.0),
            (ACKS, &[("kind", "command")], 3.0),
        ],
    );
}

#[tokio::test]
async fn a_cancel_by_command_counts_the_zoom_delete_and_the_card_updated_through_the_web_api() {
    let app = spawn_app().await;
    app.command("Design review 45m tomorrow 3pm").await;
    app.slack.wait_for_deliveries(1, WAIT).await;
    let id = FakeZoomOptions::default().first_meeting_id;
    assert_eq!(app.zoom.meeting_ids(), [id], "the meeting exists");
    // A click on the card's Join link tells the service where the card is.
    let click = json!({
        "type": "block_actions",
        "user": {"id": USER_ID, "username": "ada", "team_id": TEAM_ID},
        "team": {"id": TEAM_ID, "domain": "acme"},
        "api_app_id": "A0001",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": CHANNEL_ID, "is_ephemeral": false},
        "channel": {"id": CHANNEL_ID, "name": "general"},
        "response_url": app.slack.response_url("click"),
        "trigger_id": "13345224609.738474920.click",
        "actions": [{"action_id": "join", "block_id": "meeting_actions", "type": "button", "value": id.to_string(), "action_ts": "1700000001.000200"}],
    });
    assert_eq!(app.interact(&click).await.status(), 200);
    let store = app.store().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while store
        .meetings()
        .get(id)
        .await
        .unwrap()
        .is_some_and(|m| m.card.is_none())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the card's place is never learnt"
        );
        tokio::task::yield_now().await;
    }
    app.command(&format!("cancel {id}")).await;
    app.slack.wait_for_calls("chat.update", 1, WAIT).await;

    let url = app.url("/metrics");
    let scrape = scrape_until(&app, &url, |s| {
        s.count(DELIVERIES, &[("via", "web_api"), ("outcome", "delivered")]) >= 1.0
    })
    .await;
    assert_samples(
        &scrape,
        &[
            (COMMANDS, &[("outcome", "cancel")], 1.0),
            (ZOOM, &[("endpoint", "delete"), ("status", "204")], 1.0),
            (
                DELIVERIES,
                &[("via", "web_api"), ("outcome", "delivered")],
                1.0,
            ),
            (ACKS, &[("kind", "interaction")], 1.0),
        ],
    );
}

#[tokio::test]
async fn a_command_over_socket_mode_is_counted_and_its_ack_timed() {
    let socket = FakeSocket::start().await;
    let api_url = socket.api_url();
    let app = spawn_app_with_config(
        FakeZoomOptions::default(),
        |_, _| {},
        move |config| {
            let mut socket =
                SocketModeConfig::new(&api_url, SecretString::from(APP_TOKEN)).unwrap();
            socket.backoff_base = Duration::from_millis(5);
            config.socket_mode = Some(socket);
        },
    )
    .await;
    assert!(socket.wait_for_connections(1, WAIT).await);
    // Slack's own example envelope: its response_url is not on this service's allow-list.
    socket.send(
        1,
        &OutEnvelope::slash_command("env-1", "Sync 30m tomorrow 10am"),
    );
    let mut ours = OutEnvelope::slash_command("env-2", "Sync 30m tomorrow 10am");
    ours.payload["response_url"] = app.slack.response_url("socket").into();
    socket.send(1, &ours);
    for id in ["env-1", "env-2"] {
        socket.wait_for_ack(id, WAIT).await.expect("acked");
    }
    let scrape = scrape_at(&app, &app.url("/metrics")).await;
    assert_samples(
        &scrape,
        &[
            (COMMANDS, &[("outcome", "malformed")], 1.0),
            (COMMANDS, &[("outcome", "scheduled")], 1.0),
            (ACKS, &[("kind", "command")], 2.0),
        ],
    );
}

#[tokio::test]
async fn metrics_are_served_in_the_format_the_scraper_asks_for() {
    let app = spawn_app().await;
    let cases = [
        (None, "text/plain; version=0.0.4; charset=utf-8", false),
        (
            Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            true,
        ),
    ];
    for (accept, content_type, eof) in cases {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{accept:?}");
        assert_eq!(
            response.headers()["content-type"],
            content_type,
            "{accept:?}"
        );
        let text = response.text().await.unwrap();
        assert_eq!(text.ends_with("# EOF\n"), eof, "{accept:?}");
        let scrape = Scrape::parse(&text);
        assert_eq!(
            scrape.get(COMMANDS, &[("outcome", "scheduled")]),
            Some(0.0),
            "{accept:?}: every outcome is there from the start"
        );
    }
}

/// The status of `GET {path}` on `address`.
async fn status(app: &TestApp, address: SocketAddr, path: &str) -> u16 {
    get(app, format!("http://{address}{path}"))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn metrics_port_moves_metrics_to_a_listener_of_its_own_or_turns_them_off() {
    let cases = [
        ("unset", None, 200, false),
        ("0 (any free port)", Some("0"), 404, true),
        ("off", Some("off"), 404, false),
        ("none", Some("none"), 404, false),
    ];
    for (case, metrics_port, on_main, own_listener) in cases {
        let app = spawn_app_with(|env, _| {
            if let Some(port) = metrics_port {
                env.insert("METRICS_PORT".into(), port.into());
            }
        })
        .await;
        assert_eq!(
            status(&app, app.address, "/metrics").await,
            on_main,
            "{case}"
        );
        assert_eq!(status(&app, app.address, "/healthz").await, 200, "{case}");
        assert_eq!(
            app.metrics_address.is_some(),
            own_listener,
            "{case}: its own listener"
        );
        if let Some(address) = app.metrics_address {
            assert_ne!(address.port(), app.address.port(), "{case}");
            let scrape = scrape_at(&app, &format!("http://{address}/metrics")).await;
            assert_eq!(
                scrape.get(COMMANDS, &[("outcome", "scheduled")]),
                Some(0.0),
                "{case}"
            );
            assert_eq!(
                status(&app, address, "/slack/commands").await,
                404,
                "{case}: only /metrics there"
            );
        }
    }
}

#[tokio::test]
async fn readyz_is_ready_only_while_the_store_answers_and_healthz_stays_alive() {
    let server = support::postgres::server();
    let database_url = server.fresh_database().await;
    let database = database_url.rsplit('/').next().unwrap().to_owned();
    let url = database_url.clone();
    let app = spawn_app_with(move |env, _| {
        env.insert("DATABASE_URL".into(), url);
    })
    .await;
    let readyz = app.url("/readyz");
    let response = get(&app, readyz.clone()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ready");

    // The database stops taking connections and the service's are cut: the store is gone.
    let mut admin = PgConnection::connect(&server.url("postgres"))
        .await
        .unwrap();
    let set_connections =
        |allowed: bool| format!("ALTER DATABASE {database} ALLOW_CONNECTIONS {allowed}");
    as_admin(&mut admin, set_connections(false)).await;
    cut_sessions(&mut admin, &database).await;
    let answer = poll_readyz(&app, &readyz, 503).await;
    assert_eq!(answer.0, 503, "not ready while the store is gone");
    assert!(!answer.1.is_empty(), "the 503 says why");
    assert_eq!(
        status(&app, app.address, "/healthz").await,
        200,
        "still alive"
    );
    let scrape = scrape_at(&app, &app.url("/metrics")).await;
    assert!(
        scrape
            .get("slack_zoom_outbox_oldest_seconds", &[])
            .is_some_and(f64::is_nan),
        "the outbox age is unknown, not zero"
    );

    as_admin(&mut admin, set_connections(true)).await;
    let answer = poll_readyz(&app, &readyz, 200).await;
    assert_eq!(
        answer,
        (200, "ready".to_owned()),
        "ready again with the store back"
    );

    // After a failover the database answers but takes no writes (as a standby would).
    let set_read_only =
        |on: bool| format!("ALTER DATABASE {database} SET default_transaction_read_only = {on}");
    for (read_only, want) in [
        (true, (503, "the store is read-only")),
        (false, (200, "ready")),
    ] {
        as_admin(&mut admin, set_read_only(read_only)).await;
        // The service's sessions are cut, so its new ones get the setting.
        cut_sessions(&mut admin, &database).await;
        let answer = poll_readyz_until(&app, &readyz, |(_, body)| body == want.1).await;
        assert_eq!(
            answer,
            (want.0, want.1.to_owned()),
            "read-only: {read_only}"
        );
    }
}

/// Runs `sql` (built by the test, not from input) on the server's administrative connection.
async fn as_admin(admin: &mut PgConnection, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(admin)
        .await
        .unwrap();
}

/// Ends every session on `database`: the service's next ones see it as it is now.
async fn cut_sessions(admin: &mut PgConnection, database: &str) {
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(database)
        .execute(admin)
        .await
        .unwrap();
}

/// Polls `/readyz` until it answers `want` (or the deadline passes); returns the last answer.
async fn poll_readyz(app: &TestApp, url: &str, want: u16) -> (u16, String) {
    poll_readyz_until(app, url, |(status, _)| *status == want).await
}

/// Polls `/readyz` until its answer satisfies `done` (or the deadline passes); the last one.
async fn poll_readyz_until(
    app: &TestApp,
    url: &str,
    done: impl Fn(&(u16, String)) -> bool,
) -> (u16, String) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let response = get(app, url.to_owned()).await;
        let answer = (response.status().as_u16(), response.text().await.unwrap());
        if done(&answer) || tokio::time::Instant::now() >= deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn every_metric_exposed_is_in_the_readmes_table_and_every_one_there_is_exposed() {
    let app = spawn_app().await;
    let text = get(&app, app.url("/metrics")).await.text().await.unwrap();
    let exposed: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split(' ').next())
        .collect();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let documented: std::collections::BTreeSet<&str> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .filter(|name| name.starts_with("slack_zoom_"))
        .collect();
    let undocumented: Vec<_> = exposed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "not in README.md: {undocumented:?}"
    );
    // Families by label appear with their first sample: no Zoom call and no sweep yet.
    let first_sample = ["slack_zoom_zoom_request_seconds", "slack_zoom_swept_total"];
    let missing: Vec<_> = documented
        .difference(&exposed)
        .filter(|name| !first_sample.contains(name))
        .collect();
    assert!(missing.is_empty(), "in README.md, not exposed: {missing:?}");
}
