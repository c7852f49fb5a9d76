//! One create-meeting request and the reading of Zoom's answer into a decision for the retry loop.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde::Deserialize;

use super::ZoomError;
use super::meeting::{CreateMeetingBody, Meeting};
use super::retry::parse_retry_after;
use super::token::AccessToken;

/// What the retry loop should do after one attempt.
pub(crate) enum Attempt {
    /// Final: the meeting, or an error that retrying could only make worse.
    Done(Result<Meeting, ZoomError>),
    /// The API rejected this token (401): drop it and try once more with a new one.
    TokenRejected,
    /// Safe to retry (nothing can have been created); `give_up` is reported if the budget ends.
    Retry {
        retry_after: Option<Duration>,
        give_up: ZoomError,
    },
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

/// `POST {url}` once. Only a connection that never reached Zoom is retryable here: after the
/// request left, a timeout or broken connection may hide a created meeting.
pub(crate) async fn attempt(
    http: &reqwest::Client,
    url: &str,
    token: &AccessToken,
    body: &CreateMeetingBody<'_>,
) -> Attempt {
    let sent = http
        .post(url)
        .bearer_auth(token.expose())
        .json(body)
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) if error.is_connect() => {
            tracing::warn!(error = %error.without_url(), "could not connect to Zoom");
            return Attempt::Retry {
                retry_after: None,
                give_up: ZoomError::Unreachable,
            };
        }
        Err(error) => return Attempt::Done(Err(lost(error))),
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, Utc::now()));
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(error) => return Attempt::Done(Err(lost(error))),
    };

    if status.is_success() {
        return Attempt::Done(serde_json::from_slice::<Meeting>(&bytes).map_err(|error| {
            // Only the position: serde's message can quote body text such as the start_url.
            tracing::error!(
                status = status.as_u16(),
                line = error.line(),
                column = error.column(),
                "Zoom's create answer is not a meeting"
            );
            ZoomError::MalformedResponse {
                status: status.as_u16(),
            }
        }));
    }
    let api: ApiError = serde_json::from_slice(&bytes).unwrap_or_default();
    tracing::warn!(
        status = status.as_u16(),
        code = api.code,
        "Zoom refused to create a meeting"
    );
    classify(status, api, retry_after)
}

/// A transport failure after the request may have reached Zoom.
fn lost(error: reqwest::Error) -> ZoomError {
    let timed_out = error.is_timeout();
    tracing::error!(error = %error.without_url(), "Zoom create request got no answer");
    if timed_out {
        ZoomError::Timeout
    } else {
        ZoomError::ConnectionLost
    }
}

/// Maps an error answer to a decision. Zoom's code decides first; the status covers the rest.
fn classify(status: StatusCode, api: ApiError, retry_after: Option<Duration>) -> Attempt {
    let error = match api.code {
        Some(4711) => ZoomError::MissingScope,
        _ if status == StatusCode::UNAUTHORIZED => return Attempt::TokenRejected,
        Some(1001) => ZoomError::HostNotFound,
        Some(3161) => ZoomError::HostNotAllowed,
        Some(3000) => ZoomError::CannotScheduleForHost,
        Some(300) => ZoomError::Validation {
            messages: field_messages(api),
        },
        Some(429 | 4001) => return rate_limited(&api.message, retry_after),
        _ if status == StatusCode::TOO_MANY_REQUESTS => {
            return rate_limited(&api.message, retry_after);
        }
        _ if status.is_server_error() => ZoomError::Unavailable {
            status: status.as_u16(),
        },
        code => ZoomError::Unexpected {
            status: status.as_u16(),
            code,
        },
    };
    Attempt::Done(Err(error))
}

/// The daily create limit is final until 00:00 UTC; the per-second limit passes quickly.
fn rate_limited(message: &str, retry_after: Option<Duration>) -> Attempt {
    if message.to_ascii_lowercase().contains("daily rate limit") {
        Attempt::Done(Err(ZoomError::DailyLimit))
    } else {
        Attempt::Retry {
            retry_after,
            give_up: ZoomError::RateLimited,
        }
    }
}

/// `field: message` for each field error, else Zoom's overall message.
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
    if !fields.is_empty() {
        fields
    } else if !api.message.is_empty() {
        vec![api.message]
    } else {
        vec!["Zoom gave no details".to_owned()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(status: u16, body: &str, retry_after: Option<u64>) -> String {
        let api = serde_json::from_str(body).unwrap_or_default();
        let status = StatusCode::from_u16(status).unwrap();
        match classify(status, api, retry_after.map(Duration::from_secs)) {
            Attempt::Done(Err(e)) => format!("{e:?}"),
            Attempt::Done(Ok(_)) => "ok".into(),
            Attempt::TokenRejected => "token rejected".into(),
            Attempt::Retry {
                retry_after,
                give_up,
            } => format!("retry {retry_after:?} else {give_up:?}"),
        }
    }

    #[test]
    fn error_answers_map_to_decisions() {
        let daily = r#"{"code":429,"message":"You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user."}"#;
        let cases = [
            (
                401,
                r#"{"code":124,"message":"Invalid access token."}"#,
                "token rejected",
            ),
            (401, "", "token rejected"),
            (
                400,
                r#"{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:write:meeting:admin]."}"#,
                "MissingScope",
            ),
            (
                404,
                r#"{"code":1001,"message":"User does not exist: a@b.c."}"#,
                "HostNotFound",
            ),
            (
                400,
                r#"{"code":3161,"message":"User is not allowed to host."}"#,
                "HostNotAllowed",
            ),
            (
                400,
                r#"{"code":3000,"message":"Cannot schedule."}"#,
                "CannotScheduleForHost",
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
            (429, daily, "DailyLimit"),
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
                "Unexpected { status: 418, code: Some(7) }",
            ),
            (400, "", "Unexpected { status: 400, code: None }"),
        ];
        for (status, body, expected) in cases {
            assert_eq!(decide(status, body, Some(1)), expected, "{status} {body}");
        }
    }
}
