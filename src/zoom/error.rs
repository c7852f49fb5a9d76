//! `ZoomError`: every way a Zoom call can fail, and the one place that words it for people.

use chrono::{DateTime, Days, NaiveTime, Utc};
use chrono_tz::Tz;

use super::recurrence::SeriesProblem;

/// What the failed call was for; the wording of [`ZoomError::user_message`] depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Creating a meeting (`POST /users/{host}/meetings`).
    Create,
    /// Changing a meeting, e.g. its time (`PATCH /meetings/{id}`).
    Update,
    /// Cancelling a meeting (`DELETE /meetings/{id}`).
    Cancel,
    /// Looking a meeting up (`GET /meetings/{id}`).
    LookUp,
    /// Listing a host's upcoming meetings.
    List,
}

impl Operation {
    /// Safe to send twice: a lost answer may be retried once. A create never is.
    pub(crate) fn idempotent(self) -> bool {
        !matches!(self, Operation::Create)
    }

    /// What did not happen: "so {this}".
    fn nothing_done(self) -> &'static str {
        match self {
            Operation::Create => "no meeting was created",
            Operation::Update => "the meeting was not changed",
            Operation::Cancel => "the meeting was not cancelled",
            Operation::LookUp => "the meeting could not be looked up",
            Operation::List => "the meetings could not be listed",
        }
    }

    /// How a sentence about a request that got no answer ends. For a change it says that the
    /// change may have happened, so nobody acts twice (a second meeting, say); a read changed
    /// nothing.
    fn after_no_answer(self) -> String {
        let may = match self {
            Operation::Create => "The meeting may have been created anyway",
            Operation::Update => "The change may have been saved anyway",
            Operation::Cancel => "The meeting may have been cancelled anyway",
            Operation::LookUp | Operation::List => {
                return format!(", so {}. Please try again.", self.nothing_done());
            }
        };
        format!(". {may}: check your Zoom meetings before trying again.")
    }

    /// "create meetings", for the missing-scope message.
    fn ability(self) -> &'static str {
        match self {
            Operation::Create => "create meetings",
            Operation::Update => "change meetings",
            Operation::Cancel => "cancel meetings",
            Operation::LookUp => "look meetings up",
            Operation::List => "list meetings",
        }
    }

    /// (granular scope, classic scope) the operation needs.
    fn scopes(self) -> (&'static str, &'static str) {
        match self {
            Operation::Create => ("meeting:write:meeting:admin", "meeting:write:admin"),
            Operation::Update => ("meeting:update:meeting:admin", "meeting:write:admin"),
            Operation::Cancel => ("meeting:delete:meeting:admin", "meeting:write:admin"),
            Operation::LookUp => ("meeting:read:meeting:admin", "meeting:read:admin"),
            Operation::List => ("meeting:read:list_meetings:admin", "meeting:read:admin"),
        }
    }
}

/// A failed Zoom call. `Display` is for operators (logs); [`ZoomError::user_message`] is for the
/// person who asked. Neither ever contains credentials, tokens or a `start_url`: the variants
/// hold values this module chose, and Zoom's error codes and messages (capped, see
/// [`zoom_text`]).
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
    /// Token endpoint answered 5xx: nothing was sent to the API.
    #[error("Zoom's token endpoint is unavailable (HTTP {status})")]
    TokenUnavailable { status: u16 },
    /// Token endpoint answered 2xx with something that is not a token.
    #[error("Zoom's token answer (HTTP {status}) has no access token")]
    TokenUnreadable { status: u16 },
    /// The API rejected a freshly issued token as well.
    #[error("Zoom rejected a fresh access token")]
    TokenRejected,
    /// No connection to Zoom could be made (token endpoint or API): nothing was sent.
    #[error("Zoom is unreachable")]
    Unreachable,
    /// The API answered 5xx; for a change, it may have happened (a gateway error can hide it).
    #[error("Zoom is unavailable (HTTP {status})")]
    Unavailable { status: u16 },
    /// The request was sent but Zoom did not answer in time.
    #[error("Zoom did not answer in time")]
    Timeout,
    /// The connection broke after the request was sent.
    #[error("the connection to Zoom broke before it answered")]
    ConnectionLost,
    /// The per-second rate limit outlasted the retry budget.
    #[error("Zoom's per-second rate limit (429) outlasted the retries")]
    RateLimited,
    /// The host's daily create/update limit (Zoom: 100 a day, reset at 00:00 UTC).
    #[error(
        "the host reached Zoom's daily meeting create/update limit{}",
        .limit.map(|n| format!(" ({n} a day)")).unwrap_or_default()
    )]
    DailyLimit { limit: Option<u32> },
    /// Code 4711: the app's token lacks the scope for the call.
    #[error("the Zoom app lacks a scope (code 4711): {message}")]
    MissingScope { message: String },
    /// Code 3161: the host user may not host meetings.
    #[error("the host may not host meetings (code 3161): {message}")]
    HostNotAllowed { message: String },
    /// Code 1001: no such user in the account.
    #[error("the host user does not exist (code 1001): {message}")]
    HostNotFound { message: String },
    /// Code 3001: the meeting does not exist (any more: it may have been deleted in Zoom).
    #[error("the meeting does not exist (code 3001)")]
    MeetingNotFound,
    /// Code 300: Zoom's validation messages, as `field: message`.
    #[error("Zoom rejected the meeting fields: {}", .messages.join("; "))]
    Validation { messages: Vec<String> },
    /// Any other refusal (code 3000 among them, which has several meanings): Zoom's own words.
    #[error("Zoom refused (HTTP {status}, code {code:?}): {message}")]
    Refused {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// A 2xx whose body could not be read; after a create, the meeting exists.
    #[error("Zoom answered HTTP {status} with a body that could not be read")]
    MalformedResponse { status: u16 },
    /// The host has more upcoming meetings than the client pages through.
    #[error("more than {max} upcoming meetings")]
    TooManyMeetings { max: usize },
    /// A series that Zoom cannot take as asked; nothing was sent.
    #[error("the series cannot be scheduled: {0:?}")]
    Series(SeriesProblem),
}

/// Longest Zoom message kept, in characters.
const MAX_ZOOM_TEXT: usize = 1000;

/// Zoom's `message` made safe to keep and show: control characters become spaces, surrounding
/// space goes, and it is capped at 1,000 characters on a char boundary (with `…`). Plain text:
/// the caller escapes it for wherever it is shown.
pub(crate) fn zoom_text(raw: &str) -> String {
    let cleaned: String = raw
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match cleaned.char_indices().nth(MAX_ZOOM_TEXT) {
        Some((end, _)) => format!("{}…", &cleaned[..end]),
        None => cleaned,
    }
}

impl ZoomError {
    /// True when the host user does not exist, so the caller can fall back to another host.
    pub fn host_not_found(&self) -> bool {
        matches!(self, ZoomError::HostNotFound { .. })
    }

    /// True when Zoom says the meeting does not exist: deleted (perhaps in Zoom itself), so a
    /// cancel has nothing left to do.
    pub fn meeting_not_found(&self) -> bool {
        matches!(self, ZoomError::MeetingNotFound)
    }

    /// True when the request may have reached Zoom without an answer telling what happened: a
    /// create may have made a meeting, a change may have been saved.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            ZoomError::Timeout
                | ZoomError::ConnectionLost
                | ZoomError::Unavailable { .. }
                | ZoomError::MalformedResponse { .. }
        )
    }

    /// True when Zoom gave no answer at all (down, unreachable, overloaded), as opposed to a
    /// refusal: the sign of an outage.
    pub fn no_answer(&self) -> bool {
        self.outcome_unknown()
            || matches!(
                self,
                ZoomError::Unreachable
                    | ZoomError::TokenUnavailable { .. }
                    | ZoomError::RateLimited
            )
    }

    /// The text shown to the person who asked for `operation`, as plain text (escape it for
    /// display). `zone` and `now` place the daily limit's 00:00 UTC reset in their own time.
    pub fn user_message(&self, operation: Operation, zone: Tz, now: DateTime<Utc>) -> String {
        let nothing = operation.nothing_done();
        let unknown = operation.after_no_answer();
        match self {
            ZoomError::Config(what) => {
                format!("The Zoom integration is misconfigured ({what}), so {nothing}.")
            }
            ZoomError::BadCredentials => format!(
                "Zoom rejected the app credentials, so {nothing}: check ZOOM_CLIENT_ID and \
                 ZOOM_CLIENT_SECRET."
            ),
            ZoomError::BadAccountId => {
                format!("Zoom rejected the account id, so {nothing}: check ZOOM_ACCOUNT_ID.")
            }
            ZoomError::WrongAppType => format!(
                "Zoom refused to issue a token, so {nothing}: the app must be a Server-to-Server \
                 OAuth app (check ZOOM_CLIENT_ID)."
            ),
            ZoomError::TokenRefused { error, .. } => format!(
                "Zoom refused to issue an access token (error {error}), so {nothing}: check the \
                 Zoom app's settings and ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET."
            ),
            ZoomError::TokenUnavailable { status } => format!(
                "Zoom's sign-in service is unavailable (HTTP {status}), so {nothing}. Please try \
                 again in a few minutes."
            ),
            ZoomError::TokenUnreadable { status } => format!(
                "Zoom's sign-in service gave an answer without a token (HTTP {status}), so \
                 {nothing}. Please try again later."
            ),
            ZoomError::TokenRejected => format!(
                "Zoom rejected the app's access token, so {nothing}: check that the \
                 Server-to-Server OAuth app is activated."
            ),
            ZoomError::Unreachable => {
                format!("Zoom could not be reached, so {nothing}. Please try again in a minute.")
            }
            ZoomError::Unavailable { status } => {
                format!("Zoom is unavailable right now (HTTP {status}){unknown}")
            }
            ZoomError::Timeout => format!("Zoom did not answer in time{unknown}"),
            ZoomError::ConnectionLost => {
                format!("The connection to Zoom broke before it answered{unknown}")
            }
            ZoomError::RateLimited => format!(
                "Zoom is receiving too many requests right now, so {nothing}. Please try again \
                 in a few seconds."
            ),
            ZoomError::DailyLimit { limit } => {
                let what = match operation {
                    Operation::Create | Operation::Update => {
                        "The host reached Zoom's daily limit of meeting creations and changes"
                    }
                    _ => "The host reached one of Zoom's daily request limits",
                };
                let limit = limit.map(|n| format!(" ({n} a day)")).unwrap_or_default();
                format!(
                    "{what}{limit}, so {nothing}. The limit resets at 00:00 UTC{}.",
                    local_reset(zone, now)
                )
            }
            ZoomError::MissingScope { .. } => {
                let (granular, classic) = operation.scopes();
                format!(
                    "The Zoom app may not {}, so {nothing}: add the scope {granular} (or \
                     {classic} for a classic app) to the Server-to-Server OAuth app.",
                    operation.ability()
                )
            }
            ZoomError::HostNotAllowed { .. } => format!(
                "The Zoom host user is not allowed to host meetings (the user needs an active, \
                 licensed Zoom account), so {nothing}."
            ),
            ZoomError::HostNotFound { .. } => {
                format!("The Zoom host user does not exist in this Zoom account, so {nothing}.")
            }
            ZoomError::MeetingNotFound => match operation {
                Operation::Cancel => "The meeting no longer exists in Zoom (it may have been \
                     deleted there), so there is nothing left to cancel."
                    .to_owned(),
                _ => format!(
                    "The meeting no longer exists in Zoom (it may have been deleted there), so \
                     {nothing}."
                ),
            },
            ZoomError::Validation { messages } => format!(
                "Zoom rejected the meeting details, so {nothing}: {}.",
                messages.join("; ").trim_end_matches('.')
            ),
            ZoomError::Refused {
                status,
                code,
                message,
            } => {
                let code = code.map(|c| format!(", code {c}")).unwrap_or_default();
                if message.is_empty() {
                    format!(
                        "Zoom gave an unexpected answer (HTTP {status}{code}), so {nothing}. \
                         Please try again later."
                    )
                } else {
                    format!(
                        "Zoom refused, so {nothing}. Zoom said: {message} (HTTP {status}{code})"
                    )
                }
            }
            ZoomError::MalformedResponse { status } => {
                format!("Zoom answered (HTTP {status}), but the answer could not be read{unknown}")
            }
            ZoomError::TooManyMeetings { max } => {
                format!("The host has more than {max} upcoming meetings in Zoom, so {nothing}.")
            }
            ZoomError::Series(problem) => series_message(problem, nothing),
        }
    }
}

fn series_message(problem: &SeriesProblem, nothing: &str) -> String {
    match problem {
        SeriesProblem::Interval { max } => format!(
            "Zoom repeats a series at most every {max} days, weeks or months as chosen (and at \
             least every 1), so {nothing}."
        ),
        SeriesProblem::NoWeekday => format!("A weekly series needs a weekday, so {nothing}."),
        SeriesProblem::MonthDay => {
            format!("A monthly series needs a day of the month from 1 to 31, so {nothing}.")
        }
        SeriesProblem::Count => {
            format!("A Zoom series has from 1 to 60 meetings, so {nothing}.")
        }
        SeriesProblem::NoOccurrences => {
            format!("The series ends before its first meeting, so {nothing}.")
        }
        SeriesProblem::TooManyOccurrences => {
            format!("A Zoom series has at most 60 meetings, so {nothing}: end the series sooner.")
        }
        SeriesProblem::NoZoomZone { zone } => format!(
            "Zoom's time zone list has no zone that keeps this series at the same local time in \
             {zone} through its daylight-saving changes, so {nothing}. Schedule the meetings \
             one by one instead."
        ),
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
mod tests;
