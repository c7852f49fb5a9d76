//! Opening a store: parse the URL, connect once to report a clear error, migrate, then pool.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

use super::notes_hint::NotesHint;
use super::{Engine, Pool, Store, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// How long the first connection may take before startup gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a query waits for a pooled connection (and so how long a dead database holds a
/// request) before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long SQLite waits for another process's write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Ten for statements, one held by the listener for notes kept by other replicas.
const POSTGRES_MAX_CONNECTIONS: u32 = 11;
/// A pooled PostgreSQL connection idle longer than this is pinged before use. sqlx pings on
/// every checkout by default: a round trip before each statement, which under load (where a
/// connection is idle for milliseconds, and was pinged when it was returned) buys nothing.
const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

pub(super) async fn open(url: &str, commit_window: Duration) -> Result<Store, StoreError> {
    let url = url.trim();
    if url.starts_with("sqlite:") {
        open_sqlite(url, commit_window).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        open_postgres(url, commit_window).await
    } else {
        Err(StoreError::UnsupportedUrl {
            scheme: scheme_of(url),
        })
    }
}

/// The scheme of a URL we cannot use, quoted only when it looks like one, so a mistyped
/// `user:password@host` is not echoed into logs.
fn scheme_of(url: &str) -> String {
    match url.split_once(':') {
        Some((scheme, _))
            if !scheme.is_empty()
                && scheme.len() <= 20
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            format!("`{scheme}:`")
        }
        _ => "a value without a recognisable scheme".to_owned(),
    }
}

async fn open_sqlite(url: &str, commit_window: Duration) -> Result<Store, StoreError> {
    let engine = Engine::Sqlite;
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Err(StoreError::InvalidUrl {
            engine,
            reason: "an in-memory database would lose every meeting on restart; name a file such as sqlite://slack-zoom.db".into(),
        });
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::InvalidUrl {
            engine,
            reason: e.to_string(),
        })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    if options.get_filename().as_os_str().is_empty() {
        // SQLite would open a private temporary database and lose it on close.
        return Err(StoreError::InvalidUrl {
            engine,
            reason: "it names no file; use one such as sqlite://slack-zoom.db".into(),
        });
    }
    let target = format!("at `{}`", options.get_filename().display());
    let hint = "; check that the directory exists and that this process may write to it";

    let mut first = connect(engine, &target, hint, options.connect()).await?;
    let migrated = SQLITE_MIGRATIONS.run(&mut first).await;
    let _ = first.close().await;
    migrated.map_err(|e| migrate_error(engine, &target, e))?;

    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        // The connection lives in this process (its own thread); no peer can drop it, so the
        // ping sqlx makes on every checkout is a thread round trip per statement for nothing.
        .test_before_acquire(false)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_lazy_with(options);
    let store = Store {
        pool: Pool::Sqlite(pool),
        target: Arc::from(target),
        // Hears every note kept: this process keeps them all.
        notes_hint: NotesHint::new(true),
        writer: None,
    };
    // Lowered at once when no note waits (the usual case); left raised if the check fails.
    let _ = store.pending_notes().recheck().await;
    Ok(store.with_writer(commit_window))
}

async fn open_postgres(url: &str, commit_window: Duration) -> Result<Store, StoreError> {
    let engine = Engine::Postgres;
    let mut options = PgConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl {
        engine,
        reason: e.to_string(),
    })?;
    if options.get_application_name().is_none() {
        // Names the service's sessions in pg_stat_activity.
        options = options.application_name("slack-zoom");
    }
    let target = format!("at {}", describe_postgres(&options));

    let mut first = connect(engine, &target, "", options.connect()).await?;
    let migrated = POSTGRES_MIGRATIONS.run(&mut first).await;
    let _ = first.close().await;
    migrated.map_err(|e| migrate_error(engine, &target, e))?;

    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > POSTGRES_PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_lazy_with(options);
    let store = Store {
        pool: Pool::Postgres(pool.clone()),
        target: Arc::from(target),
        // Raised until the listener hears every replica's notes and a check finds none waiting.
        notes_hint: NotesHint::new(false),
        writer: None,
    };
    store.notes_hint.listen(pool, store.clone());
    Ok(store.with_writer(commit_window))
}

/// `postgres://user@host:port/db`: everything an operator needs to find the server, and never
/// the password (which the options hold but have no getter for).
fn describe_postgres(options: &PgConnectOptions) -> String {
    let database = options.get_database().unwrap_or(options.get_username());
    match options.get_socket() {
        Some(socket) => format!(
            "postgres://{}@{}:{}/{} (socket)",
            options.get_username(),
            socket.display(),
            options.get_port(),
            database
        ),
        None => format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            database
        ),
    }
}

/// Makes the first connection directly rather than through a pool: a pool retries a refused
/// connection until its timeout and then reports only "timed out", losing the cause.
async fn connect<C>(
    engine: Engine,
    target: &str,
    hint: &'static str,
    connecting: impl Future<Output = Result<C, sqlx::Error>>,
) -> Result<C, StoreError> {
    let failed = |reason: String| StoreError::Open {
        engine,
        target: target.to_owned(),
        reason,
        hint,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(e)) => Err(failed(e.to_string())),
        Err(_) => Err(failed(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

fn migrate_error(engine: Engine, target: &str, source: MigrateError) -> StoreError {
    StoreError::Migrate {
        engine,
        target: target.to_owned(),
        problem: explain(&source),
        source,
    }
}

/// What a migration failure means for the operator.
fn explain(error: &MigrateError) -> String {
    match error {
        MigrateError::VersionMissing(version) => format!(
            "it was migrated by a newer slack-zoom (migration {version} is applied there but unknown to this build); run that version, or restore a backup taken before the upgrade"
        ),
        MigrateError::VersionMismatch(version) => format!(
            "migration {version} as applied there differs from this build's (checksum mismatch); the schema history was edited or written by another program"
        ),
        MigrateError::Dirty(version) => format!(
            "migration {version} was left partially applied; repair the schema by hand before starting"
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plausible_scheme_is_echoed() {
        for (url, want) in [
            ("mysql://root:hunter2@db/app", "`mysql:`"),
            ("root:hunter2@db/app", "`root:`"),
            ("hunter2", "a value without a recognisable scheme"),
            ("p@ss word:x", "a value without a recognisable scheme"),
        ] {
            assert_eq!(scheme_of(url), want, "{url}");
        }
    }

    #[test]
    fn a_postgres_target_never_contains_the_password() {
        let options =
            PgConnectOptions::from_str("postgres://app:hunter2@db.internal:6543/meetings").unwrap();
        let described = describe_postgres(&options);
        assert_eq!(described, "postgres://app@db.internal:6543/meetings");
    }
}
