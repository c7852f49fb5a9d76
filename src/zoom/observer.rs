//! What the Zoom client reports about its requests and token fetches, to a listener it does not know.

use std::time::Duration;

use super::Operation;

/// The Zoom endpoint a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST {oauth_url}`: a Server-to-Server OAuth token.
    Token,
    /// `POST /users/{host}/meetings`
    Create,
    /// `GET /meetings/{id}`
    Get,
    /// `PATCH /meetings/{id}`
    Update,
    /// `DELETE /meetings/{id}`
    Delete,
    /// `GET /users/{host}/meetings`, one page
    List,
}

impl Endpoint {
    pub const ALL: [Endpoint; 6] = [
        Endpoint::Token,
        Endpoint::Create,
        Endpoint::Get,
        Endpoint::Update,
        Endpoint::Delete,
        Endpoint::List,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Token => "token",
            Endpoint::Create => "create",
            Endpoint::Get => "get",
            Endpoint::Update => "update",
            Endpoint::Delete => "delete",
            Endpoint::List => "list",
        }
    }
}

impl From<Operation> for Endpoint {
    fn from(operation: Operation) -> Self {
        match operation {
            Operation::Create => Endpoint::Create,
            Operation::LookUp => Endpoint::Get,
            Operation::Update => Endpoint::Update,
            Operation::Cancel => Endpoint::Delete,
            Operation::List => Endpoint::List,
        }
    }
}

/// How one HTTP request to Zoom ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// Zoom answered with this HTTP status (the whole body was read).
    Status(u16),
    /// No answer within the request timeout.
    Timeout,
    /// No answer for another reason: refused or broken connection, TLS, an unreadable body.
    Error,
}

impl CallOutcome {
    pub(crate) fn of_error(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            CallOutcome::Timeout
        } else {
            CallOutcome::Error
        }
    }
}

/// How one token fetch ended (callers served from the cache fetch nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenOutcome {
    /// A token was issued.
    Issued,
    /// Zoom refused the credentials, the account id or the app type (4xx).
    Refused,
    /// Zoom's token endpoint failed (5xx).
    Unavailable,
    /// The token endpoint could not be reached or did not answer.
    Unreachable,
    /// A 2xx answer that held no token.
    Unreadable,
}

impl TokenOutcome {
    pub const ALL: [TokenOutcome; 5] = [
        TokenOutcome::Issued,
        TokenOutcome::Refused,
        TokenOutcome::Unavailable,
        TokenOutcome::Unreachable,
        TokenOutcome::Unreadable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenOutcome::Issued => "issued",
            TokenOutcome::Refused => "refused",
            TokenOutcome::Unavailable => "unavailable",
            TokenOutcome::Unreachable => "unreachable",
            TokenOutcome::Unreadable => "unreadable",
        }
    }
}

/// Told of every request the client sends (each retry is a request of its own) and of every
/// token fetch. Called on the request path: implementations must be quick and must not block.
pub trait ZoomObserver: Send + Sync {
    /// One request to `endpoint` ended with `outcome` after `took` (from sending to the last
    /// byte of the answer).
    fn request(&self, endpoint: Endpoint, outcome: CallOutcome, took: Duration) {
        let _ = (endpoint, outcome, took);
    }

    /// One token fetch ended.
    fn token_fetch(&self, outcome: TokenOutcome) {
        let _ = outcome;
    }
}

/// The default: nobody listens.
pub(crate) struct Unobserved;

impl ZoomObserver for Unobserved {}
