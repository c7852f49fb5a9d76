//! Instants in each engine's column type: TIMESTAMPTZ on PostgreSQL, INTEGER microseconds on SQLite.
//!
//! Integer microseconds sort and compare exactly in SQLite (text timestamps with a variable
//! number of fractional digits do not reliably), and both engines keep the same precision:
//! PostgreSQL stores microseconds, so an instant round-trips identically on either.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// The SQLite column value of `at`.
pub(crate) fn sqlite(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The PostgreSQL column value of `at` (the driver encodes it as TIMESTAMPTZ).
pub(crate) fn postgres(at: DateTime<Utc>) -> DateTime<Utc> {
    at
}

/// An instant read back from either engine's column.
pub(crate) trait Stamp {
    fn to_utc(self) -> Option<DateTime<Utc>>;
}

impl Stamp for i64 {
    fn to_utc(self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_micros(self)
    }
}

impl Stamp for DateTime<Utc> {
    fn to_utc(self) -> Option<DateTime<Utc>> {
        Some(self)
    }
}

/// `at + span`, held within the years both engines can store, so an absurd lease or grace
/// from a caller cannot overflow into an error (or wrap).
pub(crate) fn after(at: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
    at.checked_add_signed(delta(span))
        .unwrap_or_else(latest)
        .min(latest())
}

/// `at - span`, held within the years both engines can store.
pub(crate) fn before(at: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
    at.checked_sub_signed(delta(span))
        .unwrap_or_else(earliest)
        .max(earliest())
}

fn delta(span: Duration) -> TimeDelta {
    TimeDelta::from_std(span).unwrap_or(TimeDelta::MAX)
}

fn earliest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.and_utc())
}

fn latest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_columns_keep_microseconds_and_order() {
        let a = DateTime::from_timestamp(1_800_000_000, 123_456_000).unwrap();
        let b = DateTime::from_timestamp(1_800_000_000, 123_457_000).unwrap();
        assert_eq!(sqlite(a).to_utc(), Some(a));
        assert!(sqlite(a) < sqlite(b));
    }

    #[test]
    fn absurd_spans_saturate_instead_of_overflowing() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(after(now, Duration::MAX), latest());
        assert_eq!(before(now, Duration::MAX), earliest());
        assert_eq!(
            after(now, Duration::from_secs(60)),
            now + TimeDelta::seconds(60)
        );
    }
}
