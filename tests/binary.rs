//! The real binary: startup errors, and a graceful exit on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_slack-zoom");

#[tokio::test]
async fn with_an_empty_environment_startup_fails_listing_every_missing_variable() {
    let dir = std::env::temp_dir(); // no .env there to pick up
    let output = Command::new(BIN)
        .env_clear()
        .current_dir(&dir)
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in [
        "SLACK_SIGNING_SECRET",
        "ZOOM_ACCOUNT_ID",
        "ZOOM_CLIENT_ID",
        "ZOOM_CLIENT_SECRET",
        "README",
        // The two ways to start without them: no Zoom app yet, no public URL.
        "--dry-run",
        "SLACK_APP_TOKEN",
    ] {
        assert!(stderr.contains(name), "{name} not in: {stderr}");
    }
}

#[tokio::test]
async fn invalid_values_are_reported_before_binding() {
    let output = Command::new(BIN)
        .env_clear()
        .current_dir(std::env::temp_dir())
        .envs([
            ("SLACK_SIGNING_SECRET", "x"),
            ("ZOOM_DRY_RUN", "true"),
            ("PORT", "http"),
            ("DEFAULT_TIMEZONE", "EST5"),
        ])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PORT is `http`"), "{stderr}");
    assert!(stderr.contains("DEFAULT_TIMEZONE is `EST5`"), "{stderr}");
}

#[tokio::test]
async fn with_dry_run_it_starts_without_zoom_credentials_and_sigterm_exits_0() {
    let dir = std::env::temp_dir().join(format!("slack-zoom-binary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("slack-zoom.db");
    let mut child = Command::new(BIN)
        .env_clear()
        .current_dir(std::env::temp_dir())
        // --dry-run: no Zoom credentials needed.
        .arg("--dry-run")
        .envs([
            ("SLACK_SIGNING_SECRET", "x"),
            ("PORT", "0"),
            ("RUST_LOG", "info"),
        ])
        .env("DATABASE_URL", format!("sqlite://{}", database.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (port, startup) = startup_line(&mut child).await;
    // One line says how it is set up: mode, default zone and length, zone lookups, Zoom host.
    let mode = format!("mode=\"HTTP on port {port}, dry run");
    for needle in [
        mode.as_str(),
        "default_zone=UTC",
        "default_duration=30 minutes",
        "user_zones=\"not looked up (no SLACK_BOT_TOKEN)",
        "zoom_host=\"me\"",
    ] {
        assert!(startup.contains(needle), "`{needle}` not in: {startup}");
    }
    let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    let pid = child.id().unwrap().to_string();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(database.exists(), "the SQLite store was created at startup");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The port and the startup line, read from the service's stdout.
async fn startup_line(child: &mut tokio::process::Child) -> (String, String) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("address=").nth(1) {
                return (rest.rsplit(':').next().unwrap().trim().to_owned(), line);
            }
        }
        panic!("the service exited without logging its address");
    })
    .await
    .expect("the service logs its address")
}

#[tokio::test]
async fn with_an_app_token_the_startup_line_says_commands_arrive_over_socket_mode() {
    let dir = std::env::temp_dir().join(format!("slack-zoom-socket-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(BIN)
        .env_clear()
        .current_dir(&dir)
        .arg("--dry-run")
        .envs([
            ("SLACK_SIGNING_SECRET", "x"),
            ("SLACK_APP_TOKEN", "xapp-1-A0001-1-test"),
            // Nothing listens there: the link keeps retrying; the line is what is checked.
            ("SLACK_API_URL", "http://127.0.0.1:9/api"),
            ("PORT", "0"),
            ("RUST_LOG", "info"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (port, startup) = startup_line(&mut child).await;
    let mode = format!("mode=\"Socket Mode (health and metrics on port {port}), dry run");
    assert!(startup.contains(&mode), "`{mode}` not in: {startup}");
    child.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_store_that_cannot_be_opened_stops_startup_with_a_clear_message() {
    let output = Command::new(BIN)
        .env_clear()
        .current_dir(std::env::temp_dir())
        .envs([
            ("SLACK_SIGNING_SECRET", "x"),
            ("ZOOM_DRY_RUN", "true"),
            ("PORT", "0"),
            (
                "DATABASE_URL",
                "sqlite:///nonexistent-dir-for-slack-zoom/x.db",
            ),
        ])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success(), "a non-zero exit");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("SQLite") && stderr.contains("nonexistent-dir-for-slack-zoom"),
        "{stderr}"
    );
}

#[tokio::test]
async fn try_shows_how_a_command_is_read_without_slack_or_zoom() {
    let run = |args: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .current_dir(std::env::temp_dir())
            .arg("try")
            .args(args)
            .args(["--now", "2026-11-30T09:00:00Z"]);
        command.output()
    };
    let output = run(&["Design review 45m tomorrow 3pm", "--tz", "Europe/Istanbul"])
        .await
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "Topic:    Design review",
        "Duration: 45 minutes",
        "Tuesday, December 1, 2026 at 3:00 PM (Europe/Istanbul)",
        "2026-12-01 12:00 UTC",
        "given with --tz",
        ":video_camera: Design review",
    ] {
        assert!(text.contains(needle), "`{needle}` not in:\n{text}");
    }

    let output = run(&["Design review 45m tomorrow 3pm", "--json"])
        .await
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["start_utc"], "2026-12-01T15:00:00Z");
    assert_eq!(json["zone_source"], "assumed");
    assert_eq!(json["card"]["blocks"][0]["type"], "rich_text");

    let output = run(&["Sync 45x tomorrow 3pm"]).await.unwrap();
    assert_eq!(output.status.code(), Some(1), "a refusal exits non-zero");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("I couldn't read `45x` as a duration"),
        "{text}"
    );
}

#[tokio::test]
async fn try_shows_the_reply_notes_refusals_and_card_in_the_language_asked_for() {
    let run = |args: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .current_dir(std::env::temp_dir())
            .arg("try")
            .args(args)
            .args(["--now", "2026-11-30T09:00:00Z"]);
        command.output()
    };
    let cases: [(&str, &[&str], i32, &[&str]); 6] = [
        (
            "Turkish",
            &[
                "Tasarım incelemesi 45dk yarın 15:00",
                "--tz",
                "Europe/Istanbul",
                "--lang",
                "tr",
            ],
            0,
            &[
                ":hourglass_flowing_sand: Tasarım incelemesi planlanıyor: 1 Aralık Salı 15:00 (Europe/Istanbul), 45 dakika…",
                "1 Aralık 2026 Salı 15:00 (Europe/Istanbul) · 45 dakika   [Katıl]",
                "Toplantı Kimliği 000 0000 0000",
                "[Google Takvim] [Outlook] [Saati değiştir…] [Toplantıyı iptal et]",
                "Planlayan: @U0YOU",
            ],
        ),
        (
            "Turkish notes, by locale",
            &["Plan 30dk her pazartesi 10:00", "--locale", "tr-TR"],
            0,
            &[
                "Plan planlanıyor: Her pazartesi 10:00 (UTC), 60 kez, 30 dakika…",
                "  • Bitiş verilmediği için seri Zoom'un 60 toplantı sınırında duruyor (sonuncusu 17 Ocak 2028 Pazartesi).",
                "  • Saat dilimi verilmediği için saatler UTC saat dilimine göre okundu",
            ],
        ),
        (
            "a Turkish refusal",
            &["Plan 45x yarın", "--lang", "tr"],
            1,
            &["`45x` ifadesini süre olarak okuyamadım."],
        ),
        (
            "English by default",
            &["Design review 45m tomorrow 3pm"],
            0,
            &[
                ":hourglass_flowing_sand: Scheduling Design review for Tuesday, December 1 at 3:00 PM (UTC), 45 minutes…",
                "[Google Calendar] [Outlook] [Change time…] [Cancel meeting]",
            ],
        ),
        (
            "help is an answer",
            &["help"],
            0,
            &["/zoom Design review 45m tomorrow 3pm"],
        ),
        (
            "a language without a catalog",
            &["Sync", "--lang", "de-DE"],
            2,
            &[],
        ),
    ];
    for (case, args, code, needles) in cases {
        let output = run(args).await.unwrap();
        assert_eq!(output.status.code(), Some(code), "{case}");
        let text = String::from_utf8_lossy(&output.stdout);
        for needle in needles {
            assert!(text.contains(needle), "{case}: `{needle}` not in:\n{text}");
        }
        if code == 2 {
            let error = String::from_utf8_lossy(&output.stderr);
            assert!(error.contains("no catalog for `de-DE`"), "{case}: {error}");
        }
    }
}

#[test]
fn try_piped_into_a_reader_that_has_gone_exits_quietly() {
    // `slack-zoom try … | head -1`: the reader is gone before the answer is written.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = std::process::Command::new(BIN)
        .env_clear()
        .current_dir(std::env::temp_dir())
        .args(["try", "Design review 45m tomorrow 3pm", "--json"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}
