//! The store on both engines: every case runs against a fresh SQLite file and a fresh PostgreSQL database.
//!
//! `on_both_engines!` turns each `async fn case(db: &TestDb)` into `on_sqlite::case` and
//! `on_postgres::case`; assertion messages name the engine (`{db}`) and the table row.

mod support;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use slack_zoom::store::{
    CancelOutcome, CardLocation, CardPost, CardState, Creation, DueNotice, Engine, MeetingRecord,
    MeetingState, NewCardPost, NewCreation, NewIntent, NewMeetingRecord, NewPendingNote,
    NoticeState, Ping, RescheduleOutcome, Schedule, Store, StoreError,
};
use sqlx::{Connection, PgConnection, SqliteConnection};
use support::postgres;
use tokio::task::JoinSet;

// ---------------------------------------------------------------------------------------------
// Harness

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sqlite,
    Postgres,
}

/// A fresh, migrated database of one engine, with the store opened on it.
struct TestDb {
    kind: Kind,
    url: String,
    store: Store,
    _scratch: Option<Scratch>,
}

impl fmt::Display for TestDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgres",
        })
    }
}

impl TestDb {
    async fn start(kind: Kind) -> TestDb {
        let (url, scratch) = match kind {
            Kind::Sqlite => {
                let scratch = Scratch::new();
                let url = format!("sqlite://{}", scratch.path("store.db").display());
                (url, Some(scratch))
            }
            Kind::Postgres => (postgres::server().fresh_database().await, None),
        };
        let store = Store::open(&url)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: open {url}: {e}"));
        TestDb {
            kind,
            url,
            store,
            _scratch: scratch,
        }
    }

    /// Another store on the same database: its own pool, as a second replica (or a restart).
    async fn replica(&self) -> Store {
        Store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("{self}: open a second store: {e}"))
    }

    /// Runs SQL on the database directly, bypassing the store (to tamper with it).
    async fn execute(&self, sqlite: &'static str, postgres: &'static str) {
        let result = match self.kind {
            Kind::Sqlite => {
                let mut c = SqliteConnection::connect(&self.url).await.unwrap();
                let r = sqlx::query(sqlite).execute(&mut c).await.map(drop);
                let _ = c.close().await;
                r
            }
            Kind::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                let r = sqlx::query(postgres).execute(&mut c).await.map(drop);
                let _ = c.close().await;
                r
            }
        };
        result.unwrap_or_else(|e| panic!("{self}: direct SQL: {e}"));
    }

    /// Every (table, column) of the schema.
    async fn columns(&self) -> Vec<(String, String)> {
        match self.kind {
            Kind::Sqlite => {
                let mut c = SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master AS m \
                     JOIN pragma_table_info(m.name) AS p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(&mut c)
                .await
                .unwrap()
            }
            Kind::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = 'public'",
                )
                .fetch_all(&mut c)
                .await
                .unwrap()
            }
        }
    }

    async fn insert(&self, meeting: &NewMeetingRecord) {
        let inserted = self
            .store
            .meetings()
            .insert(meeting)
            .await
            .unwrap_or_else(|e| panic!("{self}: insert {}: {e}", meeting.zoom_id));
        assert!(inserted, "{self}: meeting {} was new", meeting.zoom_id);
    }
}

/// Declares each case once per engine.
macro_rules! on_both_engines {
    ($($case:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = super::TestDb::start(super::Kind::Sqlite).await;
                    super::$case(&db).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = super::TestDb::start(super::Kind::Postgres).await;
                    super::$case(&db).await;
                }
            )*
        }
    };
}

on_both_engines!(
    every_field_of_a_meeting_round_trips,
    instants_are_kept_to_the_microsecond,
    inserting_a_zoom_id_again_keeps_the_first_record,
    a_zoom_id_too_large_for_the_column_is_refused_and_never_found,
    an_unknown_meeting_is_absent_and_cannot_be_changed,
    the_card_location_is_recorded,
    cancelling_records_who_and_when_once,
    rescheduling_moves_the_meeting_and_records_when,
    upcoming_lists_one_users_live_meetings_and_series_by_start,
    no_column_can_hold_a_passcode_or_a_start_url,
    a_key_is_won_by_its_first_live_claim_only,
    keys_claimed_together_are_each_won_by_their_first_live_claim_only,
    an_intent_is_opened_with_its_guards_only_when_each_is_won_and_none_was_opened_for_it,
    purging_deletes_only_expired_keys_and_at_most_the_limit,
    replicas_racing_for_the_same_keys_win_each_once,
    a_due_notice_is_claimed_once_until_its_lease_lapses,
    a_notice_overdue_beyond_the_grace_is_dropped_and_reported_once,
    a_leased_notice_is_not_dropped_while_its_lease_lives,
    scheduling_a_notice_again_replaces_the_pending_one,
    a_cancelled_meeting_has_no_notices,
    rescheduling_replaces_the_start_notice,
    due_notices_come_most_overdue_first_within_the_limit,
    replicas_racing_for_due_notices_claim_each_once,
    a_released_notice_returns_at_its_retry_time_and_only_its_owner_may_release_it,
    a_discarded_notice_is_never_claimed_or_posted,
    a_meetings_notices_are_listed_with_what_became_of_them,
    every_field_of_a_card_round_trips,
    a_card_is_claimed_once_until_its_lease_lapses,
    a_card_enqueued_held_is_left_to_its_poster_until_the_lease_lapses,
    a_card_is_kept_only_by_the_claim_that_holds_it,
    a_released_card_returns_at_its_retry_time_and_only_its_owner_may_release_it,
    posted_and_abandoned_cards_leave_the_queue,
    the_oldest_pending_age_follows_the_queue,
    replicas_racing_for_cards_claim_each_once,
    an_intent_is_left_to_its_holder_until_its_lease_lapses_then_settled_once,
    confirming_a_lease_renews_it_only_when_too_little_of_it_is_left,
    replicas_racing_for_lapsed_intents_claim_each_once,
    an_intent_marked_uncertain_is_taken_over_only_to_look,
    settled_intents_are_purged_after_they_finish_and_pending_ones_never,
    finished_cards_notices_and_notes_are_purged_after_their_time_and_pending_ones_never,
    notes_given_back_are_handed_over_again,
    an_unreadable_intent_is_given_up_without_holding_back_the_others,
    a_meetings_cards_are_listed_with_what_became_of_them,
    creations_recorded_together_each_store_their_meeting_notice_and_held_card,
    a_meeting_created_twice_at_once_is_recorded_by_one_creation_only,
    a_bad_creation_among_others_fails_alone,
    cards_posted_together_each_learn_whether_theirs_was_pending,
    commands_settled_together_each_learn_whether_they_still_held_theirs,
    notes_are_handed_to_their_user_once_oldest_first,
    a_note_about_an_unknown_meeting_is_refused,
    replicas_racing_for_a_users_notes_hand_each_over_once,
    with_no_note_waiting_none_is_looked_for_until_one_is_kept_by_any_replica,
    ping_answers_while_the_database_is_up,
    a_reopened_database_keeps_its_rows,
    a_database_migrated_by_a_newer_build_is_refused,
    a_database_whose_migration_was_modified_is_refused,
    a_database_from_before_locales_keeps_its_meetings_and_reads_them_as_english,
);

/// A directory removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "slack-zoom-store-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures: fixed instants, so no test depends on the clock.

/// `minutes` after Monday 2030-01-07 09:00 UTC.
fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 9, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

const MINUTE: Duration = Duration::from_secs(60);

/// A meeting of `user` in team T1 starting `start` minutes after [`at`]`(0)`.
fn meeting(zoom_id: u64, user: &str, start: i64, duration_minutes: u32) -> NewMeetingRecord {
    NewMeetingRecord {
        zoom_id,
        team_id: "T1".into(),
        channel_id: "C1".into(),
        scheduled_by: user.into(),
        topic: format!("Meeting {zoom_id}"),
        schedule: Schedule {
            start: at(start),
            duration_minutes,
            zone: "Europe/Berlin".into(),
        },
        join_url: format!("https://zoom.us/j/{zoom_id}"),
        host: "host@example.com".into(),
        recurrence: None,
        series_ends: None,
        card: None,
        created_at: at(-120),
        locale: None,
    }
}

/// What the store should return for a freshly inserted `new`.
fn record_of(new: &NewMeetingRecord) -> MeetingRecord {
    MeetingRecord {
        zoom_id: new.zoom_id,
        team_id: new.team_id.clone(),
        channel_id: new.channel_id.clone(),
        scheduled_by: new.scheduled_by.clone(),
        topic: new.topic.clone(),
        schedule: new.schedule.clone(),
        join_url: new.join_url.clone(),
        host: new.host.clone(),
        recurrence: new.recurrence.clone(),
        card: new.card.clone(),
        state: MeetingState::Scheduled,
        created_at: new.created_at,
        moved_at: None,
        locale: new.locale.clone(),
    }
}

/// A card for meeting `zoom_id`, enqueued `created` minutes after [`at`]`(0)`.
fn card(zoom_id: u64, created: i64) -> NewCardPost {
    NewCardPost {
        zoom_id,
        team_id: "T1".into(),
        channel_id: "C1".into(),
        user_id: "U1".into(),
        response_url: format!("https://hooks.slack.com/commands/T1/{zoom_id}/secret"),
        response_url_expires_at: at(created + 30),
        notes: vec![],
        locale: Some("en-US".into()),
        created_at: at(created),
    }
}

async fn get(db: &TestDb, zoom_id: u64) -> Option<MeetingRecord> {
    db.store
        .meetings()
        .get(zoom_id)
        .await
        .unwrap_or_else(|e| panic!("{db}: get {zoom_id}: {e}"))
}

fn ids(notices: &[DueNotice]) -> Vec<u64> {
    notices.iter().map(|n| n.zoom_id).collect()
}

fn card_ids(cards: &[CardPost]) -> Vec<u64> {
    cards.iter().map(|c| c.zoom_id).collect()
}

// ---------------------------------------------------------------------------------------------
// Meetings

async fn every_field_of_a_meeting_round_trips(db: &TestDb) {
    let single = meeting(85_746_065_432, "U1", 60, 45);
    let series = NewMeetingRecord {
        topic: "Ünïcödé \"retro\" — 'quotes'; DROP TABLE meetings; --".into(),
        recurrence: Some("every Monday at 09:00 Europe/Berlin".into()),
        card: Some(CardLocation {
            channel_id: "C9".into(),
            message_ts: "1767777777.000200".into(),
        }),
        schedule: Schedule {
            start: at(24 * 60),
            duration_minutes: 1440,
            zone: "America/Argentina/Buenos_Aires".into(),
        },
        host: "Zoom-User-Id_1".into(),
        locale: Some("tr-TR".into()),
        ..meeting(9_876_543_210_987, "U2", 0, 30)
    };
    for (case, new) in [
        ("a single meeting", &single),
        ("a recurring series", &series),
    ] {
        db.insert(new).await;
        let got = get(db, new.zoom_id).await;
        assert_eq!(got, Some(record_of(new)), "{db}: {case}");
        assert_eq!(
            got.is_some_and(|m| m.is_recurring()),
            new.recurrence.is_some(),
            "{db}: {case}"
        );
    }
}

async fn instants_are_kept_to_the_microsecond(db: &TestDb) {
    let start = at(60) + TimeDelta::nanoseconds(123_456_789);
    let mut new = meeting(1_000_000_001, "U1", 0, 30);
    new.schedule.start = start;
    db.insert(&new).await;
    let got = get(db, new.zoom_id).await.unwrap();
    assert_eq!(
        got.schedule.start,
        at(60) + TimeDelta::microseconds(123_456),
        "{db}: nanoseconds are dropped, microseconds kept"
    );
}

async fn inserting_a_zoom_id_again_keeps_the_first_record(db: &TestDb) {
    let first = meeting(4_294_967_297, "U1", 60, 30);
    db.insert(&first).await;
    let again = NewMeetingRecord {
        topic: "A different topic".into(),
        ..meeting(4_294_967_297, "U2", 120, 15)
    };
    let inserted = db.store.meetings().insert(&again).await.unwrap();
    assert!(
        !inserted,
        "{db}: the second insert reports it stored nothing"
    );
    assert_eq!(
        get(db, first.zoom_id).await,
        Some(record_of(&first)),
        "{db}"
    );
}

async fn a_zoom_id_too_large_for_the_column_is_refused_and_never_found(db: &TestDb) {
    let err = db
        .store
        .meetings()
        .insert(&meeting(u64::MAX, "U1", 60, 30))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::OutOfRange { .. }),
        "{db}: {err:?}"
    );
    assert!(
        err.to_string().contains(&u64::MAX.to_string()),
        "{db}: {err}"
    );
    assert_eq!(get(db, u64::MAX).await, None, "{db}");
}

async fn an_unknown_meeting_is_absent_and_cannot_be_changed(db: &TestDb) {
    let store = &db.store;
    let unknown = 123_456_789;
    assert_eq!(get(db, unknown).await, None, "{db}: get");
    let card = CardLocation {
        channel_id: "C1".into(),
        message_ts: "1.2".into(),
    };
    assert!(
        !store.meetings().set_card(unknown, &card).await.unwrap(),
        "{db}: set_card"
    );
    assert_eq!(
        store.meetings().cancel(unknown, "U1", at(0)).await.unwrap(),
        CancelOutcome::NotFound,
        "{db}: cancel"
    );
    let schedule = meeting(unknown, "U1", 60, 30).schedule;
    assert_eq!(
        store
            .meetings()
            .reschedule(unknown, &schedule, at(0), Some(at(59)))
            .await
            .unwrap(),
        RescheduleOutcome::NotFound,
        "{db}: reschedule"
    );
    assert_eq!(
        store
            .notices()
            .schedule(unknown, at(59), at(0))
            .await
            .unwrap(),
        None,
        "{db}: schedule a notice"
    );
    let err = store
        .outbox()
        .enqueue(&card_for(unknown))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownMeeting { zoom_id, .. } if zoom_id == unknown),
        "{db}: enqueue: {err:?}"
    );
    assert!(err.to_string().contains("123456789"), "{db}: {err}");
}

fn card_for(zoom_id: u64) -> NewCardPost {
    card(zoom_id, 0)
}

async fn the_card_location_is_recorded(db: &TestDb) {
    let new = meeting(555_000_111, "U1", 60, 30);
    db.insert(&new).await;
    let card = CardLocation {
        channel_id: "C7".into(),
        message_ts: "1767780000.123456".into(),
    };
    assert!(
        db.store
            .meetings()
            .set_card(new.zoom_id, &card)
            .await
            .unwrap(),
        "{db}"
    );
    assert_eq!(get(db, new.zoom_id).await.unwrap().card, Some(card), "{db}");
}

async fn cancelling_records_who_and_when_once(db: &TestDb) {
    let new = meeting(600_000_001, "U1", 60, 30);
    db.insert(&new).await;
    let meetings = db.store.meetings();
    let steps = [
        (
            "the first cancellation",
            "U2",
            at(5),
            CancelOutcome::Cancelled,
        ),
        ("a second one", "U3", at(6), CancelOutcome::AlreadyCancelled),
    ];
    for (case, by, when, want) in steps {
        let got = meetings.cancel(new.zoom_id, by, when).await.unwrap();
        assert_eq!(got, want, "{db}: {case}");
    }
    let stored = get(db, new.zoom_id).await.unwrap();
    assert_eq!(
        stored.state,
        MeetingState::Cancelled {
            at: at(5),
            by: "U2".into()
        },
        "{db}: the first cancellation's time and author stay"
    );
    let moved = meetings
        .reschedule(new.zoom_id, &meeting(0, "", 90, 30).schedule, at(7), None)
        .await
        .unwrap();
    assert_eq!(
        moved,
        RescheduleOutcome::Cancelled,
        "{db}: a cancelled meeting is not moved"
    );
    assert_eq!(
        get(db, new.zoom_id).await.unwrap().schedule,
        new.schedule,
        "{db}"
    );
    let upcoming = meetings.upcoming("T1", "U1", at(0), 10).await.unwrap();
    assert!(
        upcoming.is_empty(),
        "{db}: cancelled meetings are not upcoming"
    );
}

async fn rescheduling_moves_the_meeting_and_records_when(db: &TestDb) {
    let new = meeting(700_000_001, "U1", 60, 30);
    db.insert(&new).await;
    let later = Schedule {
        start: at(180),
        duration_minutes: 90,
        zone: "Asia/Tokyo".into(),
    };
    let outcome = db
        .store
        .meetings()
        .reschedule(new.zoom_id, &later, at(10), None)
        .await
        .unwrap();
    assert_eq!(outcome, RescheduleOutcome::Moved, "{db}");
    let stored = get(db, new.zoom_id).await.unwrap();
    assert_eq!(stored.schedule, later, "{db}");
    assert_eq!(stored.moved_at, Some(at(10)), "{db}");
    // The end moved too: listed while the moved meeting runs, not after.
    let listed = |now| async move {
        let upcoming = db
            .store
            .meetings()
            .upcoming("T1", "U1", now, 10)
            .await
            .unwrap();
        !upcoming.is_empty()
    };
    assert!(listed(at(180 + 89)).await, "{db}: in progress");
    assert!(!listed(at(180 + 90)).await, "{db}: ended");
}

async fn upcoming_lists_one_users_live_meetings_and_series_by_start(db: &TestDb) {
    let now = at(0);
    let mut other_team = meeting(10, "U1", 30, 30);
    other_team.team_id = "T2".into();
    let series = |zoom_id, first: i64, last_ends: i64| NewMeetingRecord {
        recurrence: Some("every Monday".into()),
        series_ends: Some(at(last_ends)),
        ..meeting(zoom_id, "U1", first, 30)
    };
    let rows = [
        (
            series(11, -7 * 24 * 60, 7 * 24 * 60 + 30),
            "a series with meetings to come",
        ),
        (
            series(12, -14 * 24 * 60, -7 * 24 * 60 + 30),
            "a series over",
        ),
        (meeting(1, "U1", -90, 30), "ended before now"),
        (meeting(2, "U1", -60, 60), "ends exactly now"),
        (meeting(3, "U1", -10, 30), "in progress"),
        (meeting(4, "U1", 120, 30), "later"),
        (meeting(5, "U1", 30, 30), "soon"),
        (meeting(6, "U1", 30, 15), "soon, same start, larger id"),
        (meeting(7, "U2", 15, 30), "another user's"),
        (meeting(8, "U1", 45, 30), "cancelled"),
        (meeting(9, "U1", 60, 30), "far"),
        (other_team, "another team's"),
    ];
    for (new, _) in &rows {
        db.insert(new).await;
    }
    db.store.meetings().cancel(8, "U1", now).await.unwrap();
    for (limit, want) in [
        (10, vec![11, 3, 5, 6, 9, 4]),
        (3, vec![11, 3, 5]),
        (1, vec![11]),
        (0, vec![]),
    ] {
        let got: Vec<u64> = db
            .store
            .meetings()
            .upcoming("T1", "U1", now, limit)
            .await
            .unwrap()
            .iter()
            .map(|m| m.zoom_id)
            .collect();
        assert_eq!(got, want, "{db}: limit {limit}");
    }
}

async fn no_column_can_hold_a_passcode_or_a_start_url(db: &TestDb) {
    let columns = db.columns().await;
    assert!(
        columns.contains(&("meetings".into(), "join_url".into())),
        "{db}: the schema query sees the tables: {columns:?}"
    );
    for (table, column) in &columns {
        let lower = column.to_ascii_lowercase();
        for forbidden in ["pass", "pwd", "start_url", "secret", "token"] {
            assert!(
                !lower.contains(forbidden),
                "{db}: {table}.{column} looks like it holds a {forbidden}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Claims

async fn a_key_is_won_by_its_first_live_claim_only(db: &TestDb) {
    let ttl = Duration::from_secs(600);
    let steps = [
        ("replay:a", secs(0), true, "the first claim"),
        ("replay:a", secs(1), false, "a replay while live"),
        ("replay:b", secs(1), true, "another key"),
        (
            "delivery:a",
            secs(1),
            true,
            "the same id under another prefix",
        ),
        (
            "replay:a",
            secs(600) - TimeDelta::microseconds(1),
            false,
            "a microsecond before expiry",
        ),
        ("replay:a", secs(600), true, "at expiry: claimable again"),
        ("replay:a", secs(601), false, "the re-claim is live"),
    ];
    for (key, offset, want, case) in steps {
        let got = db
            .store
            .claims()
            .claim(key, at(0) + offset, ttl)
            .await
            .unwrap();
        assert_eq!(got, want, "{db}: {case}");
    }
}

/// Keys claimed together, when, what each should win, and the case's name.
type ClaimStep<'a> = (&'a [(&'a str, Duration)], TimeDelta, &'a [bool], &'a str);

/// The replay and double-delivery guards' claim is made before every command's answer; on
/// PostgreSQL its commit does not wait for the disk (docs/STORE.md), unlike everything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_claim_commits_without_waiting_for_the_disk() {
    let db = TestDb::start(Kind::Postgres).await;
    // The tests' server does not wait for the disk at all: make this database's sessions wait,
    // and note the setting each insert into the claims commits under.
    let mut c = PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = on', \
           current_database()); END $$; \
         CREATE TABLE commit_modes (key text, mode text); \
         CREATE FUNCTION note_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           INSERT INTO commit_modes VALUES (NEW.key, current_setting('synchronous_commit')); \
           RETURN NEW; \
         END $$; \
         CREATE TRIGGER note_commit_mode AFTER INSERT ON claims \
           FOR EACH ROW EXECUTE FUNCTION note_commit_mode(); \
         CREATE FUNCTION note_intent_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           INSERT INTO commit_modes VALUES (NEW.delivery_key, current_setting('synchronous_commit')); \
           RETURN NEW; \
         END $$; \
         CREATE TRIGGER note_intent_commit_mode AFTER INSERT ON create_intents \
           FOR EACH ROW EXECUTE FUNCTION note_intent_commit_mode();",
    )
    .execute(&mut c)
    .await
    .unwrap();
    // New sessions, which get the database's setting.
    let store = db.replica().await;
    let now = Utc::now();
    let won = store
        .claims()
        .claim_all(&[("replay:a", LEASE), ("delivery:a", LEASE)], now)
        .await
        .unwrap();
    assert_eq!(won, [true, true]);
    // The statements after it wait again, on whichever of the store's connections they run
    // (the claim's among them, once it is back in the pool): the setting was the claim's
    // transaction's alone.
    for i in 0..10 {
        store
            .intents()
            .open(&intent(&format!("after-the-claim-{i}"), 0), "A", LEASE)
            .await
            .unwrap()
            .unwrap();
    }
    // The guards claimed with a command's intent, in one statement, wait as the intent must.
    let opened = store
        .intents()
        .open_claiming(
            &intent("with-its-guards", 0),
            "A",
            LEASE,
            &[("replay:b", LEASE), ("delivery:b", LEASE)],
            now,
        )
        .await
        .unwrap();
    assert!(opened.hold.is_some(), "{opened:?}");
    let mut other = PgConnection::connect(&db.url).await.unwrap();
    sqlx::query("INSERT INTO claims (key, expires_at) VALUES ('plain', now())")
        .execute(&mut other)
        .await
        .unwrap();
    let modes: BTreeMap<String, String> = sqlx::query_as("SELECT key, mode FROM commit_modes")
        .fetch_all(&mut c)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(modes["replay:a"], "off", "{modes:?}");
    assert_eq!(modes["delivery:a"], "off", "{modes:?}");
    assert_eq!(
        modes["plain"], "on",
        "other statements wait for the disk: {modes:?}"
    );
    for key in ["replay:b", "delivery:b", "with-its-guards"] {
        assert_eq!(modes[key], "on", "claimed with an intent: {modes:?}");
    }
    for i in 0..10 {
        assert_eq!(
            modes[&format!("after-the-claim-{i}")],
            "on",
            "not left on the store's connection: {modes:?}"
        );
    }
}

async fn keys_claimed_together_are_each_won_by_their_first_live_claim_only(db: &TestDb) {
    let claims = db.store.claims();
    let short = Duration::from_secs(300);
    let long = Duration::from_secs(1800);
    let steps: [ClaimStep; 5] = [
        (
            &[("signature:a", short), ("delivery:a", long)],
            secs(0),
            &[true, true],
            "both new",
        ),
        (
            &[("signature:a", short), ("delivery:a", long)],
            secs(1),
            &[false, false],
            "a replay",
        ),
        (
            &[("signature:b", short), ("delivery:a", long)],
            secs(2),
            &[true, false],
            "signed anew, delivered again",
        ),
        // Each key expires at its own instant: the signature after 300 s, the delivery after 1800 s.
        (
            &[("signature:a", short), ("delivery:a", long)],
            secs(300),
            &[true, false],
            "only the signature expired",
        ),
        (&[], secs(301), &[], "no keys"),
    ];
    for (keys, offset, want, case) in steps {
        let got = claims.claim_all(keys, at(0) + offset).await.unwrap();
        assert_eq!(got, want, "{db}: {case}");
    }
    assert!(
        claims
            .claim("delivery:a", at(0) + secs(1800), long)
            .await
            .unwrap(),
        "{db}: the delivery key expires at its own instant"
    );
}

/// An intent opened with its command's guards (`Intents::open_claiming`): the keys claimed,
/// when (seconds), the intent's delivery key, what each key should win, whether the intent is opened,
/// and the case's name.
type GuardedStep<'a> = (
    &'a [(&'a str, Duration)],
    i64,
    &'a str,
    &'a [bool],
    bool,
    &'a str,
);

async fn an_intent_is_opened_with_its_guards_only_when_each_is_won_and_none_was_opened_for_it(
    db: &TestDb,
) {
    let intents = db.store.intents();
    let short = Duration::from_secs(300);
    let steps: [GuardedStep; 6] = [
        (
            &[("signature:a", short), ("delivery:a", LEASE)],
            0,
            "a",
            &[true, true],
            true,
            "a first delivery",
        ),
        (
            &[("signature:a", short), ("delivery:a", LEASE)],
            1,
            "a",
            &[false, false],
            false,
            "a replay",
        ),
        (
            &[("signature:b", short), ("delivery:a", LEASE)],
            2,
            "a",
            &[true, false],
            false,
            "delivered again, signed anew",
        ),
        (
            &[("signature:c", short), ("delivery:c", LEASE)],
            3,
            "c",
            &[true, true],
            true,
            "another command",
        ),
        // The guard forgot the delivery (its time ran out) but the intent stands: not opened twice.
        (
            &[("signature:d", short), ("delivery:a", LEASE)],
            61,
            "a",
            &[true, true],
            false,
            "an intent for it stands",
        ),
        (
            &[("delivery:e", LEASE)],
            62,
            "e",
            &[true],
            true,
            "a socket's command (no signature)",
        ),
    ];
    for (keys, offset, key, want_won, want_opened, case) in steps {
        let when = at(0) + secs(offset);
        let new = NewIntent {
            read_at: when,
            created_at: when,
            ..intent(key, 0)
        };
        let opened = intents
            .open_claiming(&new, "A", LEASE, keys, when)
            .await
            .unwrap_or_else(|e| panic!("{db}: {case}: {e}"));
        assert_eq!(opened.won, want_won, "{db}: {case}");
        assert_eq!(opened.hold.is_some(), want_opened, "{db}: {case}");
    }
    // Each opened intent is held by its writer: nobody else may take it over before its lease.
    assert!(
        intents
            .claim("B", at(0) + secs(59), LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "{db}: no lease lapsed"
    );
    let lapsed = intents
        .claim("B", at(0) + secs(200), LEASE, 10)
        .await
        .unwrap();
    let mut keys: Vec<_> = lapsed.iter().map(|i| i.new.delivery_key.clone()).collect();
    keys.sort();
    assert_eq!(keys, ["a", "c", "e"], "{db}: one intent per command opened");
}

async fn purging_deletes_only_expired_keys_and_at_most_the_limit(db: &TestDb) {
    let claims = db.store.claims();
    for i in 0..5 {
        assert!(
            claims
                .claim(&format!("short:{i}"), at(0), MINUTE)
                .await
                .unwrap()
        );
    }
    for i in 0..2 {
        assert!(
            claims
                .claim(&format!("long:{i}"), at(0), 60 * MINUTE)
                .await
                .unwrap()
        );
    }
    let now = at(2);
    for (want, case) in [(3, "the first batch"), (2, "the rest"), (0, "nothing left")] {
        assert_eq!(
            claims.purge_expired(now, 3).await.unwrap(),
            want,
            "{db}: {case}"
        );
    }
    assert!(
        !claims.claim("long:0", now, MINUTE).await.unwrap(),
        "{db}: a live key survives the purge"
    );
}

async fn replicas_racing_for_the_same_keys_win_each_once(db: &TestDb) {
    let replicas = [db.store.clone(), db.replica().await];
    let keys: Vec<String> = (0..25).map(|k| format!("replay:v0={k:064x}")).collect();
    let mut tasks = JoinSet::new();
    for task in 0..8usize {
        let store = replicas[task % 2].clone();
        let keys = keys.clone();
        let label = db.to_string();
        tasks.spawn(async move {
            let mut won = Vec::new();
            // Each task walks the keys from a different place, so they collide mid-walk.
            for i in 0..keys.len() {
                let key = &keys[(i + task * 3) % keys.len()];
                let claimed = store.claims().claim(key, at(0), 10 * MINUTE).await;
                if claimed.unwrap_or_else(|e| panic!("{label}: claim: {e}")) {
                    won.push(key.clone());
                }
            }
            won
        });
    }
    let mut wins: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(won) = tasks.join_next().await {
        for key in won.expect("claiming task") {
            *wins.entry(key).or_default() += 1;
        }
    }
    for key in &keys {
        assert_eq!(wins.get(key), Some(&1), "{db}: {key} won exactly once");
    }
}

// ---------------------------------------------------------------------------------------------
// Start notices

const GRACE: Duration = Duration::from_secs(5 * 60);
const LEASE: Duration = Duration::from_secs(60);

async fn a_due_notice_is_claimed_once_until_its_lease_lapses(db: &TestDb) {
    let new = meeting(800_000_001, "U1", 60, 30);
    db.insert(&new).await;
    let notices = db.store.notices();
    let id = notices
        .schedule(new.zoom_id, at(59), at(0))
        .await
        .unwrap()
        .unwrap();
    let steps = [
        ("not yet due", at(58), "A", vec![]),
        ("due", at(59), "A", vec![1]),
        ("leased to A", at(59) + secs(59), "B", vec![]),
        ("lease lapsed: B retries", at(59) + secs(60), "B", vec![2]),
    ];
    for (case, now, owner, want_attempts) in steps {
        let due = notices
            .claim_due(now, GRACE, owner, LEASE, 10)
            .await
            .unwrap();
        let attempts: Vec<u32> = due.claimed.iter().map(|n| n.attempts).collect();
        assert_eq!(attempts, want_attempts, "{db}: {case}");
        assert!(due.dropped.is_empty(), "{db}: {case}");
        if let Some(notice) = due.claimed.first() {
            assert_eq!(
                (notice.id, notice.zoom_id, notice.due_at),
                (id, new.zoom_id, at(59)),
                "{db}: {case}"
            );
        }
    }
    assert!(
        notices.complete(id, at(60)).await.unwrap(),
        "{db}: completed"
    );
    assert!(
        !notices.complete(id, at(60)).await.unwrap(),
        "{db}: completed once"
    );
    let after = notices
        .claim_due(at(62), GRACE, "C", LEASE, 10)
        .await
        .unwrap();
    assert!(
        after.claimed.is_empty(),
        "{db}: a posted notice is not claimed again"
    );
}

async fn a_notice_overdue_beyond_the_grace_is_dropped_and_reported_once(db: &TestDb) {
    let notices = db.store.notices();
    for (zoom_id, due) in [(1, at(0)), (2, at(4)), (3, at(5))] {
        db.insert(&meeting(zoom_id, "U1", 60, 30)).await;
        notices
            .schedule(zoom_id, due, at(-10))
            .await
            .unwrap()
            .unwrap();
    }
    // At 10:00 with 5 minutes' grace, due before 9:05 is too late; 9:05 itself is not.
    let first = notices
        .claim_due(at(10), GRACE, "A", LEASE, 10)
        .await
        .unwrap();
    assert_eq!(ids(&first.dropped), [1, 2], "{db}: dropped");
    assert_eq!(ids(&first.claimed), [3], "{db}: claimed");
    let claimed = first.claimed.first().unwrap().id;
    assert!(notices.complete(claimed, at(10)).await.unwrap(), "{db}");
    let again = notices
        .claim_due(at(20), GRACE, "A", LEASE, 10)
        .await
        .unwrap();
    assert!(
        again.dropped.is_empty(),
        "{db}: each dropped notice is reported once"
    );
    let dropped = first.dropped.first().unwrap().id;
    assert!(
        !notices.complete(dropped, at(20)).await.unwrap(),
        "{db}: a dropped notice cannot be marked posted"
    );
}

async fn a_leased_notice_is_not_dropped_while_its_lease_lives(db: &TestDb) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let notices = db.store.notices();
    notices.schedule(1, at(0), at(-10)).await.unwrap().unwrap();
    let long_lease = Duration::from_secs(10 * 60);
    let claimed = notices
        .claim_due(at(0), GRACE, "A", long_lease, 10)
        .await
        .unwrap();
    assert_eq!(ids(&claimed.claimed), [1], "{db}");
    for (case, now, want_dropped) in [
        ("past the grace, still leased", at(6), vec![]),
        ("the lease lapsed past the grace", at(10), vec![1]),
    ] {
        let due = notices.claim_due(now, GRACE, "B", LEASE, 10).await.unwrap();
        assert_eq!(ids(&due.dropped), want_dropped, "{db}: {case}");
        assert!(due.claimed.is_empty(), "{db}: {case}");
    }
}

async fn scheduling_a_notice_again_replaces_the_pending_one(db: &TestDb) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let notices = db.store.notices();
    let first = notices.schedule(1, at(50), at(0)).await.unwrap().unwrap();
    let second = notices.schedule(1, at(55), at(1)).await.unwrap().unwrap();
    assert_ne!(first, second, "{db}: a replacement has its own id");
    let due = notices
        .claim_due(at(55), GRACE, "A", LEASE, 10)
        .await
        .unwrap();
    let got: Vec<_> = due.claimed.iter().map(|n| (n.id, n.due_at)).collect();
    assert_eq!(got, [(second, at(55))], "{db}: only the replacement is due");
    assert!(
        due.dropped.is_empty(),
        "{db}: the replaced one is not dropped either"
    );
    assert!(
        !notices.complete(first, at(56)).await.unwrap(),
        "{db}: a late completion of the replaced notice changes nothing"
    );
}

async fn a_cancelled_meeting_has_no_notices(db: &TestDb) {
    let notices = db.store.notices();
    for zoom_id in [1, 2] {
        db.insert(&meeting(zoom_id, "U1", 60, 30)).await;
        notices
            .schedule(zoom_id, at(59), at(0))
            .await
            .unwrap()
            .unwrap();
    }
    db.store.meetings().cancel(1, "U1", at(1)).await.unwrap();
    assert_eq!(
        notices.cancel(2, at(1)).await.unwrap(),
        1,
        "{db}: one pending"
    );
    assert_eq!(
        notices.cancel(2, at(2)).await.unwrap(),
        0,
        "{db}: none left"
    );
    let due = notices
        .claim_due(at(59), GRACE, "A", LEASE, 10)
        .await
        .unwrap();
    assert!(
        due.claimed.is_empty() && due.dropped.is_empty(),
        "{db}: {due:?}"
    );
    assert_eq!(
        notices.schedule(1, at(59), at(3)).await.unwrap(),
        None,
        "{db}: no notice for a cancelled meeting"
    );
}

async fn rescheduling_replaces_the_start_notice(db: &TestDb) {
    let meetings = db.store.meetings();
    let notices = db.store.notices();
    for zoom_id in [1, 2] {
        db.insert(&meeting(zoom_id, "U1", 60, 30)).await;
        notices
            .schedule(zoom_id, at(59), at(0))
            .await
            .unwrap()
            .unwrap();
    }
    let later = meeting(0, "", 120, 30).schedule;
    let moved = meetings
        .reschedule(1, &later, at(1), Some(at(119)))
        .await
        .unwrap();
    assert_eq!(moved, RescheduleOutcome::Moved, "{db}");
    let moved = meetings.reschedule(2, &later, at(1), None).await.unwrap();
    assert_eq!(moved, RescheduleOutcome::Moved, "{db}");
    for (case, now, want) in [
        ("the old time", at(59), vec![]),
        ("the new time", at(119), vec![1]),
    ] {
        let due = notices.claim_due(now, GRACE, "A", LEASE, 10).await.unwrap();
        assert_eq!(ids(&due.claimed), want, "{db}: {case}");
        assert!(due.dropped.is_empty(), "{db}: {case}");
    }
}

async fn due_notices_come_most_overdue_first_within_the_limit(db: &TestDb) {
    let notices = db.store.notices();
    for zoom_id in [5, 3, 1, 4, 2] {
        db.insert(&meeting(zoom_id, "U1", 60, 30)).await;
        notices
            .schedule(zoom_id, at(zoom_id as i64), at(0))
            .await
            .unwrap()
            .unwrap();
    }
    for (case, want) in [
        ("first", vec![1, 2]),
        ("next", vec![3, 4]),
        ("last", vec![5]),
    ] {
        let due = notices
            .claim_due(at(5), GRACE, "A", LEASE, 2)
            .await
            .unwrap();
        assert_eq!(ids(&due.claimed), want, "{db}: {case} batch");
    }
}

async fn replicas_racing_for_due_notices_claim_each_once(db: &TestDb) {
    const NOTICES: u64 = 60;
    for zoom_id in 1..=NOTICES {
        db.insert(&meeting(zoom_id, "U1", 60, 30)).await;
        db.store
            .notices()
            .schedule(zoom_id, at(59), at(0))
            .await
            .unwrap()
            .unwrap();
    }
    let replicas = [db.store.clone(), db.replica().await];
    let mut tasks = JoinSet::new();
    for task in 0..8usize {
        let store = replicas[task % 2].clone();
        let label = db.to_string();
        tasks.spawn(async move {
            let owner = format!("replica-{}-task-{task}", task % 2);
            let mut mine = Vec::new();
            // Every round claims at least one notice, so more rounds than notices means
            // claims are handed out again (and the loop would never end).
            for _ in 0..=NOTICES {
                let due = store
                    .notices()
                    .claim_due(at(59), GRACE, &owner, LEASE, 3)
                    .await;
                let due = due.unwrap_or_else(|e| panic!("{label}: claim_due: {e}"));
                if due.claimed.is_empty() {
                    return mine;
                }
                mine.extend(due.claimed.iter().map(|n| n.zoom_id));
            }
            panic!("{label}: {owner} claimed more rounds than there are notices");
        });
    }
    let mut claims: BTreeMap<u64, usize> = BTreeMap::new();
    while let Some(mine) = tasks.join_next().await {
        for zoom_id in mine.expect("claiming task") {
            *claims.entry(zoom_id).or_default() += 1;
        }
    }
    for zoom_id in 1..=NOTICES {
        assert_eq!(claims.get(&zoom_id), Some(&1), "{db}: notice of {zoom_id}");
    }
}

async fn a_released_notice_returns_at_its_retry_time_and_only_its_owner_may_release_it(
    db: &TestDb,
) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let notices = db.store.notices();
    let id = notices.schedule(1, at(59), at(0)).await.unwrap().unwrap();
    let claimed = notices
        .claim_due(at(59), GRACE, "A", LEASE, 10)
        .await
        .unwrap();
    assert_eq!(ids(&claimed.claimed), [1], "{db}");
    assert!(
        !notices.release(id, "B", at(59) + secs(5)).await.unwrap(),
        "{db}: B does not hold it"
    );
    assert!(
        notices.release(id, "A", at(59) + secs(5)).await.unwrap(),
        "{db}: A does"
    );
    for (case, now, owner, want) in [
        ("before the retry time", at(59) + secs(4), "B", vec![]),
        ("at the retry time, anyone", at(59) + secs(5), "B", vec![1]),
    ] {
        let due = notices
            .claim_due(now, GRACE, owner, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(ids(&due.claimed), want, "{db}: {case}");
    }
    assert!(
        !notices.release(id, "A", at(70)).await.unwrap(),
        "{db}: B holds it now"
    );
    assert!(notices.complete(id, at(60)).await.unwrap(), "{db}");
    assert!(
        !notices.release(id, "B", at(70)).await.unwrap(),
        "{db}: a posted notice is not released"
    );
}

async fn a_discarded_notice_is_never_claimed_or_posted(db: &TestDb) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let notices = db.store.notices();
    let id = notices.schedule(1, at(59), at(0)).await.unwrap().unwrap();
    notices
        .claim_due(at(59), GRACE, "A", LEASE, 10)
        .await
        .unwrap();
    assert!(notices.discard(id, at(59)).await.unwrap(), "{db}");
    assert!(!notices.discard(id, at(59)).await.unwrap(), "{db}: once");
    assert!(
        !notices.complete(id, at(59)).await.unwrap(),
        "{db}: a dropped notice cannot be marked posted"
    );
    let due = notices
        .claim_due(at(61), GRACE, "B", LEASE, 10)
        .await
        .unwrap();
    assert!(
        due.claimed.is_empty() && due.dropped.is_empty(),
        "{db}: {due:?}"
    );
    let states: Vec<NoticeState> = notices
        .for_meeting(1)
        .await
        .unwrap()
        .iter()
        .map(|n| n.state)
        .collect();
    assert_eq!(states, [NoticeState::Dropped], "{db}");
}

async fn a_meetings_notices_are_listed_with_what_became_of_them(db: &TestDb) {
    let notices = db.store.notices();
    for zoom_id in [1, 2] {
        db.insert(&meeting(zoom_id, "U1", 60, 30)).await;
    }
    // Meeting 1: scheduled, replaced, posted, then a next one pending; meeting 2: cancelled.
    notices.schedule(1, at(40), at(0)).await.unwrap().unwrap();
    let posted = notices.schedule(1, at(50), at(1)).await.unwrap().unwrap();
    notices
        .claim_due(at(50), GRACE, "A", LEASE, 10)
        .await
        .unwrap();
    assert!(notices.complete(posted, at(50)).await.unwrap(), "{db}");
    notices.schedule(1, at(100), at(51)).await.unwrap().unwrap();
    notices.schedule(2, at(59), at(0)).await.unwrap().unwrap();
    db.store.meetings().cancel(2, "U1", at(1)).await.unwrap();
    let store = &db.store;
    let listed = |zoom_id| async move {
        store
            .notices()
            .for_meeting(zoom_id)
            .await
            .unwrap()
            .iter()
            .map(|n| (n.due_at, n.state))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(1).await,
        [
            (at(40), NoticeState::Replaced),
            (at(50), NoticeState::Posted),
            (at(100), NoticeState::Pending),
        ],
        "{db}: meeting 1"
    );
    assert_eq!(
        listed(2).await,
        [(at(59), NoticeState::Cancelled)],
        "{db}: meeting 2"
    );
    assert!(listed(3).await.is_empty(), "{db}: no such meeting");
    assert!(
        notices.for_meeting(u64::MAX).await.unwrap().is_empty(),
        "{db}: an id the column cannot hold"
    );
}

// ---------------------------------------------------------------------------------------------
// Group commit: creations and "posted" from many tasks at once

/// What a command records once Zoom created `zoom_id`: the meeting, a notice when `notice`
/// says, and its card held for replica "A".
fn creation(zoom_id: u64, notice: bool) -> NewCreation {
    NewCreation {
        meeting: meeting(zoom_id, "U1", 60, 30),
        notice_due: notice.then(|| at(55)),
        card: NewCardPost {
            notes: vec![format!("note for {zoom_id}")],
            ..card(zoom_id, 0)
        },
        owner: "A".into(),
        lease: LEASE,
    }
}

/// Runs `record_creation` for every one of `creations` from its own task, all at once (so
/// they share transactions), and returns their answers in the same order.
async fn record_all(db: &TestDb, creations: Vec<NewCreation>) -> Vec<Result<Creation, StoreError>> {
    let mut tasks = JoinSet::new();
    for (i, creation) in creations.into_iter().enumerate() {
        let store = db.store.clone();
        tasks.spawn(async move { (i, store.record_creation(creation).await) });
    }
    let mut answers: Vec<_> = tasks.join_all().await;
    answers.sort_by_key(|(i, _)| *i);
    answers.into_iter().map(|(_, answer)| answer).collect()
}

async fn creations_recorded_together_each_store_their_meeting_notice_and_held_card(db: &TestDb) {
    let creations: Vec<_> = (1..=40).map(|id| creation(id, id % 2 == 0)).collect();
    let answers = record_all(db, creations.clone()).await;
    let mut outbox_ids = std::collections::BTreeSet::new();
    for (new, answer) in creations.iter().zip(&answers) {
        let id = new.meeting.zoom_id;
        let Ok(Creation::Recorded(card)) = answer else {
            panic!("{db}: meeting {id}: {answer:?}");
        };
        assert!(
            outbox_ids.insert(*card),
            "{db}: meeting {id}: its own card row"
        );
        assert_eq!(
            get(db, id).await,
            Some(record_of(&new.meeting)),
            "{db}: meeting {id}"
        );
        let notices: Vec<_> = db
            .store
            .notices()
            .for_meeting(id)
            .await
            .unwrap()
            .into_iter()
            .map(|n| (n.due_at, n.state))
            .collect();
        let want: Vec<_> = new
            .notice_due
            .map(|due| (due, NoticeState::Pending))
            .into_iter()
            .collect();
        assert_eq!(notices, want, "{db}: meeting {id}'s notices");
        let cards = db.store.outbox().for_meeting(id).await.unwrap();
        assert_eq!(cards.len(), 1, "{db}: meeting {id}: {cards:?}");
        assert_eq!(
            (
                cards[0].id,
                cards[0].state,
                cards[0].attempts,
                cards[0].claimed_by.as_deref()
            ),
            (*card, CardState::Pending, 1, Some("A")),
            "{db}: meeting {id}'s card is held by its poster"
        );
    }
    let outbox = db.store.outbox();
    assert!(
        outbox
            .claim("B", at(0), LEASE, 100)
            .await
            .unwrap()
            .is_empty(),
        "{db}: held cards are left to their poster while the lease lives"
    );
    let lapsed = outbox
        .claim("B", at(0) + LEASE + secs(1), LEASE, 100)
        .await
        .unwrap();
    let want: Vec<_> = creations
        .iter()
        .zip(&answers)
        .map(|(new, answer)| {
            let Ok(Creation::Recorded(id)) = answer else {
                unreachable!()
            };
            CardPost {
                id: *id,
                zoom_id: new.card.zoom_id,
                team_id: new.card.team_id.clone(),
                channel_id: new.card.channel_id.clone(),
                user_id: new.card.user_id.clone(),
                response_url: new.card.response_url.clone(),
                response_url_expires_at: new.card.response_url_expires_at,
                notes: new.card.notes.clone(),
                locale: new.card.locale.clone(),
                created_at: new.card.created_at,
                attempts: 2,
                last_error: None,
            }
        })
        .collect();
    let mut lapsed = lapsed;
    lapsed.sort_by_key(|c| c.zoom_id);
    assert_eq!(
        lapsed, want,
        "{db}: after the lease, every card as recorded"
    );
}

async fn a_meeting_created_twice_at_once_is_recorded_by_one_creation_only(db: &TestDb) {
    // 7 is stored already (another replica recorded it); 8 is created twice at once.
    db.insert(&meeting(7, "U1", 60, 30)).await;
    let answers = record_all(
        db,
        vec![
            creation(7, true),
            creation(8, true),
            creation(8, true),
            creation(9, false),
        ],
    )
    .await;
    let recorded =
        |answer: &Result<Creation, StoreError>| matches!(answer, Ok(Creation::Recorded(_)));
    assert!(
        matches!(answers[0], Ok(Creation::Already)),
        "{db}: 7: {:?}",
        answers[0]
    );
    assert_eq!(
        [recorded(&answers[1]), recorded(&answers[2])]
            .iter()
            .filter(|r| **r)
            .count(),
        1,
        "{db}: 8 is recorded by exactly one of its two creations: {answers:?}"
    );
    assert!(
        answers[1..3]
            .iter()
            .all(|a| matches!(a, Ok(Creation::Recorded(_)) | Ok(Creation::Already))),
        "{db}: {answers:?}"
    );
    assert!(recorded(&answers[3]), "{db}: 9: {:?}", answers[3]);
    for (id, cards, notices) in [(7, 0, 0), (8, 1, 1), (9, 1, 0)] {
        assert_eq!(
            db.store.outbox().for_meeting(id).await.unwrap().len(),
            cards,
            "{db}: meeting {id}'s cards"
        );
        assert_eq!(
            db.store.notices().for_meeting(id).await.unwrap().len(),
            notices,
            "{db}: meeting {id}'s notices"
        );
    }
}

async fn a_bad_creation_among_others_fails_alone(db: &TestDb) {
    let mut bad = creation(2, true);
    bad.card.zoom_id = 99;
    let answers = record_all(db, vec![creation(1, true), bad, creation(3, true)]).await;
    assert!(
        matches!(answers[0], Ok(Creation::Recorded(_))),
        "{db}: {:?}",
        answers[0]
    );
    assert!(
        matches!(answers[1], Err(StoreError::Corrupt { .. })),
        "{db}: {:?}",
        answers[1]
    );
    assert!(
        matches!(answers[2], Ok(Creation::Recorded(_))),
        "{db}: {:?}",
        answers[2]
    );
    assert_eq!(
        get(db, 2).await,
        None,
        "{db}: nothing of the bad creation is stored"
    );
    assert!(
        db.store.outbox().for_meeting(99).await.unwrap().is_empty(),
        "{db}"
    );
    for id in [1, 3] {
        assert!(get(db, id).await.is_some(), "{db}: meeting {id}");
    }
    let huge = NewCreation {
        meeting: meeting(u64::MAX, "U1", 60, 30),
        ..creation(4, false)
    };
    assert!(
        matches!(
            db.store.record_creation(huge).await,
            Err(StoreError::OutOfRange { .. })
        ),
        "{db}: an id the column cannot hold is refused before it reaches the writer"
    );
}

async fn cards_posted_together_each_learn_whether_theirs_was_pending(db: &TestDb) {
    let outbox = db.store.outbox();
    let mut ids = Vec::new();
    for zoom_id in 1..=20 {
        db.insert(&meeting(zoom_id, "U1", 60, 30)).await;
        ids.push(outbox.enqueue(&card(zoom_id, 0)).await.unwrap());
    }
    // 20 was given up already: marking it posted must say it was not pending.
    assert!(outbox.abandon(ids[19], at(1), "expired").await.unwrap());
    let mut tasks = JoinSet::new();
    for (i, id) in ids.iter().copied().enumerate() {
        let store = db.store.clone();
        tasks.spawn(async move { (i, store.outbox().complete(id, at(2)).await.unwrap()) });
    }
    let mut done = tasks.join_all().await;
    done.sort();
    let want: Vec<_> = (0..20).map(|i| (i, i != 19)).collect();
    assert_eq!(done, want, "{db}");
    for (i, id) in ids.iter().enumerate() {
        let cards = outbox.for_meeting(i as u64 + 1).await.unwrap();
        let want = if i == 19 {
            CardState::Abandoned
        } else {
            CardState::Posted
        };
        assert_eq!((cards[0].id, cards[0].state), (*id, want), "{db}: card {i}");
    }
    assert!(
        outbox
            .claim("B", at(60), LEASE, 100)
            .await
            .unwrap()
            .is_empty(),
        "{db}"
    );
    assert!(
        !outbox.complete(ids[0], at(3)).await.unwrap(),
        "{db}: a card is marked posted once"
    );
}

async fn commands_settled_together_each_learn_whether_they_still_held_theirs(db: &TestDb) {
    let intents = db.store.intents();
    let mut holds = Vec::new();
    for i in 1..=20 {
        // The last was opened ten minutes earlier, so its lease lapses first.
        let created = if i == 20 { -10 } else { 0 };
        let hold = intents
            .open(&intent(&format!("k{i}"), created), "A", LEASE)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{db}: k{i} opened"));
        holds.push(hold);
    }
    let taken = intents
        .claim("B", at(-10) + LEASE + secs(1), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1, "{db}: only k20's lease lapsed");
    let mut tasks = JoinSet::new();
    for (i, hold) in holds.iter().copied().enumerate() {
        let store = db.store.clone();
        // Every other command created a meeting; the rest were settled without one.
        let zoom_id = (i % 2 == 0).then_some(1_000 + i as u64);
        tasks.spawn(async move {
            let settled = store.intents().finish(hold, "A", zoom_id, at(1)).await;
            (i, settled.unwrap())
        });
    }
    let mut settled = tasks.join_all().await;
    settled.sort();
    let want: Vec<_> = (0..20).map(|i| (i, i != 19)).collect();
    assert_eq!(
        settled, want,
        "{db}: A settles all it holds, and not k20 (B's now)"
    );
    assert!(
        !intents.finish(holds[0], "A", None, at(2)).await.unwrap(),
        "{db}: a command is settled once"
    );
    let lapsed = intents.claim("C", at(600), LEASE, 100).await.unwrap();
    assert_eq!(
        lapsed
            .iter()
            .map(|i| i.new.delivery_key.as_str())
            .collect::<Vec<_>>(),
        ["k20"],
        "{db}: only B's command is still pending"
    );
}

// ---------------------------------------------------------------------------------------------
// Card outbox

async fn every_field_of_a_card_round_trips(db: &TestDb) {
    db.insert(&meeting(98_765_432_109, "U1", 60, 30)).await;
    db.insert(&meeting(2, "U1", 60, 30)).await;
    let full = NewCardPost {
        notes: vec![
            "Times are read in Europe/Berlin because your Slack profile has no timezone.".into(),
            "Ünïcödé, \"quotes\", a\nnewline and a \\ backslash.".into(),
        ],
        locale: Some("de-DE".into()),
        ..card(98_765_432_109, 0)
    };
    let bare = NewCardPost {
        notes: vec![],
        locale: None,
        ..card(2, 1)
    };
    let outbox = db.store.outbox();
    let mut want = Vec::new();
    for new in [&full, &bare] {
        let id = outbox.enqueue(new).await.unwrap();
        want.push(CardPost {
            id,
            zoom_id: new.zoom_id,
            team_id: new.team_id.clone(),
            channel_id: new.channel_id.clone(),
            user_id: new.user_id.clone(),
            response_url: new.response_url.clone(),
            response_url_expires_at: new.response_url_expires_at,
            notes: new.notes.clone(),
            locale: new.locale.clone(),
            created_at: new.created_at,
            attempts: 1,
            last_error: None,
        });
    }
    let got = outbox.claim("A", at(2), LEASE, 10).await.unwrap();
    assert_eq!(got, want, "{db}");
}

async fn a_card_is_claimed_once_until_its_lease_lapses(db: &TestDb) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let outbox = db.store.outbox();
    let id = outbox.enqueue(&card(1, 0)).await.unwrap();
    let steps = [
        ("free", at(0), "A", vec![1]),
        ("leased to A", at(0) + secs(59), "B", vec![]),
        ("lease lapsed: B retries", at(0) + secs(60), "B", vec![2]),
    ];
    for (case, now, owner, want_attempts) in steps {
        let got = outbox.claim(owner, now, LEASE, 10).await.unwrap();
        let attempts: Vec<u32> = got.iter().map(|c| c.attempts).collect();
        assert_eq!(attempts, want_attempts, "{db}: {case}");
    }
    assert!(outbox.complete(id, at(2)).await.unwrap(), "{db}: completed");
    assert!(
        !outbox.complete(id, at(2)).await.unwrap(),
        "{db}: completed once"
    );
    let after = outbox.claim("C", at(10), LEASE, 10).await.unwrap();
    assert!(after.is_empty(), "{db}: a posted card is not claimed again");
}

async fn a_card_enqueued_held_is_left_to_its_poster_until_the_lease_lapses(db: &TestDb) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let outbox = db.store.outbox();
    let id = outbox.enqueue_held(&card(1, 0), "A", LEASE).await.unwrap();
    let before = outbox
        .claim("B", at(0) + secs(59), LEASE, 10)
        .await
        .unwrap();
    assert!(before.is_empty(), "{db}: the poster holds it");
    assert_eq!(
        outbox.oldest_pending_age(at(0) + secs(5)).await.unwrap(),
        Some(Duration::from_secs(5)),
        "{db}: still pending"
    );
    let after = outbox
        .claim("B", at(0) + secs(60), LEASE, 10)
        .await
        .unwrap();
    let attempts: Vec<u32> = after.iter().map(|c| c.attempts).collect();
    assert_eq!(
        attempts,
        [2],
        "{db}: the poster died; another replica takes it over"
    );
    assert!(outbox.complete(id, at(61)).await.unwrap(), "{db}");
}

async fn a_card_is_kept_only_by_the_claim_that_holds_it(db: &TestDb) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let outbox = db.store.outbox();
    let id = outbox.enqueue_held(&card(1, 0), "A", LEASE).await.unwrap();
    // (case, owner, claim, hold until, kept)
    let steps = [
        ("its poster renews its first claim", "A", 1, at(100), true),
        ("another replica never held it", "B", 1, at(100), false),
        ("a claim it never had", "A", 2, at(100), false),
    ];
    for (case, owner, claim, until, want) in steps {
        let kept = outbox.keep(id, owner, claim, until).await.unwrap();
        assert_eq!(kept, want, "{db}: {case}");
    }
    let early = outbox.claim("B", at(99), LEASE, 10).await.unwrap();
    assert!(early.is_empty(), "{db}: the renewal holds it until then");
    let taken = outbox.claim("B", at(100), LEASE, 10).await.unwrap();
    assert_eq!(taken.len(), 1, "{db}: lapsed, B claims it");
    assert!(
        !outbox.keep(id, "A", 1, at(200)).await.unwrap(),
        "{db}: A's hold is gone once B claimed it"
    );
    let again = outbox
        .claim("A", at(100) + secs(60), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(
        again.len(),
        1,
        "{db}: B's lease lapsed too; A claims it anew"
    );
    assert!(
        !outbox.keep(id, "A", 2, at(300)).await.unwrap(),
        "{db}: A's older claim (the second, B's) does not pass for its third"
    );
    assert!(
        outbox.keep(id, "A", 3, at(300)).await.unwrap(),
        "{db}: its current claim does"
    );
    assert!(outbox.complete(id, at(101)).await.unwrap(), "{db}");
    assert!(
        !outbox.keep(id, "A", 3, at(400)).await.unwrap(),
        "{db}: a posted card is nobody's to keep"
    );
}

async fn a_released_card_returns_at_its_retry_time_and_only_its_owner_may_release_it(db: &TestDb) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let outbox = db.store.outbox();
    let id = outbox.enqueue(&card(1, 0)).await.unwrap();
    assert_eq!(
        outbox.claim("A", at(0), LEASE, 10).await.unwrap().len(),
        1,
        "{db}"
    );
    assert!(
        !outbox.release(id, "B", at(0), "not mine").await.unwrap(),
        "{db}: B does not hold it"
    );
    assert!(
        outbox
            .release(id, "A", at(5), "Slack answered 500")
            .await
            .unwrap(),
        "{db}: A does"
    );
    let early = outbox.claim("B", at(5) - secs(1), LEASE, 10).await.unwrap();
    assert!(
        early.is_empty(),
        "{db}: not before the retry time, though A's lease lapsed"
    );
    let retried = outbox.claim("B", at(5), LEASE, 10).await.unwrap();
    let got: Vec<_> = retried
        .iter()
        .map(|c| (c.id, c.attempts, c.last_error.clone()))
        .collect();
    assert_eq!(
        got,
        [(id, 2, Some("Slack answered 500".to_owned()))],
        "{db}"
    );
    assert!(
        !outbox.release(id, "A", at(6), "late").await.unwrap(),
        "{db}: A's release after B claimed it changes nothing"
    );
}

async fn posted_and_abandoned_cards_leave_the_queue(db: &TestDb) {
    let outbox = db.store.outbox();
    for zoom_id in [1, 2] {
        db.insert(&meeting(zoom_id, "U1", 60, 30)).await;
    }
    let posted = outbox.enqueue(&card(1, 0)).await.unwrap();
    let abandoned = outbox.enqueue(&card(2, 0)).await.unwrap();
    assert_eq!(
        card_ids(&outbox.claim("A", at(0), LEASE, 10).await.unwrap()),
        [1, 2]
    );
    assert!(outbox.complete(posted, at(1)).await.unwrap(), "{db}");
    assert!(
        outbox
            .abandon(abandoned, at(31), "response_url expired")
            .await
            .unwrap(),
        "{db}"
    );
    assert!(
        !outbox.abandon(posted, at(31), "too late").await.unwrap(),
        "{db}: a posted card cannot be abandoned"
    );
    assert!(
        outbox
            .claim("B", at(60), LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "{db}"
    );
    assert_eq!(
        outbox.oldest_pending_age(at(60)).await.unwrap(),
        None,
        "{db}"
    );
}

async fn the_oldest_pending_age_follows_the_queue(db: &TestDb) {
    let outbox = db.store.outbox();
    for zoom_id in [1, 2] {
        db.insert(&meeting(zoom_id, "U1", 60, 30)).await;
    }
    assert_eq!(
        outbox.oldest_pending_age(at(0)).await.unwrap(),
        None,
        "{db}: empty"
    );
    let first = outbox.enqueue(&card(1, 0)).await.unwrap();
    let second = outbox.enqueue(&card(2, 1)).await.unwrap();
    // Claimed but not posted is still pending.
    outbox.claim("A", at(1), LEASE, 1).await.unwrap();
    let steps = [
        ("both pending", None, Some(100)),
        ("the first posted", Some(first), Some(40)),
        ("both posted", Some(second), None),
    ];
    for (case, complete, want_secs) in steps {
        if let Some(id) = complete {
            assert!(outbox.complete(id, at(1)).await.unwrap(), "{db}: {case}");
        }
        let age = outbox.oldest_pending_age(at(0) + secs(100)).await.unwrap();
        assert_eq!(age, want_secs.map(Duration::from_secs), "{db}: {case}");
    }
}

async fn replicas_racing_for_cards_claim_each_once(db: &TestDb) {
    const CARDS: u64 = 60;
    for zoom_id in 1..=CARDS {
        db.insert(&meeting(zoom_id, "U1", 60, 30)).await;
        db.store.outbox().enqueue(&card(zoom_id, 0)).await.unwrap();
    }
    let replicas = [db.store.clone(), db.replica().await];
    let mut tasks = JoinSet::new();
    for task in 0..8usize {
        let store = replicas[task % 2].clone();
        let label = db.to_string();
        tasks.spawn(async move {
            let owner = format!("replica-{}-task-{task}", task % 2);
            let mut mine = Vec::new();
            // As for notices: more rounds than cards means cards are handed out again.
            for _ in 0..=CARDS {
                let cards = store.outbox().claim(&owner, at(1), LEASE, 3).await;
                let cards = cards.unwrap_or_else(|e| panic!("{label}: claim: {e}"));
                if cards.is_empty() {
                    return mine;
                }
                mine.extend(cards.iter().map(|c| c.zoom_id));
            }
            panic!("{label}: {owner} claimed more rounds than there are cards");
        });
    }
    let mut claims: BTreeMap<u64, usize> = BTreeMap::new();
    while let Some(mine) = tasks.join_next().await {
        for zoom_id in mine.expect("claiming task") {
            *claims.entry(zoom_id).or_default() += 1;
        }
    }
    for zoom_id in 1..=CARDS {
        assert_eq!(claims.get(&zoom_id), Some(&1), "{db}: card of {zoom_id}");
    }
}

fn intent(key: &str, created: i64) -> NewIntent {
    NewIntent {
        delivery_key: key.into(),
        tag: format!("tag-{key}"),
        team_id: "T1".into(),
        channel_id: "C1".into(),
        channel_name: Some("general".into()),
        user_id: "U1".into(),
        response_url: format!("https://hooks.slack.com/commands/T1/{key}/secret"),
        command: "\"Sync\" 30m 2030-01-08 10:00 UTC".into(),
        zone: "UTC".into(),
        read_at: at(created),
        default_minutes: 30,
        email: None,
        real_name: Some("Ada".into()),
        locale: Some("tr-TR".into()),
        created_at: at(created),
    }
}

async fn confirming_a_lease_renews_it_only_when_too_little_of_it_is_left(db: &TestDb) {
    let intents = db.store.intents();
    let needed = Duration::from_secs(30);
    let held = intents
        .open(&intent("k1", 0), "A", LEASE)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{db}: opened"));
    // 50 s of the 60 s lease left: confirmed, and not renewed.
    assert!(
        intents
            .confirm(held, "A", at(0) + secs(10), needed, LEASE)
            .await
            .unwrap(),
        "{db}: its holder, with time left"
    );
    assert!(
        !intents
            .confirm(held, "B", at(0) + secs(10), needed, LEASE)
            .await
            .unwrap(),
        "{db}: not B's"
    );
    // 20 s left: renewed, to 45 + 60 s.
    assert!(
        intents
            .confirm(held, "A", at(0) + secs(45), needed, LEASE)
            .await
            .unwrap(),
        "{db}: its holder, renewed"
    );
    assert!(
        intents
            .claim("B", at(0) + secs(60), LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "{db}: the lease runs from the renewal at 45 s"
    );
    let taken = intents
        .claim("B", at(0) + secs(105), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1, "{db}: lapsed 60 s after the renewal");
    assert!(
        !intents
            .confirm(held, "A", at(0) + secs(106), needed, LEASE)
            .await
            .unwrap(),
        "{db}: once taken over, no longer A's"
    );

    // A lease confirmed with time left was only read: it lapses when it was written to.
    let other = intents
        .open(&intent("k2", 0), "A", LEASE)
        .await
        .unwrap()
        .unwrap();
    assert!(
        intents
            .confirm(other, "A", at(0) + secs(20), needed, LEASE)
            .await
            .unwrap()
    );
    let lapsed = intents
        .claim("C", at(0) + secs(60), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(
        lapsed.len(),
        1,
        "{db}: not renewed by a confirmation with time left"
    );
}

async fn an_intent_is_left_to_its_holder_until_its_lease_lapses_then_settled_once(db: &TestDb) {
    let intents = db.store.intents();
    let id = intents.open(&intent("k1", 0), "A", LEASE).await.unwrap();
    let id = id.unwrap_or_else(|| panic!("{db}: opened"));
    assert_eq!(
        intents.open(&intent("k1", 0), "B", LEASE).await.unwrap(),
        None,
        "{db}: one intent per command"
    );
    let early = intents
        .claim("B", at(0) + secs(59), LEASE, 10)
        .await
        .unwrap();
    assert!(early.is_empty(), "{db}: its holder has it");
    let late = intents
        .claim("B", at(0) + secs(60), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(late.len(), 1, "{db}");
    assert_eq!(
        late[0].new,
        intent("k1", 0),
        "{db}: every field round-trips"
    );
    assert_eq!(late[0].attempts, 2, "{db}");
    let held_by_b = late[0].hold();
    assert_eq!(held_by_b.id, id.id, "{db}");
    // A, whose lease lapsed, may neither keep nor settle what B holds now.
    assert!(
        !intents
            .renew(id, "A", at(0) + secs(61), LEASE)
            .await
            .unwrap(),
        "{db}: the former holder cannot renew"
    );
    assert!(
        !intents.finish(id, "A", None, at(2)).await.unwrap(),
        "{db}: the former holder cannot settle"
    );
    assert!(
        !intents.abandon(id, "A", "late", at(2)).await.unwrap(),
        "{db}: the former holder cannot give it up"
    );
    assert!(
        !intents.mark_uncertain(id, "A", "late").await.unwrap(),
        "{db}: the former holder cannot mark it"
    );
    assert!(
        intents
            .renew(held_by_b, "B", at(0) + secs(100), LEASE)
            .await
            .unwrap(),
        "{db}: its holder renews it"
    );
    assert!(
        intents
            .claim("C", at(0) + secs(140), LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "{db}: a renewed lease runs from the renewal"
    );
    // B's lease lapses and B itself takes the intent again: a new holding, and the job
    // holding the old one can neither keep nor settle it.
    let again = intents
        .claim("B", at(0) + secs(160), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1, "{db}");
    let old_hold = held_by_b;
    let held_by_b = again[0].hold();
    assert_eq!(held_by_b.claim, 3, "{db}");
    assert!(
        !intents
            .renew(old_hold, "B", at(0) + secs(161), LEASE)
            .await
            .unwrap(),
        "{db}: an older holding of the same replica cannot renew"
    );
    assert!(
        !intents.finish(old_hold, "B", None, at(2)).await.unwrap(),
        "{db}: an older holding of the same replica cannot settle"
    );
    assert!(
        intents
            .finish(held_by_b, "B", Some(85_746_065_432), at(2))
            .await
            .unwrap(),
        "{db}"
    );
    assert!(
        !intents.finish(held_by_b, "B", None, at(3)).await.unwrap(),
        "{db}: settled once"
    );
    assert!(
        !intents.renew(id, "B", at(3), LEASE).await.unwrap(),
        "{db}: a settled intent is nobody's to renew"
    );
    let after = intents.claim("C", at(10), LEASE, 10).await.unwrap();
    assert!(
        after.is_empty(),
        "{db}: a settled intent is not claimed again"
    );
    let other = intents
        .open(&intent("k2", 0), "A", LEASE)
        .await
        .unwrap()
        .unwrap();
    assert!(
        intents.abandon(other, "A", "refused", at(1)).await.unwrap(),
        "{db}"
    );
    assert!(
        intents
            .claim("C", at(10), LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "{db}"
    );
}

async fn an_intent_marked_uncertain_is_taken_over_only_to_look(db: &TestDb) {
    let intents = db.store.intents();
    let id = intents
        .open(&intent("k1", 0), "A", LEASE)
        .await
        .unwrap()
        .unwrap();
    assert!(
        intents
            .mark_uncertain(id, "A", "the create got no answer")
            .await
            .unwrap(),
        "{db}"
    );
    let claimed = intents.claim("B", at(60), LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "{db}");
    assert_eq!(
        claimed[0].uncertain.as_deref(),
        Some("the create got no answer"),
        "{db}: the next holder knows the create went out"
    );
}

async fn settled_intents_are_purged_after_they_finish_and_pending_ones_never(db: &TestDb) {
    let intents = db.store.intents();
    let mut ids = Vec::new();
    for key in ["old-done", "old-abandoned", "recent", "pending"] {
        ids.push(
            intents
                .open(&intent(key, 0), "A", LEASE)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    intents.finish(ids[0], "A", Some(1), at(10)).await.unwrap();
    intents
        .abandon(ids[1], "A", "refused", at(20))
        .await
        .unwrap();
    intents.finish(ids[2], "A", None, at(100)).await.unwrap();
    assert_eq!(
        intents.purge_settled(at(50), 1).await.unwrap(),
        1,
        "{db}: at most the limit"
    );
    assert_eq!(
        intents.purge_settled(at(50), 10).await.unwrap(),
        1,
        "{db}: the other one settled before the cut"
    );
    assert_eq!(
        intents.purge_settled(at(50), 10).await.unwrap(),
        0,
        "{db}: nothing left before the cut"
    );
    // The recent one stays until its time; the pending one is never purged.
    assert_eq!(
        intents.purge_settled(at(1000), 10).await.unwrap(),
        1,
        "{db}"
    );
    let left = intents.claim("B", at(1000), LEASE, 10).await.unwrap();
    assert_eq!(left.len(), 1, "{db}: the pending intent is still there");
    assert_eq!(left[0].new.delivery_key, "pending", "{db}");
}

async fn an_unreadable_intent_is_given_up_without_holding_back_the_others(db: &TestDb) {
    let intents = db.store.intents();
    for key in ["bad", "good"] {
        intents
            .open(&intent(key, 0), "dead", Duration::ZERO)
            .await
            .unwrap();
    }
    db.execute(
        "UPDATE create_intents SET read_at = 9223372036854775807 WHERE delivery_key = 'bad'",
        "UPDATE create_intents SET default_minutes = -1 WHERE delivery_key = 'bad'",
    )
    .await;
    let claimed = intents.claim("B", at(1), LEASE, 10).await.unwrap();
    let keys: Vec<_> = claimed
        .iter()
        .map(|i| i.new.delivery_key.as_str())
        .collect();
    match db.kind {
        // An instant out of chrono's range cannot be read back: given up, the other claimed.
        Kind::Sqlite => {
            assert_eq!(keys, ["good"], "{db}");
            assert!(
                intents
                    .claim("C", at(10_000), LEASE, 10)
                    .await
                    .unwrap()
                    .iter()
                    .all(|i| i.new.delivery_key != "bad"),
                "{db}: the unreadable one is settled, never claimed again"
            );
        }
        // PostgreSQL's types keep instants in range; an odd value elsewhere is read as is.
        Kind::Postgres => assert_eq!(keys, ["bad", "good"], "{db}"),
    }
}

async fn replicas_racing_for_lapsed_intents_claim_each_once(db: &TestDb) {
    const INTENTS: usize = 40;
    for n in 0..INTENTS {
        db.store
            .intents()
            .open(&intent(&format!("race-{n}"), 0), "dead", Duration::ZERO)
            .await
            .unwrap();
    }
    let replicas = [db.store.clone(), db.replica().await];
    let mut tasks = JoinSet::new();
    for task in 0..8usize {
        let store = replicas[task % 2].clone();
        let label = db.to_string();
        tasks.spawn(async move {
            let owner = format!("replica-{}-task-{task}", task % 2);
            let mut mine = Vec::new();
            for _ in 0..=INTENTS {
                let claimed = store.intents().claim(&owner, at(1), LEASE, 3).await;
                let claimed = claimed.unwrap_or_else(|e| panic!("{label}: claim: {e}"));
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|i| i.new.delivery_key));
            }
            panic!("{label}: {owner} claimed more rounds than there are intents");
        });
    }
    let mut claims: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(mine) = tasks.join_next().await {
        for key in mine.expect("claiming task") {
            *claims.entry(key).or_default() += 1;
        }
    }
    assert_eq!(claims.len(), INTENTS, "{db}");
    assert!(claims.values().all(|n| *n == 1), "{db}: {claims:?}");
}

async fn a_meetings_cards_are_listed_with_what_became_of_them(db: &TestDb) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let outbox = db.store.outbox();
    let posted = outbox.enqueue(&card(1, 0)).await.unwrap();
    let abandoned = outbox.enqueue(&card(1, 1)).await.unwrap();
    let pending = outbox.enqueue(&card(1, 2)).await.unwrap();
    outbox.claim("A", at(2), LEASE, 10).await.unwrap();
    outbox.complete(posted, at(3)).await.unwrap();
    outbox
        .abandon(abandoned, at(3), "not_in_channel")
        .await
        .unwrap();
    let listed: Vec<_> = outbox
        .for_meeting(1)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.state, c.attempts, c.claimed_by, c.last_error))
        .collect();
    assert_eq!(
        listed,
        [
            (posted, CardState::Posted, 1, None, None),
            (
                abandoned,
                CardState::Abandoned,
                1,
                None,
                Some("not_in_channel".to_owned())
            ),
            (pending, CardState::Pending, 1, Some("A".to_owned()), None),
        ],
        "{db}"
    );
    assert!(outbox.for_meeting(2).await.unwrap().is_empty(), "{db}");
}

async fn finished_cards_notices_and_notes_are_purged_after_their_time_and_pending_ones_never(
    db: &TestDb,
) {
    for zoom_id in 1..=4 {
        db.insert(&meeting(zoom_id, "U1", 600, 30)).await;
    }
    let (outbox, notices, notes) = (
        db.store.outbox(),
        db.store.notices(),
        db.store.pending_notes(),
    );
    // Per table: finished at minute 10, finished at minute 100, and one still pending.
    let mut card_ids = Vec::new();
    for zoom_id in [1, 2, 3] {
        card_ids.push(outbox.enqueue(&card(zoom_id, 0)).await.unwrap());
    }
    assert!(outbox.complete(card_ids[0], at(10)).await.unwrap());
    assert!(
        outbox
            .abandon(card_ids[1], at(100), "refused")
            .await
            .unwrap()
    );
    let mut notice_ids = Vec::new();
    for zoom_id in [1, 2, 3] {
        let id = notices
            .schedule(zoom_id, at(500), at(0))
            .await
            .unwrap()
            .unwrap();
        notice_ids.push(id);
    }
    assert!(notices.complete(notice_ids[0], at(10)).await.unwrap());
    assert!(notices.discard(notice_ids[1], at(100)).await.unwrap());
    notes.add(&note(1, "U1", 0)).await.unwrap();
    notes.add(&note(2, "U2", 0)).await.unwrap();
    notes.add(&note(3, "U3", 0)).await.unwrap();
    assert_eq!(notes.take("T1", "U1", at(10), 10).await.unwrap().len(), 1);
    assert_eq!(notes.take("T1", "U2", at(100), 10).await.unwrap().len(), 1);

    // (case, cut, rows each purge deletes)
    let steps = [
        ("only what finished before the cut", at(50), 1),
        ("nothing left before it", at(50), 0),
        ("the later one at its time", at(100), 1),
        ("never what is pending", at(100_000), 0),
    ];
    for (case, cut, want) in steps {
        let purged = [
            outbox.purge_finished(cut, 10).await.unwrap(),
            notices.purge_finished(cut, 10).await.unwrap(),
            notes.purge_told(cut, 10).await.unwrap(),
        ];
        assert_eq!(purged, [want; 3], "{db}: {case} (cards, notices, notes)");
    }
    let pending_card = outbox.for_meeting(3).await.unwrap();
    assert_eq!(pending_card.len(), 1, "{db}");
    assert_eq!(pending_card[0].state, CardState::Pending, "{db}");
    assert_eq!(outbox.for_meeting(1).await.unwrap(), [], "{db}");
    let pending_notice = notices.for_meeting(3).await.unwrap();
    assert_eq!(pending_notice.len(), 1, "{db}");
    assert_eq!(notices.for_meeting(1).await.unwrap(), [], "{db}");
    assert_eq!(
        notes.take("T1", "U3", at(100_000), 10).await.unwrap().len(),
        1,
        "{db}: the untold note is still there"
    );
}

async fn notes_given_back_are_handed_over_again(db: &TestDb) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let notes = db.store.pending_notes();
    notes.add(&note(1, "U1", 0)).await.unwrap();
    notes.add(&note(1, "U1", 1)).await.unwrap();
    let taken = notes.take("T1", "U1", at(10), 10).await.unwrap();
    assert_eq!(taken.len(), 2, "{db}");
    assert!(
        notes.take("T1", "U1", at(11), 10).await.unwrap().is_empty(),
        "{db}: told"
    );
    let ids: Vec<_> = taken.iter().map(|n| n.id).collect();
    assert_eq!(notes.give_back(&ids).await.unwrap(), 2, "{db}");
    assert_eq!(notes.give_back(&[]).await.unwrap(), 0, "{db}");
    let again = notes.take("T1", "U1", at(12), 10).await.unwrap();
    assert_eq!(
        again.iter().map(|n| n.id).collect::<Vec<_>>(),
        ids,
        "{db}: handed over again, oldest first"
    );
}

/// A note about meeting `zoom_id` for `user`, kept `created` minutes after [`at`]`(0)`.
fn note(zoom_id: u64, user: &str, created: i64) -> NewPendingNote {
    NewPendingNote {
        team_id: "T1".into(),
        user_id: user.into(),
        zoom_id,
        channel_id: "G1".into(),
        undelivered: Some("the app is not a member of that channel".into()),
        notes: vec![format!("Note {created}"), "Ünïcödé \"quoted\"".into()],
        created_at: at(created),
    }
}

async fn notes_are_handed_to_their_user_once_oldest_first(db: &TestDb) {
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let notes = db.store.pending_notes();
    let posted_card = NewPendingNote {
        undelivered: None,
        ..note(1, "U1", 3)
    };
    for new in [
        note(1, "U1", 2),
        note(1, "U2", 0),
        posted_card.clone(),
        note(1, "U1", 1),
    ] {
        notes.add(&new).await.unwrap();
    }
    let other_team = NewPendingNote {
        team_id: "T2".into(),
        ..note(1, "U1", 0)
    };
    notes.add(&other_team).await.unwrap();
    let steps = [
        ("first two of U1", "U1", 2, vec![1, 2]),
        ("the rest of U1", "U1", 10, vec![3]),
        ("U1 again: nothing", "U1", 10, vec![]),
        ("U2", "U2", 10, vec![0]),
    ];
    for (case, user, limit, want) in steps {
        let taken = notes.take("T1", user, at(10), limit).await.unwrap();
        let created: Vec<i64> = taken
            .iter()
            .map(|n| (n.created_at - at(0)).num_minutes())
            .collect();
        assert_eq!(created, want, "{db}: {case}");
        assert!(
            taken.iter().all(|n| n.team_id == "T1" && n.user_id == user),
            "{db}: {case}"
        );
    }
    let taken = notes.take("T2", "U1", at(10), 10).await.unwrap();
    assert_eq!(taken.len(), 1, "{db}: another team's note is its own");
    let mut want = other_team.clone();
    want.created_at = taken[0].created_at;
    let got = &taken[0];
    assert_eq!(
        (
            &got.team_id,
            &got.user_id,
            got.zoom_id,
            &got.channel_id,
            &got.undelivered,
            &got.notes,
            got.created_at
        ),
        (
            &want.team_id,
            &want.user_id,
            want.zoom_id,
            &want.channel_id,
            &want.undelivered,
            &want.notes,
            want.created_at
        ),
        "{db}: every field round-trips"
    );
}

async fn a_note_about_an_unknown_meeting_is_refused(db: &TestDb) {
    let err = db
        .store
        .pending_notes()
        .add(&note(7, "U1", 0))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownMeeting { zoom_id: 7, .. }),
        "{db}: {err:?}"
    );
}

async fn replicas_racing_for_a_users_notes_hand_each_over_once(db: &TestDb) {
    const NOTES: i64 = 40;
    db.insert(&meeting(1, "U1", 60, 30)).await;
    for created in 0..NOTES {
        db.store
            .pending_notes()
            .add(&note(1, "U1", created))
            .await
            .unwrap();
    }
    let replicas = [db.store.clone(), db.replica().await];
    let mut tasks = JoinSet::new();
    for task in 0..8usize {
        let store = replicas[task % 2].clone();
        let label = db.to_string();
        tasks.spawn(async move {
            let mut mine = Vec::new();
            for _ in 0..=NOTES {
                let taken = store.pending_notes().take("T1", "U1", at(100), 3).await;
                let taken = taken.unwrap_or_else(|e| panic!("{label}: take: {e}"));
                if taken.is_empty() {
                    return mine;
                }
                mine.extend(taken.iter().map(|n| n.id));
            }
            panic!("{label}: more rounds than notes");
        });
    }
    let mut handed: BTreeMap<i64, usize> = BTreeMap::new();
    while let Some(mine) = tasks.join_next().await {
        for id in mine.expect("taking task") {
            *handed.entry(id.get()).or_default() += 1;
        }
    }
    assert_eq!(handed.len(), NOTES as usize, "{db}: every note handed over");
    assert!(handed.values().all(|n| *n == 1), "{db}: {handed:?}");
}

/// Checks whether notes are waiting until `store` says `want`, or panics after 10 s (the
/// hint hears other replicas through PostgreSQL's notifications, asynchronously).
async fn until_notes_may_be_waiting(db: &TestDb, store: &Store, want: bool, case: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        store.pending_notes().recheck().await.unwrap();
        if store.pending_notes().may_be_waiting() == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{db}: {case}: may_be_waiting stayed {}",
            !want
        );
        tokio::task::yield_now().await;
    }
}

async fn with_no_note_waiting_none_is_looked_for_until_one_is_kept_by_any_replica(db: &TestDb) {
    let store = &db.store;
    until_notes_may_be_waiting(db, store, false, "a fresh database").await;
    db.insert(&meeting(1, "U1", 60, 30)).await;
    let keeper = db.replica().await;
    keeper.pending_notes().add(&note(1, "U1", 0)).await.unwrap();
    match db.kind {
        // Every replica hears of it, without a check.
        Kind::Postgres => {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while !store.pending_notes().may_be_waiting() {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{db}: a note kept by another replica is never heard of"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        // Another process on the same file (not how SQLite is run, but possible) is not heard:
        // the next check finds its note.
        Kind::Sqlite => {
            assert!(!store.pending_notes().may_be_waiting(), "{db}: not heard");
            store.pending_notes().recheck().await.unwrap();
            assert!(
                store.pending_notes().may_be_waiting(),
                "{db}: a check finds a note kept elsewhere"
            );
        }
    }
    keeper.pending_notes().add(&note(1, "U2", 1)).await.unwrap();
    store.pending_notes().recheck().await.unwrap();
    assert!(
        store.pending_notes().may_be_waiting(),
        "{db}: a check while notes wait keeps looking"
    );
    let taken = store.pending_notes().take("T1", "U1", at(10), 10).await;
    assert_eq!(taken.unwrap().len(), 1, "{db}: U1's note is found");
    let taken = store.pending_notes().take("T1", "U2", at(10), 10).await;
    let taken = taken.unwrap();
    assert_eq!(taken.len(), 1, "{db}: U2's note is found");
    until_notes_may_be_waiting(db, store, false, "every note told").await;
    // A replica whose handover failed gives the note back: every replica hears of it too.
    let ids: Vec<_> = taken.iter().map(|n| n.id).collect();
    assert_eq!(keeper.pending_notes().give_back(&ids).await.unwrap(), 1);
    if db.kind == Kind::Postgres {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !store.pending_notes().may_be_waiting() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{db}: a note given back by another replica is never heard of"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

async fn ping_answers_while_the_database_is_up(db: &TestDb) {
    let ping = db
        .store
        .ping()
        .await
        .unwrap_or_else(|e| panic!("{db}: {e}"));
    assert_eq!(ping, Ping::Writable, "{db}");
    let want = match db.kind {
        Kind::Sqlite => Engine::Sqlite,
        Kind::Postgres => Engine::Postgres,
    };
    assert_eq!(db.store.engine(), want, "{db}");
}

async fn a_reopened_database_keeps_its_rows(db: &TestDb) {
    let new = meeting(85_746_065_432, "U1", 60, 30);
    db.insert(&new).await;
    assert!(
        db.store
            .claims()
            .claim("replay:x", at(0), MINUTE)
            .await
            .unwrap()
    );
    db.store
        .notices()
        .schedule(new.zoom_id, at(59), at(0))
        .await
        .unwrap()
        .unwrap();
    db.store
        .outbox()
        .enqueue(&card(new.zoom_id, 0))
        .await
        .unwrap();
    db.store.close().await;

    let reopened = db.replica().await;
    assert_eq!(
        reopened.meetings().get(new.zoom_id).await.unwrap(),
        Some(record_of(&new)),
        "{db}: the meeting"
    );
    assert!(
        !reopened
            .claims()
            .claim("replay:x", at(0), MINUTE)
            .await
            .unwrap(),
        "{db}: the claim"
    );
    let due = reopened
        .notices()
        .claim_due(at(59), GRACE, "A", LEASE, 10)
        .await
        .unwrap();
    assert_eq!(ids(&due.claimed), [new.zoom_id], "{db}: the notice");
    let cards = reopened
        .outbox()
        .claim("A", at(0), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(card_ids(&cards), [new.zoom_id], "{db}: the card");
}

async fn a_database_migrated_by_a_newer_build_is_refused(db: &TestDb) {
    db.store.close().await;
    db.execute(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from a newer build', 1, x'00', 0)",
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from a newer build', TRUE, '\\x00'::bytea, 0)",
    )
    .await;
    let err = Store::open(&db.url).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Migrate { .. }), "{db}: {err:?}");
    for needle in [engine_name(db), "newer slack-zoom", "99990101000000"] {
        assert!(
            text.contains(needle),
            "{db}: `{needle}` missing from: {text}"
        );
    }
}

async fn a_database_whose_migration_was_modified_is_refused(db: &TestDb) {
    db.store.close().await;
    db.execute(
        "UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 1",
        "UPDATE _sqlx_migrations SET checksum = '\\x00'::bytea WHERE version = 1",
    )
    .await;
    let err = Store::open(&db.url).await.unwrap_err();
    let text = err.to_string();
    for needle in [engine_name(db), "migration 1", "checksum"] {
        assert!(
            text.contains(needle),
            "{db}: `{needle}` missing from: {text}"
        );
    }
}

/// The previous release's schema (migrations 1 and 2) with one meeting in it, then opened by
/// this build: the new `locale` column is added, the meeting is kept (its locale unknown, so
/// its card stays English), and new meetings keep theirs.
async fn a_database_from_before_locales_keeps_its_meetings_and_reads_them_as_english(db: &TestDb) {
    let scratch = Scratch::new();
    let engine_dir = match db.kind {
        Kind::Sqlite => "sqlite",
        Kind::Postgres => "postgres",
    };
    let old = scratch.path("migrations");
    std::fs::create_dir_all(&old).unwrap();
    for file in ["0001_store.sql", "0002_pending_notes.sql"] {
        let from = PathBuf::from("migrations").join(engine_dir).join(file);
        std::fs::copy(&from, old.join(file)).unwrap();
    }
    let migrator = sqlx::migrate::Migrator::new(old.as_path()).await.unwrap();
    const OLD_ROW: &str = "INSERT INTO meetings (zoom_id, team_id, channel_id, scheduled_by, \
         topic, starts_at, ends_at, duration_minutes, zone, join_url, host, state, created_at) \
         VALUES (85746065432, 'T1', 'C1', 'U1', 'Retro', $1, $2, 30, 'UTC', \
         'https://zoom.us/j/85746065432', 'me', 'scheduled', $3)";
    let url = match db.kind {
        Kind::Sqlite => {
            let url = format!("sqlite://{}", scratch.path("old.db").display());
            let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
            let mut c = SqliteConnection::connect_with(&options.create_if_missing(true))
                .await
                .unwrap();
            migrator.run(&mut c).await.unwrap();
            let micros = |t: DateTime<Utc>| t.timestamp_micros();
            sqlx::query(OLD_ROW)
                .bind(micros(at(60)))
                .bind(micros(at(90)))
                .bind(micros(at(0)))
                .execute(&mut c)
                .await
                .unwrap();
            let _ = c.close().await;
            url
        }
        Kind::Postgres => {
            let url = postgres::server().fresh_database().await;
            let mut c = PgConnection::connect(&url).await.unwrap();
            migrator.run(&mut c).await.unwrap();
            sqlx::query(OLD_ROW)
                .bind(at(60))
                .bind(at(90))
                .bind(at(0))
                .execute(&mut c)
                .await
                .unwrap();
            let _ = c.close().await;
            url
        }
    };
    let store = Store::open(&url)
        .await
        .unwrap_or_else(|e| panic!("{db}: this build opens the older database: {e}"));
    let kept = store.meetings().get(85_746_065_432).await.unwrap();
    let kept = kept.unwrap_or_else(|| panic!("{db}: the older meeting is kept"));
    assert_eq!(
        (kept.topic.as_str(), kept.schedule.start, kept.locale),
        ("Retro", at(60), None),
        "{db}"
    );
    let new = NewMeetingRecord {
        locale: Some("tr-TR".into()),
        ..meeting(9_876_543_210, "U1", 120, 30)
    };
    assert!(store.meetings().insert(&new).await.unwrap(), "{db}");
    let got = store.meetings().get(new.zoom_id).await.unwrap();
    assert_eq!(got.and_then(|m| m.locale).as_deref(), Some("tr-TR"), "{db}");
    store.close().await;
}

fn engine_name(db: &TestDb) -> &'static str {
    match db.kind {
        Kind::Sqlite => "SQLite",
        Kind::Postgres => "PostgreSQL",
    }
}

// ---------------------------------------------------------------------------------------------
// Opening: engine-specific failures

#[tokio::test]
async fn a_missing_sqlite_file_is_created() {
    let scratch = Scratch::new();
    let path = scratch.path("new.db");
    Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(path.is_file(), "{} was created", path.display());
}

#[tokio::test]
async fn an_unopenable_sqlite_path_names_the_engine_and_the_path() {
    let scratch = Scratch::new();
    let path = scratch.path("no-such-directory/store.db");
    let err = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    for needle in [
        "SQLite",
        &path.display().to_string(),
        "unable to open",
        "directory exists",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_sqlite_database_is_refused() {
    let scratch = Scratch::new();
    let path = scratch.path("garbled.db");
    std::fs::write(&path, "this is not a database, just text ".repeat(200)).unwrap();
    let err = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap_err();
    let text = err.to_string();
    for needle in ["SQLite", "garbled.db", "not a database"] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
}

#[tokio::test]
async fn a_sqlite_url_without_a_lasting_file_is_refused() {
    for (url, want) in [
        ("sqlite::memory:", "in-memory"),
        ("sqlite://:memory:", "in-memory"),
        ("sqlite://x.db?mode=memory", "in-memory"),
        ("sqlite://", "names no file"),
    ] {
        let err = Store::open(url).await.unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidUrl { .. }),
            "{url}: {err:?}"
        );
        assert!(err.to_string().contains(want), "{url}: {err}");
    }
}

#[tokio::test]
async fn an_unsupported_url_is_refused_without_echoing_it() {
    for (url, want) in [
        ("mysql://root:hunter2@db/app", "`mysql:`"),
        ("hunter2", "without a recognisable scheme"),
        ("", "without a recognisable scheme"),
    ] {
        let err = Store::open(url).await.unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, StoreError::UnsupportedUrl { .. }),
            "{url}: {err:?}"
        );
        assert!(text.contains(want), "{url}: {text}");
        assert!(!text.contains("hunter2"), "{url}: {text}");
    }
}

#[tokio::test]
async fn a_postgres_url_nobody_listens_on_fails_without_printing_the_password() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("postgres://app:hunter2-secret@127.0.0.1:{port}/meetings");
    let err = Store::open(&url).await.unwrap_err();
    let text = err.to_string();
    let debug = format!("{err:?}");
    assert!(matches!(err, StoreError::Open { .. }), "{debug}");
    for needle in [
        "PostgreSQL",
        &format!("postgres://app@127.0.0.1:{port}/meetings"),
        "refused",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
    // "refused", not a pool's "timed out": the cause reaches the operator.
    assert!(
        !text.contains("hunter2") && !debug.contains("hunter2"),
        "{debug}"
    );
}

#[tokio::test]
async fn a_postgres_database_that_does_not_exist_is_named() {
    let url = postgres::server().url("no_such_database");
    let err = Store::open(&url).await.unwrap_err();
    let text = err.to_string();
    for needle in ["PostgreSQL", "no_such_database", "does not exist"] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
}

#[tokio::test]
async fn a_store_never_shows_its_password() {
    let server = postgres::server();
    let url = server.fresh_database().await;
    // Trust auth ignores the password, so the store opens and can be inspected.
    let with_password = url.replacen("postgres@", "postgres:hunter2-secret@", 1);
    let store = Store::open(&with_password).await.unwrap();
    let shown = format!("{store:?} {}", store.target());
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains(&format!("127.0.0.1:{}", server.port())),
        "{shown}"
    );
}
