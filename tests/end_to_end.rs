//! End to end: the real binary, configured through its environment to use loopback fakes,
//! turns a signed command into a meeting card at the `response_url`.

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::fake_slack::{BOT_TOKEN, FakeSlack, FakeUser};
use support::fake_zoom::FakeZoom;
use support::{SIGNING_SECRET, USER_ID, command_body, command_request, sign, unix_now};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// The binary cargo built for this test run: no second build with another profile or
/// environment, so switching between `cargo test` and `cargo run --release` rebuilds nothing.
const BIN: &str = env!("CARGO_BIN_EXE_slack-zoom");

/// The binary running against the fakes, with what it has logged so far.
struct Service {
    child: Child,
    stdout: BufReader<ChildStdout>,
    log: String,
    port: String,
    /// The service's SQLite file, removed with the service.
    database: std::path::PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = self.database.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}

impl Service {
    async fn start(slack: &FakeSlack, zoom: &FakeZoom) -> Service {
        let env = support::test_env(slack, zoom);
        let database =
            std::path::PathBuf::from(env["DATABASE_URL"].strip_prefix("sqlite://").unwrap());
        let mut child = Command::new(BIN)
            .env_clear()
            .current_dir(std::env::temp_dir())
            .envs(env.iter())
            // Debug level, so the secrecy check covers the chattiest logs.
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut log = String::new();
        let port = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let mut line = String::new();
                assert!(
                    stdout.read_line(&mut line).await.unwrap() > 0,
                    "exited early:\n{log}"
                );
                log.push_str(&line);
                if let Some(rest) = line.split("address=").nth(1) {
                    return rest.trim().rsplit(':').next().unwrap().to_owned();
                }
            }
        })
        .await
        .expect("the service logs its address");
        Service {
            child,
            stdout,
            log,
            port,
            database,
        }
    }

    async fn send(&self, text: &str, response_url: &str) {
        let body = command_body(text, response_url);
        let ts = unix_now();
        let base = format!("http://127.0.0.1:{}", self.port);
        let ack = command_request(&reqwest::Client::new(), &base, &body, ts, &sign(&body, ts))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .unwrap();
        assert_eq!(ack.status(), 200);
    }

    /// Sends SIGTERM, checks the exit status is 0 (after draining), and returns everything logged.
    async fn stop(mut self) -> String {
        let pid = self.child.id().unwrap().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .await
                .unwrap()
                .success()
        );
        let status = tokio::time::timeout(Duration::from_secs(40), self.child.wait())
            .await
            .expect("exits")
            .unwrap();
        assert_eq!(status.code(), Some(0));
        self.stdout.read_to_string(&mut self.log).await.unwrap();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut self.log)
            .await
            .unwrap();
        std::mem::take(&mut self.log)
    }
}

#[tokio::test]
async fn the_binary_posts_a_meeting_card_for_a_signed_command() {
    let slack = FakeSlack::start().await;
    let zoom = FakeZoom::start().await;
    slack.add_user(
        USER_ID,
        FakeUser {
            tz: Some("Europe/Berlin".into()),
            email: None,
            ..Default::default()
        },
    );
    let service = Service::start(&slack, &zoom).await;

    service
        .send("Launch review 45m tomorrow 3pm", &slack.response_url("e2e"))
        .await;

    let deliveries = slack.wait_for_deliveries(1, Duration::from_secs(20)).await;
    assert_eq!(deliveries.len(), 1, "one card posted");
    let card = &deliveries[0].body;
    assert_eq!(card["response_type"], "in_channel");
    assert!(card.to_string().contains("Launch review"), "{card}");
    assert!(card.to_string().contains("(Europe/Berlin)"), "{card}");
    assert_eq!(zoom.create_requests()[0].body["timezone"], "Europe/Berlin");

    // A forged request is refused, and the log says which check failed (without secrets).
    let forged = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/slack/commands", service.port))
        .header("X-Slack-Request-Timestamp", unix_now().to_string())
        .header("X-Slack-Signature", format!("v0={}", "0".repeat(64)))
        .body(command_body(
            "Forged 30m tomorrow 3pm",
            &slack.response_url("forged"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    let log = service.stop().await;
    assert!(log.contains("meeting created and posted"), "{log}");
    let rejection = log
        .lines()
        .find(|l| l.contains("rejected: request signature check failed"))
        .unwrap_or_else(|| panic!("no rejection line:\n{log}"));
    assert!(
        rejection.contains("WARN") && rejection.contains("signature does not match the body"),
        "{rejection}"
    );
    assert_eq!(
        zoom.create_requests().len(),
        1,
        "the forged command created nothing"
    );
    // Nothing secret in anything the service printed.
    let mut secrets = vec![
        SIGNING_SECRET.to_owned(),
        BOT_TOKEN.to_owned(),
        zoom.options().client_secret.clone(),
    ];
    secrets.extend(zoom.issued_tokens());
    secrets.extend(zoom.start_urls());
    for secret in secrets {
        assert!(
            !log.contains(&secret),
            "`{secret}` appears in the logs:\n{log}"
        );
    }
}

#[tokio::test]
async fn a_meeting_whose_card_cannot_be_posted_is_logged_at_error_with_what_is_needed_to_recover_it()
 {
    let slack = FakeSlack::start().await;
    let zoom = FakeZoom::start().await;
    slack.push_hook_failures(&[410]);
    let service = Service::start(&slack, &zoom).await;

    service
        .send(
            "Launch review 45m tomorrow 3pm",
            &slack.response_url("expired"),
        )
        .await;
    assert!(zoom.wait_for_creates(1, Duration::from_secs(20)).await);

    // SIGTERM waits for the background task, so its log line is in by the time the process exits.
    let log = service.stop().await;
    let line = log
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("could not be posted"))
        .unwrap_or_else(|| panic!("no error line:\n{log}"));
    let first_id = zoom.options().first_meeting_id;
    assert!(line.contains(&format!("meeting_id={first_id}")), "{line}");
    assert!(line.contains(&format!("/j/{first_id}")), "join URL: {line}");
    assert!(line.contains("channel=C0001"), "{line}");
}
