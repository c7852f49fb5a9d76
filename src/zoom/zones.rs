//! Zoom's own timezone list, and how a start is written so that Zoom stores the intended instant.
//!
//! Zoom only knows the IDs in `zoom-timezones.txt`; a wall-clock time in any other zone may be
//! read in the account's zone (undocumented), hours off and without an error. So the start goes
//! out as a wall-clock time only in a listed zone that reads it as exactly the instant meant, and
//! otherwise as the UTC instant with `Z`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::{GapInfo, Tz};

/// Zoom's timezone IDs, one a line (`#` lines are comments), from Zoom's API reference.
const ZOOM_TIMEZONES: &str = include_str!("zoom-timezones.txt");

/// The wire format of a wall-clock `start_time` (no `Z`, no offset).
const WALL_CLOCK: &str = "%Y-%m-%dT%H:%M:%S";

/// Where a start goes to Zoom: the `start_time` and `timezone` fields of a create or update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoomStart {
    /// The wall-clock time in `zone`, a zone on Zoom's list that reads it as exactly the instant
    /// meant (same UTC offset at that moment, and not an hour that happens twice there).
    Local { zone: Tz, wall: NaiveDateTime },
    /// No listed zone reads any wall-clock time as that instant: the instant itself, `...Z`,
    /// with `timezone` "UTC" (a Zoom ID).
    Utc(DateTime<Utc>),
}

impl ZoomStart {
    /// The `timezone` field: the Zoom ID the meeting is stored (and shown) in.
    pub fn zone_name(&self) -> &'static str {
        match self {
            ZoomStart::Local { zone, .. } => zone.name(),
            ZoomStart::Utc(_) => "UTC",
        }
    }

    /// The `start_time` field: `yyyy-MM-ddTHH:mm:ss` for a listed zone, `yyyy-MM-ddTHH:mm:ssZ` else.
    pub fn start_time(&self) -> String {
        match self {
            ZoomStart::Local { wall, .. } => wall.format(WALL_CLOCK).to_string(),
            ZoomStart::Utc(instant) => instant.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        }
    }
}

/// How to send a meeting starting at `start` for a person in `zone` (sub-seconds are dropped:
/// Zoom's format has whole seconds).
///
/// The person's own zone when Zoom lists it; else the listed zone that agrees with it for the
/// longest stretch of time around `start` (ties: "UTC", then the first name in ASCII order),
/// e.g. America/Toronto → America/Montreal, Europe/Kyiv → Europe/Kiev; else the UTC instant.
/// Deterministic; after the first call for a zone it costs about a hundred offset lookups.
pub fn start_for(zone: Tz, start: DateTime<Utc>) -> ZoomStart {
    let start = start.with_nanosecond(0).unwrap_or(start);
    let wall = start.with_timezone(&zone).naive_local();
    let reads_exactly = |candidate: Tz| {
        matches!(candidate.from_local_datetime(&wall),
            LocalResult::Single(read) if read.with_timezone(&Utc) == start)
    };
    if is_listed(zone) && reads_exactly(zone) {
        return ZoomStart::Local { zone, wall };
    }
    let candidates: Vec<Tz> = listed()
        .iter()
        .copied()
        .filter(|&candidate| reads_exactly(candidate))
        .collect();
    match best_match(zone, &candidates, start.timestamp()) {
        Some(zone) => ZoomStart::Local { zone, wall },
        None => ZoomStart::Utc(start),
    }
}

/// The listed zone for a series whose occurrences are the wall-clock times `occurrences` in
/// `zone`: one that reads every one of them exactly as `zone` does (same instant, or the same
/// pair of instants in an hour that happens twice), so Zoom keeps each at the same local time
/// across daylight-saving changes. `None` when there is none (or no occurrence): a series sent
/// as a UTC instant would drift by an hour at each change, so the caller should refuse it.
///
/// Preference as in [`start_for`], around the first occurrence.
pub fn series_zone(zone: Tz, occurrences: &[NaiveDateTime]) -> Option<Tz> {
    let first = occurrences.first()?;
    if is_listed(zone) {
        return Some(zone);
    }
    let candidates: Vec<Tz> = listed()
        .iter()
        .copied()
        .filter(|&candidate| {
            occurrences
                .iter()
                .all(|wall| Reading::of(candidate, wall) == Reading::of(zone, wall))
        })
        .collect();
    let anchor = match zone.from_local_datetime(first) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.timestamp(),
        LocalResult::None => first.and_utc().timestamp(),
    };
    best_match(zone, &candidates, anchor)
}

/// True when Zoom's list has exactly this ID.
pub fn is_listed(zone: Tz) -> bool {
    listed().contains(&zone)
}

/// Zoom's IDs that the tz database knows, in file order. (`SST` is not a tz database name: its
/// offsets cannot be checked, so it is never sent.)
fn listed() -> &'static [Tz] {
    static LISTED: OnceLock<Vec<Tz>> = OnceLock::new();
    LISTED.get_or_init(|| {
        ZOOM_TIMEZONES
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| line.parse::<Tz>().ok())
            .collect()
    })
}

/// How a wall-clock time reads in a zone, in instants; two zones that give the same reading are
/// interchangeable for that time whatever rule Zoom applies to overlaps and gaps.
#[derive(Debug, PartialEq, Eq)]
enum Reading {
    Single(i64),
    Twice(i64, i64),
    /// In a gap: where the gap begins and ends, and the offset before it.
    Gap {
        begin: Option<(NaiveDateTime, i32)>,
        end: Option<i64>,
    },
}

impl Reading {
    fn of(zone: Tz, wall: &NaiveDateTime) -> Reading {
        match zone.from_local_datetime(wall) {
            LocalResult::Single(at) => Reading::Single(at.timestamp()),
            LocalResult::Ambiguous(a, b) => Reading::Twice(a.timestamp(), b.timestamp()),
            LocalResult::None => {
                let gap = GapInfo::new(wall, &zone);
                Reading::Gap {
                    begin: gap
                        .as_ref()
                        .and_then(|g| g.begin)
                        .map(|(at, offset)| (at, offset.fix().local_minus_utc())),
                    end: gap.and_then(|g| g.end).map(|at| at.timestamp()),
                }
            }
        }
    }
}

/// Among `candidates`, the one agreeing with `zone` for the longest stretch around `at`.
fn best_match(zone: Tz, candidates: &[Tz], at: i64) -> Option<Tz> {
    match candidates {
        [] => None,
        [only] => Some(*only),
        _ => {
            let own = profile(zone);
            candidates
                .iter()
                .map(|&candidate| {
                    let stretch = own.agreement_around(&profile(candidate), at);
                    (stretch, candidate.name() == "UTC", candidate)
                })
                // Longest stretch, then UTC, then the first name: `max_by` keeps the last
                // maximum, so names compare reversed.
                .max_by(|a, b| {
                    (a.0, a.1)
                        .cmp(&(b.0, b.1))
                        .then_with(|| b.2.name().cmp(a.2.name()))
                })
                .map(|(_, _, candidate)| candidate)
        }
    }
}

/// The stretch of history the ranking looks at, in Unix seconds: 1970-01-01 to 2100-01-01.
const WINDOW_START: i64 = 0;
const WINDOW_END: i64 = 4_102_444_800;
/// Sampling step when listing a zone's offset changes; each change found is then located to
/// the second. Two changes less than a week apart that cancel out are missed, which can only
/// affect the ranking, never the exact checks on the instant itself.
const STEP: i64 = 7 * 24 * 3600;

/// A zone's UTC offset over the window, as (from, offset seconds), the first from `WINDOW_START`.
struct Profile {
    changes: Vec<(i64, i32)>,
}

/// Profiles are cached per zone (at most one per tz database zone, so the cache is bounded).
fn profile(zone: Tz) -> Arc<Profile> {
    static CACHE: OnceLock<RwLock<HashMap<Tz, Arc<Profile>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&zone)
    {
        return Arc::clone(found);
    }
    let built = Arc::new(Profile::build(zone));
    cache
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(zone)
        .or_insert(built)
        .clone()
}

fn offset_at(zone: Tz, at: i64) -> i32 {
    DateTime::from_timestamp(at, 0)
        .map(|instant| {
            zone.offset_from_utc_datetime(&instant.naive_utc())
                .fix()
                .local_minus_utc()
        })
        .unwrap_or(0)
}

impl Profile {
    fn build(zone: Tz) -> Profile {
        let mut changes = vec![(WINDOW_START, offset_at(zone, WINDOW_START))];
        let mut previous = WINDOW_START;
        let mut current = changes[0].1;
        while previous < WINDOW_END {
            let next = (previous + STEP).min(WINDOW_END);
            let offset = offset_at(zone, next);
            if offset != current {
                // The first second in (previous, next] with a different offset.
                let (mut low, mut high) = (previous, next);
                while high - low > 1 {
                    let middle = low + (high - low) / 2;
                    if offset_at(zone, middle) == current {
                        low = middle;
                    } else {
                        high = middle;
                    }
                }
                current = offset_at(zone, high);
                changes.push((high, current));
                // Look again from the change: another may follow within the same step.
                previous = high;
                continue;
            }
            previous = next;
        }
        Profile { changes }
    }

    fn offset(&self, at: i64) -> i32 {
        let index = self.changes.partition_point(|&(from, _)| from <= at);
        self.changes
            .get(index.saturating_sub(1))
            .map_or(0, |&(_, offset)| offset)
    }

    /// Seconds of the longest unbroken stretch containing `at` where both zones have the same
    /// offset (within the window); 0 when they differ at `at` or `at` is outside the window.
    fn agreement_around(&self, other: &Profile, at: i64) -> i64 {
        if !(WINDOW_START..WINDOW_END).contains(&at) || self.offset(at) != other.offset(at) {
            return 0;
        }
        let mut points: Vec<i64> = self
            .changes
            .iter()
            .chain(&other.changes)
            .map(|&(from, _)| from)
            .collect();
        points.sort_unstable();
        points.dedup();
        let agree = |point: i64| self.offset(point) == other.offset(point);
        let here = points
            .partition_point(|&point| point <= at)
            .saturating_sub(1);
        let mut first = here;
        while first > 0 && agree(points[first - 1]) {
            first -= 1;
        }
        let mut after = here + 1;
        while after < points.len() && agree(points[after]) {
            after += 1;
        }
        let begin = points.get(first).copied().unwrap_or(WINDOW_START);
        let end = points.get(after).copied().unwrap_or(WINDOW_END);
        end - begin
    }
}

#[cfg(test)]
mod tests;
