//! Pins a repeat rule to its first meeting: which days it falls on (from `every mon`,
//! `on tue` or the start date), the first matching day and time not in the past, and its end.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, TimeDelta};

use super::Context;
use super::clock::Clock;
use super::date::DateSpec;
use super::error::{CommandError, WordKind};
use super::recurrence::{Frequency, Recurrence, RepeatUnit, SeriesEnd, WeekdaySet};
use super::repeat::{EndSpec, RepeatSpec};
use super::request::{MeetingRequest, Note, Parts};
use super::resolve::{HORIZON_DAYS, this_minute};
use super::scan::Schedule;
use super::topic::Topic;
use crate::time::{self, LocalTimeError, Zone};

/// How far ahead the first meeting is looked for (a monthly series on the 31st may wait two
/// months; the horizon check refuses anything beyond a year anyway).
const SEARCH_DAYS: u64 = 400;

/// Where the search for the first meeting starts, and whether the user named that day.
///
/// A named day (`starting dec 1`, `tomorrow`, `2026-06-02`) is kept to: if its meeting time
/// has passed, the command is refused like a one-off in the past. Without one (or with a bare
/// weekday, as for one-offs) the series starts at the next matching day and time to come.
struct From {
    date: NaiveDate,
    named: bool,
}

/// Builds a repeating meeting request.
pub(crate) fn resolve(
    topic: Topic,
    schedule: Schedule,
    (repeat, repeat_raw): (RepeatSpec, String),
    ctx: &Context,
) -> Result<MeetingRequest, CommandError> {
    let explicit_zone = schedule.zone.is_some();
    let zone = schedule.zone.map_or(ctx.zone, |(zone, _)| zone);
    let duration = schedule
        .duration
        .map_or(ctx.default_duration, |(minutes, _)| minutes);
    let now = this_minute(ctx.now);
    let now_local = now.with_timezone(&zone.tz()).naive_local();
    let today = now_local.date();

    let time = match schedule.clock {
        Some((Clock::At(time), _)) => time,
        None | Some((Clock::Now, _)) => {
            return Err(CommandError::RepeatWithoutTime { repeat: repeat_raw });
        }
    };
    let conflict = |with: String| CommandError::RepeatConflict {
        repeat: repeat_raw.clone(),
        date: with,
    };

    let mut days = repeat.days;
    let mut month_day = repeat.month_day;
    if let Some((set, raw)) = schedule.days {
        if repeat.unit != RepeatUnit::Weeks || days.is_some() {
            return Err(conflict(raw));
        }
        days = Some(set);
    }
    if let Some((day, raw)) = schedule.month_day {
        if repeat.unit != RepeatUnit::Months || month_day.is_some() {
            return Err(conflict(raw));
        }
        month_day = Some(day);
    }
    let mut from: Option<(From, String)> = None;
    if let Some((spec, raw)) = schedule.start {
        let date = spec.resolve(today, &raw)?;
        from = Some((From { date, named: true }, raw));
    }
    if let Some((spec, raw)) = schedule.date {
        let mut start_at = |from_here: From, raw: String| match &from {
            Some((_, start)) => Err(CommandError::Duplicate {
                kind: WordKind::Start,
                first: raw,
                second: start.clone(),
            }),
            None => {
                from = Some((from_here, raw));
                Ok(())
            }
        };
        match spec {
            // `weekly 9am fri`: the day of a weekly rule that names none.
            DateSpec::Weekday(day) | DateSpec::NextWeekday(day)
                if repeat.unit == RepeatUnit::Weeks && days.is_none() =>
            {
                days = WeekdaySet::new([day]);
                if let DateSpec::NextWeekday(_) = spec {
                    let date = spec.resolve(today, &raw)?;
                    start_at(From { date, named: true }, raw)?;
                }
            }
            // `every monday 10am fri`: which day?
            DateSpec::Weekday(_) if repeat.unit == RepeatUnit::Weeks => {
                return Err(conflict(raw));
            }
            // `daily 9am fri`: from the next Friday, as for a one-off.
            DateSpec::Weekday(_) => {
                let date = spec.resolve(today, &raw)?;
                start_at(From { date, named: false }, raw)?;
            }
            DateSpec::DayOfMonth(day) => {
                if repeat.unit != RepeatUnit::Months || month_day.is_some() {
                    return Err(conflict(raw));
                }
                month_day = Some(day);
            }
            _ => {
                let date = spec.resolve(today, &raw)?;
                start_at(From { date, named: true }, raw)?;
            }
        }
    }
    let from = from.map_or(
        From {
            date: today,
            named: false,
        },
        |(from, _)| from,
    );

    let frequency = match repeat.unit {
        RepeatUnit::Days => Frequency::Daily,
        RepeatUnit::Weeks => Frequency::Weekly(
            days.or_else(|| WeekdaySet::new([from.date.weekday()]))
                .unwrap_or(WeekdaySet::WORKWEEK),
        ),
        RepeatUnit::Months => {
            let day = month_day.unwrap_or(from.date.day());
            let day = u8::try_from(day)
                .ok()
                .filter(|d| (1..=31).contains(d))
                .ok_or(CommandError::MonthDayOutOfRange { day })?;
            Frequency::Monthly { day }
        }
    };

    let first = first_meeting(frequency, &from, time, zone, ctx)?;
    let end = match schedule.end {
        None => None,
        Some((EndSpec::Count(n), _)) => Some(SeriesEnd::Count(n)),
        Some((EndSpec::Until(spec), raw)) => Some(SeriesEnd::Until(spec.resolve(today, &raw)?)),
        Some((EndSpec::For { n, unit }, _)) => Some(SeriesEnd::Until(span_end(first, n, unit))),
    };
    let recurrence = Recurrence::new(frequency, repeat.interval, end, first.and_time(time), zone)?;

    let start = recurrence.first().start();
    if start - now > TimeDelta::days(HORIZON_DAYS) {
        return Err(CommandError::TooFarAhead {
            local: recurrence.first().local(),
            zone,
            max_days: HORIZON_DAYS,
        });
    }
    let mut notes = Vec::new();
    if let Some(repeated) = recurrence
        .occurrences()
        .iter()
        .find(|o| o.repeated_wall_clock())
    {
        notes.push(Note::AmbiguousLocalTime {
            local: repeated.local(),
            zone,
            start: repeated.start(),
            first: true,
        });
    }
    if let Frequency::Monthly { day } = frequency
        && recurrence.skips_months()
    {
        notes.push(Note::MonthsSkipped { day });
    }
    if recurrence.open_ended() {
        notes.push(Note::SeriesCapped {
            max: Recurrence::MAX_OCCURRENCES,
            last: recurrence.last().local().date(),
        });
    }
    Ok(MeetingRequest::new(Parts {
        topic,
        duration,
        start,
        zone,
        explicit_zone,
        starts_now: false,
        recurrence: Some(recurrence),
        notes,
    }))
}

/// The first day on or after `from` that the rule allows and whose meeting is not in the
/// past. A wall-clock time in a DST gap is refused naming the date (unless that moment has
/// passed anyway and the day was not named).
fn first_meeting(
    frequency: Frequency,
    from: &From,
    time: NaiveTime,
    zone: Zone,
    ctx: &Context,
) -> Result<NaiveDate, CommandError> {
    let now = this_minute(ctx.now);
    let now_local = now.with_timezone(&zone.tz()).naive_local();
    for offset in 0..SEARCH_DAYS {
        let Some(date) = from.date.checked_add_days(Days::new(offset)) else {
            break;
        };
        if !frequency.matches(date) {
            continue;
        }
        let local = date.and_time(time);
        match time::resolve_local(zone, local) {
            Err(LocalTimeError::Gap { .. }) if !from.named && local < now_local => {}
            Err(LocalTimeError::Gap {
                requested,
                next_valid,
                zone,
            }) => {
                return Err(CommandError::SeriesGap {
                    local: requested,
                    next_valid,
                    zone,
                });
            }
            Ok(resolved) if resolved.instant() < now => {
                if from.named {
                    return Err(CommandError::InPast {
                        local,
                        zone,
                        minutes_ago: (now - resolved.instant()).num_minutes(),
                    });
                }
            }
            Ok(_) => return Ok(date),
        }
    }
    Err(CommandError::InvalidDate {
        word: from.date.to_string(),
    })
}

/// The last day of `n` days, weeks or months starting on `first` (`for 6 weeks` from a
/// Monday ends on the Sunday five weeks later). Absurd lengths run to the end of the
/// calendar, so the 60-meeting cap refuses them with a useful date.
fn span_end(first: NaiveDate, n: u32, unit: RepeatUnit) -> NaiveDate {
    let end = match unit {
        RepeatUnit::Days => first.checked_add_days(Days::new(u64::from(n))),
        RepeatUnit::Weeks => first.checked_add_days(Days::new(u64::from(n).saturating_mul(7))),
        RepeatUnit::Months => first.checked_add_months(Months::new(n)),
    };
    end.and_then(|day_after| day_after.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn a_series_length_counts_from_the_first_meeting() {
        let monday = date(2026, 6, 1);
        for (n, unit, want) in [
            (6, RepeatUnit::Weeks, date(2026, 7, 12)),
            (1, RepeatUnit::Weeks, date(2026, 6, 7)),
            (10, RepeatUnit::Days, date(2026, 6, 10)),
            (2, RepeatUnit::Months, date(2026, 7, 31)),
            (u32::MAX, RepeatUnit::Months, NaiveDate::MAX),
        ] {
            assert_eq!(span_end(monday, n, unit), want, "{n} {unit:?}");
        }
        assert_eq!(Weekday::Mon, monday.weekday());
    }
}
