//! The one request path to Zoom's API: token, retries, and the reading of Zoom's answer.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::error::{Operation, zoom_text};
use super::observer::CallOutcome;
use super::retry::{Retries, RetryPolicy, parse_retry_after};
use super::token::{self, AccessToken};
use super::{Inner, ZoomError};

/// A 2xx answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

/// What the loop should do after one attempt.
enum Step {
    /// Final: the answer, or an error that retrying could only make worse.
    Done(Result<Answer, ZoomError>),
    /// The API rejected this token (401 / code 124): drop it and try once more with a new one.
    TokenRejected,
    /// Nothing can have happened (never connected, per-second limit): retry within the budget.
    Retry {
        retry_after: Option<Duration>,
        give_up: ZoomError,
    },
    /// The request may have reached Zoom and no answer came: retried once if idempotent.
    Lost(ZoomError),
}

/// Zoom's error body: `{"code", "message", "errors": [{"field", "message"}]}`.
#[derive(Deserialize, Default)]
struct ApiError {
    code: Option<i64>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<FieldError>,
}

#[derive(Deserialize)]
struct FieldError {
    #[serde(default)]
    field: String,
    #[serde(default)]
    message: String,
}

/// Sends `method url` with `body` (JSON) for `operation`, and returns Zoom's 2xx answer.
///
/// - A token comes from the shared cache; a 401 (code 124) drops it and retries once.
/// - Never-connected requests and per-second 429s are retried within the retry budget.
/// - A request that may have reached Zoom without an answer (timeout, broken connection) is
///   retried once only when the operation is idempotent: never a create.
pub(crate) async fn call(
    inner: &Inner,
    operation: Operation,
    method: Method,
    url: &str,
    body: Option<&[u8]>,
) -> Result<Answer, ZoomError> {
    let mut retries = Retries::new(RetryPolicy::default());
    let mut token_renewed = false;
    let mut resent = false;
    let stopped = || {
        operation == Operation::Create
            && inner
                .creates_stopped
                .load(std::sync::atomic::Ordering::SeqCst)
    };
    loop {
        if stopped() {
            return Err(ZoomError::Stopped);
        }
        let token = inner
            .tokens
            .get(|| token::request_token(&inner.http, &inner.config, &*inner.observer))
            .await;
        let step = match token {
            Ok(token) => {
                let step = attempt(inner, operation, &method, url, &token, body).await;
                if matches!(step, Step::TokenRejected) && !token_renewed {
                    tracing::warn!("Zoom rejected the access token; fetching a new one");
                    inner.tokens.invalidate(&token).await;
                    token_renewed = true;
                    continue;
                }
                step
            }
            // The token request changes nothing, so failing to reach Zoom is safe to retry.
            Err(ZoomError::Unreachable) => Step::Retry {
                retry_after: None,
                give_up: ZoomError::Unreachable,
            },
            Err(error) => Step::Done(Err(error)),
        };
        match step {
            Step::Done(result) => return result,
            Step::TokenRejected => return Err(ZoomError::TokenRejected),
            Step::Retry {
                retry_after,
                give_up,
            } => match retries.next_delay(retry_after) {
                Some(delay) => {
                    tracing::warn!(?delay, ?operation, reason = %give_up, "retrying a Zoom call");
                    tokio::time::sleep(delay).await;
                }
                None => return Err(give_up),
            },
            Step::Lost(error) if operation.idempotent() && !resent => {
                tracing::warn!(?operation, reason = %error, "sending an idempotent Zoom call again");
                resent = true;
            }
            Step::Lost(error) => return Err(error),
        }
    }
}

/// One request and the reading of its answer.
async fn attempt(
    inner: &Inner,
    operation: Operation,
    method: &Method,
    url: &str,
    token: &AccessToken,
    body: Option<&[u8]>,
) -> Step {
    let mut request = inner
        .http
        .request(method.clone(), url)
        .bearer_auth(token.expose());
    if let Some(body) = body {
        request = request
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
    }
    let started = Instant::now();
    let observe = |outcome| {
        inner
            .observer
            .request(operation.into(), outcome, started.elapsed())
    };
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) if error.is_connect() => {
            observe(CallOutcome::of_error(&error));
            tracing::warn!(error = %error.without_url(), "could not connect to Zoom");
            return Step::Retry {
                retry_after: None,
                give_up: ZoomError::Unreachable,
            };
        }
        Err(error) => {
            observe(CallOutcome::of_error(&error));
            return Step::Lost(lost(error, operation));
        }
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, Utc::now()));
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(error) => {
            observe(CallOutcome::of_error(&error));
            return Step::Lost(lost(error, operation));
        }
    };
    observe(CallOutcome::Status(status.as_u16()));
    if status.is_success() {
        return Step::Done(Ok(Answer {
            status,
            body: body.to_vec(),
        }));
    }
    let api: ApiError = serde_json::from_slice(&body).unwrap_or_default();
    tracing::warn!(
        status = status.as_u16(),
        code = api.code,
        ?operation,
        "Zoom refused a call"
    );
    classify(status, api, retry_after)
}

/// A transport failure after the request may have reached Zoom.
fn lost(error: reqwest::Error, operation: Operation) -> ZoomError {
    let timed_out = error.is_timeout();
    tracing::error!(error = %error.without_url(), ?operation, "a Zoom call got no answer");
    if timed_out {
        ZoomError::Timeout
    } else {
        ZoomError::ConnectionLost
    }
}

/// Maps an error answer to a step. Zoom's code decides first; the status covers the rest.
fn classify(status: StatusCode, api: ApiError, retry_after: Option<Duration>) -> Step {
    let message = zoom_text(&api.message);
    let error = match api.code {
        Some(4711) => ZoomError::MissingScope { message },
        Some(124) => return Step::TokenRejected,
        _ if status == StatusCode::UNAUTHORIZED => return Step::TokenRejected,
        Some(1001) => ZoomError::HostNotFound { message },
        Some(3001) => ZoomError::MeetingNotFound,
        Some(3161) => ZoomError::HostNotAllowed { message },
        Some(300) if daily_cap(&message).is_some() => ZoomError::DailyLimit {
            limit: daily_cap(&message).flatten(),
        },
        Some(300) => ZoomError::Validation {
            messages: field_messages(api),
        },
        Some(429 | 4001) => return rate_limited(&message, retry_after),
        _ if status == StatusCode::TOO_MANY_REQUESTS => return rate_limited(&message, retry_after),
        _ if status.is_server_error() => ZoomError::Unavailable {
            status: status.as_u16(),
        },
        code => ZoomError::Refused {
            status: status.as_u16(),
            code,
            message,
        },
    };
    Step::Done(Err(error))
}

/// The daily create/update limit is final until 00:00 UTC; the per-second limit passes quickly.
fn rate_limited(message: &str, retry_after: Option<Duration>) -> Step {
    match daily_cap(message) {
        Some(limit) => Step::Done(Err(ZoomError::DailyLimit { limit })),
        None => Step::Retry {
            retry_after,
            give_up: ZoomError::RateLimited,
        },
    }
}

/// `Some(limit)` when `message` announces the daily create/update limit, in either of Zoom's
/// wordings: "You have exceeded the daily rate limit (100) of Meeting Create/Update API
/// requests ..." (429) or "A maximum of 100 meetings can be created/updated for a single user
/// in one day." (code 300 in older spec copies).
fn daily_cap(message: &str) -> Option<Option<u32>> {
    let lower = message.to_ascii_lowercase();
    let number_after = |marker: &str| {
        lower.find(marker).and_then(|at| {
            let digits: String = lower
                .get(at + marker.len()..)?
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
    };
    if lower.contains("daily rate limit") {
        Some(number_after("daily rate limit ("))
    } else if lower.contains("created/updated for a single user in one day") {
        Some(number_after("a maximum of"))
    } else {
        None
    }
}

/// `field: message` for each field error, else Zoom's overall message; capped in total.
fn field_messages(api: ApiError) -> Vec<String> {
    let fields: Vec<String> = api
        .errors
        .into_iter()
        .map(|e| match (e.field.is_empty(), e.message.is_empty()) {
            (false, false) => format!("{}: {}", e.field, e.message),
            (false, true) => e.field,
            _ => e.message,
        })
        .filter(|m| !m.is_empty())
        .collect();
    let messages = if !fields.is_empty() {
        fields
    } else if !api.message.is_empty() {
        vec![api.message]
    } else {
        vec!["Zoom gave no details".to_owned()]
    };
    // One cap for all of them together: Zoom's list could be long.
    let mut budget = 1000usize;
    messages
        .into_iter()
        .map_while(|message| {
            let kept = zoom_text(&message).chars().take(budget).collect::<String>();
            budget = budget.saturating_sub(kept.chars().count());
            (!kept.is_empty()).then_some(kept)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(status: u16, body: &str, retry_after: Option<u64>) -> String {
        let api = serde_json::from_str(body).unwrap_or_default();
        let status = StatusCode::from_u16(status).unwrap();
        match classify(status, api, retry_after.map(Duration::from_secs)) {
            Step::Done(Err(e)) => format!("{e:?}"),
            Step::Done(Ok(_)) => "ok".into(),
            Step::TokenRejected => "token rejected".into(),
            Step::Retry {
                retry_after,
                give_up,
            } => format!("retry {retry_after:?} else {give_up:?}"),
            Step::Lost(e) => format!("lost {e:?}"),
        }
    }

    #[test]
    fn error_answers_map_to_decisions() {
        let daily = r#"{"code":429,"message":"You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user."}"#;
        let daily_300 = r#"{"code":300,"message":"A maximum of 50 meetings can be created/updated for a single user in one day."}"#;
        let cases = [
            (
                401,
                r#"{"code":124,"message":"Invalid access token."}"#,
                "token rejected",
            ),
            (401, "", "token rejected"),
            (
                400,
                r#"{"code":124,"message":"Access token is expired."}"#,
                "token rejected",
            ),
            (
                400,
                r#"{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:write:meeting:admin]."}"#,
                r#"MissingScope { message: "Invalid access token, does not contain scopes:[meeting:write:meeting:admin]." }"#,
            ),
            (
                404,
                r#"{"code":1001,"message":"User does not exist: a@b.c."}"#,
                r#"HostNotFound { message: "User does not exist: a@b.c." }"#,
            ),
            (
                404,
                r#"{"code":3001,"message":"Meeting does not exist: 85746065432."}"#,
                "MeetingNotFound",
            ),
            (
                400,
                r#"{"code":3161,"message":"User is not allowed to host."}"#,
                r#"HostNotAllowed { message: "User is not allowed to host." }"#,
            ),
            (
                400,
                r#"{"code":3000,"message":"Users in 'x' have been blocked from joining meetings."}"#,
                r#"Refused { status: 400, code: Some(3000), message: "Users in 'x' have been blocked from joining meetings." }"#,
            ),
            (
                400,
                r#"{"code":300,"message":"Validation Failed.","errors":[{"field":"duration","message":"Invalid field."}]}"#,
                r#"Validation { messages: ["duration: Invalid field."] }"#,
            ),
            (
                400,
                r#"{"code":300,"message":"Invalid start_time."}"#,
                r#"Validation { messages: ["Invalid start_time."] }"#,
            ),
            (400, daily_300, "DailyLimit { limit: Some(50) }"),
            (429, daily, "DailyLimit { limit: Some(100) }"),
            (
                429,
                r#"{"code":429,"message":"You have exceeded the daily rate limit of Meeting Create/Update API requests."}"#,
                "DailyLimit { limit: None }",
            ),
            (
                429,
                r#"{"code":429,"message":"You have reached the maximum per-second rate limit for this API."}"#,
                "retry Some(1s) else RateLimited",
            ),
            (429, "", "retry Some(1s) else RateLimited"),
            (
                429,
                r#"{"code":4001,"message":"Too many requests"}"#,
                "retry Some(1s) else RateLimited",
            ),
            (500, "<html>oops</html>", "Unavailable { status: 500 }"),
            (
                503,
                r#"{"code":5000,"message":"busy"}"#,
                "Unavailable { status: 503 }",
            ),
            (
                418,
                r#"{"code":7,"message":"teapot"}"#,
                r#"Refused { status: 418, code: Some(7), message: "teapot" }"#,
            ),
            (
                400,
                "",
                r#"Refused { status: 400, code: None, message: "" }"#,
            ),
        ];
        for (status, body, expected) in cases {
            assert_eq!(decide(status, body, Some(1)), expected, "{status} {body}");
        }
    }

    #[test]
    fn zooms_messages_are_kept_but_capped_at_a_thousand_characters() {
        let long = "é".repeat(5000);
        let body = serde_json::json!({"code": 3000, "message": long}).to_string();
        let api = serde_json::from_str(&body).unwrap();
        let Step::Done(Err(ZoomError::Refused { message, .. })) =
            classify(StatusCode::BAD_REQUEST, api, None)
        else {
            panic!("not a refusal");
        };
        assert_eq!(message.chars().count(), 1001, "1,000 and an ellipsis");
        assert!(message.ends_with('…'));

        let errors: Vec<_> = (0..50)
            .map(|i| serde_json::json!({"field": format!("f{i}"), "message": "x".repeat(100)}))
            .collect();
        let body =
            serde_json::json!({"code": 300, "message": "Validation Failed.", "errors": errors});
        let api = serde_json::from_str(&body.to_string()).unwrap();
        let Step::Done(Err(ZoomError::Validation { messages })) =
            classify(StatusCode::BAD_REQUEST, api, None)
        else {
            panic!("not a validation error");
        };
        let total: usize = messages.iter().map(|m| m.chars().count()).sum();
        assert_eq!(total, 1000);
        assert_eq!(messages.len(), 10);
    }
}
