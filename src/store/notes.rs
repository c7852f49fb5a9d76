//! Notes kept for a Slack user until their next command: what could not reach them when it arose.
//!
//! A card that no channel could show (its `response_url` spent and the bot not allowed to
//! post there), or the invoker's notes once the card went out without a `response_url`, are
//! kept here as facts (the meeting, the channel, why) and handed over once, to whichever
//! replica answers the user's next command.

use std::fmt;

use chrono::{DateTime, Utc};

use super::error::{zoom_id_column, zoom_id_value};
use super::instant::Stamp;
use super::{Engine, Store, StoreError, with_pool};

/// A pending note's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PendingNoteId(i64);

impl PendingNoteId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for PendingNoteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A note to keep for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPendingNote {
    pub team_id: String,
    pub user_id: String,
    /// The meeting the note is about; it must be stored already.
    pub zoom_id: u64,
    /// The channel the meeting's card was meant for.
    pub channel_id: String,
    /// Why the card reached no channel, as a plain sentence; `None` when the card was posted
    /// and only `notes` missed their reader.
    pub undelivered: Option<String>,
    /// Plain sentences for the user (not Slack markup).
    pub notes: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// A note handed over by [`PendingNotes::take`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingNote {
    pub id: PendingNoteId,
    pub team_id: String,
    pub user_id: String,
    pub zoom_id: u64,
    pub channel_id: String,
    pub undelivered: Option<String>,
    pub notes: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// The pending notes table; from [`Store::pending_notes`].
pub struct PendingNotes<'s> {
    store: &'s Store,
}

#[derive(sqlx::FromRow)]
struct NoteRow<I> {
    id: i64,
    team_id: String,
    user_id: String,
    zoom_id: i64,
    channel_id: String,
    undelivered: Option<String>,
    notes: String,
    created_at: I,
}

const TAKE_SQLITE: &str = "UPDATE pending_notes SET told_at = $3 \
     WHERE id IN (SELECT id FROM pending_notes WHERE team_id = $1 AND user_id = $2 \
     AND told_at IS NULL ORDER BY created_at, id LIMIT $4) \
     RETURNING id, team_id, user_id, zoom_id, channel_id, undelivered, notes, created_at";
const TAKE_POSTGRES: &str = "UPDATE pending_notes SET told_at = $3 \
     WHERE id IN (SELECT id FROM pending_notes WHERE team_id = $1 AND user_id = $2 \
     AND told_at IS NULL ORDER BY created_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, team_id, user_id, zoom_id, channel_id, undelivered, notes, created_at";

impl<'s> PendingNotes<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Keeps a note for the user's next command. Fails with [`StoreError::UnknownMeeting`]
    /// when its meeting is not stored.
    pub async fn add(&self, note: &NewPendingNote) -> Result<PendingNoteId, StoreError> {
        let zoom_id = zoom_id_column(note.zoom_id)?;
        let notes = serde_json::to_string(&note.notes)
            .map_err(|e| self.store.corrupt("pending note", e.to_string()))?;
        let inserted = with_pool!(self.store, |pool, at: I| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO pending_notes (team_id, user_id, zoom_id, channel_id, undelivered, \
                 notes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&note.team_id)
            .bind(&note.user_id)
            .bind(zoom_id)
            .bind(&note.channel_id)
            .bind(note.undelivered.as_deref())
            .bind(&notes)
            .bind(at(note.created_at))
            .fetch_one(pool)
            .await?
        });
        match inserted {
            Ok(id) => {
                self.store.notes_hint.raise();
                Ok(PendingNoteId(id))
            }
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                Err(StoreError::UnknownMeeting {
                    engine: self.store.engine(),
                    zoom_id: note.zoom_id,
                    operation: "keeping a note about it",
                })
            }
            Err(e) => Err(self.store.query_error("keep a note for a user", e)),
        }
    }

    /// Hands over up to `limit` notes kept for `user_id` in `team_id`, oldest first, and
    /// marks them told at `now`: each note is handed over once, across replicas.
    pub async fn take(
        &self,
        team_id: &str,
        user_id: &str,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingNote>, StoreError> {
        if !self.may_be_waiting() {
            return Ok(Vec::new());
        }
        let sql = match self.store.engine() {
            Engine::Sqlite => TAKE_SQLITE,
            Engine::Postgres => TAKE_POSTGRES,
        };
        let rows = with_pool!(self.store, |pool, at: I| {
            sqlx::query_as::<_, NoteRow<I>>(sql)
                .bind(team_id)
                .bind(user_id)
                .bind(at(now))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|row| self.note(row))
                .collect::<Vec<_>>()
        })
        .map_err(|e| self.store.query_error("hand over a user's notes", e))?;
        let mut notes = rows.into_iter().collect::<Result<Vec<_>, _>>()?;
        notes.sort_by_key(|n| (n.created_at, n.id));
        Ok(notes)
    }

    /// Marks notes handed over by [`take`](Self::take) untold again, because they did not
    /// reach their user after all: the next command hands them over. How many were.
    pub async fn give_back(&self, ids: &[PendingNoteId]) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let given = with_pool!(self.store, |pool, _at: I| {
            let mut update =
                sqlx::QueryBuilder::new("UPDATE pending_notes SET told_at = NULL WHERE id IN (");
            let mut list = update.separated(", ");
            for id in ids {
                list.push_bind(id.0);
            }
            update.push(")");
            update.build().execute(pool).await?.rows_affected()
        })
        .map_err(|e| self.store.query_error("give notes back", e))?;
        // The trigger speaks for inserted notes only; the other replicas must hear of these.
        if let super::Pool::Postgres(pool) = &self.store.pool {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(super::notes_hint::CHANNEL)
                .execute(pool)
                .await
                .map_err(|e| {
                    self.store
                        .query_error("tell replicas of notes given back", e)
                })?;
        }
        self.store.notes_hint.raise();
        Ok(given)
    }

    /// `false` when no note can be waiting for anyone: [`take`](Self::take) would find none.
    pub fn may_be_waiting(&self) -> bool {
        self.store.notes_hint.raised()
    }

    /// Looks whether any note is still untold, and lets [`may_be_waiting`](Self::may_be_waiting)
    /// say so: `true` if one is; `false` if none is (and none was kept meanwhile) until the
    /// next one is kept. One cheap query; run it with every sweep.
    pub async fn recheck(&self) -> Result<(), StoreError> {
        let hint = &self.store.notes_hint;
        let from = hint.check();
        let waiting = with_pool!(self.store, |pool, at: I| {
            sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM pending_notes WHERE told_at IS NULL)",
            )
            .fetch_one(pool)
            .await?
        })
        .map_err(|e| self.store.query_error("look for untold notes", e))?;
        if waiting {
            hint.raise();
        } else {
            hint.lower(from);
        }
        Ok(())
    }

    /// Deletes up to `limit` notes told at or before `before`, oldest first; how many went.
    /// Untold ones are never deleted.
    pub async fn purge_told(&self, before: DateTime<Utc>, limit: u32) -> Result<u64, StoreError> {
        self.store
            .purge_finished(super::Finished::Notes, before, limit)
            .await
    }

    fn note<I: Stamp>(&self, row: NoteRow<I>) -> Result<PendingNote, StoreError> {
        let store = self.store;
        let notes: Vec<String> = serde_json::from_str(&row.notes)
            .map_err(|e| store.corrupt("pending note", e.to_string()))?;
        Ok(PendingNote {
            id: PendingNoteId(row.id),
            team_id: row.team_id,
            user_id: row.user_id,
            zoom_id: zoom_id_value(store.engine(), row.zoom_id)?,
            channel_id: row.channel_id,
            undelivered: row.undelivered,
            notes,
            created_at: store.instant("pending note time", row.created_at)?,
        })
    }
}
