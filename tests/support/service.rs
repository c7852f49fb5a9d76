//! The real `slack-zoom` binary as a child process, its log collected as it runs, stopped by SIGTERM (or killed).
//!
//! Several can run at once (replicas on one PostgreSQL); each reads its own environment.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Notify;

/// The binary cargo built for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_slack-zoom");

/// A running service.
pub struct Service {
    child: Child,
    log: Arc<Log>,
    pub port: u16,
}

#[derive(Default)]
struct Log {
    text: Mutex<String>,
    grew: Notify,
    /// Pipes (stdout, stderr) read to their end.
    closed: std::sync::atomic::AtomicUsize,
}

impl Log {
    fn push(&self, line: &str) {
        let mut text = self.text.lock().unwrap();
        text.push_str(line);
        text.push('\n');
        drop(text);
        self.grew.notify_waiters();
    }

    fn text(&self) -> String {
        self.text.lock().unwrap().clone()
    }
}

impl Service {
    /// Starts the binary with exactly `env` (and `args`), and waits until it listens.
    pub async fn start(env: &HashMap<String, String>, args: &[&str]) -> Service {
        let mut child = Command::new(BIN)
            .env_clear()
            .current_dir(std::env::temp_dir())
            .envs(env.iter())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let log = Arc::new(Log::default());
        collect(child.stdout.take().unwrap(), Arc::clone(&log));
        collect(child.stderr.take().unwrap(), Arc::clone(&log));
        let mut service = Service {
            child,
            log,
            port: 0,
        };
        let line = service
            .wait_for_line(|line| line.contains("address="), Duration::from_secs(30))
            .await
            .unwrap_or_else(|| panic!("the service logs its address:\n{}", service.log()));
        service.port = line
            .rsplit(':')
            .next()
            .and_then(|port| port.trim().parse().ok())
            .unwrap_or_else(|| panic!("a port at the end of: {line}"));
        service
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("still running")
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.text()
    }

    /// Sends `text` as a slash command signed now, answering to `response_url`, and checks it
    /// is acknowledged.
    pub async fn send_command(&self, text: &str, response_url: &str) {
        let body = super::command_body(text, response_url);
        let ts = super::unix_now();
        let base = format!("http://127.0.0.1:{}", self.port);
        let ack = super::command_request(
            &reqwest::Client::new(),
            &base,
            &body,
            ts,
            &super::sign(&body, ts),
        )
        .send()
        .await
        .expect("the service answers");
        assert_eq!(ack.status(), 200);
    }

    /// The first logged line that `matches`, waiting for it until `deadline` passes.
    pub async fn wait_for_line(
        &self,
        matches: impl Fn(&str) -> bool,
        deadline: Duration,
    ) -> Option<String> {
        let wait = async {
            loop {
                let grew = self.log.grew.notified();
                tokio::pin!(grew);
                grew.as_mut().enable();
                if let Some(line) = self.log.text().lines().find(|l| matches(l)) {
                    return line.to_owned();
                }
                grew.await;
            }
        };
        tokio::time::timeout(deadline, wait).await.ok()
    }

    /// Sends SIGTERM, checks that it exits with status 0 after draining, and returns its log.
    pub async fn stop(mut self) -> String {
        self.signal("-TERM").await;
        let status = tokio::time::timeout(Duration::from_secs(40), self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .unwrap();
        assert_eq!(status.code(), Some(0), "exit status; log:\n{}", self.log());
        self.settled_log().await
    }

    /// Kills it at once (SIGKILL), as a crash or an OOM kill would, and returns its log.
    pub async fn kill(mut self) -> String {
        self.signal("-KILL").await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        self.settled_log().await
    }

    async fn signal(&self, signal: &str) {
        let pid = self.pid().to_string();
        let sent = Command::new("kill")
            .args([signal, &pid])
            .status()
            .await
            .unwrap();
        assert!(sent.success(), "kill {signal} {pid}");
    }

    /// The log once both pipes have been read to their end (bounded: the process has exited,
    /// so they close at once unless something else holds them).
    async fn settled_log(&self) -> String {
        let wait = async {
            loop {
                let grew = self.log.grew.notified();
                tokio::pin!(grew);
                grew.as_mut().enable();
                if self.log.closed.load(std::sync::atomic::Ordering::SeqCst) == 2 {
                    return;
                }
                grew.await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), wait).await;
        self.log()
    }
}

fn collect(pipe: impl AsyncRead + Unpin + Send + 'static, log: Arc<Log>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            log.push(&line);
        }
        log.closed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        log.grew.notify_waiters();
    });
}
