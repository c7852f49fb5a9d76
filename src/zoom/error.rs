//! `ZoomError`: every way a Zoom call can fail, and the one place that words it for people.

use chrono::{DateTime, Days, NaiveTime, Utc};
use chrono_tz::Tz;

use super::recurrence::SeriesProblem;
use crate::i18n::{Key, Lang, t};

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
    fn nothing_done(self, lang: Lang) -> &'static str {
        lang.text(match self {
            Operation::Create => Key::ZoomNothingCreate,
            Operation::Update => Key::ZoomNothingUpdate,
            Operation::Cancel => Key::ZoomNothingCancel,
            Operation::LookUp => Key::ZoomNothingLookUp,
            Operation::List => Key::ZoomNothingList,
        })
    }

    /// How a sentence about a request that got no answer ends. For a change it says that the
    /// change may have happened, so nobody acts twice (a second meeting, say); a read changed
    /// nothing.
    fn after_no_answer(self, lang: Lang) -> String {
        let may = match self {
            Operation::Create => Key::ZoomMayCreate,
            Operation::Update => Key::ZoomMayUpdate,
            Operation::Cancel => Key::ZoomMayCancel,
            Operation::LookUp | Operation::List => {
                return t!(lang, ZoomNoAnswerRead, nothing = self.nothing_done(lang));
            }
        };
        t!(lang, ZoomNoAnswerChange, may = lang.text(may))
    }

    /// "create meetings", for the missing-scope message.
    fn ability(self, lang: Lang) -> &'static str {
        lang.text(match self {
            Operation::Create => Key::ZoomAbilityCreate,
            Operation::Update => Key::ZoomAbilityUpdate,
            Operation::Cancel => Key::ZoomAbilityCancel,
            Operation::LookUp => Key::ZoomAbilityLookUp,
            Operation::List => Key::ZoomAbilityList,
        })
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
    /// The service is shutting down ([`ZoomClient::stop_creating`](super::ZoomClient::stop_creating)):
    /// the create was not sent, or not sent again after an attempt that created nothing.
    #[error("shutting down: the meeting was not sent to Zoom")]
    Stopped,
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

    /// The text shown to the person who asked for `operation`, in English, as plain text
    /// (escape it for display). `zone` and `now` place the daily limit's 00:00 UTC reset in
    /// their own time.
    pub fn user_message(&self, operation: Operation, zone: Tz, now: DateTime<Utc>) -> String {
        self.user_message_in(Lang::En, operation, zone, now)
    }

    /// [`user_message`](Self::user_message) in `lang`.
    pub fn user_message_in(
        &self,
        lang: Lang,
        operation: Operation,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> String {
        let nothing = operation.nothing_done(lang);
        let after = operation.after_no_answer(lang);
        let code = |code: &Option<i64>| {
            code.map(|code| t!(lang, ZoomCode, code))
                .unwrap_or_default()
        };
        match self {
            ZoomError::Config(what) => t!(lang, ZoomConfig, what, nothing),
            ZoomError::BadCredentials => t!(lang, ZoomBadCredentials, nothing),
            ZoomError::BadAccountId => t!(lang, ZoomBadAccountId, nothing),
            ZoomError::WrongAppType => t!(lang, ZoomWrongAppType, nothing),
            ZoomError::TokenRefused { error, .. } => t!(lang, ZoomTokenRefused, error, nothing),
            ZoomError::TokenUnavailable { status } => {
                t!(lang, ZoomTokenUnavailable, status, nothing)
            }
            ZoomError::TokenUnreadable { status } => {
                t!(lang, ZoomTokenUnreadable, status, nothing)
            }
            ZoomError::TokenRejected => t!(lang, ZoomTokenRejected, nothing),
            ZoomError::Unreachable => t!(lang, ZoomUnreachable, nothing),
            ZoomError::Unavailable { status } => t!(lang, ZoomUnavailable, status, after),
            ZoomError::Timeout => t!(lang, ZoomTimeout, after),
            ZoomError::ConnectionLost => t!(lang, ZoomConnectionLost, after),
            ZoomError::RateLimited => t!(lang, ZoomRateLimited, nothing),
            ZoomError::Stopped => t!(lang, ZoomStopped, nothing),
            ZoomError::DailyLimit { limit } => {
                let what = lang.text(match operation {
                    Operation::Create | Operation::Update => Key::ZoomDailyLimitChanges,
                    _ => Key::ZoomDailyLimitRequests,
                });
                let limit = limit
                    .map(|n| t!(lang, ZoomDailyLimitPerDay, n))
                    .unwrap_or_default();
                t!(
                    lang,
                    ZoomDailyLimit,
                    what,
                    limit,
                    nothing,
                    reset = local_reset(zone, now, lang)
                )
            }
            ZoomError::MissingScope { .. } => {
                let (granular, classic) = operation.scopes();
                t!(
                    lang,
                    ZoomMissingScope,
                    ability = operation.ability(lang),
                    nothing,
                    granular,
                    classic
                )
            }
            ZoomError::HostNotAllowed { .. } => t!(lang, ZoomHostNotAllowed, nothing),
            ZoomError::HostNotFound { .. } => t!(lang, ZoomHostNotFound, nothing),
            ZoomError::MeetingNotFound => match operation {
                Operation::Cancel => lang.text(Key::ZoomMeetingNotFoundCancel).to_owned(),
                _ => t!(lang, ZoomMeetingNotFound, nothing),
            },
            ZoomError::Validation { messages } => t!(
                lang,
                ZoomValidation,
                nothing,
                messages = messages.join("; ").trim_end_matches('.')
            ),
            ZoomError::Refused {
                status,
                code: zoom_code,
                message,
            } => {
                let code = code(zoom_code);
                if message.is_empty() {
                    t!(lang, ZoomUnexpected, status, code, nothing)
                } else {
                    t!(lang, ZoomRefused, nothing, message, status, code)
                }
            }
            // A create answered 2xx made the meeting, whatever its body says: never "may".
            ZoomError::MalformedResponse { status } if operation == Operation::Create => {
                t!(lang, ZoomMalformedCreated, status)
            }
            ZoomError::MalformedResponse { status } => t!(lang, ZoomMalformed, status, after),
            ZoomError::TooManyMeetings { max } => t!(lang, ZoomTooManyMeetings, max, nothing),
            ZoomError::Series(problem) => series_message(problem, nothing, lang),
        }
    }
}

fn series_message(problem: &SeriesProblem, nothing: &str, lang: Lang) -> String {
    match problem {
        SeriesProblem::Interval { max } => t!(lang, ZoomSeriesInterval, max, nothing),
        SeriesProblem::NoWeekday => t!(lang, ZoomSeriesNoWeekday, nothing),
        SeriesProblem::MonthDay => t!(lang, ZoomSeriesMonthDay, nothing),
        SeriesProblem::Count => t!(lang, ZoomSeriesCount, nothing),
        SeriesProblem::NoOccurrences => t!(lang, ZoomSeriesNoOccurrences, nothing),
        SeriesProblem::TooManyOccurrences => t!(lang, ZoomSeriesTooMany, nothing),
        SeriesProblem::NoZoomZone { zone } => t!(lang, ZoomSeriesNoZoomZone, zone, nothing),
    }
}

/// " (4:00 PM in America/Los_Angeles)" for the next 00:00 UTC; empty when the zone is UTC itself.
fn local_reset(zone: Tz, now: DateTime<Utc>, lang: Lang) -> String {
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
    let time = lang.time(Key::FormatTime, local.time());
    if local.date_naive() == now.with_timezone(&zone).date_naive() {
        t!(lang, ZoomResetToday, time, zone = zone.name())
    } else {
        t!(lang, ZoomResetTomorrow, time, zone = zone.name())
    }
}

#[cfg(test)]
mod tests;
