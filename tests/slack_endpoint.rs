//! The signed Slack endpoint through the real router on a real port: what is accepted and what is refused.

mod support;

use support::{
    CHANNEL_ID, TEAM_ID, USER_ID, command_body, command_body_for, json, sign, spawn_app,
    spawn_app_with, unix_now,
};

#[tokio::test]
async fn a_valid_command_is_answered_200_within_slacks_deadline() {
    let app = spawn_app().await;
    // The client's 3 s timeout is Slack's deadline: a slower answer fails the request.
    let (_, response) = app.command("help").await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(body["response_type"], "ephemeral");
}

#[tokio::test]
async fn requests_slack_did_not_sign_are_refused_with_401() {
    let app = spawn_app().await;
    let body = command_body("Design review 45m", &app.slack.response_url("x"));
    let now = unix_now();
    let good_sig = sign(&body, now);
    let stale_sig = sign(&body, now - 301);
    let future_sig = sign(&body, now + 301);
    let other_secret = slack_zoom::slack::SignatureVerifier::new("wrong-secret".to_owned().into())
        .sign(now, body.as_bytes());
    let v1_sig = good_sig.replace("v0=", "v1=");
    let now_s = now.to_string();
    let stale = (now - 301).to_string();
    let future = (now + 301).to_string();
    let cases: Vec<(&str, Option<&str>, Option<&str>, String)> = vec![
        ("no headers", None, None, body.clone()),
        ("no signature", Some(&now_s), None, body.clone()),
        ("no timestamp", None, Some(&good_sig), body.clone()),
        (
            "non-numeric timestamp",
            Some("soon"),
            Some(&good_sig),
            body.clone(),
        ),
        (
            "malformed signature",
            Some(&now_s),
            Some("v0=nothex"),
            body.clone(),
        ),
        ("v1 signature", Some(&now_s), Some(&v1_sig), body.clone()),
        (
            "wrong secret",
            Some(&now_s),
            Some(&other_secret),
            body.clone(),
        ),
        (
            "tampered body",
            Some(&now_s),
            Some(&good_sig),
            body.replace("45m", "46m"),
        ),
        (
            "stale timestamp",
            Some(&stale),
            Some(&stale_sig),
            body.clone(),
        ),
        (
            "future timestamp",
            Some(&future),
            Some(&future_sig),
            body.clone(),
        ),
    ];
    for (name, ts, sig, body) in cases {
        let response = app.post_raw(body, ts, sig).await;
        assert_eq!(response.status(), 401, "case `{name}`");
        let text = response.text().await.unwrap();
        assert_eq!(
            text, "invalid request signature",
            "case `{name}`: generic body"
        );
    }
    assert!(
        app.slack.hook_attempts().is_empty(),
        "nothing was sent anywhere"
    );
}

#[tokio::test]
async fn a_timestamp_300_seconds_old_is_still_accepted() {
    let app = spawn_app().await;
    let body = command_body("help", &app.slack.response_url("x"));
    // 299 rather than 300: a second may tick between signing and checking.
    let ts = unix_now() - 299;
    let response = app
        .post_raw(body.clone(), Some(&ts.to_string()), Some(&sign(&body, ts)))
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn slacks_ssl_check_gets_an_empty_200_and_nothing_else() {
    let app = spawn_app().await;
    let response = app.post_raw("ssl_check=1&token=xyz", None, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "");
}

#[tokio::test]
async fn a_command_that_also_says_ssl_check_still_needs_a_signature() {
    let app = spawn_app().await;
    let body = format!(
        "ssl_check=1&{}",
        command_body("help", &app.slack.response_url("x"))
    );
    let response = app.post_raw(body, None, None).await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_replayed_request_is_answered_but_not_run_again() {
    let app = spawn_app().await;
    let body = command_body("help", &app.slack.response_url("x"));
    let ts = unix_now().to_string();
    let sig = sign(&body, ts.parse().unwrap());
    let first = json(app.post_raw(body.clone(), Some(&ts), Some(&sig)).await).await;
    assert!(
        !first["text"].as_str().unwrap().contains("already handled"),
        "{first}"
    );
    let second = json(app.post_raw(body, Some(&ts), Some(&sig)).await).await;
    assert_eq!(second["response_type"], "ephemeral");
    assert!(
        second["text"].as_str().unwrap().contains("already handled"),
        "{second}"
    );
}

#[tokio::test]
async fn a_body_over_16_kib_is_refused_with_413() {
    let app = spawn_app().await;
    let body = command_body(&"a".repeat(17 * 1024), &app.slack.response_url("x"));
    let response = app.post_signed(&body).await;
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn a_workspace_not_on_the_allow_list_gets_an_ephemeral_refusal() {
    let app = spawn_app_with(|env, _| {
        env.insert("SLACK_ALLOWED_TEAM_IDS".into(), format!("TOTHER,{TEAM_ID}"));
    })
    .await;
    let url = app.slack.response_url("x");
    let allowed = json(
        app.post_signed(&command_body_for(TEAM_ID, USER_ID, "help", &url))
            .await,
    )
    .await;
    assert!(
        !allowed["text"].as_str().unwrap().contains("not enabled"),
        "{allowed}"
    );
    let refused = json(
        app.post_signed(&command_body_for("TSTRANGER", USER_ID, "help", &url))
            .await,
    )
    .await;
    assert_eq!(refused["response_type"], "ephemeral");
    assert!(
        refused["text"]
            .as_str()
            .unwrap()
            .contains("not enabled for this workspace"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_response_url_outside_the_allowed_prefixes_is_refused_with_400() {
    let app = spawn_app().await;
    for url in [
        "https://attacker.example/hook",
        "http://127.0.0.1:1/hooks/x",
        "https://hooks.slack.com.attacker.example/x",
    ] {
        let response = app.post_signed(&command_body("help", url)).await;
        assert_eq!(response.status(), 400, "{url}");
    }
    assert!(app.slack.hook_attempts().is_empty());
}

#[tokio::test]
async fn signed_bodies_that_are_not_slash_commands_get_400_with_a_clear_message() {
    let app = spawn_app().await;
    let url = app.slack.response_url("x");
    let complete = command_body("Sync 30m tomorrow 10am", &url);
    let cases = [
        (
            "missing user_id",
            complete.replace(&format!("user_id={USER_ID}&"), ""),
            "the form has no `user_id` field",
        ),
        (
            "missing command",
            complete.replace("command=%2Fzoom&", ""),
            "the form has no `command` field",
        ),
        (
            "bad channel id",
            complete.replace(CHANNEL_ID, "C%20%3Cx%3E"),
            "the `channel_id` field is not a valid Slack id",
        ),
    ];
    for (name, body, message) in cases {
        let response = app.post_signed(&body).await;
        assert_eq!(response.status(), 400, "case `{name}`");
        assert_eq!(response.text().await.unwrap(), message, "case `{name}`");
    }
    // A complete command whose text holds bytes that are not UTF-8.
    let mut not_utf8 = complete.into_bytes();
    let text_at = not_utf8.windows(5).position(|w| w == b"text=").unwrap() + 5;
    not_utf8.splice(text_at..text_at, [0xff, 0xfe]);
    let ts = unix_now();
    let sig = slack_zoom::slack::SignatureVerifier::new(support::SIGNING_SECRET.to_owned().into())
        .sign(ts, &not_utf8);
    let response = app
        .post_raw(not_utf8, Some(&ts.to_string()), Some(&sig))
        .await;
    assert_eq!(response.status(), 400, "non-UTF-8 body");
    assert_eq!(
        response.text().await.unwrap(),
        "the body is not a URL-encoded form"
    );
    assert!(app.zoom.create_requests().is_empty());
}

#[tokio::test]
async fn health_unknown_paths_and_wrong_methods_answer_as_http_expects() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let cases = [
        ("GET", "/nowhere", 404),
        ("POST", "/healthz", 405),
        ("GET", "/slack/commands", 405),
        ("PUT", "/slack/commands", 405),
    ];
    for (method, path, status) in cases {
        let response = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(health.headers().get("x-request-id").is_some());
}

#[tokio::test]
async fn shutdown_completes_cleanly() {
    let mut app = spawn_app().await;
    app.command("help").await;
    app.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn clients_holding_connections_open_cannot_stall_shutdown() {
    use tokio::io::AsyncWriteExt;
    let mut app = spawn_app().await;
    // One connection stops halfway through its headers, one halfway through its body.
    let mut partial_headers = tokio::net::TcpStream::connect(app.address).await.unwrap();
    partial_headers
        .write_all(b"POST /slack/commands HTTP/1.1\r\nHost: x\r\nX-Sla")
        .await
        .unwrap();
    let mut partial_body = tokio::net::TcpStream::connect(app.address).await.unwrap();
    partial_body
        .write_all(b"POST /slack/commands HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        .await
        .unwrap();
    // Make sure both connections were accepted before asking the service to stop.
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    // The test service's shutdown budget is 3 s; 15 s means it ignored the budget.
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(15), app.shutdown()).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "shutdown did not finish: {stopped:?}"
    );
    drop((partial_headers, partial_body));
}
