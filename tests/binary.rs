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
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("address=").nth(1) {
                return rest.rsplit(':').next().unwrap().trim().to_owned();
            }
        }
        panic!("the service exited without logging its address");
    })
    .await
    .expect("the service logs its address");
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
}
