//! The store's one error type: what failed, on which engine, never with a password.

use std::fmt;

use crate::i18n::{Key, Lang};

/// The two database engines the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        })
    }
}

/// Why a store operation failed. `target` fields describe the database without secrets
/// (a file path, or `postgres://user@host:port/db` without the password).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store URL must start with `sqlite://` (a file, e.g. sqlite://slack-zoom.db) or `postgres://`; got {scheme}"
    )]
    UnsupportedUrl {
        /// The URL's scheme as typed, or a placeholder: the rest of the URL is never echoed.
        scheme: String,
    },

    #[error("the {engine} store URL is invalid: {reason}")]
    InvalidUrl { engine: Engine, reason: String },

    #[error("cannot open the {engine} database {target}: {reason}{hint}")]
    Open {
        engine: Engine,
        target: String,
        reason: String,
        /// What the operator may check, starting with "; " (empty when there is no hint).
        hint: &'static str,
    },

    #[error("cannot migrate the {engine} database {target}: {problem}")]
    Migrate {
        engine: Engine,
        target: String,
        problem: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    #[error("{engine} store: could not {operation}: {source}")]
    Query {
        engine: Engine,
        operation: &'static str,
        #[source]
        source: sqlx::Error,
    },

    /// A failure shared by every operation of one group commit (see `batch.rs`): the first
    /// caller gets the original [`StoreError::Query`], the others this, with its text.
    #[error("{engine} store: could not {operation}: {reason}")]
    Shared {
        engine: Engine,
        operation: &'static str,
        reason: String,
    },

    #[error(
        "{engine} store: no meeting with Zoom id {zoom_id} is stored, so {operation} refers to nothing"
    )]
    UnknownMeeting {
        engine: Engine,
        zoom_id: u64,
        operation: &'static str,
    },

    #[error("{what} {value} is larger than the store can hold")]
    OutOfRange { what: &'static str, value: u64 },

    #[error("{engine} store holds an unreadable {what}: {detail}")]
    Corrupt {
        engine: Engine,
        what: &'static str,
        detail: String,
    },
}

impl StoreError {
    /// What a Slack user is told when an operation fails on the store: never the internals
    /// (which go to the log), and the same sentence whatever the cause, since none of them is
    /// something the user can fix.
    pub fn user_message(&self) -> &'static str {
        self.user_message_in(Lang::En)
    }

    /// [`user_message`](Self::user_message) in `lang`.
    pub fn user_message_in(&self, lang: Lang) -> &'static str {
        lang.text(Key::StoreUnavailable)
    }

    /// The engine involved, when the error came from one.
    pub fn engine(&self) -> Option<Engine> {
        match self {
            StoreError::UnsupportedUrl { .. } | StoreError::OutOfRange { .. } => None,
            StoreError::InvalidUrl { engine, .. }
            | StoreError::Open { engine, .. }
            | StoreError::Migrate { engine, .. }
            | StoreError::Query { engine, .. }
            | StoreError::Shared { engine, .. }
            | StoreError::UnknownMeeting { engine, .. }
            | StoreError::Corrupt { engine, .. } => Some(*engine),
        }
    }
}

/// Converts a Zoom id to the signed 64-bit column both engines use. Zoom's ids have 9–11
/// digits; the check keeps a wild value from wrapping into a different id.
pub(crate) fn zoom_id_column(zoom_id: u64) -> Result<i64, StoreError> {
    i64::try_from(zoom_id).map_err(|_| StoreError::OutOfRange {
        what: "Zoom meeting id",
        value: zoom_id,
    })
}

/// Converts a meeting's length to its INTEGER column.
pub(crate) fn duration_column(minutes: u32) -> Result<i32, StoreError> {
    i32::try_from(minutes).map_err(|_| StoreError::OutOfRange {
        what: "meeting duration in minutes",
        value: u64::from(minutes),
    })
}

/// Reads a Zoom id back from its column.
pub(crate) fn zoom_id_value(engine: Engine, column: i64) -> Result<u64, StoreError> {
    u64::try_from(column).map_err(|_| StoreError::Corrupt {
        engine,
        what: "Zoom meeting id",
        detail: format!("{column} is negative"),
    })
}
