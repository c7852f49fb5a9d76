//! Pins the schedule words to a UTC start: today/tomorrow in the zone in effect, DST gaps
//! and overlaps, the five-minute grace for "just now", and the one-year horizon. Repeating
//! meetings are handed to `series.rs`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc};

use super::Context;
use super::clock::Clock;
use super::date::DateSpec;
use super::error::{CommandError, WordKind};
use super::request::{MeetingRequest, Note, Parts};
use super::scan::Schedule;
use super::series;
use super::topic::Topic;
use crate::time::{self, Zone};

/// A start up to this far in the past means "now" (people type the minute they are in).
pub(crate) const GRACE: TimeDelta = TimeDelta::minutes(5);

/// How far ahead a meeting (or a series' first meeting) may be booked.
pub(crate) const HORIZON_DAYS: i64 = 365;

/// `ctx.now` without seconds: meetings start on whole minutes.
pub(crate) fn this_minute(now: DateTime<Utc>) -> DateTime<Utc> {
    now.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now)
}

/// A wall-clock time resolved to an instant, with a note if it was ambiguous.
type Choice = (DateTime<Utc>, Option<Note>);

/// Resolves `local` in `zone`. In a fall-back overlap the first occurrence wins, always:
/// Zoom receives only the wall-clock time and the zone, so any other choice could leave the
/// card and the real meeting an hour apart. A first occurrence already past is refused later
/// like any past time.
fn choose(zone: Zone, local: NaiveDateTime) -> Result<Choice, CommandError> {
    let resolved = time::resolve_local(zone, local)?;
    if resolved.later().is_none() {
        return Ok((resolved.instant(), None));
    }
    let start = resolved.instant();
    let note = Note::AmbiguousLocalTime {
        local,
        zone,
        start,
        first: true,
    };
    Ok((start, Some(note)))
}

/// `time` on `date`, or a week later if that is already past (for weekdays), or the next
/// day with a note (when no date was given).
fn today_or_later(
    zone: Zone,
    date: NaiveDate,
    time: NaiveTime,
    now_local: NaiveDateTime,
    earliest: DateTime<Utc>,
    skip_days: i64,
    raw: &str,
) -> Result<(Choice, bool), CommandError> {
    let local = date.and_time(time);
    let attempt = choose(zone, local);
    let passed = match &attempt {
        Ok((instant, _)) => *instant < earliest,
        // A gap earlier today no longer matters if the time has passed anyway.
        Err(_) => local < now_local - GRACE,
    };
    if !passed {
        return attempt.map(|choice| (choice, false));
    }
    let later = date
        .checked_add_signed(TimeDelta::days(skip_days))
        .ok_or_else(|| CommandError::InvalidDate {
            word: raw.to_owned(),
        })?;
    choose(zone, later.and_time(time)).map(|choice| (choice, true))
}

/// Builds the request from the parsed pieces and the context.
pub(crate) fn resolve(
    topic: Topic,
    mut schedule: Schedule,
    ctx: &Context,
) -> Result<MeetingRequest, CommandError> {
    if let Some(repeat) = schedule.repeat.take() {
        return series::resolve(topic, schedule, repeat, ctx);
    }
    if let Some((_, days)) = schedule.days {
        return Err(CommandError::DaysWithoutRepeat { days });
    }
    if let Some((_, end)) = schedule.end {
        return Err(CommandError::EndWithoutRepeat { end });
    }
    // `starting tomorrow` for a single meeting is just its date.
    if let Some((spec, raw)) = schedule.start.take() {
        if let Some((_, date)) = &schedule.date {
            return Err(CommandError::Duplicate {
                kind: WordKind::Date,
                first: date.clone(),
                second: raw,
            });
        }
        schedule.date = Some((spec, raw));
    }
    let explicit_zone = schedule.zone.is_some();
    let zone = schedule.zone.map_or(ctx.zone, |(zone, _)| zone);
    let duration = schedule
        .duration
        .map_or(ctx.default_duration, |(minutes, _)| minutes);
    let now = this_minute(ctx.now);
    let now_local = now.with_timezone(&zone.tz()).naive_local();
    let today = now_local.date();
    let earliest = now - GRACE;
    let mut notes = Vec::new();

    let choice: Option<Choice> = match (schedule.date, schedule.clock) {
        (None, None) | (None | Some((DateSpec::Today, _)), Some((Clock::Now, _))) => None,
        (Some((_, date)), Some((Clock::Now, _))) => {
            return Err(CommandError::NowWithDate { date });
        }
        (Some((spec, raw)), None) => {
            // A date without a time only makes sense when it is today: start now.
            if spec.resolve(today, &raw)? == today {
                None
            } else {
                return Err(CommandError::MissingTime { date: raw });
            }
        }
        (None, Some((Clock::At(time), raw))) => {
            let (choice, moved) = today_or_later(zone, today, time, now_local, earliest, 1, &raw)?;
            if moved {
                notes.push(Note::MovedToTomorrow);
            }
            Some(choice)
        }
        (Some((spec @ DateSpec::Weekday(_), raw)), Some((Clock::At(time), _))) => {
            let date = spec.resolve(today, &raw)?;
            let (choice, _) = today_or_later(zone, date, time, now_local, earliest, 7, &raw)?;
            Some(choice)
        }
        (Some((spec, raw)), Some((Clock::At(time), _))) => {
            let date = spec.resolve(today, &raw)?;
            Some(choose(zone, date.and_time(time))?)
        }
    };

    let start = match choice {
        None => now,
        Some((start, _)) if start < earliest => {
            return Err(CommandError::InPast {
                local: start.with_timezone(&zone.tz()).naive_local(),
                zone,
                minutes_ago: (now - start).num_minutes(),
            });
        }
        // Within the grace period: start now, and the ambiguity no longer matters.
        Some((start, _)) if start <= now => now,
        Some((start, note)) => {
            notes.extend(note);
            start
        }
    };
    if start - now > TimeDelta::days(HORIZON_DAYS) {
        return Err(CommandError::TooFarAhead {
            local: start.with_timezone(&zone.tz()).naive_local(),
            zone,
            max_days: HORIZON_DAYS,
        });
    }
    Ok(MeetingRequest::new(Parts {
        topic,
        duration,
        start,
        zone,
        explicit_zone,
        starts_now: start == now,
        recurrence: None,
        notes,
    }))
}
