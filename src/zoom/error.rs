//! `ZoomError`: every way a Zoom call can fail, and the one place that words it for people.

use chrono::{DateTime, Days, NaiveTime, Utc};
use chrono_tz::Tz;

/// A failed Zoom call. `Display` is for operators (logs); [`ZoomError::user_message`] is for the
/// person who typed the command. Neither ever contains credentials, tokens or a `start_url`:
/// the variants only hold values this module chose or Zoom's short error codes and field messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoomError {
    /// The configuration cannot work (for example an API URL that does not parse).
    #[error("invalid Zoom configuration: {0}")]
    Config(String),
    /// Token endpoint: `invalid_client`.
    #[error("Zoom rejected the client id or secret (invalid_client)")]
    BadCredentials,
    /// Token endpoint: `invalid_request`, which Zoom answers for an unknown account id.
    #[error("Zoom rejected the account id (invalid_request)")]
    BadAccountId,
    /// Token endpoint: `unsupported_grant_type`, i.e. not a Server-to-Server OAuth app.
    #[error("Zoom refused the account_credentials grant (unsupported_grant_type)")]
    WrongAppType,
    /// Token endpoint refused for another reason; `error` is Zoom's OAuth error code.
    #[error("Zoom refused to issue a token (HTTP {status}, error {error})")]
    TokenRefused { status: u16, error: String },
    /// The API rejected a freshly issued token as well.
    #[error("Zoom rejected a fresh access token")]
    TokenRejected,
    /// No connection to Zoom could be made: nothing was created.
    #[error("Zoom is unreachable")]
    Unreachable,
    /// Zoom answered 5xx.
    #[error("Zoom is unavailable (HTTP {status})")]
    Unavailable { status: u16 },
    /// The create was sent but Zoom did not answer in time: the meeting may exist.
    #[error("Zoom did not answer the create request in time")]
    Timeout,
    /// The connection broke after the create was sent: the meeting may exist.
    #[error("the connection to Zoom broke before it answered")]
    ConnectionLost,
    /// The per-second rate limit outlasted the retry budget.
    #[error("Zoom's per-second rate limit (429) outlasted the retries")]
    RateLimited,
    /// The host's daily create/update limit (100 a day, reset at 00:00 UTC).
    #[error("the host reached Zoom's daily meeting create limit (429)")]
    DailyLimit,
    /// Code 4711: the app's token lacks the create scope.
    #[error("the Zoom app lacks the meeting create scope (code 4711)")]
    MissingScope,
    /// Code 3161: the host user may not host meetings.
    #[error("the host may not host meetings (code 3161)")]
    HostNotAllowed,
    /// Code 1001: no such user in the account.
    #[error("the host user does not exist (code 1001)")]
    HostNotFound,
    /// Code 3000: the app cannot schedule for that user.
    #[error("cannot schedule meetings for the host (code 3000)")]
    CannotScheduleForHost,
    /// Code 300: Zoom's validation messages, as `field: message`.
    #[error("Zoom rejected the meeting fields: {}", .messages.join("; "))]
    Validation { messages: Vec<String> },
    /// A 2xx whose body could not be read as a meeting: the meeting may exist.
    #[error("Zoom answered HTTP {status} with a body that is not a meeting")]
    MalformedResponse { status: u16 },
    /// Any other answer.
    #[error("unexpected Zoom answer (HTTP {status}, code {code:?})")]
    Unexpected { status: u16, code: Option<i64> },
}

/// Said whenever the create may have reached Zoom, so people do not make duplicates.
const MAY_EXIST: &str =
    "The meeting may have been created anyway: check your Zoom meetings before trying again.";

impl ZoomError {
    /// True when the host user does not exist, so the caller can fall back to another host.
    pub fn host_not_found(&self) -> bool {
        matches!(self, ZoomError::HostNotFound)
    }

    /// The text shown to the person who asked for the meeting. `zone` and `now` place the daily
    /// limit's 00:00 UTC reset in their own time.
    pub fn user_message(&self, zone: Tz, now: DateTime<Utc>) -> String {
        match self {
            ZoomError::Config(what) => {
                format!("The Zoom integration is misconfigured: {what}.")
            }
            ZoomError::BadCredentials => "Zoom rejected the app credentials: check ZOOM_CLIENT_ID \
                 and ZOOM_CLIENT_SECRET."
                .to_owned(),
            ZoomError::BadAccountId => {
                "Zoom rejected the account id: check ZOOM_ACCOUNT_ID.".to_owned()
            }
            ZoomError::WrongAppType => "Zoom refused to issue a token: the app must be a \
                 Server-to-Server OAuth app (check ZOOM_CLIENT_ID)."
                .to_owned(),
            ZoomError::TokenRefused { error, .. } => format!(
                "Zoom refused to issue an access token (error {error}): check the Zoom app's \
                 settings and ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET."
            ),
            ZoomError::TokenRejected => "Zoom rejected the app's access token: check that the \
                 Server-to-Server OAuth app is activated."
                .to_owned(),
            ZoomError::Unreachable => "Zoom could not be reached, so no meeting was created. \
                 Please try again in a minute."
                .to_owned(),
            ZoomError::Unavailable { status } => format!(
                "Zoom is unavailable right now (HTTP {status}). Please try again later. {MAY_EXIST}"
            ),
            ZoomError::Timeout => format!("Zoom did not answer in time. {MAY_EXIST}"),
            ZoomError::ConnectionLost => {
                format!("The connection to Zoom broke before it answered. {MAY_EXIST}")
            }
            ZoomError::RateLimited => "Zoom is receiving too many requests right now, so no \
                 meeting was created. Please try again in a few seconds."
                .to_owned(),
            ZoomError::DailyLimit => format!(
                "The host reached Zoom's daily limit of meeting creations (100 a day), so no \
                 meeting was created. The limit resets at 00:00 UTC{}.",
                local_reset(zone, now)
            ),
            ZoomError::MissingScope => "The Zoom app may not create meetings: add the scope \
                 meeting:write:meeting:admin (or meeting:write:admin for a classic app) to the \
                 Server-to-Server OAuth app."
                .to_owned(),
            ZoomError::HostNotAllowed => "The Zoom host user is not allowed to host meetings \
                 (the user needs an active, licensed Zoom account)."
                .to_owned(),
            ZoomError::HostNotFound => {
                "The Zoom host user does not exist in this Zoom account.".to_owned()
            }
            ZoomError::CannotScheduleForHost => "The Zoom app cannot schedule meetings for that \
                 host user: give it scheduling privilege or pick another host."
                .to_owned(),
            ZoomError::Validation { messages } => {
                format!(
                    "Zoom rejected the meeting details: {}.",
                    messages.join("; ")
                )
            }
            ZoomError::MalformedResponse { .. } => {
                format!("Zoom answered, but the answer could not be read. {MAY_EXIST}")
            }
            ZoomError::Unexpected { status, code } => {
                let code = code.map(|c| format!(", code {c}")).unwrap_or_default();
                format!(
                    "Zoom gave an unexpected answer (HTTP {status}{code}). Please try again later."
                )
            }
        }
    }
}

/// " (4:00 PM in America/Los_Angeles)" for the next 00:00 UTC; empty when the zone is UTC itself.
fn local_reset(zone: Tz, now: DateTime<Utc>) -> String {
    if zone.name() == "UTC" || zone.name() == "Etc/UTC" {
        return String::new();
    }
    let next_midnight = now
        .date_naive()
        .checked_add_days(Days::new(1))
        .map(|day| day.and_time(NaiveTime::MIN).and_utc());
    let Some(reset) = next_midnight else {
        return String::new();
    };
    let local = reset.with_timezone(&zone);
    let day = if local.date_naive() == now.with_timezone(&zone).date_naive() {
        ""
    } else {
        " tomorrow"
    };
    format!(" ({}{day} in {})", local.format("%-I:%M %p"), zone.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn the_daily_limit_reset_is_given_in_utc_and_the_users_zone() {
        let cases = [
            // (zone, now UTC, expected suffix)
            (
                chrono_tz::America::Los_Angeles,
                at(2026, 12, 1, 18, 0),
                "00:00 UTC (4:00 PM in America/Los_Angeles).",
            ),
            (
                chrono_tz::America::Los_Angeles,
                at(2026, 12, 2, 1, 0),
                "00:00 UTC (4:00 PM tomorrow in America/Los_Angeles).",
            ),
            (
                chrono_tz::Asia::Kolkata,
                at(2026, 12, 1, 12, 0),
                "00:00 UTC (5:30 AM tomorrow in Asia/Kolkata).",
            ),
            (chrono_tz::UTC, at(2026, 12, 1, 12, 0), "00:00 UTC."),
        ];
        for (zone, now, expected) in cases {
            let text = ZoomError::DailyLimit.user_message(zone, now);
            assert!(text.ends_with(expected), "{zone}: {text}");
            assert!(text.contains("daily limit of meeting creations"), "{text}");
        }
    }

    #[test]
    fn only_host_not_found_allows_falling_back_to_another_host() {
        assert!(ZoomError::HostNotFound.host_not_found());
        assert!(!ZoomError::HostNotAllowed.host_not_found());
        assert!(!ZoomError::CannotScheduleForHost.host_not_found());
    }
}
